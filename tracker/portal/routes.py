"""The client portal: a client company's own requests, proposals, placements and reviews.

Every view is for client users only and every query is scoped to current_user.client_id:
an id from another company finds nothing and answers 404.
"""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.auth.access import client_required, own_or_404
from tracker.infra.audit import client_timeline
from tracker.infra.pagination import paginate
from tracker.interviews import views as interview_views
from tracker.interviews.views import PORTAL
from tracker.models import Interview, Placement, Proposal, StaffingRequest
from tracker.placements.forms import ReviewForm
from tracker.portal import bp
from tracker.portal.forms import AcceptForm, DeclineForm, PortalRequestForm
from tracker.services import (
    DomainError,
    events,
    invoices,
    portal,
    reviews,
    staffing_requests,
    transaction,
)
from tracker.services import interviews as interview_service
from tracker.services.health import health_of
from tracker.services.skills import all_skills
from tracker.services.staffing_requests import InvalidRequest
from tracker.text import sentence


def _mine(found, model, object_id: int):
    """The object if it is the signed-in client's, else 404 (never 403: no hint it exists);
    asking for another company's is recorded as a security event (access.own_or_404)."""
    return own_or_404(found, model, object_id)


@bp.get("/")
@client_required
def index():
    client_id, today = current_user.client_id, date.today()
    live = portal.client_placements(client_id, live_only=True, limit=20)
    return render_template(
        "portal/index.html",
        client=current_user.client,
        figures=portal.client_figures(client_id),
        requests=portal.client_requests(client_id, open_only=True, limit=10),
        waiting=portal.client_proposals(client_id, waiting_only=True),
        placements=live,
        health={p.id: health_of(p, today) for p in live},
        due=portal.reviews_due(client_id, today),
        unpaid=invoices.unpaid_for_client(client_id, today),
        today=today,
    )


# --- requests ------------------------------------------------------------------------------


@bp.get("/requests/")
@client_required
def requests():
    return render_template(
        "portal/requests.html", requests=portal.client_requests(current_user.client_id)
    )


@bp.get("/requests/<int:request_id>")
@client_required
def request_detail(request_id: int):
    staffing_request = _mine(
        portal.client_request(current_user.client_id, request_id), StaffingRequest, request_id
    )
    return render_template(
        "portal/request.html",
        staffing_request=staffing_request,
        hours=staffing_requests.effective_hours(staffing_request),
        must_haves=staffing_requests.must_haves(staffing_request),
        nice_to_haves=staffing_requests.nice_to_haves(staffing_request),
        proposals=portal.client_proposals(current_user.client_id, request_id=request_id),
        events=client_timeline(staffing_request),
    )


def _request_form_page(form: PortalRequestForm, status: int = 200):
    return render_template(
        "requests/form.html",
        form=form,
        staffing_request=None,
        client_locked=False,
        subtitle="It reaches your account manager as a draft; they open it for matching.",
        cancel_url=url_for("portal.requests"),
    ), status


@bp.route("/requests/new", methods=["GET", "POST"])
@client_required
def request_new():
    form = PortalRequestForm()
    form.prepare([], [(s.id, s.name) for s in all_skills()], extra_rows=(
        2 if request.method == "GET" else 0) + (1 if form.add_skill.data else 0))  # fmt: skip
    if form.add_skill.data:  # one more row; nothing is saved
        return _request_form_page(form)
    if not form.validate_on_submit():
        return _request_form_page(form, 400 if form.errors else 200)
    try:
        with transaction():
            staffing_request = staffing_requests.create_request(
                form.to_input(current_user.client_id), current_user
            )
            events.draft_request_received(staffing_request, current_user)
    except InvalidRequest as e:
        flash(str(e), "danger")
        return _request_form_page(form, 400)
    except DomainError as e:
        flash(str(e), "danger")
        return _request_form_page(form, 409)
    flash(
        f"Thank you — “{staffing_request.title}” is with your account manager, who will open "
        "it for matching.",
        "success",
    )
    return redirect(url_for("portal.request_detail", request_id=staffing_request.id))


# --- proposals -----------------------------------------------------------------------------


@bp.get("/proposals/")
@client_required
def proposals():
    return render_template(
        "portal/proposals.html", proposals=portal.client_proposals(current_user.client_id)
    )


def _proposal_page(proposal, status: int = 200, decline_form=None):
    meetings = interview_service.of_proposal(proposal.id)
    return render_template(
        "portal/proposal.html",
        proposal=proposal,
        engineer=proposal.engineer,
        overlap=portal.proposal_overlap(proposal),
        accept_form=AcceptForm(formdata=None),
        decline_form=decline_form or DeclineForm(formdata=None),
        waiting=proposal.status in portal.WAITING,
        interviews=meetings,
        can_ask=proposal.status in interview_service.INTERVIEWABLE
        and not any(i.status in interview_service.OPEN for i in meetings),
        when=interview_views.when,
        team_zone=interview_service.team_window(proposal).zone,
    ), status


@bp.get("/proposals/<int:proposal_id>")
@client_required
def proposal_detail(proposal_id: int):
    return _proposal_page(
        _mine(portal.client_proposal(current_user.client_id, proposal_id), Proposal, proposal_id)
    )


@bp.post("/proposals/<int:proposal_id>/accept")
@client_required
def proposal_accept(proposal_id: int):
    proposal = _mine(
        portal.client_proposal(current_user.client_id, proposal_id), Proposal, proposal_id
    )
    if not AcceptForm().validate_on_submit():
        abort(400)
    return _decide(proposal, accept=True)


