"""The client portal: what a client sees and does — and that it is only ever their own."""

import re
from dataclasses import replace
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import PASSWORD, selected_values
from tests.test_dashboard import figure
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    Engineer,
    IterationReview,
    Placement,
    Proposal,
    StaffingRequest,
    Timesheet,
    User,
)
from tracker.services import timesheets, transaction
from tracker.services.timesheets import EntryInput


@pytest.fixture
def acme(make):
    """Client A with a user, an open request, a proposal waiting and a live placement."""
    company = make.client(name="Acme", timezone="America/New_York",
                          workday_start=time(9), workday_end=time(17))  # fmt: skip
    user = make.user(role="client", client=company, email="cto@acme.example", name="Carla CTO")
    req = make.request(client=company, title="LLM engineer", start_date=date(2027, 1, 11),
                       duration_weeks=26, skills={"Python": (4, True)})  # fmt: skip
    engineer = make.engineer(full_name="Ana Beatriz Souza", email="ana.souza@mail.example",
                             phone="+55 11 98888-7777", hourly_rate=Decimal("61.37"),
                             notes="Internal: asked for a raise", vetting_notes="Strong on RAG",
                             skills={"Python": 5, "LangChain": 4})  # fmt: skip
    proposal = make.proposal(request=req, engineer=engineer, status="proposed",
                             proposed_at=db.func.now(), bill_rate=Decimal("88.00"))  # fmt: skip
    placement = make.placement(request=make.request(client=company, title="MLOps engineer"),
                               start=date(2026, 9, 7))  # fmt: skip
    return {"client": company, "user": user, "request": req, "proposal": proposal,
            "placement": placement, "engineer": engineer}  # fmt: skip


def sign_in(client, email):
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


def test_overview_shows_requests_proposals_placements_and_reviews_due(client, acme):
    with time_machine.travel(date(2026, 11, 26), tick=False):
        sign_in(client, "cto@acme.example")
        page = client.get("/portal/").text
    assert "LLM engineer" in page
    assert 'data-testid="progress">0 / 1' in page
    assert "Ana S." in page  # first name and last initial
    assert "Ana Beatriz Souza" not in page
    assert "Reviews waiting for you" in page
    assert "overdue" in page  # the placement's early iterations were never reviewed


def test_client_creates_a_draft_request_for_their_own_company(client, make, acme):
    other = make.client(name="Other Co")
    sign_in(client, "cto@acme.example")
    python = db.session.scalar(sa.select(StaffingRequest)).skills[0].skill
    response = client.post("/portal/requests/new", data={
        "client_id": str(other.id),  # forged: must be ignored
        "title": "Data engineer", "seniority": "mid", "headcount": "1",
        "start_date": (date.today() + timedelta(days=20)).isoformat(),
        "use_client_hours": "y", "min_overlap_hours": "4",
        "skill_rows-0-skill_id": str(python.id), "skill_rows-0-min_level": "3",
        "skill_rows-0-importance": "must",
    })  # fmt: skip
    assert response.status_code == 302, response.text
    created = db.session.scalar(
        sa.select(StaffingRequest).where(StaffingRequest.title == "Data engineer")
    )
    assert (created.client_id, created.status) == (acme["client"].id, "draft")
    assert created.created_by_id == acme["user"].id


def portal_request(**kw) -> dict:
    python = db.session.scalar(sa.select(StaffingRequest)).skills[0].skill
    return {
        "title": "Data engineer", "seniority": "mid", "headcount": "1",
        "start_date": (date.today() + timedelta(days=20)).isoformat(),
        "use_client_hours": "y", "min_overlap_hours": "4",
        "skill_rows-0-skill_id": str(python.id), "skill_rows-0-min_level": "3",
        "skill_rows-0-importance": "must",
    } | kw  # fmt: skip


