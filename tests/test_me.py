"""The engineer's own area, /me/ (issue 14): their placements with the pay rate and the team's
hours in both zones, the week editor and its refusals, their timesheets and profile; never the
bill rate, the margin, the client's notes, reviews or anyone else. Staff give the account from
the engineer's page."""

import html
import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import PASSWORD, make_app
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    Client,
    Engineer,
    Interview,
    IterationReview,
    Notification,
    OutboxEmail,
    PayStatement,
    Placement,
    Proposal,
    Timesheet,
    TimesheetEntry,
    User,
    utcnow,
)
from tracker.services import me, timesheets, transaction, users
from tracker.services.timesheets import EntryInput, week_of

CLIENT_NOTE = "Internal: pays late, keep margin high"
REVIEW_COMMENT = "Confidential review: slow on code reviews"


# --- the world ---------------------------------------------------------------------------------


@pytest.fixture
def world(make):
    """An engineer (with an account) placed with Acme for ten weeks, a review of them, and
    another engineer placed with another client."""
    manager = make.user(role="account_manager", name="Marta Manager")
    acme = make.client(name="Acme Robotics", notes=CLIENT_NOTE, account_manager=manager)
    engineer = make.engineer(full_name="Paula Pereira", skills={"PyTorch": 5, "Python": 4})
    today = me.today_for(engineer)
    placement = make.placement(
        engineer=engineer,
        request=make.request(client=acme, title="Computer vision engineer"),
        start=today - timedelta(weeks=10),
        bill_rate=Decimal("97.50"),
        pay_rate=Decimal("61.25"),
    )
    make.review(placement, comments=REVIEW_COMMENT)
    account = make.user(role="engineer", engineer=engineer, name="Paula Pereira")
    client_user = make.user(role="client", client=acme, name="Carl Client")
    other = make.engineer(full_name="Otto Other")
    other_placement = make.placement(
        engineer=other, start=today - timedelta(weeks=6), bill_rate=Decimal("120.00")
    )
    other_account = make.user(role="engineer", engineer=other)
    return {
        "manager": manager,
        "acme": acme,
        "engineer": engineer,
        "account": account,
        "client_user": client_user,
        "placement": placement,
        "other": other,
        "other_account": other_account,
        "other_placement": other_placement,
        "today": today,
        "last_week": week_of(today) - timedelta(days=7),
    }


@pytest.fixture
def signed_in(auth, world):
    auth.login(world["account"].email)
    return world


def week_url(placement, week: date) -> str:
    return f"/me/placements/{placement.id}/weeks/{week.isoformat()}"


def week_form(week: date, hours: dict[int, str], notes=None, **extra) -> dict:
    """The editor's form as a browser posts it: a row per day of the week (offset: hours)."""
    data = {}
    for i in range(7):
        data[f"days-{i}-work_date"] = (week + timedelta(days=i)).isoformat()
        data[f"days-{i}-hours"] = hours.get(i, "")
        data[f"days-{i}-note"] = (notes or {}).get(i, "")
    return data | extra


def weekdays(hours: str = "8") -> dict[int, str]:
    return dict.fromkeys(range(5), hours)


def sheet(placement, week: date) -> Timesheet | None:
    db.session.expire_all()
    return timesheets.find(placement.id, week)


def entries_of(placement, week: date) -> list[tuple]:
    found = sheet(placement, week)
    return [] if found is None else [(e.work_date, e.hours, e.note) for e in found.entries]


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def saved_week(world, hours="8", **kw) -> Timesheet:
    with transaction():
        found = timesheets.save_week(
            world["placement"],
            world["last_week"],
            [EntryInput(world["last_week"] + timedelta(days=k), Decimal(hours)) for k in range(5)],
            world["account"],
            today=world["today"],
        )
    return found


def submitted_week(world) -> Timesheet:
    found = saved_week(world)
    with transaction():
        timesheets.submit(found, world["account"], today=world["today"])
    return found


# --- what the engineer sees --------------------------------------------------------------------


