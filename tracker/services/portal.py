"""The client portal's figures and lists: one company's data only, in bounded queries."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.models import Placement, Proposal, StaffingRequest, db
from tracker.models.enums import (
    LIVE_PLACEMENT_STATUSES,
    PlacementStatus,
    ProposalStatus,
    RequestStatus,
)


@dataclass(frozen=True)
class ClientFigures:
    open_requests: int
    active_placements: int
    awaiting_decision: int


def _count(model, *criteria):
    return sa.select(sa.func.count()).select_from(model).where(*criteria).scalar_subquery()


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