def test_a_skill_row_numbered_with_a_non_ascii_digit_is_ignored(client, acme):
    """'²' passes str.isdigit(): WTForms took it for a row number, then int('²') failed."""
    sign_in(client, "cto@acme.example")
    forged = {"skill_rows-²-skill_id": "1", "skill_rows-²-min_level": "9"}
    response = client.post("/portal/requests/new", data=portal_request(**forged))
    assert response.status_code == 302
    created = db.session.scalar(
        sa.select(StaffingRequest).where(StaffingRequest.title == "Data engineer")
    )
    assert [(n.skill.name, n.min_level) for n in created.skills] == [("Python", 3)]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("min_overlap_hours", "Infinity", "Enter a number."),
        ("min_overlap_hours", "1e309", "Enter a smaller number."),
        ("max_bill_rate", "sNaN", "Enter a number."),
        ("duration_weeks", "9" * 400, "Enter a smaller number."),
        ("headcount", "-" + "9" * 20, "Enter a larger number."),
        ("start_date", "9999-12-31", "Enter a date between 2000 and 2100."),
    ],
)
def test_numbers_and_dates_no_one_means_get_a_message_and_no_request(
    client, acme, field, value, message
):
    sign_in(client, "cto@acme.example")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(StaffingRequest))
    response = client.post("/portal/requests/new", data=portal_request(**{field: value}))
    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffingRequest)) == before


def test_proposal_page_is_client_safe_and_shows_the_overlap_with_their_hours(client, acme):
    sign_in(client, "cto@acme.example")
    page = client.get(f"/portal/proposals/{acme['proposal'].id}").text
    assert "Ana S." in page
    assert "$88.00 per hour" in page
    assert "Python · 5/5" in page
    for secret in ("ana.souza@mail.example", "98888-7777", "61.37", "asked for a raise",
                   "Strong on RAG", "Souza"):  # fmt: skip
        assert secret not in page
    overlap = page[page.index('data-testid="overlap"') :]
    # New York changes clocks on 14 Mar 2027; Sao Paulo does not.
    assert "from 15 Mar 2027: 8 h instead of 7 h" in overlap


def test_client_accepts_a_waiting_proposal_once(client, acme):
    sign_in(client, "cto@acme.example")
    url = f"/portal/proposals/{acme['proposal'].id}"
    response = client.post(f"{url}/accept", follow_redirects=True)
    assert "You accepted Ana S. Your account manager" in response.text  # one full stop
    db.session.refresh(acme["proposal"])
    assert acme["proposal"].status == "accepted"
    again = client.post(f"{url}/decline", data={"reason": "rate"})
    assert again.status_code == 409
    assert "no longer waiting for your decision" in again.text
    event = db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == "Proposal", AuditEvent.actor_id == acme["user"].id
        )
    )
    assert event.changes["status"] == ["proposed", "accepted"]


def test_declining_needs_a_reason(client, acme):
    sign_in(client, "cto@acme.example")
    url = f"/portal/proposals/{acme['proposal'].id}/decline"
    missing = client.post(url, data={"reason": ""})
    assert missing.status_code == 400
    assert "Tell us why" in missing.text
    client.post(url, data={"reason": "timezone", "note": "Too little overlap"})
    db.session.refresh(acme["proposal"])
    assert (acme["proposal"].status, acme["proposal"].decline_reason) == ("declined", "timezone")


def test_shortlisted_proposals_are_internal(client, make, acme):
    hidden = make.proposal(request=acme["request"], status="shortlisted")
    sign_in(client, "cto@acme.example")
    assert client.get(f"/portal/proposals/{hidden.id}").status_code == 404
    assert client.post(f"/portal/proposals/{hidden.id}/accept").status_code == 404
    assert hidden.engineer.client_safe_name not in client.get("/portal/proposals/").text


def test_client_reviews_a_due_iteration_with_the_same_rules(client, acme):
    placement = acme["placement"]
    url = f"/portal/placements/{placement.id}/iterations"
    form = {"delivery": "5", "code_quality": "4", "communication": "5", "collaboration": "4",
            "would_continue": "yes", "comments": "Great", "action_items": ""}  # fmt: skip
    with time_machine.travel(date(2026, 9, 22), tick=False):
        sign_in(client, "cto@acme.example")
        not_yet = client.post(f"{url}/2/review", data=form)
        assert not_yet.status_code == 409
        assert "it can be reviewed from 5 Oct 2026" in not_yet.text
        done = client.post(f"{url}/1/review", data=form)
        assert done.status_code == 302
        page = client.get(f"/portal/placements/{placement.id}").text
    review = db.session.scalar(sa.select(IterationReview))
    assert review.submitted_by_id == acme["user"].id
    assert "4.50" in page
    assert "61.37" not in page  # no pay rate
    assert "Margin" not in page


