"""The placement page: iterations and reviews, health, and the lifecycle, on a frozen clock."""

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import selected_values
from tracker.extensions import db
from tracker.models import AuditEvent, IterationReview, Placement, StaffingRequest

START = date(2026, 9, 7)  # a Monday; iteration 1 ends on Sunday 20 Sep with a 14-day cadence


def review_form(**kw):
    data = {
        "delivery": "4",
        "code_quality": "5",
        "communication": "4",
        "collaboration": "4",
        "would_continue": "yes",
        "comments": "Shipped the ranking service",
        "action_items": "",
    }
    data.update(kw)
    return data


@pytest.fixture
def frozen():
    """Travel to a day; sign in inside it (a cookie signed in the 'future' is refused)."""

    def travel(day):
        return time_machine.travel(day, tick=False)

    return travel


@pytest.fixture
def placement(make):
    return make.placement(start=START, end=None, review_cadence_days=14)


def test_iterations_show_their_state_on_the_day(client, auth, placement, frozen):
    with frozen(date(2026, 10, 11)):
        auth.login_as("account_manager")
        page = client.get(f"/placements/{placement.id}").text
    rows = page.split('data-iteration="')[1:]
    assert "overdue" in rows[0]  # 7–20 Sep: due 21 Sep, overdue from 28 Sep
    assert "overdue from 12 Oct 2026" in rows[1]  # 21 Sep – 4 Oct: due since 5 Oct
    assert "in progress" in rows[2]  # 5–18 Oct
    assert "upcoming" in rows[3]
    assert "Health:" in page
    assert "1 review overdue" in page


def test_an_account_manager_reviews_a_due_iteration(client, auth, placement, frozen):
    with frozen(date(2026, 9, 22)):
        am = auth.login_as("account_manager")
        form = client.get(f"/placements/{placement.id}/iterations/1/review")
        assert form.status_code == 200
        assert "7 Sep 2026 – 20 Sep 2026" in form.text
        response = client.post(
            f"/placements/{placement.id}/iterations/1/review", data=review_form()
        )
        assert response.status_code == 302
        page = client.get(f"/placements/{placement.id}").text
    review = db.session.scalar(sa.select(IterationReview))
    assert (review.iteration, review.submitted_by_id, review.code_quality) == (1, am.id, 5)
    assert "4.25" in page
    assert "Shipped the ranking service" in page
    assert "Review submitted" in page  # the placement's history includes its reviews


def test_a_review_before_the_iteration_ends_is_refused(client, auth, placement, frozen):
    with frozen(date(2026, 9, 20)):
        auth.login_as("account_manager")
        response = client.post(
            f"/placements/{placement.id}/iterations/1/review", data=review_form()
        )
    assert response.status_code == 409
    assert "it can be reviewed from 21 Sep 2026" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IterationReview)) == 0


def test_a_rating_out_of_range_gets_the_form_back(client, auth, placement, frozen):
    with frozen(date(2026, 9, 22)):
        auth.login_as("account_manager")
        response = client.post(
            f"/placements/{placement.id}/iterations/1/review", data=review_form(delivery="7")
        )
    assert response.status_code == 400
    assert "Not a valid choice" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IterationReview)) == 0


def test_the_author_corrects_within_seven_days_but_not_after(client, auth, placement, frozen):
    with frozen(date(2026, 9, 22)):
        auth.login_as("account_manager")
        client.post(f"/placements/{placement.id}/iterations/1/review", data=review_form())
    with frozen(date(2026, 9, 29)):
        auth.login_as("account_manager", email="again@example.com")  # someone else
        other = client.post(
            f"/placements/{placement.id}/iterations/1/review", data=review_form(delivery="1")
        )
        assert other.status_code == 409
        assert "Only the person who wrote a review can correct it." in other.text
    review = db.session.scalar(sa.select(IterationReview))
    assert review.delivery == 4


