"""One table of status moves per model, with who may make each, and one function that makes them
all — the automatic ones included (issue 13.2)."""

import ast
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

import tracker
from tracker.extensions import db
from tracker.models import AuditEvent, Placement, Proposal, StaffingRequest
from tracker.models.enums import InvoiceStatus, PlacementStatus, ProposalStatus, RequestStatus
from tracker.services import DomainError, placements, portal, proposals, transaction
from tracker.services.invoices import INVOICE_STATUS_MOVES
from tracker.services.pay_statements import PAY_STATEMENT_STATUS_MOVES
from tracker.services.placements import PLACEMENT_STATUS_MOVES, PlacementInput
from tracker.services.proposals import PROPOSAL_MOVES, PROPOSAL_STATUS_MOVES
from tracker.services.staffing_requests import (
    REQUEST_MOVES,
    REQUEST_STATUS_MOVES,
    may_move,
    move_request,
)
from tracker.services.status_moves import By

TABLES = {
    "request": (REQUEST_STATUS_MOVES, RequestStatus),
    "proposal": (PROPOSAL_STATUS_MOVES, ProposalStatus),
    "placement": (PLACEMENT_STATUS_MOVES, PlacementStatus),
    "invoice": (INVOICE_STATUS_MOVES, InvoiceStatus),
    "pay statement": (PAY_STATEMENT_STATUS_MOVES, InvoiceStatus),
}


def moves_of(table, by) -> set[tuple[str, str]]:
    return {move for move, who in table.items() if by in who}


def status_moves(entity) -> list[tuple[str, str]]:
    """The status moves recorded in an entity's history, oldest first."""
    changes = db.session.scalars(
        sa.select(AuditEvent.changes)
        .where(AuditEvent.entity_type == type(entity).__name__, AuditEvent.entity_id == entity.id)
        .order_by(AuditEvent.id)
    )
    return [tuple(c["status"]) for c in changes if c.get("status") and c["status"][0]]


def history(entity) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.entity_type == type(entity).__name__,
                AuditEvent.entity_id == entity.id,
            )
            .order_by(AuditEvent.id)
        )
    )


def terms(start=None) -> PlacementInput:
    start = start or date.today() + timedelta(days=14)
    return PlacementInput(start, None, Decimal("95.00"), Decimal("60.00"), 14)


# --- the tables --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TABLES)
def test_a_table_names_only_real_statuses_and_real_movers(name):
    table, statuses = TABLES[name]
    for (current, target), who in table.items():
        assert current in statuses.values()
        assert target in statuses.values()
        assert current != target
        assert who
        assert who <= set(By)


@pytest.mark.parametrize("name", TABLES)
def test_admins_and_account_managers_may_make_the_same_moves(name):
    table, _ = TABLES[name]
    assert moves_of(table, By.ADMIN) == moves_of(table, By.ACCOUNT_MANAGER)


def test_staff_may_pick_the_request_moves_they_always_could():
    assert REQUEST_MOVES == {
        "draft": ("open", "cancelled"),
        "open": ("on_hold", "filled", "closed", "cancelled"),
        "on_hold": ("open", "closed", "cancelled"),
        "filled": ("open", "closed"),
        "closed": (),
        "cancelled": (),
    }


def test_staff_may_pick_the_proposal_moves_they_always_could():
    assert PROPOSAL_MOVES == {
        "shortlisted": ("proposed", "withdrawn"),
        "proposed": ("interviewing", "accepted", "declined", "withdrawn"),
        "interviewing": ("accepted", "declined", "withdrawn"),
        "accepted": ("withdrawn",),
        "declined": (),
        "withdrawn": ("shortlisted",),
    }


def test_a_client_may_only_answer_a_proposal_put_to_them_and_move_nothing_else():
    assert moves_of(PROPOSAL_STATUS_MOVES, By.CLIENT) == {
        ("proposed", "accepted"), ("proposed", "declined"),
        ("interviewing", "accepted"), ("interviewing", "declined"),
    }  # fmt: skip
    assert set(portal.WAITING) == {"proposed", "interviewing"}
    assert moves_of(REQUEST_STATUS_MOVES, By.CLIENT) == set()  # a portal request is a draft
    assert moves_of(PLACEMENT_STATUS_MOVES, By.CLIENT) == set()


