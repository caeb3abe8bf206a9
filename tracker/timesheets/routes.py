"""Timesheets for agency staff: the list of every week, one week, and acting on someone's behalf.

An account manager may enter and submit a week for the engineer, and approve it for the client
with a note saying who confirmed the hours; the service records both as made on their behalf.
"""

from datetime import date

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload

from tracker.auth.access import staff_required
from tracker.extensions import db
from tracker.infra.audit import timeline
from tracker.infra.csv_export import csv_response
from tracker.infra.links import safe_next_path
from tracker.infra.listing import parse_sort
from tracker.infra.pagination import paginate
from tracker.models import Placement, Timesheet
from tracker.services import DomainError, StaleEdit, timesheets, transaction
from tracker.text import day
from tracker.timesheets import bp
from tracker.timesheets.forms import (
    ApproveOnBehalfForm,
    RejectForm,
    TimesheetFilterForm,
    WeekForm,
)

DEFAULT_SORT = "-week"


# --- the list ----------------------------------------------------------------------------------


def _listing():
    """The filter form, the filters of its valid fields and the sort order."""
    form = TimesheetFilterForm(request.args)
    form.client.choices = [("", "Any client"), *timesheets.clients_with_timesheets()]
    form.validate()
    sort = parse_sort(request.args.get("sort"), timesheets.SORTS, DEFAULT_SORT)
    return form, form.to_filters(), sort


@bp.get("/")
@staff_required
def index():
    form, filters, sort = _listing()
    page = paginate(timesheets.timesheet_list(filters, sort))
    return render_template(
        "timesheets/index.html",
        page=page,
        form=form,
        filtered=filters != timesheets.TimesheetFilters(),
        monday=timesheets.week_of(filters.week_start) if filters.week_start else None,
        sort=sort,
        expected={t.id: timesheets.expected_hours(t.placement, t.week_start) for t in page.items},
    )


@bp.get("/export.csv")
@staff_required
def export():
    _form, filters, sort = _listing()
    rows = timesheets.export_rows(filters, sort)
    header = next(rows)
    return csv_response(f"timesheets-{date.today():%Y-%m-%d}.csv", header, rows)


# --- one timesheet, and answering it for the client ----------------------------------------------


def _load(timesheet_id: int) -> Timesheet:
    timesheet = timesheets.load(timesheet_id)
    if timesheet is None:
        abort(404)
    return timesheet


def _detail_page(timesheet: Timesheet, status: int = 200, **forms):
    return render_template(
        "timesheets/detail.html",
        timesheet=timesheet,
        days=timesheets.days_of(timesheet),
        expected=timesheets.expected_hours(timesheet.placement, timesheet.week_start),
        events=timeline(timesheet),
        approve_form=forms.get("approve_form"),
        reject_form=forms.get("reject_form"),
    ), status


@bp.get("/<int:timesheet_id>")
@staff_required
def detail(timesheet_id: int):
    return _detail_page(_load(timesheet_id))


def _back(form, timesheet: Timesheet) -> str:
    return safe_next_path(form.next.data) or url_for("timesheets.detail", timesheet_id=timesheet.id)


def _words(timesheet: Timesheet) -> str:
    return (
        f"{timesheet.placement.engineer.full_name}'s "
        f"{timesheets.hours_text(timesheet.total_hours)} hours for the week of "
        f"{day(timesheet.week_start)}"
    )


@bp.post("/<int:timesheet_id>/approve")
@staff_required
def approve(timesheet_id: int):
    """Approve on the client's behalf: the note says who at the client confirmed the hours."""
    timesheet = _load(timesheet_id)
    form = ApproveOnBehalfForm()
    if not form.validate_on_submit():
        return _detail_page(timesheet, 400, approve_form=form)
    back, words, client = _back(form, timesheet), _words(timesheet), timesheet.placement.client
    if reason := timesheets.not_waiting(timesheet):
        flash(reason, "warning")
        return redirect(back)
    try:
        with transaction():
            timesheets.approve(
                timesheet,
                current_user,
                today=date.today(),
                note=form.note.data,
                version=form.version_id.data,
            )
    except DomainError as e:
        flash(str(e), "danger")
        return _detail_page(_load(timesheet_id), 409, approve_form=form)
    flash(f"Approved {words} on {client.name}'s behalf.", "success")
    return redirect(back)


