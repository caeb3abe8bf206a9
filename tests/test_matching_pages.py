"""The match page, why-not, shortlisting, proposal moves and creating a placement."""

import re
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import Placement, Proposal, StaffingRequest

START = date.today() + timedelta(days=30)


@pytest.fixture
def request_(make):
    client = make.client(
        name="Acme", timezone="America/New_York", workday_start=time(9), workday_end=time(17)
    )
    return make.request(
        client=client,
        title="Senior LLM engineer",
        seniority="senior",
        start_date=START,
        duration_weeks=52,
        max_bill_rate=Decimal(120),
        skills={"Python": (4, True), "LangChain": (3, False)},
    )


def engineer(make, **kw):
    defaults = dict(
        seniority="senior",
        hourly_rate=Decimal("70.00"),
        available_from=START - timedelta(days=20),
        skills={"Python": 5, "LangChain": 4},
    )
    return make.engineer(**{**defaults, **kw})


def test_match_page_ranks_and_explains(client, auth, make, request_):
    ana = engineer(make, full_name="Ana Souza", timezone="America/Sao_Paulo")
    auth.login_as("account_manager")
    page = client.get(f"/requests/{request_.id}/matches").text
    assert "Ana Souza" in page
    assert 'data-testid="score"' in page
    assert "all 1 must-have, above the level asked: Python +1" in page
    assert "1 of 1 nice-to-have (LangChain)" in page
    # Sao Paulo keeps -03; New York changes clocks in March and November.
    assert "instead of" in page
    assert f'data-engineer="{ana.id}"' in page


def test_the_match_page_says_when_it_shows_everyone_who_passes(client, auth, make, request_):
    engineer(make)
    engineer(make)
    auth.login_as("account_manager")
    page = client.get(f"/requests/{request_.id}/matches").text
    assert "Every engineer who passes every hard filter (2)" in page
    assert "best of the engineers" not in page


def test_why_not_explains_each_engineer_in_a_fixed_number_of_queries(
    client, auth, make, request_, count_queries
):
    for n in range(6):
        booked = engineer(make, full_name=f"Rojas {n}")
        make.placement(engineer=booked, start=START, end=None)
    auth.login_as("account_manager")
    path = f"/requests/{request_.id}/matches?why=rojas"
    client.get(path)
    with count_queries() as six:
        page = client.get(path).text
    assert page.count("already placed at") + page.count("already booked at") == 6
    engineer(make, full_name="Rojas Seven")
    make.placement(engineer=make.engineer(full_name="Rojas Eight"), start=START, end=None)
    client.get(path)
    with count_queries() as eight:
        client.get(path)
    assert eight.count == six.count  # not a query per engineer listed


def test_why_not_names_the_filter(client, auth, make, request_):
    engineer(make, full_name="Tomás Rojas", timezone="Asia/Tokyo")
    auth.login_as("account_manager")
    page = client.get(f"/requests/{request_.id}/matches?why=rojas").text
    assert "Tomás Rojas" in page
    assert "overlap is 0.0 h a day; minimum 4 h" in page


def test_why_not_for_someone_ranked_says_so(client, auth, make, request_):
    engineer(make, full_name="Ana Souza")
    auth.login_as("account_manager")
    page = client.get(f"/requests/{request_.id}/matches?why=souza").text
    assert "Passes every filter — ranked #1." in page


def test_shortlist_from_the_match_page_records_the_score(client, auth, make, request_):
    ana = engineer(make)
    auth.login_as("account_manager")
    response = client.post(
        f"/requests/{request_.id}/shortlist", data={"engineer_id": ana.id}, follow_redirects=True
    )
    assert "is on the shortlist." in response.text
    proposal = db.session.scalar(sa.select(Proposal))
    assert proposal.status == "shortlisted"
    assert proposal.score is not None
    again = client.post(
        f"/requests/{request_.id}/shortlist", data={"engineer_id": ana.id}, follow_redirects=True
    )
    assert "already on this request" in again.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 1


@pytest.mark.parametrize("engineer_id", [str(2**31), str(2**63)])
def test_shortlisting_an_id_no_engineer_can_have_is_refused(
    client, auth, make, request_, engineer_id
):
    auth.login_as("account_manager")
    response = client.post(f"/requests/{request_.id}/shortlist", data={"engineer_id": engineer_id})
    assert response.status_code == 400  # the form refuses it before any query
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) == 0