def test_the_system_moves_exactly_what_the_automatic_code_moves(make):
    """Every automatic path, run once: the moves they make are the system's rows of the tables,
    no more, no fewer."""
    am = make.user()
    # A placement filling the last seat of an open and of an on-hold request.
    filled = []
    for status in ("open", "on_hold"):
        req = make.request(status=status, headcount=1)
        proposal = make.proposal(request=req, status="accepted")
        with transaction():
            placements.create_placement(proposal, terms(), am)
        filled.append(req)
    # An engineer leaving a filled request.
    reopened = make.request(status="filled")
    leaving = make.placement(request=reopened, start=date(2026, 6, 1))
    with transaction():
        placements.end_placement(leaving, "engineer_left", am, today=date(2026, 11, 20))
    # The daily run: a start date reached, an end date passed, a pending one past its end.
    starting = make.placement(start=date(2026, 12, 1), end=None, status="pending")
    finishing = make.placement(start=date(2026, 6, 1), end=date(2026, 11, 30))
    never_began = make.placement(start=date(2026, 12, 2), end=date(2026, 12, 5), status="pending")
    with transaction():
        placements.run_daily(date(2026, 12, 1))
        placements.run_daily(date(2026, 12, 10))

    request_moves = {m for r in [*filled, reopened] for m in status_moves(r)}
    assert request_moves == moves_of(REQUEST_STATUS_MOVES, By.SYSTEM)
    placement_moves = {m for p in (starting, finishing, never_began) for m in status_moves(p)}
    assert placement_moves == moves_of(PLACEMENT_STATUS_MOVES, By.SYSTEM)
    # A proposal moves by itself only when an interview is scheduled (tests/test_interviews.py).
    assert moves_of(PROPOSAL_STATUS_MOVES, By.SYSTEM) == {("proposed", "interviewing")}


def test_only_the_system_fills_an_on_hold_request():
    assert REQUEST_STATUS_MOVES[("on_hold", "filled")] == {By.SYSTEM}


