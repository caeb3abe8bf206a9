"""Placement pages: the list, one placement, and creating one from an accepted proposal."""

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from tracker.auth.access import staff_required
from tracker.extensions import db
from tracker.forms import required
from tracker.infra.audit import timeline
from tracker.infra.listing import parse_sort
from tracker.infra.pagination import paginate
from tracker.models import IterationReview, Placement, PlacementRate, Proposal, StaffingRequest
from tracker.models.enums import EndReason, PlacementStatus
from tracker.placements import bp
from tracker.placements.forms import (
    EndDateForm,
    EndForm,
    PlacementForm,
    RateForm,
    ReplaceForm,
    ReviewForm,
)
from tracker.reports import charts, placement_reports
from tracker.services import (
    DomainError,
    ensure_version,
    placements,
    rates,
    reviews,
    timesheets,
    transaction,
)
from tracker.services.health import health_of
from tracker.services.matching import engagement_end
from tracker.services.proposals import offered_rate
from tracker.text import day

HOURS_WEEKS = 12  # the latest weeks the placement page shows


@bp.get("/placements/")
@staff_required
def index():
    status = request.args.get("status", "")
    q = request.args.get("q", "").strip()
    health = request.args.get("health") or None
    sort = parse_sort(
        request.args.get("sort"), placement_reports.SORTS, placement_reports.DEFAULT_SORT
    )
    today = date.today()
    page = paginate(placement_reports.placement_list(q, status, sort, health=health, today=today))
    return render_template(
        "placements/index.html", page=page, sort=sort, status=status, q=q,
        health_filter=health, statuses=PlacementStatus.choices(),
        health={p.id: health_of(p, today) for p in page.items},
    )  # fmt: skip


def load_placement(placement_id: int) -> Placement:
    """A placement with its engineer, client, request, reviews, rates and predecessor, or 404."""
    placement = db.session.scalar(
        sa.select(Placement)
        .where(Placement.id == placement_id)
        .options(
            # Each one row: joined into the placement's own query.
            joinedload(Placement.engineer),
            joinedload(Placement.client),
            joinedload(Placement.request),
            selectinload(Placement.replaces).selectinload(Placement.engineer),
            selectinload(Placement.reviews).selectinload(IterationReview.submitted_by),
            selectinload(Placement.rates).joinedload(PlacementRate.created_by),
        )
    )
    if placement is None:
        abort(404)
    return placement


def _first_tracked_week(placement: Placement) -> date | None:
    """The Monday from which a week without a timesheet is missing (None: none is)."""
    first = timesheets.tracked_from(placement)
    return None if first is None else timesheets.week_of(first)


def _detail_page(placement: Placement, status: int = 200, **forms):
    today = date.today()
    # Three forms on one page: prefixes keep their field names and ids apart.
    end_form = forms.get("end_form") or EndForm(formdata=None, prefix="end", last_day=today)
    end_date_form = forms.get("end_date_form") or EndDateForm(
        formdata=None, prefix="dates", end_date=placement.end_date
    )
    replace_form = forms.get("replace_form") or ReplaceForm(
        formdata=None, prefix="replace", last_day=today
    )
    rate_form = forms.get("rate_form") or RateForm(
        formdata=None,
        prefix="rates",
        effective_from=_within_dates(placement, today),
        bill_rate=placement.bill_rate,
        pay_rate=placement.pay_rate,
    )
    for form in (end_form, end_date_form, replace_form, rate_form):
        form.version_id.data = placement.version_id
    current_rate = rates.rate_on(placement, today)
    successor = db.session.scalar(
        sa.select(Placement)
        .where(Placement.replaces_placement_id == placement.id)
        .options(selectinload(Placement.engineer))
    )
    return render_template(
        "placements/detail.html",
        placement=placement,
        today=today,
        health=health_of(placement, today),
        schedule=reviews.schedule_of(placement, today),
        can_correct={
            r.id for r in placement.reviews if reviews.can_correct(r, current_user, today)
        },
        successor=successor,
        end_form=end_form,
        end_date_form=end_date_form,
        replace_form=replace_form,
        rate_form=rate_form,
        # A placement written without the services has no rate row: its own rates stand in.
        rate_history=placement.rates or [current_rate],
        current_rate=current_rate,
        invoiced_until=rates.invoiced_until(placement),
        review_chart=charts.review_scores(placement),
        weeks=timesheets.placement_weeks(placement, today, limit=HOURS_WEEKS),
        hours_health=timesheets.hours_reasons(placement, today),
        hours_from=_first_tracked_week(placement),
        events=timeline(placement, related={"IterationReview": [r.id for r in placement.reviews]}),
    ), status