def test_shortlisting_someone_outside_the_filters_warns(client, auth, make, request_):
    far = engineer(make, timezone="Asia/Tokyo")
    auth.login_as("account_manager")
    response = client.post(
        f"/requests/{request_.id}/shortlist", data={"engineer_id": far.id}, follow_redirects=True
    )
    assert "Note — outside the usual filters: overlap is 0.0 h a day" in response.text
    assert db.session.scalar(sa.select(Proposal)).score is None


def test_proposal_moves_and_refusals(client, auth, make, request_):
    auth.login_as("account_manager")
    proposal = make.proposal(request=request_, engineer=engineer(make), status="shortlisted")
    url = f"/proposals/{proposal.id}/status"

    wrong = client.post(url, data={"status": "accepted"}, follow_redirects=True)
    assert "cannot go from shortlisted to accepted" in wrong.text

    client.post(url, data={"status": "proposed", "version_id": proposal.version_id})
    db.session.refresh(proposal)
    assert proposal.status == "proposed"

    no_reason = client.post(url, data={"status": "declined"}, follow_redirects=True)
    assert "Choose the reason the client declined." in no_reason.text
    db.session.refresh(proposal)
    assert proposal.status == "proposed"

    client.post(url, data={"status": "declined", "decline_reason": "rate", "decline_note": "x"})
    db.session.refresh(proposal)
    assert (proposal.status, proposal.decline_reason) == ("declined", "rate")


def test_stale_proposal_move_is_refused(client, auth, make, request_):
    auth.login_as("account_manager")
    proposal = make.proposal(request=request_, engineer=engineer(make), status="proposed")
    old_version = proposal.version_id
    client.post(f"/proposals/{proposal.id}/status", data={"status": "interviewing"})
    response = client.post(
        f"/proposals/{proposal.id}/status",
        data={"status": "withdrawn", "version_id": old_version},
        follow_redirects=True,
    )
    assert "changed by someone else" in response.text
    db.session.refresh(proposal)
    assert proposal.status == "interviewing"


def placement_form(**kw):
    data = {
        "start_date": START.isoformat(),
        "end_date": (START + timedelta(days=180)).isoformat(),
        "pay_rate": "70.00",
        "bill_rate": "94.50",
        "review_cadence_days": "14",
    }
    data.update(kw)
    return data


def test_placement_form_defaults_and_creation(client, auth, make, request_):
    auth.login_as("account_manager")
    proposal = make.proposal(request=request_, engineer=engineer(make), status="accepted")
    form = client.get(f"/proposals/{proposal.id}/placement").text
    assert 'value="70.00"' in form  # the engineer's rate
    assert 'value="94.50"' in form  # x 1.35, within the 120 budget
    assert f'value="{START.isoformat()}"' in form

    response = client.post(f"/proposals/{proposal.id}/placement", data=placement_form())

    placement = db.session.scalar(sa.select(Placement))
    assert response.headers["Location"] == f"/placements/{placement.id}"
    assert (placement.status, placement.margin) == ("pending", Decimal("24.50"))
    assert db.session.get(StaffingRequest, request_.id).status == "filled"
    page = client.get(f"/placements/{placement.id}").text
    assert "$24.50/h" in page
    assert "Placement created" in page


def test_double_booking_from_the_form_is_refused(client, auth, make, request_):
    auth.login_as("account_manager")
    ana = engineer(make, full_name="Ana Souza")
    make.placement(
        engineer=ana,
        request=make.request(client=make.client(name="Initech")),
        start=date.today(),
        end=START + timedelta(days=10),
    )
    proposal = make.proposal(request=request_, engineer=ana, status="accepted")
    response = client.post(f"/proposals/{proposal.id}/placement", data=placement_form())
    assert response.status_code == 409
    assert "Ana Souza is already placed at Initech until" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Placement)) == 1


@pytest.mark.parametrize(
    ("overrides", "status", "message"),
    [
        ({"end_date": START.replace(year=START.year - 1).isoformat()}, 400, "before the start"),
        ({"bill_rate": "50.00"}, 409, "below the pay rate"),
        ({"pay_rate": "-1"}, 400, "zero or more"),
        ({"start_date": "not a date"}, 400, "Not a valid date value"),
        ({"start_date": "9999-12-31"}, 400, "Enter a date between 2000 and 2100."),
        ({"pay_rate": "sNaN"}, 400, "Enter a number."),
        ({"bill_rate": "1E+999999"}, 400, "Enter a smaller number."),
    ],
)
def test_bad_placement_input(client, auth, make, request_, overrides, status, message):
    auth.login_as("account_manager")
    proposal = make.proposal(request=request_, engineer=engineer(make), status="accepted")
    response = client.post(f"/proposals/{proposal.id}/placement", data=placement_form(**overrides))
    assert response.status_code == status
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Placement)) == 0