# --- isolation: another company's ids answer 404 (or 403) everywhere ----------------------


@pytest.fixture
def globex(make):
    """Client B's objects, whose ids client A will try."""
    company = make.client(name="Globex")
    user = make.user(role="client", client=company, email="boss@globex.example")
    req = make.request(client=company, title="Globex secret project", status="draft")
    proposal = make.proposal(request=req, status="proposed", proposed_at=db.func.now())
    placement = make.placement(request=make.request(client=company), start=date(2026, 6, 1))
    make.review(placement, 1)
    sheet = submitted_hours(make, company)
    return {"client_id": company.id, "user_id": user.id, "request_id": req.id,
            "proposal_id": proposal.id, "placement_id": placement.id,
            "engineer_id": placement.engineer_id, "number": 1, "timesheet_id": sheet.id,
            "skill_id": req.skills[0].skill_id if req.skills else 1}  # fmt: skip


def submitted_hours(make, company) -> Timesheet:
    """Last week's hours of an engineer placed at the company, waiting for its answer."""
    today = date.today()
    last_week = today - timedelta(days=today.weekday() + 7)
    worked = make.placement(request=make.request(client=company), start=today - timedelta(30))
    manager = make.user(role="account_manager")
    with transaction():
        sheet = timesheets.save_week(
            worked, last_week, [EntryInput(last_week, Decimal(8))], manager, today=today
        )
        timesheets.submit(sheet, manager, today=today)
    return sheet


def fingerprint(skip_user: int) -> list:
    """Everything of every table that a write could change (but the signed-in user's row)."""
    rows = []
    models = (StaffingRequest, Proposal, Placement, IterationReview, User, Engineer, Timesheet)
    for model in models:
        for obj in db.session.scalars(sa.select(model).order_by(model.id)):
            if model is User and obj.id == skip_user:
                continue
            db.session.refresh(obj)
            rows.append((model.__name__, obj.id, getattr(obj, "version_id", None),
                         getattr(obj, "status", None), getattr(obj, "updated_at", None)))  # fmt: skip
    return rows


def test_client_a_gets_nothing_of_client_b_on_any_route(app, client, acme, globex):
    ids = globex
    before = fingerprint(acme["user"].id)
    events_before = db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0
    sign_in(client, "cto@acme.example")
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint in ("static", "bootstrap.static"):
            continue
        if rule.rule.startswith("/api/"):
            continue  # the API answers tokens, not sessions: tests/api/test_walk.py
        values = {name: ids.get(name, 1) for name in rule.arguments}
        if any(name not in ids for name in rule.arguments):
            continue
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"status": "accepted"})
            assert response.status_code in (403, 404), f"{method} {url}: {response.status_code}"
            checked += 1
    assert checked > 20
    assert fingerprint(acme["user"].id) == before
    new_events = db.session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.id > events_before)
    ).all()
    assert new_events.count("auth.sign_in") == 1  # A's own
    assert set(new_events) <= {"auth.sign_in", "access.forbidden", "access.cross_tenant"}
    assert "access.cross_tenant" in new_events  # the attempts on B's objects are on record


def portal_pages(client_id: int) -> list[str]:
    """Every page a user of this client can open, with the records of the database."""
    pages = ["/portal/", "/portal/requests/", "/portal/proposals/", "/portal/placements/",
             "/portal/requests/new", "/notifications/"]  # fmt: skip
    pages += [f"/portal/requests/{r.id}" for r in db.session.scalars(
        sa.select(StaffingRequest).where(StaffingRequest.client_id == client_id))]  # fmt: skip
    pages += [f"/portal/proposals/{p.id}" for p in db.session.scalars(
        sa.select(Proposal).join(StaffingRequest).where(StaffingRequest.client_id == client_id,
                                                        Proposal.proposed_at.is_not(None)))]  # fmt: skip
    pages += [f"/portal/placements/{p.id}" for p in db.session.scalars(
        sa.select(Placement).where(Placement.client_id == client_id))]  # fmt: skip
    return pages