def test_the_engineer_sees_their_placement_and_pay_never_the_bill_rate(client, signed_in):
    w = signed_in
    pages = {
        "/me/": client.get("/me/"),
        "placement": client.get(f"/me/placements/{w['placement'].id}"),
        "profile": client.get("/me/profile"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
    first, placement = pages["/me/"].text, pages["placement"].text
    for page in (first, placement):
        assert "Acme Robotics" in page
        assert "Computer vision engineer" in page
        assert "$61.25 an hour" in page
        assert "40 h a week" in page
    for name, response in pages.items():
        page = response.text
        assert "$97.50" not in page, name  # the bill rate
        assert "$36.25" not in page, name  # the margin
        assert "margin" not in page.lower(), name
        assert "bill" not in page.lower(), name
        assert CLIENT_NOTE not in page, name
        assert REVIEW_COMMENT not in page, name
        assert "Otto Other" not in page, name
        assert "Carl Client" not in page, name  # the client's users
        assert "Marta Manager" not in page, name


def test_the_first_page_shows_this_and_last_weeks_status(client, signed_in):
    w = signed_in
    submitted_week(w)
    page = client.get("/me/").text
    weeks = re.search(r'data-testid="recent-weeks">(.*?)</ul>', page, re.S)[1]
    assert "This week" in weeks
    assert "Last week" in weeks
    assert "Submitted" in weeks
    assert "40 h of 40 h" in weeks
    assert f'href="{week_url(w["placement"], w["last_week"])}"' in weeks
    assert f'href="{week_url(w["placement"], week_of(w["today"]))}"' in weeks


def test_the_team_hours_show_in_the_teams_zone_and_on_the_engineers_clock(client, auth, make):
    team = make.client(
        name="Lisbon Labs", timezone="UTC", workday_start=time(9), workday_end=time(17)
    )
    engineer = make.engineer(timezone="Asia/Tokyo")  # UTC+9 all year: no clock change
    placement = make.placement(engineer=engineer, request=make.request(client=team))
    auth.login(make.user(role="engineer", engineer=engineer).email)

    for url in ("/me/", f"/me/placements/{placement.id}"):
        page = client.get(url).text
        assert "09:00–17:00 UTC" in page
        assert "18:00–02:00 (next day) Asia/Tokyo" in page


def test_only_weeks_hours_are_expected_for_read_missing(client, signed_in):
    """Weeks before the tracker expected hours of the placement are not logged, not missing."""
    w = signed_in
    w["placement"].timesheets_from = w["last_week"]
    db.session.commit()
    page = client.get(f"/me/placements/{w['placement'].id}").text
    rows = re.findall(r"<tr>\s*<td[^>]*>([^<]+)</td>\s*<td[^>]*>(.*?)</td>", page, re.S)
    status = {week.split(" – ")[0]: re.sub(r"<[^>]+>", "", badge).strip() for week, badge in rows}
    assert status[f"{w['last_week'].day} {w['last_week']:%b %Y}"] == "Missing"
    earlier = w["last_week"] - timedelta(days=7)
    assert status[f"{earlier.day} {earlier:%b %Y}"] == "Not logged"


def test_an_engineer_without_placements_is_told_so(client, auth):
    auth.login_as("engineer")
    page = client.get("/me/").text
    assert "You have no placement yet" in page


def test_the_profile_is_read_only_and_keeps_the_agencys_notes(client, signed_in):
    w = signed_in
    engineer = w["engineer"]
    engineer.notes = "Internal: asked for a raise, say no"
    engineer.vetting_notes = "Weak on system design"
    db.session.commit()

    page = client.get("/me/profile").text

    for shown in ("Paula Pereira", engineer.email, "São Paulo, Brazil", "America/Sao_Paulo",
                  "09:00–18:00", "Senior, 8 years", "C1", "PyTorch", "5 / 5", "$50.00 an hour"):  # fmt: skip
        assert shown in page, shown
    assert page.index("PyTorch") < page.index("Python")  # strongest first
    assert "raise" not in page
    assert "system design" not in page.lower()
    assert "<form" not in page.split("<main", 1)[1]  # nothing to edit


def test_the_engineer_has_their_own_navigation_and_notifications(client, signed_in):
    page = client.get("/me/").text
    for href in ('href="/me/"', 'href="/me/timesheets/"', 'href="/me/profile"',
                 'href="/notifications/"'):  # fmt: skip
        assert href in page
    assert 'href="/dashboard/"' not in page
    assert 'href="/portal/"' not in page
    assert client.get("/notifications/").status_code == 200


# --- the week editor ---------------------------------------------------------------------------


def test_a_week_is_saved_as_a_draft_with_hours_as_typed(client, signed_in):
    w = signed_in
    url = week_url(w["placement"], w["last_week"])
    page = client.get(url).text
    assert page.count('name="days-') == 7 * 3  # Monday to Sunday: date, hours, note
    assert 'name="version_id" type="hidden" value="0"' in page

    hours = {0: "8", 1: "7,5", 2: "7:30", 3: "8.25"}
    response = client.post(url, data=week_form(w["last_week"], hours, {0: "Kick-off"}, save="y"))

    assert response.status_code == 302
    assert response.headers["Location"] == url
    found = sheet(w["placement"], w["last_week"])
    assert (found.status, found.total_hours) == ("draft", Decimal("31.25"))
    assert entries_of(w["placement"], w["last_week"])[0] == (w["last_week"], Decimal(8), "Kick-off")
    page = client.get(url).text
    assert "saved as a draft" in page
    assert 'value="7.5"' in page
    assert 'value="8.25"' in page
    assert "31.25 h" in page


def test_submitting_sends_the_week_to_the_client_and_locks_it(client, signed_in):
    w = signed_in
    url = week_url(w["placement"], w["last_week"])
    response = client.post(url, data=week_form(w["last_week"], weekdays(), submit="y"))

    assert response.status_code == 302
    found = sheet(w["placement"], w["last_week"])
    assert (found.status, found.total_hours, found.submitted_by_id) == (
        "submitted",
        Decimal(40),
        w["account"].id,
    )
    told = db.session.scalars(sa.select(Notification.user_id)).all()
    assert w["client_user"].id in told
    page = client.get(url).text
    assert "are submitted" in page
    assert "waiting for Acme Robotics" in page
    assert 'name="days-0-hours"' not in page  # read only
    assert 'name="submit"' not in page
    assert 'name="save"' not in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("25", "must be more than 0 and at most 24"),
        ("-1", "must be more than 0 and at most 24"),
        ("7.3", "go in quarter hours"),
        ("0", "must be more than 0 and at most 24"),
        ("eight", "is not a number of hours"),
        ("7:3", "is not a number of hours"),
    ],
)
def test_bad_hours_are_refused_and_change_nothing(client, signed_in, typed, message):
    w = signed_in
    saved_week(w, hours="6")
    before = entries_of(w["placement"], w["last_week"])
    version = sheet(w["placement"], w["last_week"]).version_id
    url = week_url(w["placement"], w["last_week"])

    response = client.post(
        url, data=week_form(w["last_week"], {0: "8", 1: typed}, save="y", version_id=version)
    )

    assert response.status_code == 400
    assert message in response.text
    assert f'value="{typed}"' in response.text  # what they typed stays in the form
    assert entries_of(w["placement"], w["last_week"]) == before