def test_only_accepted_proposals_open_the_placement_form(client, auth, make, request_):
    auth.login_as("account_manager")
    proposal = make.proposal(request=request_, engineer=engineer(make), status="proposed")
    response = client.get(f"/proposals/{proposal.id}/placement", follow_redirects=True)
    assert "Only an accepted proposal can become a placement." in response.text


def test_clients_cannot_match_or_place(client, auth, make, request_):
    auth.login_as("client", client=request_.client)
    proposal = make.proposal(request=request_, engineer=engineer(make), status="accepted")
    assert client.get(f"/requests/{request_.id}/matches").status_code == 403
    assert (
        client.post(f"/requests/{request_.id}/shortlist", data={"engineer_id": 1}).status_code
        == 403
    )
    assert (
        client.post(f"/proposals/{proposal.id}/placement", data=placement_form()).status_code == 403
    )


def test_match_page_queries_stay_bounded(client, auth, make, request_, count_queries):
    auth.login_as("account_manager")
    for _ in range(3):
        make.proposal(request=request_, engineer=engineer(make), status="shortlisted")
    with count_queries() as small:
        assert client.get(f"/requests/{request_.id}/matches").status_code == 200
    for _ in range(25):
        make.proposal(request=request_, engineer=engineer(make), status="shortlisted")
        engineer(make)
    with count_queries() as large:
        assert client.get(f"/requests/{request_.id}/matches").status_code == 200
    assert large.count == small.count


def test_placement_list_filters_and_keeps_its_query_count(client, auth, make, count_queries):
    auth.login_as("account_manager")
    acme = make.client(name="Acme")

    def fill(n):
        for _ in range(n):
            make.placement(request=make.request(client=acme))

    fill(10)
    with count_queries() as small:
        client.get("/placements/?per_page=200")
    fill(190)
    with count_queries() as large:
        page = client.get("/placements/?per_page=200").text
    assert page.count('href="/placements/') >= 200
    assert large.count == small.count
    ended = make.placement(status="ended", end_reason="completed", end=date.today())
    listed = client.get("/placements/?status=ended").text
    assert ended.engineer.full_name in listed
    assert "Acme" not in listed


def test_request_history_includes_its_proposals(client, auth, make, request_):
    auth.login_as("account_manager")
    ana = engineer(make, full_name="Ana Souza")
    client.post(f"/requests/{request_.id}/shortlist", data={"engineer_id": ana.id})
    proposal = db.session.scalar(sa.select(Proposal))
    client.post(f"/proposals/{proposal.id}/status", data={"status": "proposed"})
    history = client.get(f"/requests/{request_.id}").text
    assert 'Proposal created <span class="fw-normal">— Ana Souza' in history
    assert 'Proposal status changed <span class="fw-normal">— Ana Souza' in history


def test_an_empty_shortlist_points_to_the_ranking_on_the_match_page(client, auth, make, request_):
    engineer(make, full_name="Ana Souza", timezone="America/Sao_Paulo")
    auth.login_as("account_manager")
    match_page = client.get(f"/requests/{request_.id}/matches").text
    request_page = client.get(f"/requests/{request_.id}").text
    assert "Shortlist engineers from the ranking below." in match_page
    assert "Use the match page" not in match_page
    assert "Use the match page to find engineers." in request_page


def test_why_not_answers_where_the_eye_is_and_offers_shortlist_only_to_who_passes(
    client, auth, make, request_
):
    """Issue 12.3: the search lands on its answer; failing engineers get reasons, no button."""
    engineer(make, full_name="Tomás Rojas", timezone="Asia/Tokyo")
    engineer(make, full_name="Ana Rojas", timezone="America/Sao_Paulo")
    auth.login_as("account_manager")
    page = client.get(f"/requests/{request_.id}/matches?why=rojas").text
    form = re.search(r'<form method="get" role="search"[^>]*>', page)[0]
    assert f'action="/requests/{request_.id}/matches#why-not"' in form
    assert '<div class="card border-0 shadow-sm mb-4 scroll-target" id="why-not">' in page
    card = page.split('data-testid="why-not"')[1].split('<div class="col-lg-8">')[0]
    items = card.split('<li class="mb-3">')[1:]
    answers = {re.search(r"<strong>([^<]+)</strong>", item)[1]: item for item in items}
    assert "overlap is 0.0 h a day" in answers["Tomás Rojas"]
    assert "Shortlist</button>" not in answers["Tomás Rojas"]
    assert "Passes every filter" in answers["Ana Rojas"]
    assert "Shortlist</button>" in answers["Ana Rojas"]
