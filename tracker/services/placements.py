"""Placements: an accepted proposal becomes an engineer working in the client's team."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.infra.audit import pending_changes, record_event
from tracker.models import Engineer, Placement, Proposal, StaffingRequest, User, db
from tracker.models.enums import (
    LIVE_PLACEMENT_STATUSES,
    REVIEW_CADENCES,
    EndReason,
    PlacementStatus,
    ProposalStatus,
    RequestStatus,
)
from tracker.services import DomainError, ensure_version, events
from tracker.services.reviews import apply_summary, refresh_summary
from tracker.text import day


@dataclass(frozen=True)
class PlacementInput:
    start_date: date
    end_date: date | None
    bill_rate: Decimal
    pay_rate: Decimal
    review_cadence_days: int = 14


def booking_clash(
    engineer_id: int, start: date, end: date | None, *, ignore_id: int | None = None
) -> Placement | None:
    """The engineer's first live placement sharing a day with [start, end] (end None: open)."""
    stmt = (
        sa.select(Placement)
        .where(
            Placement.engineer_id == engineer_id,
            Placement.status.in_(LIVE_PLACEMENT_STATUSES),
            sa.or_(Placement.end_date.is_(None), Placement.end_date >= start),
        )
        .options(selectinload(Placement.engineer), selectinload(Placement.client))
        .order_by(Placement.start_date)
        .limit(1)
    )
    if end is not None:
        stmt = stmt.where(Placement.start_date <= end)
    if ignore_id is not None:
        stmt = stmt.where(Placement.id != ignore_id)
    return db.session.scalar(stmt)