def test_a_day_outside_the_week_or_the_placement_is_refused(client, auth, make, signed_in):
    w = signed_in
    url = week_url(w["placement"], w["last_week"])
    outside_week = week_form(w["last_week"], weekdays(), save="y")
    outside_week["days-0-work_date"] = (w["last_week"] - timedelta(days=1)).isoformat()

    response = client.post(url, data=outside_week)

    assert response.status_code == 400
    assert "is not in the week of" in response.text
    assert count(Timesheet) == 0

    # A placement that started on the Wednesday of last week: Monday is not one of its days.
    engineer = make.engineer()
    late = make.placement(engineer=engineer, start=w["last_week"] + timedelta(days=2))
    auth.logout()
    auth.login(make.user(role="engineer", engineer=engineer).email)
    page = client.get(week_url(late, w["last_week"])).text
    assert page.count('name="days-') == 5 * 3  # Wednesday to Sunday
    before_start = week_form(w["last_week"], {2: "8"}, save="y")  # Monday is posted too
    before_start["days-0-hours"] = "8"

    response = client.post(week_url(late, w["last_week"]), data=before_start)

    assert response.status_code == 400
    assert "is outside the placement's dates" in html.unescape(response.text)
    assert count(Timesheet) == 0


def test_a_day_still_to_come_is_shown_closed_and_refused(client, auth, make):
    wednesday = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # noon in São Paulo
    with time_machine.travel(wednesday, tick=False):
        engineer = make.engineer()
        placement = make.placement(engineer=engineer, start=date(2026, 1, 5))
        auth.login(make.user(role="engineer", engineer=engineer).email)
        url = week_url(placement, date(2026, 3, 2))

        page = client.get(url).text
        assert "disabled" not in re.search(r'<input[^>]*name="days-2-hours"[^>]*>', page)[0]
        assert "disabled" in re.search(r'<input[^>]*name="days-3-hours"[^>]*>', page)[0]  # Thu

        response = client.post(url, data=week_form(date(2026, 3, 2), weekdays(), save="y"))

    assert response.status_code == 400
    assert "5 Mar 2026 is still to come" in response.text
    assert count(Timesheet) == 0


