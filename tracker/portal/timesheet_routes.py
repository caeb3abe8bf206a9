"""The client's timesheets: the weeks waiting for their approval, one timesheet, the answers.

Every query is scoped to the signed-in user's company in SQL (services.timesheets'
waiting_for_client, client_timesheet, answered_for_client): another company's timesheet
answers 404, for a page and a POST alike. Answers carry the version the user saw: of two
people approving at once, one wins and the other is told, and nothing changes twice.
"""

from datetime import date, timedelta
from itertools import groupby

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from tracker.auth.access import client_required, own_or_404
from tracker.infra.links import safe_next_path
from tracker.models import Timesheet
from tracker.portal import bp
from tracker.services import DomainError, transaction
from tracker.services import timesheets as hours
from tracker.text import day
from tracker.timesheets.forms import ApproveForm, ApproveWeekForm, RejectForm

# The answered weeks the page lists below the waiting ones.
RECENTLY = timedelta(weeks=5)


def _my_timesheet(timesheet_id: int) -> Timesheet:
    return own_or_404(
        hours.client_timesheet(current_user.client_id, timesheet_id), Timesheet, timesheet_id
    )


@bp.get("/timesheets/")
@client_required
def timesheets():
    client_id, today = current_user.client_id, date.today()
    waiting = hours.waiting_for_client(client_id)  # oldest week first
    weeks = [(week, list(sheets)) for week, sheets in groupby(waiting, lambda t: t.week_start)]
    return render_template(
        "portal/timesheets.html",
        weeks=weeks,
        days={t.id: hours.days_of(t) for t in waiting},
        listing=ApproveWeekForm.listing,
        answered=hours.answered_for_client(client_id, today - RECENTLY),
        recently=RECENTLY,
    )


def _timesheet_page(timesheet: Timesheet, status: int = 200, reject_form=None):
    return render_template(
        "portal/timesheet.html",
        timesheet=timesheet,
        days=hours.days_of(timesheet),
        expected=hours.expected_hours(timesheet.placement, timesheet.week_start),
        decisions=hours.decisions(timesheet),
        reject_form=reject_form or RejectForm(formdata=None),
    ), status


@bp.get("/timesheets/<int:timesheet_id>")
@client_required
def timesheet(timesheet_id: int):
    return _timesheet_page(_my_timesheet(timesheet_id))


def _back(form, timesheet: Timesheet) -> str:
    """Where the answer came from (the list or the timesheet), else the timesheet's page."""
    return safe_next_path(form.next.data) or url_for("portal.timesheet", timesheet_id=timesheet.id)


def _week_words(timesheet: Timesheet) -> str:
    name = timesheet.placement.engineer.client_safe_name
    total = hours.hours_text(timesheet.total_hours)
    return f"{name}'s {total} hours for the week of {day(timesheet.week_start)}"


@bp.post("/timesheets/<int:timesheet_id>/approve")
@client_required
def timesheet_approve(timesheet_id: int):
    timesheet = _my_timesheet(timesheet_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        abort(400)
    back, words = _back(form, timesheet), _week_words(timesheet)
    if reason := hours.not_waiting(timesheet):
        flash(reason, "warning")
        return redirect(back)
    try:
        with transaction():
            hours.approve(timesheet, current_user, today=date.today(), version=form.version_id.data)
    except DomainError as e:
        flash(str(e), "warning")
        return redirect(back)
    flash(f"You approved {words}.", "success")
    return redirect(back)


@bp.post("/timesheets/<int:timesheet_id>/reject")
@client_required
def timesheet_reject(timesheet_id: int):
    timesheet = _my_timesheet(timesheet_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _timesheet_page(timesheet, 400, reject_form=form)
    back, words = _back(form, timesheet), _week_words(timesheet)
    if reason := hours.not_waiting(timesheet):
        flash(reason, "warning")
        return redirect(back)
    try:
        with transaction():
            hours.reject(
                timesheet,
                current_user,
                form.reason.data or "",
                today=date.today(),
                version=form.version_id.data,
            )
    except DomainError as e:
        flash(str(e), "warning")
        return _timesheet_page(_my_timesheet(timesheet_id), 409, reject_form=form)
    flash(f"You sent back {words}; they will correct them and submit again.", "success")
    return redirect(back)


@bp.post("/timesheets/weeks/<week>/approve")
@client_required
def timesheet_week_approve(week: str):
    week_start = hours.parse_week(week)
    if week_start is None:
        abort(404)
    form = ApproveWeekForm()
    shown = form.shown_versions() if form.validate_on_submit() else None
    if shown is None:
        abort(400)
    try:
        with transaction():
            approved = hours.approve_week_as_shown(
                current_user.client_id, week_start, shown, current_user, today=date.today()
            )
    except DomainError as e:
        flash(str(e), "warning")
        return redirect(url_for("portal.timesheets"))
    flash(
        f"You approved {approved} timesheet{'s' if approved != 1 else ''} of the week of "
        f"{day(week_start)}.",
        "success",
    )
    return redirect(url_for("portal.timesheets"))
