"""Placement pages: the list, one placement, and creating one from an accepted proposal."""

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from tracker.auth.access import staff_required
from tracker.extensions import db
from tracker.models import Client, Engineer, Placement, Proposal, StaffingRequest
from tracker.models.enums import PlacementStatus
from tracker.pagination import paginate
from tracker.placements import bp
from tracker.placements.forms import PlacementForm
from tracker.services import DomainError, transaction
from tracker.services.audit import timeline
from tracker.services.listing import apply_sort, icontains, parse_sort
from tracker.services.matching import billable_rate, engagement_end
from tracker.services.placements import create_placement

SORTS = {
    "start": Placement.start_date,
    "end": Placement.end_date,
    "status": Placement.status,
    "bill": Placement.bill_rate,
}


@bp.get("/placements/")
@staff_required
def index():
    stmt = sa.select(Placement).options(
        selectinload(Placement.engineer),
        selectinload(Placement.client),
        selectinload(Placement.request),
    )
    status = request.args.get("status", "")
    if status in PlacementStatus.values():
        stmt = stmt.where(Placement.status == status)
    if q := request.args.get("q", "").strip():
        stmt = stmt.where(
            sa.or_(
                Placement.engineer.has(icontains(Engineer.full_name, q)),
                Placement.client.has(icontains(Client.name, q)),
            )
        )
    sort = parse_sort(request.args.get("sort"), SORTS, "-start")
    page = paginate(apply_sort(stmt, sort, SORTS, Placement.id))
    return render_template(
        "placements/index.html", page=page, sort=sort, status=status, q=q,
        statuses=PlacementStatus.choices(),
    )  # fmt: skip


@bp.get("/placements/<int:placement_id>")
@staff_required
def detail(placement_id: int):
    placement = db.session.scalar(
        sa.select(Placement)
        .where(Placement.id == placement_id)
        .options(
            selectinload(Placement.engineer),
            selectinload(Placement.client),
            selectinload(Placement.request),
            selectinload(Placement.replaces),
        )
    )
    if placement is None:
        abort(404)
    return render_template(
        "placements/detail.html", placement=placement, events=timeline(placement)
    )


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
    billed = billable_rate(engineer.hourly_rate)
    form.bill_rate.data = min(billed, req.max_bill_rate) if req.max_bill_rate else billed


@bp.route("/proposals/<int:proposal_id>/placement", methods=["GET", "POST"])
@staff_required
def create(proposal_id: int):
    proposal = _accepted_proposal(proposal_id)
    form = PlacementForm()
    if request.method == "GET":
        _defaults(form, proposal)
    if proposal.status != "accepted":
        flash("Only an accepted proposal can become a placement.", "danger")
        return redirect(url_for("matching.index", request_id=proposal.request_id))
    if not form.validate_on_submit():
        status = 400 if form.errors else 200
        return render_template("placements/form.html", form=form, proposal=proposal), status
    try:
        with transaction():
            placement = create_placement(proposal, form.to_input(), current_user)
    except DomainError as e:
        flash(str(e), "danger")
        proposal = _accepted_proposal(proposal_id)
        return render_template("placements/form.html", form=form, proposal=proposal), 409
    flash(
        f"{proposal.engineer.full_name} is placed with {proposal.request.client.name} "
        f"from {placement.start_date:%d %b %Y}.",
        "success",
    )
    return redirect(url_for("placements.detail", placement_id=placement.id))