def lock_engineer(engineer_id: int) -> None:
    """Hold the engineer's row until commit, so a concurrent booking waits and then sees ours.

    PostgreSQL: SELECT … FOR UPDATE. SQLite has one writer at a time: a (no-op) write as the
    transaction's first statement takes the write lock, waiting for a concurrent one to end.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.select(Engineer.id).where(Engineer.id == engineer_id).with_for_update()
        )
    else:
        db.session.execute(
            sa.update(Engineer).where(Engineer.id == engineer_id).values(id=Engineer.id),
            execution_options={"synchronize_session": False},
        )


def clash_message(clash: Placement) -> str:
    """'Ana Souza is already placed at Acme until 30 Jun 2027.'"""
    word = "placed" if clash.status == PlacementStatus.ACTIVE else "booked"
    until = f"until {day(clash.end_date)}" if clash.end_date else "with no end date"
    return f"{clash.engineer.full_name} is already {word} at {clash.client.name} {until}."


def _validate(data: PlacementInput) -> None:
    if data.end_date is not None and data.end_date < data.start_date:
        raise DomainError("The end date is before the start date.")
    if data.bill_rate < 0 or data.pay_rate < 0:
        raise DomainError("Rates cannot be negative.")
    if data.bill_rate < data.pay_rate:
        raise DomainError(
            f"The bill rate (${data.bill_rate}/h) is below the pay rate (${data.pay_rate}/h): "
            "the agency would lose money on every hour."
        )
    if data.review_cadence_days not in REVIEW_CADENCES:
        raise DomainError("Reviews are weekly, every two weeks or monthly (7, 14 or 30 days).")


def create_placement(
    proposal: Proposal,
    data: PlacementInput,
    actor: User,
    *,
    today: date | None = None,
    replaces: Placement | None = None,
) -> Placement:
    """Turn an accepted proposal into a placement, refusing a double booking."""
    if proposal.status != ProposalStatus.ACCEPTED:
        raise DomainError("Only an accepted proposal can become a placement.")
    existing = db.session.scalar(
        sa.select(Placement.id).where(Placement.proposal_id == proposal.id).limit(1)
    )
    if existing is not None:
        raise DomainError("This proposal already has a placement.")
    _validate(data)
    if replaces is not None:
        _check_replacement(replaces, proposal)
    lock_engineer(proposal.engineer_id)  # two people placing one engineer: one at a time
    if clash := booking_clash(proposal.engineer_id, data.start_date, data.end_date):
        raise DomainError(clash_message(clash))
    req = proposal.request
    today = today or date.today()
    placement = Placement(
        request=req,
        client_id=req.client_id,
        engineer=proposal.engineer,
        proposal=proposal,
        start_date=data.start_date,
        end_date=data.end_date,
        bill_rate=data.bill_rate,
        pay_rate=data.pay_rate,
        review_cadence_days=data.review_cadence_days,
        status=PlacementStatus.PENDING if data.start_date > today else PlacementStatus.ACTIVE,
        replaces=replaces,
    )
    placement.days_to_place = max(0, (today - req.created_at.date()).days)
    apply_summary(placement, [])  # no reviews yet: the gaps start at iteration 1
    db.session.add(placement)
    record_event(actor, "placement.created", placement, pending_changes(placement))
    fill_request_if_staffed(req, actor)
    return placement


def _check_replacement(replaced: Placement, proposal: Proposal) -> None:
    if replaced.request_id != proposal.request_id:
        raise DomainError("A successor replaces a placement on the same request.")
    if replaced.status != PlacementStatus.ENDED or replaced.end_reason != EndReason.REPLACED:
        raise DomainError("Only a placement ended as replaced can get a successor.")
    if db.session.scalar(
        sa.select(Placement.id).where(Placement.replaces_placement_id == replaced.id).limit(1)
    ):
        raise DomainError(f"{replaced.engineer.full_name} already has a successor.")


def awaiting_successor(staffing_request: StaffingRequest) -> list[Placement]:
    """The request's placements ended as replaced that nobody has succeeded yet."""
    successor = sa.orm.aliased(Placement)
    taken = sa.select(successor.id).where(successor.replaces_placement_id == Placement.id).exists()
    stmt = (
        sa.select(Placement)
        .where(
            Placement.request_id == staffing_request.id,
            Placement.status == PlacementStatus.ENDED,
            Placement.end_reason == EndReason.REPLACED,
            ~taken,
        )
        .options(selectinload(Placement.engineer))
        .order_by(Placement.end_date.desc(), Placement.id.desc())
    )
    return list(db.session.scalars(stmt))


def live_placement_count(staffing_request: StaffingRequest) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Placement)
        .where(
            Placement.request_id == staffing_request.id,
            Placement.status.in_(LIVE_PLACEMENT_STATUSES),
        )
    )


def fill_request_if_staffed(staffing_request: StaffingRequest, actor: User) -> bool:
    """An open or on-hold request whose live placements reach its headcount becomes filled."""
    if staffing_request.status not in (RequestStatus.OPEN, RequestStatus.ON_HOLD):
        return False
    db.session.flush()
    if live_placement_count(staffing_request) < staffing_request.headcount:
        return False
    old = staffing_request.status
    staffing_request.status = RequestStatus.FILLED
    record_event(
        actor, "request.status_changed", staffing_request, {"status": [old, RequestStatus.FILLED]}
    )
    return True