@bp.post("/<int:timesheet_id>/reject")
@staff_required
def reject(timesheet_id: int):
    timesheet = _load(timesheet_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _detail_page(timesheet, 400, reject_form=form)
    back, words = _back(form, timesheet), _words(timesheet)
    if reason := timesheets.not_waiting(timesheet):
        flash(reason, "warning")
        return redirect(back)
    try:
        with transaction():
            timesheets.reject(
                timesheet,
                current_user,
                form.reason.data or "",
                today=date.today(),
                version=form.version_id.data,
            )
    except DomainError as e:
        flash(str(e), "danger")
        return _detail_page(_load(timesheet_id), 409, reject_form=form)
    flash(f"Sent back {words}: the engineer and the account managers are told why.", "success")
    return redirect(back)


# --- entering a week on the engineer's behalf ----------------------------------------------------


def _placement(placement_id: int) -> Placement:
    placement = db.session.scalar(
        sa.select(Placement)
        .where(Placement.id == placement_id)
        .options(
            joinedload(Placement.engineer),
            joinedload(Placement.client),
            joinedload(Placement.request),
        )
    )
    if placement is None:
        abort(404)
    return placement


def _week_start(placement: Placement, week: str, today: date) -> date:
    """The Monday the URL names, if the placement has days in that week and it has begun."""
    week_start = timesheets.parse_week(week)
    if (
        week_start is None
        or week_start > today
        or not timesheets.loggable_days(placement, week_start)
    ):
        abort(404)
    return week_start


def _week_page(placement, week_start, form, timesheet, status: int = 200, stale: bool = False):
    return render_template(
        "timesheets/week.html",
        placement=placement,
        week_start=week_start,
        form=form,
        timesheet=timesheet,
        expected=timesheets.expected_hours(placement, week_start),
        outside=[
            d
            for d in timesheets.week_days(week_start)
            if d not in timesheets.loggable_days(placement, week_start)
        ],
        stale=stale,
    ), status


@bp.route("/placements/<int:placement_id>/weeks/<week>", methods=["GET", "POST"])
@staff_required
def week(placement_id: int, week: str):
    """An account manager enters (and may submit) a week for the engineer."""
    today = date.today()
    placement = _placement(placement_id)
    week_start = _week_start(placement, week, today)
    timesheet = timesheets.find(placement.id, week_start)
    if request.method == "GET":
        if timesheet is not None and not timesheets.is_editable(timesheet):  # submitted, locked
            return redirect(url_for("timesheets.detail", timesheet_id=timesheet.id))
        days = timesheets.loggable_days(placement, week_start)
        return _week_page(placement, week_start, WeekForm.of_week(days, timesheet), timesheet)
    form = WeekForm()
    if not form.validate_on_submit():
        return _week_page(placement, week_start, form, timesheet, 400)
    try:
        with transaction():
            saved = timesheets.save_week(
                placement,
                week_start,
                form.entries(),
                current_user,
                today=today,
                version=form.version_id.data,
            )
            if form.submitting:
                timesheets.submit(saved, current_user, today=today)
    except DomainError as e:
        flash(str(e), "danger")
        timesheet = timesheets.find(placement_id, week_start)
        return _week_page(
            _placement(placement_id),
            week_start,
            form,
            timesheet,
            409,
            stale=isinstance(e, StaleEdit),
        )
    name, total = placement.engineer.full_name, timesheets.hours_text(saved.total_hours)
    if form.submitting:
        flash(
            f"{name}'s {total} hours for the week of {day(week_start)} are submitted on their "
            f"behalf; {placement.client.name} is asked to approve them.",
            "success",
        )
    else:
        flash(
            f"{name}'s week of {day(week_start)} is saved as a draft on their behalf ({total} "
            "hours). Submit it once it is complete.",
            "success",
        )
    return redirect(url_for("timesheets.detail", timesheet_id=saved.id))