def test_the_week_follows_the_engineers_own_date(client, auth, make):
    """Sunday 23:30 in UTC is Monday morning in Tokyo and still Sunday in São Paulo."""
    monday = date(2026, 3, 9)
    with time_machine.travel(datetime(2026, 3, 8, 23, 30, tzinfo=UTC), tick=False):
        tokyo = make.engineer(timezone="Asia/Tokyo")
        placement = make.placement(engineer=tokyo, start=date(2026, 1, 5))
        auth.login(make.user(role="engineer", engineer=tokyo).email)
        assert me.today_for(tokyo) == monday
        response = client.post(
            week_url(placement, monday), data=week_form(monday, {0: "2"}, save="y")
        )
        assert response.status_code == 302
        assert sheet(placement, monday).total_hours == 2

        sao_paulo = make.engineer(timezone="America/Sao_Paulo")
        theirs = make.placement(engineer=sao_paulo, start=date(2026, 1, 5))
        auth.logout()
        auth.login(make.user(role="engineer", engineer=sao_paulo).email)
        assert client.get(week_url(theirs, monday)).status_code == 404  # not begun for them


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]


def test_the_week_editor_needs_the_pages_csrf_token(database_uri, make):
    app = make_app(database_uri, WTF_CSRF_ENABLED=True)
    with app.app_context():
        engineer = make.engineer()
        today = me.today_for(engineer)
        placement = make.placement(engineer=engineer, start=today - timedelta(weeks=4))
        user = make.user(role="engineer", engineer=engineer)
        browser = app.test_client()
        login = {"email": user.email, "password": PASSWORD}
        browser.post("/login", data=login | {"csrf_token": csrf_token(browser.get("/login").text)})
        week = week_of(today) - timedelta(days=7)
        url = week_url(placement, week)
        page = browser.get(url).text

        refused = browser.post(url, data=week_form(week, weekdays(), save="y", version_id="0"))

        assert refused.status_code == 400
        assert count(Timesheet) == 0
        form = week_form(week, weekdays(), save="y", version_id="0", csrf_token=csrf_token(page))
        assert browser.post(url, data=form).status_code == 302
        assert count(Timesheet) == 1


def test_a_week_above_the_cap_is_refused(client, signed_in):
    w = signed_in
    url = week_url(w["placement"], w["last_week"])

    response = client.post(
        url, data=week_form(w["last_week"], dict.fromkeys(range(7), "9"), save="y")
    )

    assert response.status_code == 400
    assert "63 hours in a week is more than the 60 allowed" in response.text
    assert count(Timesheet) == 0


def test_a_note_without_hours_is_refused(client, signed_in):
    w = signed_in
    url = week_url(w["placement"], w["last_week"])
    response = client.post(url, data=week_form(w["last_week"], {}, {2: "Dentist"}, save="y"))
    assert response.status_code == 400
    assert "or clear its note" in response.text
    assert count(Timesheet) == 0