def test_one_function_per_model_assigns_a_status():
    """Nothing else in tracker/ assigns `.status`: each model's moves go through its function."""
    root = Path(tracker.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                targets = node.targets if isinstance(node, ast.Assign) else []
                if isinstance(node, ast.AugAssign | ast.AnnAssign):
                    targets = [node.target]
                # An e-mail's delivery status (OutboxStatus) is the outbox's own, no status
                # of the engagement loop; so is a webhook delivery's (WebhookStatus), moved by
                # the worker and the page's "retry now".
                if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and (
                    node.value is not None
                    and any(
                        name in ast.unparse(node.value)
                        for name in ("OutboxStatus", "WebhookStatus")
                    )
                ):
                    continue
                for target in targets:
                    if isinstance(target, ast.Attribute) and target.attr == "status":
                        found.add((path.relative_to(root).as_posix(), function.name))
    assert found == {
        ("services/staffing_requests.py", "move_request"),
        ("services/proposals.py", "move_proposal"),
        ("services/placements.py", "_move_placement"),
        ("services/timesheets.py", "_move_timesheet"),
        ("services/invoices.py", "_move_invoice"),
        ("services/pay_statements.py", "_move_statement"),
        ("services/interviews.py", "_move_interview"),
    }


# --- the automatic move a person may not make ----------------------------------------------------


def test_an_on_hold_request_is_filled_when_its_last_engineer_is_placed(make):
    am = make.user()
    req = make.request(status="on_hold", headcount=1)
    proposal = make.proposal(request=req, status="accepted")
    with transaction():
        placements.create_placement(proposal, terms(), am)

    assert db.session.get(StaffingRequest, req.id).status == "filled"
    [moved] = history(req)
    # Recorded as before the refactoring: the move, by the person whose placement made it.
    assert (moved.action, moved.actor_id, moved.changes) == (
        "request.status_changed", am.id, {"status": ["on_hold", "filled"]},
    )  # fmt: skip


def test_a_person_cannot_fill_an_on_hold_request_by_hand(make):
    am = make.user()
    req = make.request(status="on_hold")
    version = req.version_id
    assert may_move(req, "filled", automatic=True)
    assert not may_move(req, "filled", am)
    with pytest.raises(DomainError) as refused:
        move_request(req, "filled", am)
    assert str(refused.value) == (
        "A request cannot go from on hold to filled; from on hold it can go to open or closed "
        "or cancelled."
    )
    db.session.rollback()
    db.session.refresh(req)
    assert (req.status, req.version_id, history(req)) == ("on_hold", version, [])


def test_ending_a_placement_reopens_its_filled_request_as_the_system_on_the_enders_behalf(make):
    am = make.user()
    req = make.request(status="filled")
    placement = make.placement(request=req, start=date(2026, 6, 1))
    with transaction():
        placements.end_placement(placement, "replaced", am, today=date(2026, 11, 20))
    [moved] = history(req)
    assert (moved.action, moved.actor_id, moved.changes) == (
        "request.status_changed", am.id, {"status": ["filled", "open"]},
    )  # fmt: skip


def test_the_daily_run_records_its_moves_without_an_actor(make):
    pending = make.placement(start=date(2026, 12, 1), end=None, status="pending")
    with transaction():
        placements.run_daily(date(2026, 12, 1))
    [activated] = [e for e in history(pending) if e.action == "placement.activated"]
    assert (activated.actor_id, activated.changes["status"]) == (None, ["pending", "active"])


# --- a role that may not make a move: refused, nothing changes -----------------------------------


def unchanged(entity, status, version, events_before):
    db.session.rollback()
    db.session.refresh(entity)
    assert (entity.status, entity.version_id) == (status, version)
    assert len(history(entity)) == events_before


def test_a_client_cannot_open_their_draft_request(make):
    req = make.request(status="draft")
    client_user = make.user(role="client", client=req.client)
    version = req.version_id
    with pytest.raises(DomainError) as refused:
        move_request(req, "open", client_user)
    assert str(refused.value) == (
        "A request cannot go from draft to open; only an admin or an account manager may make "
        "that move."
    )
    unchanged(req, "draft", version, 0)


def test_a_client_cannot_make_a_move_only_the_system_makes(make):
    req = make.request(status="on_hold")
    client_user = make.user(role="client", client=req.client)
    with pytest.raises(DomainError, match="a client cannot move a request that is on hold"):
        move_request(req, "filled", client_user)
    unchanged(req, "on_hold", req.version_id, 0)


def test_the_system_cannot_make_a_persons_move(make):
    req = make.request(status="open")
    with pytest.raises(DomainError, match="only an admin or an account manager may make"):
        move_request(req, "closed", None)
    unchanged(req, "open", req.version_id, 0)


def test_an_admin_makes_the_same_request_moves_as_an_account_manager(make):
    req = make.request(status="draft")
    admin = make.user(role="admin")
    move_request(req, "open", admin)
    db.session.commit()
    [moved] = history(req)
    assert (moved.actor_id, moved.changes) == (admin.id, {"status": ["draft", "open"]})


def test_a_client_cannot_withdraw_a_proposal(make):
    proposal = make.proposal(status="proposed", proposed_at=db.func.now())
    client_user = make.user(role="client", client=proposal.request.client)
    db.session.refresh(proposal)
    version = proposal.version_id
    with pytest.raises(DomainError) as refused:
        proposals.move_proposal(proposal, "withdrawn", client_user)
    assert str(refused.value) == (
        "A proposal cannot go from proposed to withdrawn; only an admin or an account manager "
        "may make that move."
    )
    unchanged(proposal, "proposed", version, 0)
    assert db.session.get(Proposal, proposal.id).decided_at is None


def test_a_client_answers_a_proposal_put_to_them(make):
    proposal = make.proposal(status="interviewing", proposed_at=db.func.now())
    client_user = make.user(role="client", client=proposal.request.client)
    with transaction():
        portal.decide(proposal, True, client_user)
    [moved] = history(proposal)
    assert (moved.actor_id, moved.changes["status"]) == (
        client_user.id, ["interviewing", "accepted"],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        ("active", "end", "A placement cannot go from active to ended; only an admin or"),
        ("pending", "activate", "A placement cannot go from pending to active; only an admin or"),
    ],
)
def test_a_client_cannot_start_or_end_a_placement(make, status, action, message):
    placement = make.placement(start=date(2026, 12, 1), end=None, status=status)
    client_user = make.user(role="client", client=placement.request.client)
    version, events_before = placement.version_id, len(history(placement))
    move = {
        "end": lambda: placements.end_placement(
            placement, "client_ended", client_user, today=date(2026, 12, 1)
        ),
        "activate": lambda: placements.activate(placement, client_user, today=date(2026, 12, 1)),
    }[action]
    with pytest.raises(DomainError, match=message):
        move()
    unchanged(placement, status, version, events_before)
    assert db.session.get(Placement, placement.id).end_reason is None


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        ("ended", "end", "This placement has already ended."),
        ("active", "activate", "Only a pending placement can be activated; this one is active."),
        ("ended", "activate", "Only a pending placement can be activated; this one is ended."),
    ],
)
def test_a_placement_move_outside_the_table_keeps_its_message(make, status, action, message):
    extra = {"end_reason": "completed", "end": date(2026, 11, 1)} if status == "ended" else {}
    placement = make.placement(start=date(2026, 6, 1), status=status, **extra)
    am = make.user()
    move = {
        "end": lambda: placements.end_placement(
            placement, "completed", am, today=date(2026, 12, 1)
        ),
        "activate": lambda: placements.activate(placement, am, today=date(2026, 12, 1)),
    }[action]
    with pytest.raises(DomainError) as refused:
        move()
    assert str(refused.value) == message
