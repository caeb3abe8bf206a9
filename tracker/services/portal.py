"""The client portal: one company's requests, proposals, placements and reviews, nothing else.

Every function takes the client id and filters by it in SQL; a row of another company is
never loaded, so a guessed id finds nothing (the views answer 404).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from tracker.infra.listing import count_of
from tracker.models import (
    Engineer,
    EngineerSkill,
    IterationReview,
    Placement,
    Proposal,
    RequestSkill,
    StaffingRequest,
    User,
    db,
)
from tracker.models.enums import (
    ACTIVE_REQUEST_STATUSES,
    LIVE_PLACEMENT_STATUSES,
    PlacementStatus,
    ProposalStatus,
)
from tracker.services import DomainError, proposals
from tracker.services.matching import engagement_end
from tracker.services.schedule import Iteration, iterations_until
from tracker.services.staffing_requests import effective_hours
from tracker.services.timezones import OverlapProfile, WorkingWindow, overlap_profile

S = ProposalStatus
# What a client sees of the agency's candidates: only those actually put to them.
VISIBLE = (S.PROPOSED, S.INTERVIEWING, S.ACCEPTED, S.DECLINED, S.WITHDRAWN)
# Those waiting for the client's answer: the statuses the client may move them from (proposed,
# interviewing), read from the proposals' table of moves.
WAITING = proposals.AWAITING_CLIENT


@dataclass(frozen=True)
class ClientFigures:
    open_requests: int
    active_placements: int
    awaiting_decision: int


def _visible_proposal(client_id: int):
    """SQL: a proposal of this client that was put to them."""
    return sa.and_(
        Proposal.request_id.in_(
            sa.select(StaffingRequest.id).where(StaffingRequest.client_id == client_id)
        ),
        Proposal.proposed_at.is_not(None),
        Proposal.status.in_(VISIBLE),
    )


def shown_proposals(client_id: int) -> sa.Select:
    """SQL: the proposals this client sees (those put to them), to filter and page further."""
    return sa.select(Proposal).where(_visible_proposal(client_id))


def client_figures(client_id: int) -> ClientFigures:
    """One client's counts, in one query."""
    row = db.session.execute(
        sa.select(
            count_of(
                StaffingRequest,
                StaffingRequest.client_id == client_id,
                StaffingRequest.status.in_(ACTIVE_REQUEST_STATUSES),
            ),
            count_of(
                Placement,
                Placement.client_id == client_id,
                Placement.status == PlacementStatus.ACTIVE,
            ),
            count_of(Proposal, _visible_proposal(client_id), Proposal.status.in_(WAITING)),
        )
    ).one()
    return ClientFigures(*row)


def _placed_count():
    return (
        sa.select(sa.func.count(Placement.id))
        .where(
            Placement.request_id == StaffingRequest.id,
            Placement.status.in_(LIVE_PLACEMENT_STATUSES),
        )
        .correlate(StaffingRequest)
        .scalar_subquery()
    )


def client_requests(
    client_id: int, *, open_only: bool = False, limit: int = 100
) -> list[tuple[StaffingRequest, int]]:
    """A client's requests, newest first, each with how many engineers are placed on it."""
    stmt = (
        sa.select(StaffingRequest, _placed_count())
        .where(StaffingRequest.client_id == client_id)
        .order_by(StaffingRequest.created_at.desc(), StaffingRequest.id.desc())
        .limit(limit)
    )
    if open_only:
        stmt = stmt.where(StaffingRequest.status.in_(ACTIVE_REQUEST_STATUSES))
    return [(r, n) for r, n in db.session.execute(stmt)]


def client_request(client_id: int, request_id: int) -> StaffingRequest | None:
    """One of the client's requests with its skills, or None."""
    return db.session.scalar(
        sa.select(StaffingRequest)
        .where(StaffingRequest.id == request_id, StaffingRequest.client_id == client_id)
        .options(
            joinedload(StaffingRequest.client),
            selectinload(StaffingRequest.skills).selectinload(RequestSkill.skill),
        )
    )


