"""The account manager's dashboard: what needs attention and the key figures, in SQL.

Every list is one query (many-to-one rows joined in), every figure a scalar subquery of one
statement, so the page's query count does not grow with the data.
"""

from dataclasses import dataclass, fields
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from tracker.infra.listing import count_of, day_start
from tracker.models import (
    REVIEW_DIMENSIONS,
    Engineer,
    IterationReview,
    Placement,
    Proposal,
    StaffingRequest,
    Timesheet,
    db,
)
from tracker.models.enums import (
    LIVE_PLACEMENT_STATUSES,
    EndReason,
    PlacementStatus,
    Priority,
    ProposalStatus,
    RequestStatus,
)
from tracker.reports import billing
from tracker.reports.billing import MonthMoney
from tracker.services import timesheets
from tracker.services.bookings import overlapping
from tracker.services.health import Health, health_of, health_sql
from tracker.services.matching import available_by, is_on_roster, is_vetted
from tracker.services.schedule import OVERDUE_AFTER
from tracker.services.staffing_requests import PRIORITY_RANK

YEAR = timedelta(days=365)
QUARTER = timedelta(days=90)


@dataclass(frozen=True)
class StaffFigures:
    open_requests: int
    active_placements: int
    available_engineers: int
    awaiting_client: int
    ending_soon: int
    seats_filled: int  # fill rate: seats placed / seats asked, requests of the last 12 months
    seats_asked: int
    median_days_to_place: int | None  # placements made in the last 12 months
    average_review: float | None  # overall score of reviews written in the last 90 days
    average_margin: float | None  # bill - pay per hour over active placements
    # Billed, paid to engineers and realized margin, the last 12 months (reports.billing).
    money: tuple[MonthMoney, ...] = ()

    @property
    def fill_rate(self) -> float | None:
        return self.seats_filled / self.seats_asked if self.seats_asked else None


# The figures staff_figures' one query counts, in the order of its columns.
COUNTED_FIGURES = tuple(f.name for f in fields(StaffFigures))[:-4]


def _available_engineers(day: date):
    """SQL: how many engineers are vetted, active, available by `day` and not booked on it.

    Counted as the candidates less the booked ones among them: counts over indexes
    (ix_engineer_match_prefilter, ix_placement_status_start) rather than a probe per candidate.
    """
    candidate = sa.and_(is_vetted(), is_on_roster())  # matching's hard filters, as it says them
    # From the placements covering the day (a few thousand) to their engineer, not the other
    # way: SQLite's planner would probe the placements of every candidate for a join.
    booked_candidate = (
        sa.select(Engineer.id)
        .where(
            Engineer.id == Placement.engineer_id,
            candidate,
            available_by(day),
        )
        .exists()
    )
    booked = (
        sa.select(sa.func.count(sa.distinct(Placement.engineer_id)))
        .where(
            overlapping(day, day),
            booked_candidate,
        )
        .scalar_subquery()
    )
    not_yet = count_of(Engineer, candidate, Engineer.available_from > day)
    return count_of(Engineer, candidate) - not_yet - booked


def _requests_counted(since: date):
    return (
        StaffingRequest.created_at >= day_start(since),
        StaffingRequest.status.not_in((RequestStatus.DRAFT, RequestStatus.CANCELLED)),
    )


def _seats(since: date):
    """(seats placed, seats asked) over requests created since `since`, past their draft.

    A seat counts once: a placement that was replaced does not count beside its successor,
    and no request counts more placements than its headcount.
    """
    placed = (
        sa.select(sa.func.count())
        .where(
            Placement.request_id == StaffingRequest.id,
            ~sa.and_(
                Placement.status == PlacementStatus.ENDED,
                Placement.end_reason == EndReason.REPLACED,
            ),
        )
        .correlate(StaffingRequest)
        .scalar_subquery()
    )
    per_request = (
        sa.select(StaffingRequest.headcount.label("asked"), placed.label("placed"))
        .where(*_requests_counted(since))
        .subquery()
    )
    filled = sa.case(
        (per_request.c.placed < per_request.c.asked, per_request.c.placed),
        else_=per_request.c.asked,
    )
    return (
        sa.select(sa.func.coalesce(sa.func.sum(filled), 0)).scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.sum(StaffingRequest.headcount), 0))
        .where(*_requests_counted(since))
        .scalar_subquery(),
    )


