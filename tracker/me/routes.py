"""The engineer's own area, /me/: their placements, their weeks of hours, their pay, their profile.

Every view is for engineers only and every query is scoped to current_user.engineer_id in SQL:
another engineer's placement or timesheet finds nothing and answers 404. The pages show the
engineer's side only: never the bill rate, the margin, the client's notes, reviews or people.
"""

from datetime import date
from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from tracker.auth.access import engineer_required, own_or_404
from tracker.infra.csv_export import csv_response
from tracker.infra.pagination import paginate
from tracker.interviews import views as interview_views
from tracker.interviews.views import ME
from tracker.me import bp
from tracker.me.forms import TimesheetFilterForm
from tracker.models import Engineer, Interview, PayStatement, Placement, Timesheet
from tracker.services import (
    DomainError,
    StaleEdit,
    me,
    pay_statements,
    skills,
    timesheets,
    transaction,
)
from tracker.services import interviews as interview_service
from tracker.services.billing import days_words
from tracker.services.timezones import utc_offset
from tracker.text import country_name, day
from tracker.timesheets.forms import NO_TIMESHEET_YET, WeekForm

WEEK = timesheets.WEEK


def _engineer() -> Engineer:
    """The signed-in engineer's roster record (every engineer account has one)."""
    engineer = current_user.engineer
    if engineer is None:  # the database requires it for the role; never reached
        abort(404)
    return engineer


def _placement(placement_id: int) -> Placement:
    found = me.my_placement(current_user.engineer_id, placement_id)
    return own_or_404(found, Placement, placement_id)


@bp.get("/")
@engineer_required
def index():
    engineer = _engineer()
    today = me.today_for(engineer)
    placements = me.my_placements(engineer.id, today)
    return render_template(
        "me/index.html",
        engineer=engineer,
        placements=placements,
        weeks=me.recent_weeks(placements, today),
        team={p.id: me.team_hours(p, engineer, today) for p in placements},
        ever_placed=bool(placements) or me.has_placements(engineer.id),
        this_week=timesheets.week_of(today),
        status_of=partial(me.status_of, today=today),
    )


@bp.get("/placements/<int:placement_id>")
@engineer_required
def placement(placement_id: int):
    found = _placement(placement_id)
    engineer = _engineer()
    today = me.today_for(engineer)
    return render_template(
        "me/placement.html",
        placement=found,
        team=me.team_hours(found, engineer, today),
        weeks=timesheets.placement_weeks(found, today),
        status_of=partial(me.status_of, today=today),
    )


def _open(placement: Placement, week_start: date, today: date) -> bool:
    """Whether the week is one of the placement's (it covers a day of it) and has begun."""
    return week_start <= today and bool(timesheets.loggable_days(placement, week_start))


def _week_start(text: str, placement: Placement, today: date) -> date:
    """The Monday the URL names, if it is an open week of the placement; else 404."""
    week_start = timesheets.parse_week(text)
    if week_start is None or not _open(placement, week_start, today):
        abort(404)
    return week_start


def _neighbour(placement: Placement, week_start: date, today: date) -> date | None:
    """The week before or after, when it is open too (the editor links to it)."""
    return week_start if _open(placement, week_start, today) else None


@bp.route("/placements/<int:placement_id>/weeks/<week>", methods=["GET", "POST"])
@engineer_required
def week(placement_id: int, week: str):
    found = _placement(placement_id)
    today = me.today_for(_engineer())
    week_start = _week_start(week, found, today)
    timesheet = timesheets.find(found.id, week_start)
    days = timesheets.loggable_days(found, week_start)

    def page(form: WeekForm, status: int = 200, problem: str | None = None):
        current = timesheets.find(found.id, week_start)  # as it is now, after a refusal
        editable = timesheets.is_editable(current)
        version = str(current.version_id) if current else NO_TIMESHEET_YET
        expected = timesheets.expected_hours(found, week_start)
        return render_template(
            "me/week.html",
            placement=found,
            week_start=week_start,
            timesheet=current,
            editable=editable,
            # Posted over a version since replaced: their rows are kept, not saved.
            stale=editable and form.version_id.data not in (None, "", version),
            # Read only: the week as it is stored, a row per day of the placement.
            saved={e.work_date: e for e in current.entries} if current else {},
            days=days,
            form=form if editable else WeekForm.of_week(days, current),
            problem=problem,
            expected=expected,
            status=me.status_of(found, timesheets.Week(week_start, current, expected), today),
            previous_week=_neighbour(found, week_start - WEEK, today),
            next_week=_neighbour(found, week_start + WEEK, today),
            today=today,
        ), status

    if request.method == "GET":
        return page(WeekForm.of_week(days, timesheet))
    form = WeekForm()
    if not form.validate_on_submit():
        return page(form, 400)
    try:
        with transaction():
            sheet = timesheets.save_week(
                found, week_start, form.entries(), current_user,
                today=today, version=form.version_id.data,
            )  # fmt: skip
            if form.submitting:
                timesheets.submit(sheet, current_user, today=today)
    except DomainError as e:
        # A week that changed or is no longer open is a conflict; anything else, bad hours.
        conflict = isinstance(e, StaleEdit) or not timesheets.is_editable(timesheet)
        return page(form, 409 if conflict else 400, str(e))
    when = f"the week of {day(week_start)}"
    if form.submitting:
        flash(f"Your hours for {when} are submitted; {found.client.name} will answer.", "success")
    else:
        flash(f"Your hours for {when} are saved as a draft. Submit them when the week is done.",
              "success")  # fmt: skip
    return redirect(url_for("me.week", placement_id=found.id, week=week_start.isoformat()))