def request_placements(staffing_request: StaffingRequest, limit: int = 100) -> list[Placement]:
    """A request's placements, live first, with engineers loaded."""
    live_first = sa.case((Placement.status.in_(LIVE_PLACEMENT_STATUSES), 0), else_=1)
    stmt = (
        sa.select(Placement)
        .where(Placement.request_id == staffing_request.id)
        .options(selectinload(Placement.engineer))
        .order_by(live_first, Placement.start_date.desc(), Placement.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


# --- lifecycle -----------------------------------------------------------------------------

# Ending for these reasons leaves the client without the seat they asked for: a filled request
# takes candidates again.
REOPENING_REASONS = (EndReason.REPLACED, EndReason.ENGINEER_LEFT)


def activate(placement: Placement, actor: User | None, *, today: date) -> None:
    """pending -> active; activating early moves the start date to today."""
    if placement.status != PlacementStatus.PENDING:
        raise DomainError(
            f"Only a pending placement can be activated; this one is {placement.status}."
        )
    if placement.start_date > today:
        if clash := booking_clash(
            placement.engineer_id, today, placement.end_date, ignore_id=placement.id
        ):
            raise DomainError(clash_message(clash))
        placement.start_date = today
    placement.status = PlacementStatus.ACTIVE
    changes = pending_changes(placement)  # before a query flushes the change history away
    refresh_summary(placement)
    record_event(actor, "placement.activated", placement, changes)


def end_placement(
    placement: Placement,
    reason: str,
    actor: User | None,
    *,
    today: date,
    end_date: date | None = None,
) -> None:
    """pending/active -> ended with a reason; the end date defaults to today."""
    if placement.status == PlacementStatus.ENDED:
        raise DomainError("This placement has already ended.")
    if reason not in EndReason.values():
        raise DomainError("Choose why the placement ends.")
    last_day = end_date or today
    if placement.end_date is not None and last_day > placement.end_date:
        raise DomainError(
            f"The placement is planned to end on {day(placement.end_date)}; "
            "extend it instead of ending it later."
        )
    placement.end_date = max(last_day, placement.start_date)
    placement.status = PlacementStatus.ENDED
    placement.end_reason = reason
    changes = pending_changes(placement)
    refresh_summary(placement)
    record_event(actor, "placement.ended", placement, changes)
    req = placement.request
    if reason in REOPENING_REASONS and req.status == RequestStatus.FILLED:
        req.status = RequestStatus.OPEN
        record_event(
            actor,
            "request.status_changed",
            req,
            {"status": [RequestStatus.FILLED, RequestStatus.OPEN]},
        )


def change_end_date(
    placement: Placement, new_end: date | None, actor: User, *, today: date, version=None
) -> dict:
    """Extend or shorten a live placement (None: open-ended), never into another booking."""
    ensure_version(placement, version, "This placement")
    if placement.status == PlacementStatus.ENDED:
        raise DomainError("An ended placement's dates cannot change.")
    if new_end is not None:
        if new_end < placement.start_date:
            raise DomainError("The end date is before the start date.")
        if new_end < today and placement.status == PlacementStatus.ACTIVE:
            raise DomainError("To end a placement in the past, use End placement.")
    if new_end is None or (placement.end_date is not None and new_end > placement.end_date):
        lock_engineer(placement.engineer_id)
        if clash := booking_clash(
            placement.engineer_id, placement.start_date, new_end, ignore_id=placement.id
        ):
            raise DomainError(clash_message(clash))
    placement.end_date = new_end
    changes = pending_changes(placement, {"end_date"})
    refresh_summary(placement)
    if changes:
        record_event(actor, "placement.dates_changed", placement, changes)
    return changes


def run_daily(today: date) -> dict[str, int]:
    """Start pending placements on their start date, complete those past their end date, and
    refresh every live placement's review summary. Idempotent; run once a day (cron)."""
    live = db.session.scalars(
        sa.select(Placement)
        .where(Placement.status.in_(LIVE_PLACEMENT_STATUSES))
        .options(selectinload(Placement.request))
        .order_by(Placement.id)
    ).all()
    started = completed = 0
    for placement in live:
        if placement.end_date is not None and placement.end_date < today:
            end_placement(
                placement, EndReason.COMPLETED, None, today=today, end_date=placement.end_date
            )
            completed += 1
            continue
        if placement.status == PlacementStatus.PENDING and placement.start_date <= today:
            activate(placement, None, today=today)
            started += 1
        refresh_summary(placement)
    announced = events.reviews_due_for_clients(today)
    return {
        "activated": started,
        "completed": completed,
        "refreshed": len(live),
        "reviews_announced": announced,
    }