def test_an_edit_after_seven_days_is_refused(client, auth, make, placement, frozen):
    author = make.user(email="author@example.com")
    with frozen(date(2026, 9, 22)):
        make.review(placement, 1, submitted_by=author)
    with frozen(date(2026, 9, 30)):
        client.post("/login", data={"email": author.email, "password": "test-password-1234"})
        page = client.get(f"/placements/{placement.id}").text
        assert "Correct" not in page.split('data-iteration="1"')[1].split("</tr>")[0]
        response = client.post(
            f"/placements/{placement.id}/iterations/1/review", data=review_form(delivery="1")
        )
    assert response.status_code == 409
    assert "Reviews can be corrected for 7 days" in response.text
    assert db.session.scalar(sa.select(IterationReview)).delivery == 4


def test_activation_on_the_start_date_by_the_daily_job(runner, make, frozen):
    pending = make.placement(start=date(2027, 1, 4), status="pending")
    with frozen(date(2027, 1, 3)):
        runner.invoke(args=["placements-daily"])
    db.session.refresh(pending)
    assert pending.status == "pending"
    with frozen(date(2027, 1, 4)):
        result = runner.invoke(args=["placements-daily"])
    assert "1 activated" in result.output
    db.session.refresh(pending)
    assert pending.status == "active"


def test_activate_by_hand(client, auth, make, frozen):
    pending = make.placement(start=date(2027, 1, 4), status="pending")
    with frozen(date(2026, 12, 28)):
        auth.login_as("account_manager")
        response = client.post(f"/placements/{pending.id}/activate", follow_redirects=True)
    assert "placement is active" in response.text
    db.session.refresh(pending)
    assert (pending.status, pending.start_date) == ("active", date(2026, 12, 28))


def test_end_with_a_reason_and_refusals(client, auth, placement, frozen):
    with frozen(date(2026, 11, 26)):
        auth.login_as("account_manager")
        no_reason = client.post(
            f"/placements/{placement.id}/end", data={"end-reason": "", "end-last_day": "2026-11-30"}
        )
        assert no_reason.status_code == 400
        assert "Choose why the placement ends." in no_reason.text
        ended = client.post(
            f"/placements/{placement.id}/end",
            data={"end-reason": "client_ended", "end-last_day": "2026-11-30",
                  "end-version_id": placement.version_id},
        )  # fmt: skip
        assert ended.status_code == 302
        again = client.post(
            f"/placements/{placement.id}/end",
            data={"end-reason": "completed", "end-last_day": "2026-11-30"},
        )
    assert again.status_code == 409
    assert "already ended" in again.text
    db.session.refresh(placement)
    assert (placement.status, placement.end_reason, placement.end_date) == (
        "ended", "client_ended", date(2026, 11, 30),
    )  # fmt: skip


def test_extend_and_shorten_the_end_date(client, auth, make, frozen):
    placement = make.placement(start=START, end=date(2026, 12, 31))
    with frozen(date(2026, 11, 26)):
        auth.login_as("account_manager")
        client.post(
            f"/placements/{placement.id}/end-date",
            data={"dates-end_date": "2027-03-31", "dates-version_id": placement.version_id},
        )
        db.session.refresh(placement)
        assert placement.end_date == date(2027, 3, 31)
        past = client.post(
            f"/placements/{placement.id}/end-date",
            data={"dates-end_date": "2026-10-01", "dates-version_id": placement.version_id},
        )
    assert past.status_code == 409
    assert "use End placement" in past.text
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "placement.dates_changed")
    )
    assert event.changes["end_date"] == ["2026-12-31", "2027-03-31"]


def test_stale_lifecycle_change_is_refused(client, auth, make, frozen):
    placement = make.placement(start=START, end=date(2026, 12, 31))
    old_version = placement.version_id
    with frozen(date(2026, 11, 26)):
        auth.login_as("account_manager")
        client.post(
            f"/placements/{placement.id}/end-date",
            data={"dates-end_date": "2027-01-31", "dates-version_id": old_version},
        )
        stale = client.post(
            f"/placements/{placement.id}/end",
            data={
                "end-reason": "completed",
                "end-last_day": "2026-11-30",
                "end-version_id": old_version,
            },
        )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text
    db.session.refresh(placement)
    assert placement.status == "active"


def test_a_damaged_version_is_refused_like_a_stale_one(client, auth, make, frozen):
    placement = make.placement(start=START, end=date(2026, 12, 31))
    with frozen(date(2026, 11, 26)):
        auth.login_as("account_manager")
        response = client.post(
            f"/placements/{placement.id}/end-date",
            data={"dates-end_date": "2027-01-31", "dates-version_id": "abc"},
        )
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    db.session.refresh(placement)
    assert placement.end_date == date(2026, 12, 31)