@bp.get("/timesheets/", endpoint="timesheets")
@engineer_required
def timesheet_list():
    form = TimesheetFilterForm(request.args)
    status = form.status_filter()
    return render_template(
        "me/timesheets.html",
        page=paginate(me.my_timesheets(current_user.engineer_id, status)),
        form=form,
        status=status,
    )


@bp.get("/timesheets/<int:timesheet_id>")
@engineer_required
def timesheet(timesheet_id: int):
    """A timesheet's address (what notifications link to): its week's page."""
    found = own_or_404(
        me.my_timesheet(current_user.engineer_id, timesheet_id), Timesheet, timesheet_id
    )
    return redirect(
        url_for("me.week", placement_id=found.placement_id, week=found.week_start.isoformat())
    )


# --- their pay: issued and paid statements only, never a draft -----------------------------------


@bp.get("/pay/", endpoint="pay_statements")
@engineer_required
def pay_statement_list():
    mine = pay_statements.engineer_list(current_user.engineer_id)
    return render_template(
        "me/pay_statements.html",
        page=paginate(mine.options(selectinload(PayStatement.lines))),
    )


@bp.get("/pay/<int:statement_id>")
@engineer_required
def pay_statement(statement_id: int):
    found = own_or_404(
        pay_statements.engineer_statement(current_user.engineer_id, statement_id),
        PayStatement,
        statement_id,
    )
    return render_template(
        "me/pay_statement.html",
        statement=found,
        hours=sum(line.hours for line in found.lines),
        days_words=days_words,
    )


@bp.get("/pay.csv", endpoint="pay_statements_csv")
@engineer_required
def pay_statements_csv():
    rows = pay_statements.engineer_export_rows(current_user.engineer_id)
    header = next(rows)
    return csv_response(f"my-pay-{date.today():%Y-%m-%d}.csv", header, rows)


@bp.get("/profile")
@engineer_required
def profile():
    engineer = me.my_profile(current_user.engineer_id)
    if engineer is None:
        abort(404)
    return render_template(
        "me/profile.html",
        engineer=engineer,
        skills=skills.ranked_skills(engineer),
        country=country_name(engineer.country),
        utc_offset=utc_offset(engineer.timezone),
    )


# --- interviews ----------------------------------------------------------------------------


def _my_interview(interview_id: int) -> Interview:
    found = interview_service.for_engineer(current_user.engineer_id, interview_id)
    return own_or_404(found, Interview, interview_id)


@bp.get("/interviews/")
@engineer_required
def interviews():
    engineer = _engineer()
    return render_template(
        "me/interviews.html",
        page=paginate(interview_service.listing(engineer_id=engineer.id)),
        when=interview_views.when,
        zone=engineer.timezone,
    )


@bp.get("/interviews/<int:interview_id>")
@engineer_required
def interview_detail(interview_id: int):
    return interview_views.detail_page(ME, _my_interview(interview_id))


@bp.post("/interviews/<int:interview_id>/confirm")
@engineer_required
def interview_confirm(interview_id: int):
    return interview_views.confirm(ME, _my_interview(interview_id))


@bp.post("/interviews/<int:interview_id>/propose")
@engineer_required
def interview_propose(interview_id: int):
    return interview_views.propose(ME, _my_interview(interview_id))


@bp.post("/interviews/<int:interview_id>/cancel")
@engineer_required
def interview_cancel(interview_id: int):
    return interview_views.cancel(ME, _my_interview(interview_id))


@bp.get("/interviews/<int:interview_id>/invite.ics")
@engineer_required
def interview_invite(interview_id: int):
    return interview_views.invite(ME, _my_interview(interview_id))
