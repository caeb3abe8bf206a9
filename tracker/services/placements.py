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
from tracker.services import (
    DomainError,
    ensure_version,
    events,
    rates,
    staffing_requests,
    timesheets,
    webhooks,
)
from tracker.services.bookings import booking_clash, clash_message
from tracker.services.reviews import apply_summary, refresh_summary
from tracker.services.status_moves import (
    STAFF,
    SYSTEM,
    Moves,
    may,
    mover,
    only_people,
    people_who_may,
)
from tracker.text import day

# The hours a week the client expects of the engineer (timesheets are measured against them).
DEFAULT_HOURS_PER_WEEK = Decimal(40)
MIN_HOURS_PER_WEEK, MAX_HOURS_PER_WEEK = Decimal(1), Decimal(80)
HOURS_PER_WEEK_STEP = Decimal("0.5")


@dataclass(frozen=True)
class PlacementInput:
    start_date: date
    end_date: date | None
    bill_rate: Decimal
    pay_rate: Decimal
    review_cadence_days: int = 14
    hours_per_week: Decimal = DEFAULT_HOURS_PER_WEEK


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


def _validate(data: PlacementInput) -> None:
    if data.end_date is not None and data.end_date < data.start_date:
        raise DomainError("The end date is before the start date.")
    rates.check_rates(data.bill_rate, data.pay_rate)
    if data.review_cadence_days not in REVIEW_CADENCES:
        raise DomainError("Reviews are weekly, every two weeks or monthly (7, 14 or 30 days).")
    hours = data.hours_per_week
    in_range = hours.is_finite() and MIN_HOURS_PER_WEEK <= hours <= MAX_HOURS_PER_WEEK
    if not in_range or hours % HOURS_PER_WEEK_STEP:
        raise DomainError(
            f"Hours per week go from {MIN_HOURS_PER_WEEK} to {MAX_HOURS_PER_WEEK}, "
            "in half hours (e.g. 40 or 37.5)."
        )


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
        hours_per_week=data.hours_per_week,
        status=PlacementStatus.PENDING if data.start_date > today else PlacementStatus.ACTIVE,
        replaces=replaces,
        timesheets_from=data.start_date,  # hours are expected from its first week
    )
    placement.days_to_place = max(0, (today - req.created_at.date()).days)
    apply_summary(placement, [])  # no reviews yet: the gaps start at iteration 1
    db.session.add(placement)
    record_event(actor, "placement.created", placement, pending_changes(placement))
    webhooks.emit("placement.created", webhooks.placement_data(placement))
    rates.start_rates(placement, actor)  # its rates from the start date, the first of its history
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
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(Placement)
        .where(
            Placement.request_id == staffing_request.id,
            Placement.status.in_(LIVE_PLACEMENT_STATUSES),
        )
    ).scalar_one()


def fill_request_if_staffed(staffing_request: StaffingRequest, actor: User | None) -> bool:
    """A request whose live placements reach its headcount becomes filled, by the system, from
    the statuses the table lets the system fill it from (open and on hold)."""
    if not staffing_requests.may_move(staffing_request, RequestStatus.FILLED, automatic=True):
        return False
    db.session.flush()
    if live_placement_count(staffing_request) < staffing_request.headcount:
        return False
    staffing_requests.move_request(staffing_request, RequestStatus.FILLED, actor, automatic=True)
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

P = PlacementStatus
# Every move a placement's status can make, and who may make it: the one table of placement
# statuses; _move_placement makes each of them. A placement is created pending (or active when
# it starts today or earlier): that is its creation, not a move. Ended is final.
PLACEMENT_STATUS_MOVES: Moves = {
    # Staff: the engineer started early. The system: the start date came (run_daily).
    (P.PENDING, P.ACTIVE): STAFF | SYSTEM,
    # Staff: called off before it began. The system: its end date passed before it began.
    (P.PENDING, P.ENDED): STAFF | SYSTEM,
    # Staff: ended for a reason. The system: its end date passed, completed (run_daily).
    (P.ACTIVE, P.ENDED): STAFF | SYSTEM,
}
# What each move is called in the history, and why it is refused when the status forbids it.
PLACEMENT_MOVE_ACTIONS: dict[str, str] = {
    P.ACTIVE: "placement.activated",
    P.ENDED: "placement.ended",
}
PLACEMENT_MOVE_REFUSALS: dict[str, str] = {
    P.ACTIVE: "Only a pending placement can be activated; this one is {current}.",
    P.ENDED: "This placement has already ended.",
}