def _median_days_to_place(since: date):
    """SQL: the (lower) median of days_to_place over placements created since `since`.

    The row at offset (n - 1) / 2 in days order: a count and a short ordered read, both on
    ix_placement_created_days.
    """
    counted = (Placement.created_at >= day_start(since), Placement.days_to_place.is_not(None))
    n = sa.select(sa.func.count()).select_from(Placement).where(*counted).scalar_subquery()
    return (
        sa.select(Placement.days_to_place)
        .where(*counted)
        .order_by(Placement.days_to_place)
        .limit(1)
        .offset((n - 1) // 2)
        .scalar_subquery()
    )


def staff_figures(today: date) -> StaffFigures:
    """The agency's key counts and figures, in one query."""
    review_overall = sum(getattr(IterationReview, d) for d in REVIEW_DIMENSIONS) / 4.0
    seats_filled, seats_asked = _seats(today - YEAR)
    row = db.session.execute(
        sa.select(
            count_of(StaffingRequest, StaffingRequest.status == RequestStatus.OPEN),
            count_of(Placement, Placement.status == PlacementStatus.ACTIVE),
            _available_engineers(today),
            count_of(Proposal, Proposal.status == ProposalStatus.PROPOSED),
            count_of(
                Placement,
                Placement.status.in_(LIVE_PLACEMENT_STATUSES),
                Placement.end_date.between(today, today + timedelta(days=30)),
            ),
            seats_filled,
            seats_asked,
            _median_days_to_place(today - YEAR),
            sa.select(sa.func.avg(review_overall))
            .where(IterationReview.created_at >= day_start(today - QUARTER))
            .scalar_subquery(),
            sa.select(sa.func.avg(Placement.bill_rate - Placement.pay_rate))
            .where(Placement.status == PlacementStatus.ACTIVE)
            .scalar_subquery(),
            *billing.money_columns(today),
        )
    ).one()
    counted = len(COUNTED_FIGURES) + 3
    *counts, median, average_review, average_margin = row[:counted]
    figures = dict(zip(COUNTED_FIGURES, counts, strict=True))
    return StaffFigures(
        **figures,
        median_days_to_place=median,
        average_review=None if average_review is None else float(average_review),
        average_margin=None if average_margin is None else float(average_margin),
        money=billing.money_from(today, row[counted:]),
    )


def placements_needing_attention(
    today: date, limit: int = 10
) -> list[tuple[Placement, Health | None]]:
    """Red then amber live placements, each with its health and reasons."""
    level = health_sql(today)
    severity = sa.case((level == "red", 0), else_=1)
    stmt = (
        sa.select(Placement)
        .where(Placement.status.in_(LIVE_PLACEMENT_STATUSES), level.in_(("red", "amber")))
        .options(joinedload(Placement.engineer), joinedload(Placement.client))
        .order_by(severity, Placement.first_gap_due_on.nulls_last(), Placement.id)
        .limit(limit)
    )
    return [(p, health_of(p, today)) for p in db.session.scalars(stmt).unique()]


@dataclass(frozen=True)
class OverdueReview:
    placement: Placement
    iteration: int  # the oldest iteration without a review
    days_late: int  # since it became overdue
    another_overdue: bool


def _overdue(p: Placement, today: date) -> OverdueReview:
    due = p.first_gap_due_on
    if due is None:  # the query keeps only placements with a missing review
        raise ValueError(f"placement {p.id} has no missing review")
    return OverdueReview(
        p,
        # the iteration due on first_gap_due_on: start + k x cadence, or the cut-short last
        -(-(due - p.start_date).days // p.review_cadence_days),
        (today - (due + OVERDUE_AFTER)).days,
        p.second_gap_due_on is not None and p.second_gap_due_on + OVERDUE_AFTER <= today,
    )


def overdue_reviews(today: date, limit: int = 10) -> list[OverdueReview]:
    """Live placements whose oldest missing review is a week past due, the oldest first."""
    stmt = (
        sa.select(Placement)
        .where(
            Placement.status.in_(LIVE_PLACEMENT_STATUSES),
            Placement.first_gap_due_on <= today - OVERDUE_AFTER,
        )
        .options(joinedload(Placement.engineer), joinedload(Placement.client))
        .order_by(Placement.first_gap_due_on, Placement.id)
        .limit(limit)
    )
    return [_overdue(p, today) for p in db.session.scalars(stmt).unique()]


def urgent_requests_without_proposal(limit: int = 8) -> list[StaffingRequest]:
    """Open urgent or high-priority requests nobody has been proposed for yet."""
    proposed = sa.select(Proposal.id).where(Proposal.request_id == StaffingRequest.id).exists()
    stmt = (
        sa.select(StaffingRequest)
        .where(
            StaffingRequest.status == RequestStatus.OPEN,
            StaffingRequest.priority.in_((Priority.URGENT, Priority.HIGH)),
            ~proposed,
        )
        .options(joinedload(StaffingRequest.client))
        .order_by(PRIORITY_RANK, StaffingRequest.start_date, StaffingRequest.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt).unique())


def placements_ending_soon(today: date, days: int = 30, limit: int = 8) -> list[Placement]:
    """Live placements whose end date falls in the next `days` days: the bench forecast."""
    stmt = (
        sa.select(Placement)
        .where(
            Placement.status.in_(LIVE_PLACEMENT_STATUSES),
            Placement.end_date.between(today, today + timedelta(days=days)),
        )
        .options(joinedload(Placement.engineer), joinedload(Placement.client))
        .order_by(Placement.end_date, Placement.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt).unique())


@dataclass(frozen=True)
class WaitingTimesheet:
    timesheet: Timesheet
    days_waiting: int  # calendar days since it was submitted
    business_days_left: int  # before the daily job approves it by itself


def timesheets_waiting_longest(
    today: date, auto_approve_days: int, limit: int = 8
) -> list[WaitingTimesheet]:
    """Submitted timesheets the client has not answered, the longest waiting first (one query)."""
    rows = []
    for t in timesheets.oldest_waiting(limit=limit):
        submitted = t.submitted_at.date() if t.submitted_at else today
        passed = timesheets.business_days_between(submitted, today)
        rows.append(
            WaitingTimesheet(t, (today - submitted).days, max(auto_approve_days - passed, 0))
        )
    return rows