def _within_dates(placement: Placement, today: date) -> date:
    """Today, or the placement's nearest day when today is outside its dates."""
    if today < placement.start_date:
        return placement.start_date
    if placement.end_date is not None and today > placement.end_date:
        return placement.end_date
    return today


@bp.get("/placements/<int:placement_id>")
@staff_required
def detail(placement_id: int):
    return _detail_page(load_placement(placement_id))


def _lifecycle(placement_id: int, action, success: str, form_name: str | None = None, form=None):
    """Run a lifecycle action in a transaction; refusals re-render the page with the message."""
    placement = load_placement(placement_id)
    try:
        with transaction():
            action(placement)
    except DomainError as e:
        flash(str(e), "danger")
        placement = load_placement(placement_id)
        return _detail_page(placement, 409, **({form_name: form} if form_name else {}))
    flash(success.format(name=placement.engineer.full_name), "success")
    return redirect(url_for("placements.detail", placement_id=placement_id))


@bp.post("/placements/<int:placement_id>/activate")
@staff_required
def activate(placement_id: int):
    return _lifecycle(
        placement_id,
        lambda p: placements.activate(p, current_user, today=date.today()),
        "{name}'s placement is active.",
    )


@bp.post("/placements/<int:placement_id>/end")
@staff_required
def end(placement_id: int):
    form = EndForm(prefix="end")
    if not form.validate_on_submit():
        return _detail_page(load_placement(placement_id), 400, end_form=form)

    def action(p):
        ensure_version(p, form.version_id.data, "This placement")
        placements.end_placement(
            p, form.reason.data, current_user, today=date.today(), end_date=form.last_day.data
        )

    return _lifecycle(placement_id, action, "{name}'s placement has ended.", "end_form", form)


@bp.post("/placements/<int:placement_id>/end-date")
@staff_required
def end_date(placement_id: int):
    form = EndDateForm(prefix="dates")
    if not form.validate_on_submit():
        return _detail_page(load_placement(placement_id), 400, end_date_form=form)
    return _lifecycle(
        placement_id,
        lambda p: placements.change_end_date(
            p, form.end_date.data, current_user, today=date.today(), version=form.version_id.data
        ),
        "End date changed.",
        "end_date_form",
        form,
    )


@bp.post("/placements/<int:placement_id>/rates")
@staff_required
def change_rates(placement_id: int):
    form = RateForm(prefix="rates")
    if not form.validate_on_submit():
        return _detail_page(load_placement(placement_id), 400, rate_form=form)
    return _lifecycle(
        placement_id,
        lambda p: rates.change_rate(
            p,
            effective_from=required(form.effective_from.data),
            bill_rate=required(form.bill_rate.data),
            pay_rate=required(form.pay_rate.data),
            note=form.note.data,
            actor=current_user,
            today=date.today(),
            version=form.version_id.data,
        ),
        "Rates changed.",
        "rate_form",
        form,
    )


@bp.post("/placements/<int:placement_id>/replace")
@staff_required
def replace(placement_id: int):
    """End the placement as replaced, then find the successor on the request's match page."""
    form = ReplaceForm(prefix="replace")
    if not form.validate_on_submit():
        return _detail_page(load_placement(placement_id), 400, replace_form=form)
    placement = load_placement(placement_id)
    try:
        with transaction():
            ensure_version(placement, form.version_id.data, "This placement")
            placements.end_placement(
                placement,
                EndReason.REPLACED,
                current_user,
                today=date.today(),
                end_date=form.last_day.data,
            )
    except DomainError as e:
        flash(str(e), "danger")
        return _detail_page(load_placement(placement_id), 409, replace_form=form)
    flash(
        f"{placement.engineer.full_name}'s placement ended as replaced. Shortlist and propose a "
        "successor below; the new placement will record whom it replaces.",
        "success",
    )
    return redirect(url_for("matching.index", request_id=placement.request_id))


