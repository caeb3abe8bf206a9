"""Staff pages of interviews: the list, asking for one on a proposal, and each interview."""

from flask import render_template, request, url_for

from tracker.auth.access import staff_required
from tracker.infra.pagination import paginate
from tracker.interviews import bp, views
from tracker.interviews.views import STAFF
from tracker.models import Interview, Proposal, db
from tracker.models.enums import InterviewStatus
from tracker.services import interviews


def _interview(interview_id: int) -> Interview:
    found = interviews.get(interview_id)
    if found is None:
        db.get_or_404(Interview, interview_id)  # the 404 of an id no row has
    assert found is not None
    return found


@bp.get("/")
@staff_required
def index():
    status = request.args.get("status") or None
    if status not in InterviewStatus.values():
        status = None
    page = paginate(interviews.listing(status=status))
    return render_template(
        "interviews/index.html",
        page=page,
        status=status,
        statuses=InterviewStatus.choices(),
        when=views.when,
        team_zone=lambda i: interviews.team_window(i.proposal).zone,
    )


@bp.route("/new/<int:proposal_id>", methods=["GET", "POST"])
@staff_required
def ask(proposal_id: int):
    proposal = db.get_or_404(Proposal, proposal_id)
    back = url_for("matching.index", request_id=proposal.request_id)
    return views.ask_page(STAFF, proposal, back=back)


@bp.get("/<int:interview_id>")
@staff_required
def detail(interview_id: int):
    return views.detail_page(STAFF, _interview(interview_id))


@bp.post("/<int:interview_id>/confirm")
@staff_required
def confirm(interview_id: int):
    return views.confirm(STAFF, _interview(interview_id))


@bp.post("/<int:interview_id>/propose")
@staff_required
def propose(interview_id: int):
    return views.propose(STAFF, _interview(interview_id))


@bp.post("/<int:interview_id>/reschedule")
@staff_required
def reschedule(interview_id: int):
    return views.reschedule(STAFF, _interview(interview_id))


@bp.post("/<int:interview_id>/cancel")
@staff_required
def cancel(interview_id: int):
    return views.cancel(STAFF, _interview(interview_id))


@bp.post("/<int:interview_id>/outcome")
@staff_required
def outcome(interview_id: int):
    return views.outcome(STAFF, _interview(interview_id))


@bp.post("/<int:interview_id>/no-show")
@staff_required
def no_show(interview_id: int):
    return views.no_show(STAFF, _interview(interview_id))


@bp.get("/<int:interview_id>/invite.ics")
@staff_required
def invite(interview_id: int):
    return views.invite(STAFF, _interview(interview_id))
