"""Staffing request pages for agency staff: list, export, profile, create, edit, status moves."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.auth.access import staff_required
from tracker.forms import parse_id, required
from tracker.infra.audit import timeline
from tracker.infra.csv_export import csv_response
from tracker.infra.listing import parse_sort
from tracker.infra.pagination import paginate
from tracker.models import StaffingRequest
from tracker.models.enums import RequestStatus
from tracker.requests import bp
from tracker.requests.forms import (
    NewRequestForm,
    RequestFilterForm,
    RequestForm,
    StatusForm,
    skill_rows_of,
)
from tracker.services import (
    DomainError,
    clients,
    notifications,
    placements,
    proposals,
    staffing_requests,
    transaction,
)
from tracker.services.skills import all_skills
from tracker.services.staffing_requests import InvalidRequest, RequestFilters
from tracker.templating import render_fragment, shared_fragment


def _get_or_404(request_id: int) -> StaffingRequest:
    staffing_request = staffing_requests.load_request(request_id)
    if staffing_request is None:
        abort(404)
    return staffing_request


def _listing():
    """The filter form, the filters it yields (none when invalid) and the sort order."""
    form = RequestFilterForm(request.args)
    selected = request.args.get("client_id", type=parse_id)
    form.client_id.choices = [("", "Any client"), *clients.filter_choices(selected)]
    filters = form.to_filters() if form.validate() else RequestFilters()
    sort = parse_sort(
        request.args.get("sort"), staffing_requests.SORTS, staffing_requests.DEFAULT_SORT
    )
    return form, filters, sort


@bp.get("/")
@staff_required
def index():
    # The page below the navigation is the same for all staff: it depends on the query
    # string and the data only.
    content = shared_fragment("requests.index", tuple(request.args.items(multi=True)), _content)
    return render_template("requests/index.html", content=content)


def _content() -> str:
    """The filter bar, the requests' table and its pager for this query string."""
    form, filters, sort = _listing()
    return render_fragment(
        "requests/_content.html",
        page=paginate(staffing_requests.request_list(filters, sort)),
        form=form,
        filters=filters,
        sort=sort,
        any_requests=staffing_requests.any_requests,  # asked only when the page is empty
    )


@bp.get("/export.csv")
@staff_required
def export():
    _form, filters, sort = _listing()
    return csv_response(
        f"staffing-requests-{date.today():%Y-%m-%d}.csv",
        staffing_requests.EXPORT_HEADER,
        staffing_requests.export_rows(filters, sort),
    )


def _prepare(form: RequestForm, staffing_request: StaffingRequest | None, blank_rows: int) -> None:
    current_client = staffing_request.client_id if staffing_request else None
    form.prepare(
        staffing_requests.client_choices(include_id=current_client),
        [(s.id, s.name) for s in all_skills()],
        extra_rows=blank_rows + (1 if form.add_skill.data else 0),
    )


def _render_form(form: RequestForm, staffing_request: StaffingRequest | None, status: int = 200):
    client_locked = False
    if staffing_request is not None and staffing_requests.has_candidates(staffing_request):
        client_locked = True  # show the client it stays with, whatever was submitted
        form.client_id.data = staffing_request.client_id
    return render_template(
        "requests/form.html",
        form=form,
        staffing_request=staffing_request,
        client_locked=client_locked,
    ), status


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def create():
    form = NewRequestForm()
    _prepare(form, None, blank_rows=2 if request.method == "GET" else 0)
    if request.method == "GET":
        wanted = request.args.get("client_id", type=parse_id)
        if wanted in form.offered_client_ids:
            form.client_id.data = wanted
    if form.add_skill.data:  # one more row; nothing is saved
        return _render_form(form, None)
    if not form.validate_on_submit():
        return _render_form(form, None, 400 if form.errors else 200)
    try:
        with transaction():
            staffing_request = staffing_requests.create_request(
                form.to_input(), current_user, open_now=form.open_now.data
            )
    except InvalidRequest as e:
        flash(str(e), "danger")
        return _render_form(form, None, 400)
    except DomainError as e:
        flash(str(e), "danger")
        return _render_form(form, None, 409)
    state = "open" if staffing_request.status == RequestStatus.OPEN else "a draft"
    flash(f"Request “{staffing_request.title}” created as {state}.", "success")
    return redirect(url_for("requests.detail", request_id=staffing_request.id))


@bp.get("/<int:request_id>")
@staff_required
def detail(request_id: int):
    staffing_request = _get_or_404(request_id)
    placed = placements.request_placements(staffing_request)
    candidates = proposals.request_proposals(staffing_request)
    # The request's history includes what happened to its proposals and placements.
    subjects = {("Proposal", p.id): p.engineer.full_name for p in candidates}
    subjects |= {("Placement", p.id): p.engineer.full_name for p in placed}
    events = timeline(
        staffing_request,
        related={"Proposal": [p.id for p in candidates], "Placement": [p.id for p in placed]},
    )
    return render_template(
        "requests/detail.html",
        staffing_request=staffing_request,
        hours=staffing_requests.effective_hours(staffing_request),
        must_haves=staffing_requests.must_haves(staffing_request),
        nice_to_haves=staffing_requests.nice_to_haves(staffing_request),
        moves=staffing_requests.allowed_moves(staffing_request),
        proposals=candidates,
        placements=placed,
        subjects=subjects,
        events=events,
        portal_users=notifications.client_user_count(staffing_request.client_id),
    )


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(request_id: int):
    staffing_request = _get_or_404(request_id)
    initial = {}
    if request.method == "GET":
        initial = {
            "use_client_hours": staffing_request.timezone is None,
            "skill_rows": skill_rows_of(staffing_request),
        }
    form = RequestForm(obj=staffing_request, **initial)
    _prepare(form, staffing_request, blank_rows=1 if request.method == "GET" else 0)
    if form.add_skill.data:
        return _render_form(form, staffing_request)
    if not form.validate_on_submit():
        return _render_form(form, staffing_request, 400 if form.errors else 200)
    try:
        with transaction():
            changes = staffing_requests.update_request(
                staffing_request, form.to_input(), current_user, form.version_id.data
            )
    except DomainError as e:
        flash(str(e), "danger")
        code = 400 if isinstance(e, InvalidRequest) else 409
        return _render_form(form, _get_or_404(request_id), code)
    flash("Request saved." if changes else "Nothing changed.", "success" if changes else "info")
    return redirect(url_for("requests.detail", request_id=request_id))


@bp.post("/<int:request_id>/status")
@staff_required
def move(request_id: int):
    staffing_request = _get_or_404(request_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash("Choose the status to move the request to.", "danger")
        return redirect(url_for("requests.detail", request_id=request_id))
    try:
        with transaction():
            staffing_requests.move_request(
                staffing_request, required(form.status.data), current_user, form.version_id.data
            )
    except DomainError as e:
        flash(str(e), "danger")
    else:
        label = RequestStatus(staffing_request.status).label.lower()
        flash(f"The request is now {label}.", "success")
    return redirect(url_for("requests.detail", request_id=request_id))