def client_proposals(
    client_id: int, *, waiting_only: bool = False, request_id: int | None = None
) -> list[Proposal]:
    """Proposals put to the client, those waiting for them first, with what the list shows."""
    waiting_first = sa.case((Proposal.status.in_(WAITING), 0), else_=1)
    stmt = (
        sa.select(Proposal)
        .where(_visible_proposal(client_id))
        .options(
            joinedload(Proposal.engineer),
            joinedload(Proposal.request),
        )
        .order_by(waiting_first, Proposal.proposed_at.desc(), Proposal.id.desc())
        .limit(200)
    )
    if waiting_only:
        stmt = stmt.where(Proposal.status.in_(WAITING))
    if request_id is not None:
        stmt = stmt.where(Proposal.request_id == request_id)
    return list(db.session.scalars(stmt).unique())


def client_proposal(client_id: int, proposal_id: int) -> Proposal | None:
    """One proposal put to this client, with the engineer's skills and the request, or None."""
    return db.session.scalar(
        sa.select(Proposal)
        .where(Proposal.id == proposal_id, _visible_proposal(client_id))
        .options(
            joinedload(Proposal.engineer)
            .selectinload(Engineer.skills)
            .joinedload(EngineerSkill.skill),
            joinedload(Proposal.request).joinedload(StaffingRequest.client),
        )
    )


def proposal_overlap(proposal: Proposal) -> OverlapProfile:
    """How the engineer's hours meet the client team's over the engagement, DST included."""
    req, engineer = proposal.request, proposal.engineer
    return overlap_profile(
        effective_hours(req).window,
        WorkingWindow(engineer.timezone, engineer.workday_start, engineer.workday_end),
        req.start_date,
        engagement_end(req),
    )


def decide(proposal: Proposal, accept: bool, user: User, *, reason=None, note=None) -> None:
    """The client accepts or declines a proposal that waits for them."""
    if proposal.status not in WAITING:
        raise DomainError("This proposal is no longer waiting for your decision.")
    proposals.move_proposal(
        proposal, S.ACCEPTED if accept else S.DECLINED, user, reason=reason, note=note
    )


def client_placements(client_id: int, *, live_only: bool = False, limit: int = 200):
    """A client's placements, live first then newest, with engineer and request loaded."""
    live_first = sa.case((Placement.status.in_(LIVE_PLACEMENT_STATUSES), 0), else_=1)
    stmt = (
        sa.select(Placement)
        .where(Placement.client_id == client_id)
        .options(joinedload(Placement.engineer), joinedload(Placement.request))
        .order_by(live_first, Placement.start_date.desc(), Placement.id.desc())
        .limit(limit)
    )
    if live_only:
        stmt = stmt.where(Placement.status.in_(LIVE_PLACEMENT_STATUSES))
    return list(db.session.scalars(stmt).unique())


def client_placement(client_id: int, placement_id: int) -> Placement | None:
    """One of the client's placements with its reviews, or None."""
    return db.session.scalar(
        sa.select(Placement)
        .where(Placement.id == placement_id, Placement.client_id == client_id)
        .options(
            joinedload(Placement.engineer),
            joinedload(Placement.request),
            selectinload(Placement.reviews).joinedload(IterationReview.submitted_by),
        )
    )


@dataclass(frozen=True)
class ReviewDue:
    placement: Placement
    iteration: Iteration
    overdue: bool


def reviews_due(client_id: int, today: date, limit: int = 20) -> list[ReviewDue]:
    """Iterations of the client's live placements that have ended without a review."""
    live = db.session.scalars(
        sa.select(Placement)
        .where(
            Placement.client_id == client_id,
            Placement.status.in_(LIVE_PLACEMENT_STATUSES),
            Placement.first_gap_due_on <= today,
        )
        .options(joinedload(Placement.engineer))
        .order_by(Placement.first_gap_due_on, Placement.id)
        .limit(limit)
    ).all()
    # Only which iterations have a review: two small columns, not every review's text.
    reviewed: dict[int, set[int]] = defaultdict(set)
    if live:
        for placement_id, number in db.session.execute(
            sa.select(IterationReview.placement_id, IterationReview.iteration).where(
                IterationReview.placement_id.in_([p.id for p in live])
            )
        ):
            reviewed[placement_id].add(number)
    due = []
    for placement in live:
        done = reviewed[placement.id]
        for it in iterations_until(
            placement.start_date, placement.review_cadence_days, placement.end_date, today
        ):
            if it.number not in done and it.due_on <= today:
                due.append(ReviewDue(placement, it, today >= it.overdue_on))
    return due[:limit]
