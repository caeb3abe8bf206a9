"""Proposals: shortlist an engineer for a request, propose them, record the client's answer."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.infra.audit import pending_changes, record_event
from tracker.models import Engineer, Placement, Proposal, StaffingRequest, User, db, utcnow
from tracker.models.enums import ProposalStatus, RequestStatus, VettingStatus
from tracker.services import DomainError, ensure_version, events
from tracker.services.matching import billable_rate

S = ProposalStatus
# Which status may follow which. Declined is final; a withdrawn proposal may be reconsidered.
PROPOSAL_MOVES: dict[str, tuple[str, ...]] = {
    S.SHORTLISTED: (S.PROPOSED, S.WITHDRAWN),
    S.PROPOSED: (S.INTERVIEWING, S.ACCEPTED, S.DECLINED, S.WITHDRAWN),
    S.INTERVIEWING: (S.ACCEPTED, S.DECLINED, S.WITHDRAWN),
    S.ACCEPTED: (S.WITHDRAWN,),  # e.g. the engineer took another offer before starting
    S.DECLINED: (),
    S.WITHDRAWN: (S.SHORTLISTED,),
}
# The client's reasons for declining, shown as a list (plus free text).
DECLINE_REASONS = {
    "rate": "Rate above budget",
    "skills": "Skills or experience",
    "timezone": "Working hours / overlap",
    "availability": "Start date",
    "culture_fit": "Communication or team fit",
    "other": "Other",
}
# Requests one can still add candidates to.
SHORTLISTABLE = (RequestStatus.OPEN, RequestStatus.ON_HOLD)
MOVE_VERBS = {
    S.SHORTLISTED: "shortlisted again",
    S.PROPOSED: "proposed to the client",
    S.INTERVIEWING: "moved to interviewing",
    S.ACCEPTED: "marked accepted",
    S.DECLINED: "marked declined",
    S.WITHDRAWN: "withdrawn",
}


def shortlist(
    staffing_request: StaffingRequest,
    engineer: Engineer,
    actor: User,
    *,
    score: float | None = None,
) -> Proposal:
    """Put an engineer on a request's shortlist (once per request)."""
    if staffing_request.status not in SHORTLISTABLE:
        raise DomainError(
            f"The request is {staffing_request.status.replace('_', ' ')}; "
            "only open or on-hold requests take new candidates."
        )
    if engineer.vetting_status != VettingStatus.VETTED or not engineer.is_active:
        raise DomainError(f"{engineer.full_name} is not a vetted, active engineer.")
    existing = db.session.scalar(
        sa.select(Proposal).where(
            Proposal.request_id == staffing_request.id, Proposal.engineer_id == engineer.id
        )
    )
    if existing is not None:
        state = existing.status.replace("_", " ")
        raise DomainError(f"{engineer.full_name} is already on this request ({state}).")
    proposal = Proposal(
        request=staffing_request,
        engineer=engineer,
        status=S.SHORTLISTED,
        score=None if score is None else round(score, 2),
        created_by=actor,
    )
    db.session.add(proposal)
    record_event(actor, "proposal.created", proposal, pending_changes(proposal))
    return proposal


def allowed_moves(proposal: Proposal) -> tuple[str, ...]:
    return PROPOSAL_MOVES[proposal.status]


def move_proposal(
    proposal: Proposal,
    target: str,
    actor: User,
    *,
    reason: str | None = None,
    note: str | None = None,
    version=None,
) -> None:
    """Change a proposal's status along an allowed move; a decline needs a reason."""
    ensure_version(proposal, version, "This proposal")
    if target not in PROPOSAL_MOVES[proposal.status]:
        nexts = " or ".join(m.replace("_", " ") for m in PROPOSAL_MOVES[proposal.status])
        raise DomainError(
            f"A proposal cannot go from {proposal.status} to {target}; "
            + (f"next steps are {nexts}." if nexts else f"{proposal.status} is final.")
        )
    if target == S.DECLINED and reason not in DECLINE_REASONS:
        raise DomainError("Choose the reason the client declined.")
    if target == S.WITHDRAWN and proposal.status == S.ACCEPTED:
        placed = db.session.scalar(
            sa.select(Placement.id).where(Placement.proposal_id == proposal.id).limit(1)
        )
        if placed is not None:
            raise DomainError("This proposal already has a placement; end the placement instead.")
    # Everything that reads the database comes first: a query would flush the changes below
    # and the history would miss them.
    rate = offered_rate(proposal) if target == S.PROPOSED and proposal.bill_rate is None else None
    if target == S.DECLINED:
        proposal.decline_reason = reason
        proposal.decline_note = (note or "").strip() or None
    if target == S.SHORTLISTED:  # reconsidered: the old answer no longer stands
        proposal.decided_at = None
    proposal.status = target
    if target == S.PROPOSED and proposal.proposed_at is None:
        proposal.proposed_at = utcnow()
    if rate is not None:
        proposal.bill_rate = rate
    if target in (S.ACCEPTED, S.DECLINED, S.WITHDRAWN):
        proposal.decided_at = utcnow()
    record_event(actor, "proposal.status_changed", proposal, pending_changes(proposal))
    if target == S.PROPOSED:
        events.proposal_put_to_client(proposal)
    elif actor.is_client and target in (S.ACCEPTED, S.DECLINED):
        events.client_decided(proposal, actor)


def offered_rate(proposal: Proposal):
    """The bill rate put to the client: pay x the markup, capped by the request's budget."""
    billed = billable_rate(proposal.engineer.hourly_rate)
    budget = proposal.request.max_bill_rate
    return min(billed, budget) if budget is not None else billed


def request_proposals(staffing_request: StaffingRequest, limit: int = 100) -> list[Proposal]:
    """A request's proposals, liveliest first, with engineers loaded."""
    order = sa.case(
        {s: i for i, s in enumerate(("accepted", "interviewing", "proposed", "shortlisted"))},
        value=Proposal.status,
        else_=9,
    )
    stmt = (
        sa.select(Proposal)
        .where(Proposal.request_id == staffing_request.id)
        .options(selectinload(Proposal.engineer))
        .order_by(order, Proposal.score.desc().nulls_last(), Proposal.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