@pytest.mark.parametrize("number", [10**6, 2**31 - 1])
def test_an_iteration_past_the_calendar_is_not_found(client, auth, placement, number):
    auth.login_as("account_manager")
    url = f"/placements/{placement.id}/iterations/{number}/review"
    assert client.get(url).status_code == 404
    assert client.post(url, data=review_form()).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IterationReview)) == 0


def test_replacement_flow_links_the_successor(client, auth, make, frozen):
    req = make.request(status="filled", start_date=date(2026, 6, 1))
    old = make.placement(request=req, start=date(2026, 6, 1))
    with frozen(date(2026, 11, 26)):
        auth.login_as("account_manager")
        response = client.post(
            f"/placements/{old.id}/replace",
            data={"replace-last_day": "2026-11-27", "replace-version_id": old.version_id},
        )
        assert response.headers["Location"] == f"/requests/{req.id}/matches"
        assert db.session.get(StaffingRequest, req.id).status == "open"
        successor_proposal = make.proposal(request=req, status="accepted")
        form = client.get(f"/proposals/{successor_proposal.id}/placement").text
        assert "Replaces" in form
        assert re.search(rf'<option (selected )?value="{old.id}"( selected)?>', form)
        client.post(
            f"/proposals/{successor_proposal.id}/placement",
            data={"start_date": "2026-11-30", "end_date": "", "pay_rate": "50.00",
                  "bill_rate": "80.00", "review_cadence_days": "14", "replaces_id": str(old.id)},
        )  # fmt: skip
        page = client.get(f"/placements/{old.id}").text
    successor = db.session.scalar(
        sa.select(Placement).where(Placement.proposal_id == successor_proposal.id)
    )
    assert successor.replaces_placement_id == old.id
    db.session.refresh(old)
    assert (old.status, old.end_reason) == ("ended", "replaced")
    assert "Replaced by" in page


def test_a_placement_cannot_be_succeeded_twice(client, auth, make):
    req = make.request(status="open", start_date=date(2026, 6, 1))
    old = make.placement(request=req, start=date(2026, 6, 1), end=date(2026, 11, 27),
                         status="ended", end_reason="replaced")  # fmt: skip
    make.placement(request=req, start=date(2026, 11, 30), replaces_placement_id=old.id)
    auth.login_as("account_manager")
    proposal = make.proposal(request=req, status="accepted")
    form = client.get(f"/proposals/{proposal.id}/placement").text
    assert "Replaces" not in form  # nobody left to succeed
    client.post(
        f"/proposals/{proposal.id}/placement",
        data={"start_date": "2027-01-04", "pay_rate": "50.00", "bill_rate": "80.00",
              "review_cadence_days": "14", "replaces_id": str(old.id)},
    )  # fmt: skip
    successors = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Placement)
        .where(Placement.replaces_placement_id == old.id)
    )
    assert successors == 1  # a forged replaces_id links nothing


def test_health_shows_wherever_a_placement_appears(client, auth, make, frozen):
    falling = make.placement(start=START, bill_rate=Decimal(90))
    for k, score in enumerate((5, 5, 2), 1):
        make.review(falling, k, delivery=score, code_quality=score, communication=score,
                    collaboration=score)  # fmt: skip
    with frozen(date(2026, 10, 20)):
        auth.login_as("account_manager")
        page = client.get(f"/placements/{falling.id}").text
        listing = client.get("/placements/").text
    assert "overall fell from 5.00 to 2.00" in page
    assert "text-bg-danger" in listing  # the red badge in the list


# --- no invented ratings (issue 11.2) ------------------------------------------------------

RATING_FIELDS = ("delivery", "code_quality", "communication", "collaboration", "would_continue")


@pytest.mark.parametrize("url", ["/placements/{id}/iterations/1/review",
                                 "/portal/placements/{id}/iterations/1/review"])  # fmt: skip
def test_review_forms_start_with_no_rating_chosen(client, auth, make, placement, frozen, url):
    with frozen(date(2026, 9, 22)):
        auth.login_for(url, placement.client)
        page = client.get(url.format(id=placement.id)).text
    for name in RATING_FIELDS:
        assert selected_values(page, name) in ([], [""]), name


