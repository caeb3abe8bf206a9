"""Who hears about what: the business events that notify people, in the app and by e-mail.

Called inside the event's own transaction (a notification exists exactly when its event
does). Links are paths of the portal and staff pages; tests/test_events.py checks they route.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from tracker.models import IterationReview, Placement, Proposal, StaffingRequest, User, db
from tracker.models.enums import LIVE_PLACEMENT_STATUSES, ProposalStatus
from tracker.models.notification import NotificationKind as Kind
from tracker.services.notifications import account_managers_of, client_users, notify
from tracker.services.schedule import iterations_until
from tracker.text import day


def proposal_put_to_client(proposal: Proposal) -> None:
    """An engineer was proposed: the client's users have someone to accept or decline."""
    req = proposal.request
    notify(
        client_users(req.client),
        kind=Kind.PROPOSAL_WAITING,
        title=f"An engineer is proposed for {req.title}",
        body=(
            f"We propose {proposal.engineer.client_safe_name} for “{req.title}”. "
            "See their profile and working hours with your team, then accept or decline."
        ),
        link=f"/portal/proposals/{proposal.id}",
        key=f"proposal-waiting:proposal:{proposal.id}",
    )


def client_decided(proposal: Proposal, user: User) -> None:
    """A client accepted or declined: their account manager acts on it."""
    req = proposal.request
    accepted = proposal.status == ProposalStatus.ACCEPTED
    verb = "accepted" if accepted else "declined"
    body = (
        f"{user.name} of {req.client.name} {verb} {proposal.engineer.full_name} for “{req.title}”."
    )
    if accepted:
        body += " Create the placement from the request's match page."
    elif proposal.decline_reason:
        body += f" Reason: {proposal.decline_reason.replace('_', ' ')}"
        body += f" — {proposal.decline_note}." if proposal.decline_note else "."
    notify(
        account_managers_of(req.client),
        kind=Kind.CLIENT_DECISION,
        title=f"{req.client.name} {verb} {proposal.engineer.full_name}",
        body=body,
        link=f"/requests/{req.id}/matches",
        key=f"client-decision:proposal:{proposal.id}:{proposal.status}",
    )


def draft_request_received(staffing_request: StaffingRequest, user: User) -> None:
    """A client logged a request in the portal: it waits as a draft for their manager."""
    client = staffing_request.client
    notify(
        account_managers_of(client),
        kind=Kind.DRAFT_REQUEST,
        title=f"New request from {client.name}: {staffing_request.title}",
        body=(
            f"{user.name} of {client.name} asked for “{staffing_request.title}” "
            f"({staffing_request.headcount} × {staffing_request.seniority}, from "
            f"{day(staffing_request.start_date)}). It waits as a draft: review and open it."
        ),
        link=f"/requests/{staffing_request.id}",
        key=f"draft-request:request:{staffing_request.id}",
    )


def client_reviewed(review: IterationReview, user: User) -> None:
    """A client reviewed an iteration: their account manager reads it."""
    placement = review.placement
    concern = "" if review.would_continue else " They would not continue."
    notify(
        account_managers_of(placement.client),
        kind=Kind.CLIENT_REVIEW,
        title=(
            f"{placement.client.name} reviewed {placement.engineer.full_name}: "
            f"{review.overall:.1f} / 5"
        ),
        body=(
            f"{user.name} reviewed iteration {review.iteration} of "
            f"{placement.engineer.full_name} ({day(review.period_start)} – "
            f"{day(review.period_end)}): overall {review.overall:.2f}.{concern}"
        ),
        link=f"/placements/{placement.id}",
        key=f"client-review:review:{review.id}",
    )


def reviews_due_for_clients(today: date) -> int:
    """Tell each client's users about every iteration that ended without a review (once each).

    Returns how many iterations were announced (to one or more users).
    """
    placements = db.session.scalars(
        sa.select(Placement)
        .where(
            Placement.status.in_(LIVE_PLACEMENT_STATUSES),
            Placement.first_gap_due_on <= today,
        )
        .options(
            joinedload(Placement.engineer),
            joinedload(Placement.client),
            selectinload(Placement.reviews),
        )
        .order_by(Placement.id)
    ).unique()
    announced = 0
    users_of: dict[int, list[User]] = {}
    for placement in placements:
        if placement.client_id not in users_of:
            users_of[placement.client_id] = client_users(placement.client)
        reviewed = {r.iteration for r in placement.reviews}
        for it in iterations_until(
            placement.start_date, placement.review_cadence_days, placement.end_date, today
        ):
            if it.number in reviewed or it.due_on > today:
                continue
            who = placement.engineer.client_safe_name
            created = notify(
                users_of[placement.client_id],
                kind=Kind.REVIEW_DUE,
                title=f"Please review {who}'s iteration {it.number}",
                body=(
                    f"Iteration {it.number} of {who} "
                    f"({day(it.start)} – {day(it.end)}) has ended. Two minutes of your time "
                    "keep the engagement on track."
                ),
                link=f"/portal/placements/{placement.id}/iterations/{it.number}/review",
                key=f"review-due:placement:{placement.id}:iteration:{it.number}",
            )
            announced += bool(created)
    return announced