@bp.post("/proposals/<int:proposal_id>/decline")
@client_required
def proposal_decline(proposal_id: int):
    proposal = _mine(
        portal.client_proposal(current_user.client_id, proposal_id), Proposal, proposal_id
    )
    form = DeclineForm()
    if not form.validate_on_submit():
        return _proposal_page(proposal, 400, decline_form=form)
    return _decide(proposal, accept=False, reason=form.reason.data, note=form.note.data)


def _decide(proposal, *, accept: bool, reason=None, note=None):
    name = proposal.engineer.client_safe_name
    try:
        with transaction():
            portal.decide(proposal, accept, current_user, reason=reason, note=note)
    except DomainError as e:
        flash(str(e), "danger")
        proposal = portal.client_proposal(current_user.client_id, proposal.id)
        return _proposal_page(proposal, 409)
    if accept:
        flash(
            f"You accepted {sentence(name)} Your account manager will arrange the start.", "success"
        )
    else:
        flash(f"You declined {sentence(name)} Thank you for telling us why.", "success")
    return redirect(url_for("portal.proposal_detail", proposal_id=proposal.id))


# --- placements and reviews ----------------------------------------------------------------


@bp.get("/placements/")
@client_required
def placements():
    mine = portal.client_placements(current_user.client_id)
    today = date.today()
    return render_template(
        "portal/placements.html",
        placements=mine,
        health={p.id: health_of(p, today) for p in mine},
    )


@bp.get("/placements/<int:placement_id>")
@client_required
def placement_detail(placement_id: int):
    placement = _mine(
        portal.client_placement(current_user.client_id, placement_id), Placement, placement_id
    )
    today = date.today()
    return render_template(
        "portal/placement.html",
        placement=placement,
        health=health_of(placement, today),
        schedule=reviews.schedule_of(placement, today),
        can_correct={
            r.id for r in placement.reviews if reviews.can_correct(r, current_user, today)
        },
    )


@bp.route("/placements/<int:placement_id>/iterations/<int:number>/review", methods=["GET", "POST"])
@client_required
def placement_review(placement_id: int, number: int):
    """The client's review of an ended iteration: the same form and rules as the agency's."""
    placement = _mine(
        portal.client_placement(current_user.client_id, placement_id), Placement, placement_id
    )
    it = reviews.placement_iteration(placement, number)
    if it is None:
        abort(404)
    existing = reviews.existing_review(placement, number)
    form = ReviewForm()
    if request.method == "GET" and existing is not None:
        form.fill_from(existing)

    def page(status):
        return render_template(
            "placements/review_form.html", placement=placement, iteration=it, form=form,
            existing=existing, engineer_name=placement.engineer.client_safe_name,
            cancel_url=url_for("portal.placement_detail", placement_id=placement_id),
        ), status  # fmt: skip

    if not form.validate_on_submit():
        return page(400 if form.errors else 200)
    try:
        with transaction():
            outcome = reviews.save_review(
                placement, number, form.to_input(), current_user, today=date.today()
            )
    except DomainError as e:
        flash(str(e), "danger")
        return page(409)
    if outcome == "unchanged":
        flash(f"Nothing changed in your review of iteration {number}.", "info")
    else:
        flash(f"Thank you — your review of iteration {number} is {outcome}.", "success")
    return redirect(url_for("portal.placement_detail", placement_id=placement_id))


# --- interviews ----------------------------------------------------------------------------


def _my_interview(interview_id: int) -> Interview:
    return _mine(
        interview_service.for_client(current_user.client_id, interview_id), Interview, interview_id
    )


@bp.get("/interviews/")
@client_required
def interviews():
    page = paginate(interview_service.listing(client_id=current_user.client_id))
    return render_template(
        "portal/interviews.html",
        page=page,
        when=interview_views.when,
        team_zone=lambda i: interview_service.team_window(i.proposal).zone,
    )


@bp.route("/proposals/<int:proposal_id>/interview", methods=["GET", "POST"])
@client_required
def interview_ask(proposal_id: int):
    proposal = _mine(
        portal.client_proposal(current_user.client_id, proposal_id), Proposal, proposal_id
    )
    back = url_for("portal.proposal_detail", proposal_id=proposal.id)
    return interview_views.ask_page(PORTAL, proposal, back=back)


@bp.get("/interviews/<int:interview_id>")
@client_required
def interview_detail(interview_id: int):
    return interview_views.detail_page(PORTAL, _my_interview(interview_id))


@bp.post("/interviews/<int:interview_id>/confirm")
@client_required
def interview_confirm(interview_id: int):
    return interview_views.confirm(PORTAL, _my_interview(interview_id))


@bp.post("/interviews/<int:interview_id>/propose")
@client_required
def interview_propose(interview_id: int):
    return interview_views.propose(PORTAL, _my_interview(interview_id))


@bp.post("/interviews/<int:interview_id>/cancel")
@client_required
def interview_cancel(interview_id: int):
    return interview_views.cancel(PORTAL, _my_interview(interview_id))


@bp.post("/interviews/<int:interview_id>/outcome")
@client_required
def interview_outcome(interview_id: int):
    return interview_views.outcome(PORTAL, _my_interview(interview_id))


@bp.post("/interviews/<int:interview_id>/no-show")
@client_required
def interview_no_show(interview_id: int):
    return interview_views.no_show(PORTAL, _my_interview(interview_id))


@bp.get("/interviews/<int:interview_id>/invite.ics")
@client_required
def interview_invite(interview_id: int):
    return interview_views.invite(PORTAL, _my_interview(interview_id))