@pytest.mark.parametrize("status", ["submitted", "approved"])
def test_a_submitted_or_approved_week_cannot_be_edited(client, signed_in, status):
    w = signed_in
    found = submitted_week(w)
    if status == "approved":
        with transaction():
            timesheets.approve(found, w["client_user"], today=w["today"])
    before = entries_of(w["placement"], w["last_week"])
    version = sheet(w["placement"], w["last_week"]).version_id
    url = week_url(w["placement"], w["last_week"])

    response = client.post(
        url, data=week_form(w["last_week"], weekdays("4"), save="y", version_id=version)
    )

    assert response.status_code == 409
    message = "waits for the client" if status == "submitted" else "approved and locked"
    assert message in response.text
    assert entries_of(w["placement"], w["last_week"]) == before
    assert sheet(w["placement"], w["last_week"]).status == status


def test_a_week_changed_since_the_form_was_opened_is_not_overwritten(client, signed_in):
    w = signed_in
    url = week_url(w["placement"], w["last_week"])
    opened = client.get(url).text
    version = re.search(r'name="version_id" type="hidden" value="(\d+)"', opened)[1]
    saved_week(w, hours="6")  # meanwhile, in another tab
    before = entries_of(w["placement"], w["last_week"])

    response = client.post(
        url, data=week_form(w["last_week"], weekdays("8"), save="y", version_id=version)
    )

    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert "Load the current version" in response.text
    assert entries_of(w["placement"], w["last_week"]) == before


def test_a_rejected_week_shows_why_and_goes_back_to_draft_when_corrected(client, signed_in):
    w = signed_in
    found = submitted_week(w)
    with transaction():
        timesheets.reject(found, w["client_user"], "Friday was a holiday.", today=w["today"])
    url = week_url(w["placement"], w["last_week"])
    page = client.get(url).text
    assert "Friday was a holiday." in page
    assert "Sent back" in page
    version = sheet(w["placement"], w["last_week"]).version_id

    response = client.post(
        url, data=week_form(w["last_week"], dict.fromkeys(range(4), "8"), submit="y",
                            version_id=version),
    )  # fmt: skip

    assert response.status_code == 302
    found = sheet(w["placement"], w["last_week"])
    assert (found.status, found.total_hours) == ("submitted", Decimal(32))


@pytest.mark.parametrize("offset", ["tuesday", "future", "before", "garbage", "basic"])
def test_a_week_that_is_no_week_of_the_placement_is_not_found(client, signed_in, offset):
    w = signed_in
    placement = w["placement"]
    week = {
        "tuesday": (w["last_week"] + timedelta(days=1)).isoformat(),
        "future": (week_of(w["today"]) + timedelta(days=7)).isoformat(),
        "before": (week_of(placement.start_date) - timedelta(days=7)).isoformat(),
        "garbage": "2026-02-30",
        "basic": w["last_week"].strftime("%Y%m%d"),
    }[offset]
    url = f"/me/placements/{placement.id}/weeks/{week}"
    assert client.get(url).status_code == 404
    assert client.post(url, data=week_form(w["last_week"], weekdays(), save="y")).status_code == 404
    assert count(Timesheet) == 0


# --- their timesheets --------------------------------------------------------------------------


def test_the_timesheets_list_newest_first_with_a_status_filter(client, signed_in):
    w = signed_in
    submitted_week(w)
    with transaction():
        timesheets.save_week(
            w["placement"], w["last_week"] - timedelta(days=7),
            [EntryInput(w["last_week"] - timedelta(days=7), Decimal(3))],
            w["account"], today=w["today"],
        )  # fmt: skip

    page = client.get("/me/timesheets/").text
    rows = re.findall(r'href="/me/placements/\d+/weeks/([\d-]+)"', page)
    assert rows == [w["last_week"].isoformat(), (w["last_week"] - timedelta(days=7)).isoformat()]
    only_drafts = client.get("/me/timesheets/?status=draft").text
    assert re.findall(r'href="/me/placements/\d+/weeks/([\d-]+)"', only_drafts) == [rows[1]]
    assert client.get("/me/timesheets/?status=nonsense").status_code == 200