@bp.route("/placements/<int:placement_id>/iterations/<int:number>/review", methods=["GET", "POST"])
@staff_required
def review(placement_id: int, number: int):
    """Write the review of an ended iteration, or correct one's own within seven days."""
    placement = load_placement(placement_id)
    it = reviews.placement_iteration(placement, number)
    if it is None:
        abort(404)
    existing = reviews.existing_review(placement, number)
    form = ReviewForm()
    if request.method == "GET" and existing is not None:
        form.fill_from(existing)
    if not form.validate_on_submit():
        return render_template(
            "placements/review_form.html", placement=placement, iteration=it, form=form,
            existing=existing,
        ), 400 if form.errors else 200  # fmt: skip
    try:
        with transaction():
            outcome = reviews.save_review(
                placement, number, form.to_input(), current_user, today=date.today()
            )
    except DomainError as e:
        flash(str(e), "danger")
        return render_template(
            "placements/review_form.html", placement=load_placement(placement_id), iteration=it,
            form=form, existing=existing,
        ), 409  # fmt: skip
    if outcome == "unchanged":
        flash(f"Nothing changed in the review of iteration {number}.", "info")
    else:
        flash(f"Review of iteration {number} {outcome}.", "success")
    return redirect(url_for("placements.detail", placement_id=placement_id) + "#iterations")


def _accepted_proposal(proposal_id: int) -> Proposal:
    proposal = db.session.scalar(
        sa.select(Proposal)
        .where(Proposal.id == proposal_id)
        .options(
            selectinload(Proposal.engineer),
            selectinload(Proposal.request).selectinload(StaffingRequest.client),
        )
    )
    if proposal is None:
        abort(404)
    return proposal


def _defaults(form: PlacementForm, proposal: Proposal) -> None:
    req, engineer = proposal.request, proposal.engineer
    form.start_date.data = max(req.start_date, date.today())
    form.end_date.data = engagement_end(req) if req.duration_weeks else None
    form.pay_rate.data = engineer.hourly_rate
    form.bill_rate.data = proposal.bill_rate or offered_rate(proposal)  # what the client saw


def _predecessor_choices(form: PlacementForm, proposal: Proposal) -> list[Placement]:
    waiting = placements.awaiting_successor(proposal.request)
    if not waiting:
        del form.replaces_id  # nobody to succeed: the question does not arise
        return waiting
    form.replaces_id.choices = {
        "": "— nobody —",
        **{str(p.id): f"{p.engineer.full_name} (ended {day(p.end_date)})" for p in waiting},
    }
    return waiting


def _chosen_predecessor(form: PlacementForm, proposal: Proposal) -> Placement | None:
    chosen = getattr(form, "replaces_id", None)
    if chosen is None or not chosen.data:
        return None
    return db.get_or_404(Placement, chosen.data)


@bp.route("/proposals/<int:proposal_id>/placement", methods=["GET", "POST"])
@staff_required
def create(proposal_id: int):
    proposal = _accepted_proposal(proposal_id)
    form = PlacementForm()
    waiting = _predecessor_choices(form, proposal)
    if request.method == "GET":
        _defaults(form, proposal)
        if waiting:  # the usual case after "Replace engineer": the seat just freed
            form.replaces_id.data = waiting[0].id
    if proposal.status != "accepted":
        flash("Only an accepted proposal can become a placement.", "danger")
        return redirect(url_for("matching.index", request_id=proposal.request_id))
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("placements/form.html", form=form, proposal=proposal), status
    try:
        with transaction():
            placement = placements.create_placement(
                proposal,
                form.to_input(),
                current_user,
                replaces=_chosen_predecessor(form, proposal),
            )
    except DomainError as e:
        flash(str(e), "danger")
        proposal = _accepted_proposal(proposal_id)
        _predecessor_choices(form, proposal)
        return render_template("placements/form.html", form=form, proposal=proposal), 409
    flash(
        f"{proposal.engineer.full_name} is placed with {proposal.request.client.name} "
        f"from {day(placement.start_date)}.",
        "success",
    )
    return redirect(url_for("placements.detail", placement_id=placement.id))