@pytest.mark.parametrize("url", ["/placements/{id}/iterations/1/review",
                                 "/portal/placements/{id}/iterations/1/review"])  # fmt: skip
def test_saving_an_untouched_review_form_is_refused_field_by_field(
    client, auth, placement, frozen, url
):
    with frozen(date(2026, 9, 22)):
        auth.login_for(url, placement.client)
        untouched = dict.fromkeys(RATING_FIELDS, "") | {"comments": "", "action_items": ""}
        response = client.post(url.format(id=placement.id), data=untouched)
        missing = client.post(url.format(id=placement.id), data={"comments": "Fine"})
    assert response.status_code == missing.status_code == 400
    for message in ("Rate the delivery from 1 to 5.", "Rate the code quality from 1 to 5.",
                    "Rate the communication from 1 to 5.", "Rate the collaboration from 1 to 5.",
                    "Say whether you would continue with this engineer."):  # fmt: skip
        assert message in response.text
        assert message in missing.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IterationReview)) == 0
    assert db.session.get(Placement, placement.id).last_overall is None


def test_a_correction_starts_from_the_saved_review(client, auth, placement, frozen):
    with frozen(date(2026, 9, 22)):
        auth.login_as("account_manager")
        url = f"/placements/{placement.id}/iterations/1/review"
        client.post(url, data=review_form(delivery="2", collaboration="3", would_continue="no"))
        page = client.get(url).text
    assert "Correct the review" in page
    expected = {"delivery": ["2"], "code_quality": ["5"], "communication": ["4"],
                "collaboration": ["3"], "would_continue": ["no"]}  # fmt: skip
    assert {name: selected_values(page, name) for name in RATING_FIELDS} == expected


def test_saving_a_correction_that_changes_nothing_says_so(client, auth, placement, frozen):
    with frozen(date(2026, 9, 22)):
        auth.login_as("account_manager")
        url = f"/placements/{placement.id}/iterations/1/review"
        client.post(url, data=review_form())
        again = client.post(url, data=review_form(), follow_redirects=True)
        changed = client.post(url, data=review_form(delivery="2"), follow_redirects=True)
    assert "Nothing changed in the review of iteration 1." in again.text
    assert "corrected" not in again.text.split("History")[0]
    assert "Review of iteration 1 corrected." in changed.text
    corrections = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "review.corrected")
    ).all()
    assert [e.changes for e in corrections] == [{"delivery": [4, 2]}]


def test_the_placement_page_lists_every_iteration_of_the_engagement(client, auth, make, frozen):
    """Issue 12.6: past, current and to come, to the end date; not only the first two."""
    fixed = make.placement(start=START, end=date(2026, 11, 29), review_cadence_days=14)
    with frozen(date(2026, 9, 22)):
        auth.login_as("account_manager")
        page = client.get(f"/placements/{fixed.id}").text
    assert re.findall(r'data-iteration="(\d+)"', page) == [str(n) for n in range(1, 7)]
    assert "29 Nov 2026" in page.split('data-iteration="6"')[1].split("</tr>")[0]


def test_a_placement_that_has_not_started_says_when_its_first_review_is_due(
    client, auth, make, frozen
):
    pending = make.placement(start=date(2026, 10, 5), end=None, status="pending",
                             review_cadence_days=14)  # fmt: skip
    with frozen(date(2026, 9, 22)):
        auth.login_as("account_manager")
        page = client.get(f"/placements/{pending.id}").text
    first = page.split('data-iteration="1"')[1].split("</tr>")[0]
    assert "upcoming" in first
    assert "review due 19 Oct 2026" in first


def test_a_long_engagement_lists_a_year_ahead_and_says_it_goes_on(client, auth, make, frozen):
    long = make.placement(start=START, end=date(2030, 12, 31), review_cadence_days=7)
    with frozen(date(2026, 9, 22)):
        auth.login_as("account_manager")
        page = client.get(f"/placements/{long.id}").text
    assert 50 <= len(re.findall(r'data-iteration="\d+"', page)) <= 56
    assert "Iterations go on every 7 days until 31 Dec 2030." in page