def test_a_timesheets_address_leads_to_its_week(client, signed_in):
    w = signed_in
    found = submitted_week(w)
    response = client.get(f"/me/timesheets/{found.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == week_url(w["placement"], w["last_week"])


def test_a_rejection_notice_takes_the_engineer_to_the_week(client, signed_in):
    w = signed_in
    found = submitted_week(w)
    with transaction():
        timesheets.reject(found, w["client_user"], "Too many hours on Monday.", today=w["today"])
    notice = db.session.scalar(
        sa.select(Notification).where(Notification.user_id == w["account"].id)
    )
    opened = client.post(f"/notifications/{notice.id}/open")
    assert opened.headers["Location"] == f"/me/timesheets/{found.id}"
    page = client.get(opened.headers["Location"], follow_redirects=True).text
    assert "Too many hours on Monday." in page


# --- another engineer's ids --------------------------------------------------------------------


def snapshot() -> dict:
    """What an engineer could change: timesheets, their days, placements, accounts, interviews."""
    tables = (Timesheet, TimesheetEntry, Placement, User, Engineer, Interview)
    return {
        model.__name__: sorted(
            map(repr, db.session.execute(sa.select(*model.__table__.columns)).all())
        )
        for model in tables
    }


def test_another_engineers_ids_answer_404_on_every_route_and_change_nothing(app, client, signed_in):
    w = signed_in
    theirs = w["other_placement"]
    their_week = week_of(w["today"]) - timedelta(days=7)
    with transaction():
        their_sheet = timesheets.save_week(
            theirs, their_week, [EntryInput(their_week, Decimal(8))], w["other_account"],
            today=w["today"],
        )  # fmt: skip
    their_pay = PayStatement(
        engineer=w["other"], period_start=date(2026, 1, 1), period_end=date(2026, 1, 31),
        status="issued", number="PAY-2026-0999", issued_on=date(2026, 2, 2), total=Decimal(1),
    )  # fmt: skip
    their_proposal = Proposal(
        request=theirs.request, engineer=w["other"], status="proposed", proposed_at=utcnow()
    )
    db.session.add(their_proposal)
    their_interview = Interview(
        proposal=their_proposal, engineer_id=w["other"].id, status="requested", choices=[]
    )
    db.session.add_all([their_pay, their_interview])
    db.session.commit()
    values = {
        "placement_id": theirs.id, "timesheet_id": their_sheet.id, "week": their_week,
        "statement_id": their_pay.id, "interview_id": their_interview.id,
    }  # fmt: skip
    before = snapshot()
    refusals = count(AuditEvent)

    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("me.")]
    assert {r.endpoint for r in rules} >= {
        "me.index", "me.placement", "me.week", "me.timesheets", "me.timesheet", "me.profile",
        "me.pay_statements", "me.pay_statement", "me.pay_statements_csv",
    }  # fmt: skip
    walked = 0
    for rule in rules:
        url = rule.build(
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()
             if k in rule.arguments},
            append_unknown=False,
        )[1]  # fmt: skip
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = week_form(their_week, weekdays(), submit="y") if method == "POST" else None
            response = client.open(url, method=method, data=data)
            if rule.arguments:
                assert response.status_code in (403, 404), f"{method} {url}"
            else:  # their own pages: nothing of the other engineer's on them
                assert response.status_code == 200, f"{method} {url}"
                assert "Otto Other" not in response.text
                assert f"/me/placements/{theirs.id}" not in response.text
                assert their_pay.number not in response.text
            walked += 1
    assert walked >= 7

    assert snapshot() == before
    assert count(AuditEvent) > refusals  # each probe is on record as a security event
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "access.cross_tenant")
        )
        >= 3
    )