def _check_placement_move(placement: Placement, target: str, by: str) -> None:
    """Refuse a move PLACEMENT_STATUS_MOVES does not let `by` make, before anything changes."""
    current = placement.status
    if may(PLACEMENT_STATUS_MOVES, current, target, by):
        return
    if people := people_who_may(PLACEMENT_STATUS_MOVES, current, target):
        raise DomainError(
            f"A placement cannot go from {current} to {target}; {only_people(people)}."
        )
    raise DomainError(PLACEMENT_MOVE_REFUSALS[target].format(current=current))


def _move_placement(
    placement: Placement, target: str, actor: User | None, *, automatic: bool
) -> None:
    """The one place a placement's status changes: check the move against the table, make it,
    refresh the review summary and record it with every field the caller changed with it."""
    _check_placement_move(placement, target, mover(actor, automatic=automatic))
    placement.status = target
    changes = pending_changes(placement)  # before a query flushes the change history away
    refresh_summary(placement)
    record_event(actor, PLACEMENT_MOVE_ACTIONS[target], placement, changes)


def activate(
    placement: Placement, actor: User | None, *, today: date, automatic: bool = False
) -> None:
    """pending -> active; activating early moves the start date to today."""
    _check_placement_move(placement, P.ACTIVE, mover(actor, automatic=automatic))
    if placement.start_date > today:
        if clash := booking_clash(
            placement.engineer_id, today, placement.end_date, ignore_id=placement.id
        ):
            raise DomainError(clash_message(clash))
        placement.start_date = today
    _move_placement(placement, P.ACTIVE, actor, automatic=automatic)


def end_placement(
    placement: Placement,
    reason: str,
    actor: User | None,
    *,
    today: date,
    end_date: date | None = None,
    automatic: bool = False,
) -> None:
    """pending/active -> ended with a reason; the end date defaults to today. Ending as replaced
    or because the engineer left reopens a filled request (the system's move)."""
    _check_placement_move(placement, P.ENDED, mover(actor, automatic=automatic))
    if reason not in EndReason.values():
        raise DomainError("Choose why the placement ends.")
    last_day = end_date or today
    if placement.end_date is not None and last_day > placement.end_date:
        raise DomainError(
            f"The placement is planned to end on {day(placement.end_date)}; "
            "extend it instead of ending it later."
        )
    if placement.status == P.PENDING and last_day < placement.start_date:
        placement.timesheets_from = None  # called off before it began: no hours are owed
    placement.end_date = max(last_day, placement.start_date)
    placement.end_reason = reason
    _move_placement(placement, P.ENDED, actor, automatic=automatic)
    webhooks.emit("placement.ended", webhooks.placement_data(placement))
    req = placement.request
    if reason in REOPENING_REASONS and req.status == RequestStatus.FILLED:
        staffing_requests.move_request(req, RequestStatus.OPEN, actor, automatic=True)


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
    """Start pending placements on their start date, complete those past their end date,
    put rate changes dated today (or missed since) into effect, approve timesheets nobody
    answered in time, remind engineers of last week's hours, and refresh every live
    placement's review and hours summaries. Idempotent; run once a day."""
    auto_approved = timesheets.auto_approve_due(today)
    live = db.session.scalars(
        sa.select(Placement)
        .where(Placement.status.in_(LIVE_PLACEMENT_STATUSES))
        .options(selectinload(Placement.request))
        .order_by(Placement.id)
    ).all()
    rates_applied = rates.apply_rates_in_effect(list(live), today)
    started = completed = 0
    for placement in live:
        if placement.end_date is not None and placement.end_date < today:
            end_placement(
                placement,
                EndReason.COMPLETED,
                None,
                today=today,
                end_date=placement.end_date,
                automatic=True,
            )
            completed += 1
            continue
        if placement.status == PlacementStatus.PENDING and placement.start_date <= today:
            activate(placement, None, today=today, automatic=True)
            started += 1
        refresh_summary(placement)
        timesheets.refresh_hours_summary(placement, today)
    announced = events.reviews_due_for_clients(today)
    reminded = timesheets.remind_missing(today)
    return {
        "activated": started,
        "completed": completed,
        "refreshed": len(live),
        "rates_applied": rates_applied,
        "reviews_announced": announced,
        "timesheets_auto_approved": auto_approved,
        "timesheet_reminders": reminded,
    }
