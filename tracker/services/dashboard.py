"""The figures on each role's landing page, each page's worth in a bounded number of queries."""

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.models import Engineer, Placement, Proposal, StaffingRequest, db
from tracker.models.enums import (
    LIVE_PLACEMENT_STATUSES,
    PlacementStatus,
    ProposalStatus,
    RequestStatus,
    VettingStatus,
)
from tracker.services.staffing_requests import PRIORITY_RANK


@dataclass(frozen=True)
class StaffFigures:
    open_requests: int
    active_placements: int
    available_engineers: int
    awaiting_client: int
    ending_soon: int


@dataclass(frozen=True)
class ClientFigures:
    open_requests: int
    active_placements: int
    awaiting_decision: int


def booked_on(day: date):
    """SQL: the engineer row holds a live placement covering this day."""
    return (
        sa.select(Placement.id)
        .where(
            Placement.engineer_id == Engineer.id,
            Placement.status.in_(LIVE_PLACEMENT_STATUSES),
            Placement.start_date <= day,
            sa.or_(Placement.end_date.is_(None), Placement.end_date >= day),
        )
        .exists()
    )


def available_engineers_filter(day: date):
    """SQL: vetted, active, available by this day and not booked on it."""
    return sa.and_(
        Engineer.vetting_status == VettingStatus.VETTED,
        Engineer.is_active.is_(True),
        sa.or_(Engineer.available_from.is_(None), Engineer.available_from <= day),
        ~booked_on(day),
    )


def _count(model, *criteria):
    return sa.select(sa.func.count()).select_from(model).where(*criteria).scalar_subquery()


def staff_figures(today: date) -> StaffFigures:
    """The agency's key counts, in one query."""
    row = db.session.execute(
        sa.select(
            _count(StaffingRequest, StaffingRequest.status == RequestStatus.OPEN),
            _count(Placement, Placement.status == PlacementStatus.ACTIVE),
            _count(Engineer, available_engineers_filter(today)),
            _count(Proposal, Proposal.status == ProposalStatus.PROPOSED),
            _count(
                Placement,
                Placement.status.in_(LIVE_PLACEMENT_STATUSES),
                Placement.end_date.between(today, today + timedelta(days=30)),
            ),
        )
    ).one()
    return StaffFigures(*row)


def urgent_open_requests(limit: int = 8) -> list[StaffingRequest]:
    """Open requests, most pressing first, with their client loaded."""
    stmt = (
        sa.select(StaffingRequest)
        .where(StaffingRequest.status == RequestStatus.OPEN)
        .options(selectinload(StaffingRequest.client))
        .order_by(PRIORITY_RANK, StaffingRequest.start_date, StaffingRequest.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def placements_ending_soon(today: date, days: int = 30, limit: int = 8) -> list[Placement]:
    """Live placements whose end date falls in the next `days` days: the bench forecast."""
    stmt = (
        sa.select(Placement)
        .where(
            Placement.status.in_(LIVE_PLACEMENT_STATUSES),
            Placement.end_date.between(today, today + timedelta(days=days)),
        )
        .options(selectinload(Placement.engineer), selectinload(Placement.client))
        .order_by(Placement.end_date, Placement.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def client_figures(client_id: int) -> ClientFigures:
    """One client's counts, in one query."""
    row = db.session.execute(
        sa.select(
            _count(
                StaffingRequest,
                StaffingRequest.client_id == client_id,
                StaffingRequest.status.in_((RequestStatus.OPEN, RequestStatus.ON_HOLD)),
            ),
            _count(
                Placement,
                Placement.client_id == client_id,
                Placement.status == PlacementStatus.ACTIVE,
            ),
            _count(
                Proposal,
                Proposal.status == ProposalStatus.PROPOSED,
                Proposal.request_id.in_(
                    sa.select(StaffingRequest.id).where(StaffingRequest.client_id == client_id)
                ),
            ),
        )
    ).one()
    return ClientFigures(*row)


def client_requests(client_id: int, limit: int = 10) -> list[tuple[StaffingRequest, int]]:
    """A client's latest requests with how many engineers are placed on each."""
    placed = (
        sa.select(sa.func.count(Placement.id))
        .where(
            Placement.request_id == StaffingRequest.id,
            Placement.status.in_(LIVE_PLACEMENT_STATUSES),
        )
        .correlate(StaffingRequest)
        .scalar_subquery()
    )
    stmt = (
        sa.select(StaffingRequest, placed)
        .where(StaffingRequest.client_id == client_id)
        .order_by(StaffingRequest.created_at.desc(), StaffingRequest.id.desc())
        .limit(limit)
    )
    return [(r, n) for r, n in db.session.execute(stmt)]


def client_active_placements(client_id: int, limit: int = 20) -> list[Placement]:
    """A client's live placements with engineer and request loaded."""
    stmt = (
        sa.select(Placement)
        .where(
            Placement.client_id == client_id,
            Placement.status.in_(LIVE_PLACEMENT_STATUSES),
        )
        .options(selectinload(Placement.engineer), selectinload(Placement.request))
        .order_by(Placement.start_date.desc(), Placement.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