def test_no_engineer_contact_or_pay_on_any_client_page(app, client, make):
    """Every page a client can open, with the demo data: no email, phone or pay rate."""
    from tracker.demo import data as demo_data

    demo_data.seed(engineers=60, clients=4)
    db.session.commit()
    user = db.session.scalar(sa.select(User).where(User.role == "client").order_by(User.id))
    client.post("/login", data={"email": user.email, "password": app.config["DEMO_PASSWORD"]})
    secrets = set()
    for e in db.session.scalars(sa.select(Engineer)):
        secrets |= {e.email, e.phone, f"{e.hourly_rate:.2f}"} - {None}
        secrets |= {e.notes, e.vetting_notes} - {None}
    for p in db.session.scalars(sa.select(Placement)):
        secrets.add(f"{p.pay_rate:.2f}")
        secrets.add(f"{p.bill_rate - p.pay_rate:.2f}")  # the margin
    cid = user.client_id
    pages = portal_pages(cid)
    # Amounts this client may see: what they are billed, and their own budgets.
    theirs = {
        f"{p.bill_rate:.2f}"
        for p in db.session.scalars(sa.select(Placement).where(Placement.client_id == cid))
    }
    theirs |= {f"{p.bill_rate:.2f}" for p in db.session.scalars(sa.select(Proposal)) if p.bill_rate}
    theirs |= {
        f"{r.max_bill_rate:.2f}"
        for r in db.session.scalars(sa.select(StaffingRequest))
        if r.max_bill_rate
    }

    def leaked(secret: str, text: str) -> bool:
        if re.fullmatch(r"\d+\.\d\d", secret):  # an amount: as a whole number, not theirs
            return secret not in theirs and re.search(
                rf"(?<![\d.,]){re.escape(secret)}(?!\d)", text
            )
        return secret in text

    opened = 0
    for path in pages:
        response = client.get(path)
        if response.status_code == 404 and path == "/notifications/":
            continue  # not wired yet
        assert response.status_code == 200, path
        text = re.sub(r"\s+", " ", response.text)
        for secret in secrets:
            assert not leaked(secret, text), f"{secret!r} leaks on {path}"
        opened += 1
    assert opened >= 8


def test_the_overview_counts_the_requests_it_lists(client, auth, make):
    """A client's draft is one of their active requests: the figure and the list agree."""
    acme = make.client(name="Acme")
    make.request(client=acme, status="draft", title="Still a draft")
    make.request(client=acme, status="on_hold", title="Paused")
    make.request(client=acme, status="filled", title="Done and dusted")
    auth.login_as("client", client=acme)

    page = client.get("/portal/").text

    assert figure(page, "open-requests") == 2
    assert "Still a draft" in page
    assert "Paused" in page
    assert "Done and dusted" not in page


def test_a_placement_that_has_not_started_says_when_it_starts(client, auth, make):
    acme = make.client(name="Acme")
    start = date.today() + timedelta(days=15)
    make.placement(request=make.request(client=acme), start=start, status="pending")
    auth.login_as("client", client=acme)
    page = client.get("/portal/").text
    assert f"starts {start.day} {start:%b %Y}" in page
    assert "Pending since" not in page


# --- the history a client reads: only what the portal shows (issue 11.6) -------------------

# What a client may read in the history of their own records, per model. Changing what the
# portal reveals is a decision: it changes this list and the service's together.
CLIENT_MAY_SEE = {
    "StaffingRequest": {
        "title", "description", "seniority", "headcount", "start_date",
        "duration_weeks", "timezone", "workday_start", "workday_end", "min_overlap_hours",
        "max_bill_rate", "status", "skills",
    },
    "Proposal": {"status", "request", "bill_rate", "decline_reason", "decline_note"},
    "Placement": {
        "status", "request", "start_date", "end_date", "end_reason", "bill_rate",
        "review_cadence_days",
    },
    "IterationReview": {
        "iteration", "period_start", "period_end", "delivery", "code_quality", "communication",
        "collaboration", "would_continue", "comments", "action_items",
    },
}  # fmt: skip


def _edit_internally(staffing_request, actor, **changes):
    """An account manager's edit through the service, as the staff form makes it."""
    from tracker.services import staffing_requests
    from tracker.services.staffing_requests import RequestInput, SkillNeed

    r = staffing_request
    data = RequestInput(
        client_id=r.client_id, title=r.title, seniority=r.seniority, headcount=r.headcount,
        start_date=r.start_date, description=r.description, duration_weeks=r.duration_weeks,
        timezone=r.timezone, workday_start=r.workday_start, workday_end=r.workday_end,
        min_overlap_hours=r.min_overlap_hours, max_bill_rate=r.max_bill_rate,
        priority=r.priority,
        skills=tuple(SkillNeed(s.skill_id, s.min_level, s.required) for s in r.skills),
    )  # fmt: skip
    staffing_requests.update_request(r, replace(data, **changes), actor, today=r.start_date)
    db.session.commit()


