"""The match page, shortlisting, and moving proposals along."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.auth.access import safe_next_path, staff_required
from tracker.extensions import db
from tracker.matching import bp
from tracker.matching.forms import ProposalMoveForm, ShortlistForm, WhyNotForm
from tracker.models import Engineer, Proposal, StaffingRequest
from tracker.services import (
    DomainError,
    matching,
    notifications,
    placements,
    proposals,
    staffing_requests,
    transaction,
)


def load_request(request_id: int) -> StaffingRequest:
    """A request with its client and skills, or 404."""
    staffing_request = staffing_requests.load_request(request_id)
    if staffing_request is None:
        abort(404)
    return staffing_request


@bp.get("/requests/<int:request_id>/matches")
@staff_required
def index(request_id: int):
    staffing_request = load_request(request_id)
    matches = matching.shared_ranking(staffing_request)
    ranked_ids = [m.engineer.id for m in matches]
    why_form = WhyNotForm(request.args)
    why_results = None
    if why_form.why.data and why_form.validate():
        why_results = matching.why_not(staffing_request, why_form.why.data, ranked_ids)
    return render_template(
        "matching/index.html",
        staffing_request=staffing_request,
        needs=matching.needs_of(staffing_request),
        matches=matches,
        rank_limit=matching.RANK_LIMIT,
        proposal_by_engineer={
            p.engineer_id: p for p in proposals.request_proposals(staffing_request)
        },
        why_form=why_form,
        why_results=why_results,
        shortlistable=staffing_request.status in proposals.SHORTLISTABLE,
        placed_ids={p.proposal_id for p in placements.request_placements(staffing_request)},
        portal_users=notifications.client_user_count(staffing_request.client_id),
    )


@bp.post("/requests/<int:request_id>/shortlist")
@staff_required
def shortlist(request_id: int):
    staffing_request = load_request(request_id)
    form = ShortlistForm()
    if not form.validate_on_submit():
        abort(400, "Which engineer? The form named none that can be shortlisted.")
    engineer = db.get_or_404(Engineer, form.engineer_id.data)
    match = matching.score_engineer(staffing_request, engineer)
    concerns = [] if match else matching.explain_exclusion(staffing_request, engineer)
    try:
        with transaction():
            proposals.shortlist(
                staffing_request, engineer, current_user, score=match.score if match else None
            )
    except DomainError as e:
        flash(str(e), "danger")
    else:
        flash(f"{engineer.full_name} is on the shortlist.", "success")
        if concerns:
            flash("Note — outside the usual filters: " + "; ".join(concerns) + ".", "warning")
    return redirect(url_for("matching.index", request_id=request_id))


@bp.post("/proposals/<int:proposal_id>/status")
@staff_required
def move(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    form = ProposalMoveForm()
    back = safe_next_path(form.next.data) or url_for(
        "matching.index", request_id=proposal.request_id
    )
    if not form.validate_on_submit():
        flash("Choose what happened to the proposal.", "danger")
        return redirect(back)
    name = proposal.engineer.full_name
    try:
        with transaction():
            proposals.move_proposal(
                proposal,
                form.status.data,
                current_user,
                reason=form.decline_reason.data or None,
                note=form.decline_note.data,
                version=form.version_id.data,
            )
    except DomainError as e:
        flash(str(e), "danger")
    else:
        flash(f"{name}: {proposals.MOVE_VERBS[form.status.data]}.", "success")
        client_id = proposal.request.client_id
        if form.status.data == "proposed" and not notifications.client_user_count(client_id):
            flash(
                f"Nobody at {proposal.request.client.name} can see this proposal: the client "
                "has no portal user with access. Invite one on the client page.",
                "warning",
            )
    return redirect(back)


@bp.app_context_processor
def proposal_vocabulary():
    """What the proposals partial needs, wherever it is included."""
    return {
        "proposal_moves": proposals.PROPOSAL_MOVES,
        "decline_reasons": proposals.DECLINE_REASONS,
    }