def test_an_engineer_cannot_use_staff_or_portal_pages_with_another_engineers_ids(client, signed_in):
    w = signed_in
    theirs = w["other_placement"]
    before = snapshot()
    for method, url in [
        ("GET", f"/engineers/{w['other'].id}"),
        ("GET", f"/placements/{theirs.id}"),
        ("GET", f"/portal/placements/{theirs.id}"),
        ("POST", f"/engineers/{w['other'].id}/account"),
        ("POST", f"/engineers/{w['engineer'].id}/account/access"),
        ("GET", "/dashboard/"),
    ]:
        assert client.open(url, method=method).status_code == 403, url
    assert snapshot() == before


# --- every /me/ page of the demo agency, as each demo engineer ---------------------------------


def demo_engineer_accounts(app, wanted: int = 4) -> list[User]:
    """The demo's engineer accounts; while the demo has none, accounts for a few placed ones."""
    accounts = db.session.scalars(
        sa.select(User).where(User.role == "engineer").order_by(User.id)
    ).all()
    if accounts:
        return list(accounts)
    placed = db.session.scalars(
        sa.select(Engineer)
        .where(Engineer.id.in_(sa.select(Placement.engineer_id)), Engineer.is_active.is_(True))
        .order_by(Engineer.id)
        .limit(wanted)
    ).all()
    with transaction():
        made = [
            users.create_user(
                email=f"me-{e.id}@engineers.example",
                name=e.full_name,
                role="engineer",
                password=app.config["DEMO_PASSWORD"],
                engineer=e,
            )  # fmt: skip
            for e in placed
        ]
    return made


def me_pages(client, engineer: Engineer) -> dict[str, str]:
    """Every /me/ page the engineer reaches by following the area's own links."""
    seen: dict[str, str] = {}
    queue = ["/me/", "/me/timesheets/", "/me/pay/", "/me/pay.csv", "/me/profile"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        seen[url] = response.text
        links = re.findall(r'href="(/me/[^"#?]*(?:\?page=\d+)?)"', response.text)
        queue.extend(link.replace("&amp;", "&") for link in links if link not in seen)
    return seen


def test_no_demo_engineer_sees_a_bill_rate_a_margin_or_anyone_else(app, client):
    from tracker.demo import data as demo_data

    demo_data.seed()
    db.session.commit()
    accounts = demo_engineer_accounts(app)
    assert accounts
    everyone = dict(db.session.execute(sa.select(Engineer.id, Engineer.full_name)).all())
    client_notes = [n for n in db.session.scalars(sa.select(Client.notes)) if n]
    comments = [c for c in db.session.scalars(sa.select(IterationReview.comments)) if c]
    scanned = 0
    for account in accounts:
        client.post("/logout")
        login = client.post(
            "/login", data={"email": account.email, "password": app.config["DEMO_PASSWORD"]}
        )
        assert login.status_code == 302, account.email
        engineer = db.session.get(Engineer, account.engineer_id)
        mine = db.session.scalars(
            sa.select(Placement).where(Placement.engineer_id == engineer.id)
        ).all()
        shown = {f"${p.pay_rate:,.2f}" for p in mine} | {f"${engineer.hourly_rate:,.2f}"}
        secret = {f"${v:,.2f}" for p in mine for v in (p.bill_rate, p.margin)} - shown
        others = {name for eid, name in everyone.items() if eid != engineer.id} - {
            engineer.full_name
        }
        pages = me_pages(client, engineer)
        assert any("/weeks/" in url for url in pages) or not mine, account.email
        issued = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(PayStatement)
            .where(PayStatement.engineer_id == engineer.id, PayStatement.status != "draft")
        )
        assert any(re.fullmatch(r"/me/pay/\d+", url) for url in pages) or not issued, account.email
        for url, page in pages.items():
            text = page.lower()
            assert "margin" not in text, url
            assert "bill rate" not in text, url
            assert not [v for v in secret if v in page], url
            assert not [n for n in others if n in page], url
            assert not [n for n in client_notes if n in page], url
            assert not [c for c in comments if c in page], url
            scanned += 1
    assert scanned >= len(accounts) * 3


# --- the account, from the engineer's page -----------------------------------------------------


