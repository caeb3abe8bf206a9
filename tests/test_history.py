"""History reads as words: names not ids, yes / no, dates as dates, no bookkeeping (issue 12.5)."""

import re
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from tracker.demo import data as demo_data
from tracker.extensions import db
from tracker.infra import audit
from tracker.models import (
    AuditEvent,
    Client,
    Engineer,
    Placement,
    Proposal,
    StaffingRequest,
    User,
)
from tracker.reports.history import readable
from tracker.services import clients, placements, proposals, reviews
from tracker.services.placements import PlacementInput
from tracker.services.reviews import ReviewInput

BOOKKEEPING_WORDS = ("Reviews count", "Last overall", "Previous overall", "Recent average",
                     "Last would continue", "First gap due on", "Second gap due on",
                     "Days to place")  # fmt: skip


def test_values_read_as_words_and_bookkeeping_is_left_out():
    rows = readable({
        "would_continue": [True, False],
        "status": ["on_hold", "open"],
        "start_date": [None, "2027-03-15"],
        "vetted_at": [None, "2026-11-02T14:05:00+00:00"],
        "bill_rate": ["90.00", "95.5"],
        "client_id": [1, 2],
        "reviews_count": [0, 1],
        "first_gap_due_on": [None, "2026-12-01"],
        "session_token": ["a", "b"],
        "client": ["Acme", "Globex"],
    })  # fmt: skip
    assert [(label, old, new) for _, label, old, new in rows] == [
        ("Bill rate", "$90.00", "$95.50"),
        ("Client", "Acme", "Globex"),
        ("Start date", None, "15 Mar 2027"),
        ("Status", "On hold", "Open"),
        ("Vetted at", None, "2 Nov 2026 14:05 UTC"),
        ("Would continue", "yes", "no"),
    ]


def _history_rows(page: str) -> list[str]:
    """The text of every change row of the page's history, tags stripped."""
    rows = re.findall(r'<li data-field="[^"]+">(.*?)</li>', page, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", row)).strip() for row in rows]


def test_no_history_on_any_page_of_the_demo_data_shows_ids_raw_booleans_or_bookkeeping(app, client):
    """The demo data, then what people do every day through the services, then every page
    with a history, as staff and as a client."""
    demo_data.seed(engineers=60, clients=4)
    db.session.commit()
    today = date.today()
    am = db.session.scalar(sa.select(User).where(User.email == "am@agency.example"))
    other_am = db.session.scalar(
        sa.select(User).where(User.role == "account_manager", User.id != am.id)
    )
    # A client gets another account manager (a reference, by name).
    acme = db.session.scalar(sa.select(Client).order_by(Client.id))
    clients.update_client(
        acme,
        clients.ClientInput(
            name=acme.name, country=acme.country, timezone=acme.timezone,
            workday_start=acme.workday_start, workday_end=acme.workday_end,
            industry=acme.industry, notes=acme.notes,
            account_manager_id=other_am.id if acme.account_manager_id != other_am.id else am.id,
        ),
        am,
    )  # fmt: skip
    # A placement from a proposal the client accepted (bookkeeping set on creation).
    proposal = db.session.scalar(
        sa.select(Proposal)
        .join(Proposal.request)
        .where(Proposal.status == "proposed", StaffingRequest.status == "open")
        .order_by(Proposal.id)
    )
    proposals.move_proposal(proposal, "accepted", am)
    start = today - timedelta(days=28)
    placement = placements.create_placement(
        proposal,
        PlacementInput(start, None, Decimal("95.00"), Decimal("60.00"), 14),
        am,
        today=today,
    )
    db.session.flush()
    # A review that would not continue (a boolean), written through the service.
    reviews.submit_review(
        placement, 1, ReviewInput(3, 2, 3, 3, False, "Slow start", None), am, today=today
    )
    # An event recorded before history was named: ids, booleans and bookkeeping in it.
    audit.record_event(am, "placement.updated", placement, {
        "engineer_id": [1, 2], "last_would_continue": [True, False], "reviews_count": [0, 1],
    })  # fmt: skip
    db.session.commit()

    client.post("/login", data={"email": am.email, "password": app.config["DEMO_PASSWORD"]})
    pages = [f"/clients/{i}" for i in db.session.scalars(sa.select(Client.id))]
    pages += [f"/requests/{i}" for i in db.session.scalars(sa.select(StaffingRequest.id))]
    pages += [f"/placements/{i}" for i in db.session.scalars(sa.select(Placement.id))]
    pages += [f"/engineers/{i}" for i in db.session.scalars(
        sa.select(Engineer.id).join(Placement).distinct())]  # fmt: skip
    seen = []
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        seen += [(path, row) for row in _history_rows(response.text)]
    client.post("/logout")
    admin = db.session.scalar(sa.select(User).where(User.role == "admin"))
    client.post("/login", data={"email": admin.email, "password": app.config["DEMO_PASSWORD"]})
    for user_id in db.session.scalars(sa.select(User.id)):
        seen += [(f"/admin/users/{user_id}", row)
                 for row in _history_rows(client.get(f"/admin/users/{user_id}").text)]  # fmt: skip

    assert len(seen) > 100
    placement_rows = [row for path, row in seen if path == f"/placements/{placement.id}"]
    assert "Would continue: no" in placement_rows
    assert any(row.startswith("Engineer: ") for row in placement_rows)
    for path, row in seen:
        label = row.split(":", 1)[0]
        assert not re.search(r"\bid\b", label, re.I), (path, row)
        assert not re.search(r"\b(True|False)\b", row), (path, row)
        assert not re.search(r"\d{4}-\d{2}-\d{2}", row), (path, row)
        assert label not in BOOKKEEPING_WORDS, (path, row)
    events = db.session.scalars(sa.select(AuditEvent.changes)).all()
    recorded = {f for changes in events if "engineer_id" not in changes for f in changes}
    assert not recorded & {"reviews_count", "first_gap_due_on", "days_to_place", "last_overall"}


def test_named_records_are_linked_for_staff_and_never_in_the_portal(client, auth, make):
    am = make.user(name="Olga Manager")
    acme = make.client(name="Acme")
    make.user(role="client", client=acme, email="cto@acme.example")
    req = make.request(client=acme, title="Vision lead", skills={"Python": (3, True)})
    engineer = make.engineer(full_name="Ana Souza")
    proposal = proposals.shortlist(req, engineer, am)
    proposals.move_proposal(proposal, "proposed", am)
    proposals.move_proposal(proposal, "accepted", am)
    placement = placements.create_placement(
        proposal, PlacementInput(date.today(), None, Decimal(90), Decimal(55), 14), am
    )
    db.session.commit()

    auth.login_as("account_manager")
    page = client.get(f"/placements/{placement.id}").text
    created = page.split('data-field="engineer"')[1].split("</li>")[0]
    assert f'<a href="/engineers/{engineer.id}">Ana Souza</a>' in created
    auth.logout()
    client.post("/login", data={"email": "cto@acme.example", "password": "test-password-1234"})
    portal = client.get(f"/portal/requests/{req.id}").text
    history = portal.split("bi-clock-history")[1]
    assert "<a href" not in history.split("</ul>")[0]
