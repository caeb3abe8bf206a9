"""Proposals: shortlist an engineer for a request, propose them, record the client's answer."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.infra.audit import pending_changes, record_event
from tracker.models import Engineer, Placement, Proposal, StaffingRequest, User, db, utcnow
from tracker.models.enums import ProposalStatus, RequestStatus, VettingStatus
from tracker.services import DomainError, ensure_version, events, webhooks
from tracker.services.matching import billable_rate
from tracker.services.status_moves import (
    CLIENT,
    STAFF,
    SYSTEM,
    By,
    Moves,
    is_final,
    may,
    mover,
    moves_for,
    only_people,
    options,
    people_who_may,
    who_words,
)

S = ProposalStatus
# Every move a proposal's status can make, and who may make it: the one table of proposal
# statuses; move_proposal makes each of them. Staff record everything (the client's answer too,
# when it came by mail or call); a client answers in the portal a proposal put to them. Declined
# is final; a withdrawn proposal may be reconsidered. A proposal is created shortlisted: that
# is its creation, not a move. No proposal moves by itself.
PROPOSAL_STATUS_MOVES: Moves = {
    (S.SHORTLISTED, S.PROPOSED): STAFF,
    (S.SHORTLISTED, S.WITHDRAWN): STAFF,
    # …or by itself, when an interview with the client is scheduled (services.interviews).
    (S.PROPOSED, S.INTERVIEWING): STAFF | SYSTEM,
    (S.PROPOSED, S.ACCEPTED): STAFF | CLIENT,
    (S.PROPOSED, S.DECLINED): STAFF | CLIENT,
    (S.PROPOSED, S.WITHDRAWN): STAFF,
    (S.INTERVIEWING, S.ACCEPTED): STAFF | CLIENT,
    (S.INTERVIEWING, S.DECLINED): STAFF | CLIENT,
    (S.INTERVIEWING, S.WITHDRAWN): STAFF,
    (S.ACCEPTED, S.WITHDRAWN): STAFF,  # e.g. the engineer took another offer before starting
    (S.WITHDRAWN, S.SHORTLISTED): STAFF,
}
# Which status staff may move a proposal to from each (the proposals partial's buttons), read
# from the table. Admins and account managers may make the same moves.
PROPOSAL_MOVES: dict[str, tuple[str, ...]] = moves_for(
    PROPOSAL_STATUS_MOVES, ProposalStatus, By.ACCOUNT_MANAGER
)
# The statuses in which a proposal waits for the client's answer: those a client may move it
# from (proposed, interviewing).
AWAITING_CLIENT: tuple[str, ...] = tuple(
    s for s in ProposalStatus if options(PROPOSAL_STATUS_MOVES, s, By.CLIENT)
)
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
    webhooks.emit("proposal.created", webhooks.proposal_data(proposal))
    return proposal


def allowed_moves(proposal: Proposal, by: str = By.ACCOUNT_MANAGER) -> tuple[str, ...]:
    """The statuses the proposal may move to now (by default: those staff may pick)."""
    return options(PROPOSAL_STATUS_MOVES, proposal.status, by)


def _refusal(current: str, target: str, by: str) -> str:
    """Why `by` may not move a proposal from current to target, in words."""
    message = f"A proposal cannot go from {current} to {target}"
    if people := people_who_may(PROPOSAL_STATUS_MOVES, current, target):
        return f"{message}; {only_people(people)}."
    if nexts := options(PROPOSAL_STATUS_MOVES, current, by):
        return f"{message}; next steps are {' or '.join(m.replace('_', ' ') for m in nexts)}."
    if is_final(PROPOSAL_STATUS_MOVES, current):
        return f"{message}; {current} is final."
    return f"{message}; {who_words(by)} cannot move a proposal that is {current}."


def move_proposal(
    proposal: Proposal,
    target: str,
    actor: User,
    *,
    reason: str | None = None,
    note: str | None = None,
    version=None,
    automatic: bool = False,
) -> None:
    """Change a proposal's status along a move PROPOSAL_STATUS_MOVES lets the actor's role
    make (or the system, when `automatic`); a decline needs a reason. The one place a
    proposal's status changes."""
    ensure_version(proposal, version, "This proposal")
    by = mover(actor, automatic=automatic)
    if not may(PROPOSAL_STATUS_MOVES, proposal.status, target, by):
        raise DomainError(_refusal(proposal.status, target, by))
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
    if target in (S.DECLINED, S.WITHDRAWN, S.SHORTLISTED):
        # No longer put to the client: an interview asked for or scheduled is cancelled, and
        # its participants told. (Imported here: interviews moves proposals in turn.)
        from tracker.services import interviews

        interviews.close_for_proposal(proposal, actor)
    if target in (S.ACCEPTED, S.DECLINED):
        webhooks.emit("proposal.decided", webhooks.proposal_data(proposal))
    if target == S.PROPOSED:
        events.proposal_put_to_client(proposal)
    elif by == By.CLIENT and target in (S.ACCEPTED, S.DECLINED):
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