def test_staff_invite_an_engineer_resend_and_switch_access(app, client, auth, make):
    engineer = make.engineer(full_name="Ines Invited", email="ines@engineers.example")
    auth.login_as("account_manager", name="Olga Manager")
    url = f"/engineers/{engineer.id}"
    page = client.get(url).text
    assert "Access to their area" in page
    assert "Invite to their area" in page

    response = client.post(f"{url}/account", follow_redirects=True)

    assert "Invitation sent to ines@engineers.example" in response.text
    account = db.session.scalar(sa.select(User).where(User.engineer_id == engineer.id))
    assert (account.role, account.email, account.is_active) == ("engineer", engineer.email, True)
    mails = db.session.scalars(sa.select(OutboxEmail.body_text)).all()
    assert len(mails) == 1
    assert "Olga Manager invites you" in mails[0]
    assert "Invited, not signed in yet" in response.text
    assert "Send a new invitation" in response.text

    again = client.post(f"{url}/account", follow_redirects=True)
    assert "already has an account" in again.text
    assert count(User) == 2

    resent = client.post(f"{url}/account/invitation", follow_redirects=True)
    assert "A new invitation is on its way to ines@engineers.example" in resent.text
    assert count(OutboxEmail) == 2

    link = re.search(r"(/invitation/\S+)", db.session.scalars(
        sa.select(OutboxEmail.body_text).order_by(OutboxEmail.id.desc())).first())[1]  # fmt: skip
    browser = app.test_client()
    chosen = browser.post(
        link, data={"password": "my-own-passphrase", "confirm": "my-own-passphrase"}
    )
    assert chosen.headers["Location"] == "/me/"
    assert browser.get("/me/").status_code == 200

    off = client.post(f"{url}/account/access", data={"active": "off"}, follow_redirects=True)
    assert "Ines Invited can no longer sign in" in off.text
    assert "Access off" in off.text
    assert browser.get("/me/").status_code == 302  # signed out at once
    on = client.post(f"{url}/account/access", data={"active": "on"}, follow_redirects=True)
    assert "Ines Invited can sign in again" in on.text
    db.session.refresh(account)
    assert account.is_active


def test_an_archived_engineer_is_not_invited(client, auth, make):
    engineer = make.engineer(is_active=False)
    auth.login_as("account_manager")
    assert "Restore" in client.get(f"/engineers/{engineer.id}").text
    response = client.post(f"/engineers/{engineer.id}/account", follow_redirects=True)
    assert "is archived" in response.text
    assert count(User) == 1


def test_an_engineer_without_an_account_has_no_access_to_switch(client, auth, make):
    engineer = make.engineer()
    auth.login_as("account_manager")
    for tail in ("access", "invitation"):
        assert client.post(f"/engineers/{engineer.id}/account/{tail}").status_code == 404


@pytest.mark.parametrize("role", ["client", "engineer"])
def test_clients_and_engineers_cannot_give_accounts(client, auth, make, role):
    engineer = make.engineer()
    invited = make.engineer()
    make.user(role="engineer", engineer=invited)
    auth.login_as(role)
    before = count(User), count(OutboxEmail)
    for url in (
        f"/engineers/{engineer.id}/account",
        f"/engineers/{invited.id}/account/access",
        f"/engineers/{invited.id}/account/invitation",
    ):
        assert client.post(url, data={"active": "off"}).status_code == 403, url
    assert (count(User), count(OutboxEmail)) == before
    assert all(u.is_active for u in db.session.scalars(sa.select(User)))


def test_a_week_is_in_progress_while_it_runs_and_missing_once_it_ended(make):
    today = date.today()
    placement = make.placement(
        start=today - timedelta(weeks=6), timesheets_from=today - timedelta(weeks=2)
    )
    this_week = timesheets.Week(week_of(today), None, Decimal(40))
    last_week = timesheets.Week(week_of(today) - timedelta(days=7), None, Decimal(40))
    untracked = timesheets.Week(week_of(today) - timedelta(weeks=5), None, Decimal(40))
    assert me.status_of(placement, this_week, today) == "in_progress"
    assert me.status_of(placement, last_week, today) == "missing"
    assert me.status_of(placement, untracked, today) == "not_logged"