def test_the_client_history_fields_are_the_listed_ones():
    from tracker.infra.audit import CLIENT_HISTORY_FIELDS

    assert {model: set(fields) for model, fields in CLIENT_HISTORY_FIELDS.items()} == CLIENT_MAY_SEE


def test_a_priority_change_is_in_the_agencys_history_not_the_clients(client, auth, make, acme):
    am = make.user(name="Olga Manager")
    req = acme["request"]
    _edit_internally(req, am, priority="low")
    _edit_internally(req, am, priority="urgent", headcount=2)
    sign_in(client, "cto@acme.example")

    page = client.get(f"/portal/requests/{req.id}").text

    assert "Priority" not in page
    assert "normal" not in page.lower().split("history")[-1]
    assert page.count("Request updated") == 1  # the priority-only edit is not shown at all
    assert 'data-field="headcount"' in page
    auth.logout()
    auth.login_as("account_manager")
    staff = client.get(f"/requests/{req.id}").text
    assert staff.count('data-field="priority"') == 2


def test_no_portal_page_of_the_demo_data_shows_a_field_the_client_may_not_see(app, client):
    """Every portal page of a demo client, after internal edits of their requests."""
    from tracker.demo import data as demo_data

    demo_data.seed(engineers=60, clients=4)
    db.session.commit()
    user = db.session.scalar(sa.select(User).where(User.role == "client").order_by(User.id))
    manager = db.session.scalar(sa.select(User).where(User.role == "account_manager"))
    for req in db.session.scalars(
        sa.select(StaffingRequest).where(StaffingRequest.client_id == user.client_id)
    ).all():
        _edit_internally(req, manager, priority="urgent" if req.priority != "urgent" else "low")
    client.post("/login", data={"email": user.email, "password": app.config["DEMO_PASSWORD"]})

    shown = 0
    for path in portal_pages(user.client_id):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Priority" not in response.text, path
        for entity, block in re.findall(
            r'data-entity="(\w+)"(.*?)</li>\s*(?=<li class="list-group-item"|</ul>\s*</div>)',
            response.text,
            re.S,
        ):
            fields = set(re.findall(r'data-field="([^"]+)"', block))
            assert fields <= CLIENT_MAY_SEE.get(entity, set()), (path, entity, fields)
            shown += len(fields)
    assert shown > 0  # the history was there to scan


def test_a_request_moved_from_another_client_shows_nothing_of_that_client(client, make):
    """Logged for Acme by mistake, moved to Globex: Globex reads only its own time."""
    am = make.user(name="Olga Manager")
    acme, globex = make.client(name="Acme Corp"), make.client(name="Globex")
    make.user(role="client", client=globex, email="cto@globex.example")
    req = make.request(
        client=acme, title="Acme secret project", status="draft", skills={"Python": (3, True)}
    )
    from tracker.infra import audit

    audit.record_event(am, "request.created", req, {"client": [None, "Acme Corp"],
                                                    "title": [None, "Acme secret project"]})  # fmt: skip
    db.session.commit()
    _edit_internally(req, am, client_id=globex.id, title="Data platform")
    _edit_internally(req, am, headcount=2)
    sign_in(client, "cto@globex.example")

    page = client.get(f"/portal/requests/{req.id}").text

    assert "Acme" not in page
    assert "secret" not in page
    assert 'data-field="headcount"' in page


@pytest.mark.parametrize("url", ["/portal/requests/new", "/requests/new"])
def test_a_new_request_asks_for_the_seniority_instead_of_presuming_it(client, auth, make, url):
    """Issue 12.6: no seniority preselected; leaving it is refused on the field."""
    company = make.client(name="Acme")
    auth.login_for(url, company)
    page = client.get(url).text
    assert selected_values(page, "seniority") in ([], [""])
    response = client.post(url, data={"title": "Data engineer", "seniority": "",
                                      "client_id": company.id, "headcount": "1"})  # fmt: skip
    assert response.status_code == 400
    assert "Choose the seniority the team needs." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StaffingRequest)) == 0
