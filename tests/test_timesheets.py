"""Timesheets as a service: the rules of hours, the moves, the database's own limits, the
daily job, and how hours feed a placement's health (issue 14)."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from tracker.models import AuditEvent, Notification, Timesheet, TimesheetEntry, db
from tracker.models.enums import TimesheetStatus
from tracker.services import DomainError, StaleEdit, placements, timesheets, transaction
from tracker.services.health import health_of, health_sql
from tracker.services.timesheets import EntryInput, week_of

TODAY = date.today()
LAST_WEEK = week_of(TODAY) - timedelta(days=7)


def weekdays(week_start: date, hours: str = "8", days: int = 5) -> list[EntryInput]:
    return [EntryInput(week_start + timedelta(days=k), Decimal(hours)) for k in range(days)]


@pytest.fixture
def setup(make):
    """A live placement (started 10 weeks ago), its engineer's account, a client user and the
    client's account manager."""
    manager = make.user(role="account_manager")
    client = make.client(account_manager=manager)
    request = make.request(client=client)
    placement = make.placement(
        request=request,
        start=TODAY - timedelta(weeks=10),
        timesheets_from=TODAY - timedelta(weeks=10),
        # No review is due: only the hours speak for its health here.
        review_cadence_days=14,
    )
    placement.first_gap_due_on = placement.second_gap_due_on = None
    db.session.commit()
    engineer_user = make.user(role="engineer", engineer=placement.engineer)
    client_user = make.user(role="client", client=client)
    return placement, engineer_user, client_user, manager


def save(placement, entries, actor, week=LAST_WEEK, **kw):
    with transaction():
        return timesheets.save_week(placement, week, entries, actor, today=TODAY, **kw)


def submitted(placement, engineer_user, week=LAST_WEEK, hours="8"):
    sheet = save(placement, weekdays(week, hours), engineer_user, week=week)
    with transaction():
        timesheets.submit(sheet, engineer_user, today=TODAY)
    return sheet


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- entering hours -------------------------------------------------------------------------


def test_an_engineer_saves_a_week_as_a_draft_with_its_total_and_history(setup):
    placement, engineer_user, _, _ = setup
    sheet = save(placement, weekdays(LAST_WEEK, "7.75"), engineer_user)
    assert sheet.status == TimesheetStatus.DRAFT
    assert sheet.total_hours == Decimal("38.75")
    assert [e.work_date for e in sheet.entries] == [LAST_WEEK + timedelta(days=k) for k in range(5)]
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.entity_type == "Timesheet"))
    assert event.action == "timesheet.saved"
    assert event.actor_id == engineer_user.id
    assert "on_behalf_of" not in event.changes


def test_saving_again_replaces_the_days(setup):
    placement, engineer_user, _, _ = setup
    save(placement, weekdays(LAST_WEEK), engineer_user)
    sheet = save(placement, weekdays(LAST_WEEK, "6", days=3), engineer_user)
    assert sheet.total_hours == Decimal(18)
    assert count(TimesheetEntry) == 3


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([EntryInput(LAST_WEEK, Decimal(25))], "more than 0 and at most 24"),
        ([EntryInput(LAST_WEEK, Decimal(-1))], "more than 0 and at most 24"),
        ([EntryInput(LAST_WEEK, Decimal(0))], "more than 0 and at most 24"),
        ([EntryInput(LAST_WEEK, Decimal("7.3"))], "quarter hours"),
        ([EntryInput(LAST_WEEK + timedelta(days=7), Decimal(8))], "is not in the week"),
        ([EntryInput(LAST_WEEK - timedelta(days=1), Decimal(8))], "is not in the week"),
        ([EntryInput(LAST_WEEK, Decimal(8)), EntryInput(LAST_WEEK, Decimal(2))], "twice"),
        (weekdays(LAST_WEEK, "9", days=7), "more than the 60 allowed"),
    ],
)
def test_bad_hours_are_refused_and_change_nothing(setup, entries, message):
    placement, engineer_user, _, _ = setup
    with pytest.raises(DomainError, match=message):
        save(placement, entries, engineer_user)
    assert count(Timesheet) == 0
    assert count(TimesheetEntry) == 0


def test_a_refused_edit_keeps_the_week_as_it_was(setup):
    placement, engineer_user, _, _ = setup
    save(placement, weekdays(LAST_WEEK), engineer_user)
    with pytest.raises(DomainError):
        save(placement, [EntryInput(LAST_WEEK, Decimal(30))], engineer_user)
    db.session.expire_all()
    sheet = timesheets.find(placement.id, LAST_WEEK)
    assert sheet.total_hours == Decimal(40)
    assert len(sheet.entries) == 5


def test_days_outside_the_placement_and_days_to_come_are_refused(make, setup):
    _, _, _, manager = setup
    # Starts on a Wednesday of last week.
    starting = make.placement(start=LAST_WEEK + timedelta(days=2))
    with pytest.raises(DomainError, match="outside the placement's dates"):
        save(starting, [EntryInput(LAST_WEEK, Decimal(8))], manager)
    this_week = week_of(TODAY)
    placement = setup[0]
    tomorrow = TODAY + timedelta(days=1)
    if tomorrow >= this_week + timedelta(days=7):  # today is a Sunday: the next week
        pytest.skip("no day to come in this week")
    with pytest.raises(DomainError, match="still to come"):
        save(placement, [EntryInput(tomorrow, Decimal(8))], setup[1], week=this_week)
    assert count(Timesheet) == 0


def test_a_week_starts_on_a_monday(setup):
    placement, engineer_user, _, _ = setup
    with pytest.raises(DomainError, match="starts on a Monday"):
        save(placement, [], engineer_user, week=LAST_WEEK + timedelta(days=1))


def test_hours_as_typed(setup):
    assert timesheets.parse_hours("7,5") == Decimal("7.5")
    assert timesheets.parse_hours("7:45") == Decimal("7.75")
    assert timesheets.parse_hours(" ") is None
    for bad in ("abc", "7:5", "7:75", "NaN", "Infinity", "7:5x"):
        with pytest.raises(DomainError):
            timesheets.parse_hours(bad)


def test_another_engineer_and_a_client_cannot_enter_hours(make, setup):
    placement, _, client_user, _ = setup
    other = make.user(role="engineer", engineer=make.engineer())
    for intruder in (other, client_user):
        with pytest.raises(DomainError, match="cannot change this timesheet"):
            save(placement, weekdays(LAST_WEEK), intruder)
    assert count(Timesheet) == 0


def test_an_account_manager_enters_on_the_engineers_behalf(setup):
    placement, _, _, manager = setup
    sheet = save(placement, weekdays(LAST_WEEK), manager)
    with transaction():
        timesheets.submit(sheet, manager, today=TODAY)
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.entity_type == "Timesheet").order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["timesheet.saved", "timesheet.submitted"]
    assert all(e.changes["on_behalf_of"] == [None, placement.engineer.full_name] for e in events)
    assert sheet.submitted_by_id == manager.id


# --- the moves ------------------------------------------------------------------------------


def test_submitted_then_approved_locks_the_week_and_tells_the_client(setup):
    placement, engineer_user, client_user, _ = setup
    sheet = submitted(placement, engineer_user)
    assert sheet.status == TimesheetStatus.SUBMITTED
    assert sheet.submitted_at is not None
    told = db.session.scalars(sa.select(Notification).where(Notification.user_id == client_user.id))
    assert [n.kind for n in told] == ["timesheet_submitted"]
    with pytest.raises(DomainError, match="waits for the client"):
        save(placement, weekdays(LAST_WEEK, "6"), engineer_user)
    with transaction():
        timesheets.approve(sheet, client_user, today=TODAY)
    assert sheet.status == TimesheetStatus.APPROVED
    assert sheet.decided_by_id == client_user.id
    with pytest.raises(DomainError, match="approved and locked"):
        save(placement, weekdays(LAST_WEEK, "6"), engineer_user)
    with pytest.raises(DomainError, match="already approved"):
        timesheets.approve(sheet, client_user, today=TODAY)


def test_a_rejection_needs_a_reason_tells_engineer_and_manager_and_an_edit_makes_a_draft(setup):
    placement, engineer_user, client_user, manager = setup
    sheet = submitted(placement, engineer_user)
    with pytest.raises(DomainError, match="Say what is wrong"):
        timesheets.reject(sheet, client_user, "  ", today=TODAY)
    db.session.rollback()
    with transaction():
        timesheets.reject(sheet, client_user, "Friday was a holiday.", today=TODAY)
    assert sheet.status == TimesheetStatus.REJECTED
    assert sheet.decision_note == "Friday was a holiday."
    kinds = {
        (n.user_id, n.kind)
        for n in db.session.scalars(
            sa.select(Notification).where(Notification.kind != "timesheet_submitted")
        )
    }
    assert kinds == {(engineer_user.id, "timesheet_rejected"), (manager.id, "timesheet_rejected")}
    with pytest.raises(DomainError, match="was rejected; edit it first"):
        timesheets.submit(sheet, engineer_user, today=TODAY)
    sheet = save(placement, weekdays(LAST_WEEK, "8", days=4), engineer_user)
    assert sheet.status == TimesheetStatus.DRAFT


def test_a_client_of_another_company_cannot_answer(make, setup):
    placement, engineer_user, _, _ = setup
    sheet = submitted(placement, engineer_user)
    stranger = make.user(role="client")
    with pytest.raises(DomainError):
        timesheets.approve(sheet, stranger, today=TODAY)
    with pytest.raises(DomainError):
        timesheets.reject(sheet, stranger, "no", today=TODAY)
    db.session.rollback()
    assert db.session.get(Timesheet, sheet.id).status == TimesheetStatus.SUBMITTED


def test_staff_approve_on_the_clients_behalf_with_a_note(setup):
    placement, engineer_user, _, manager = setup
    sheet = submitted(placement, engineer_user)
    with pytest.raises(DomainError, match="on the client's behalf"):
        timesheets.approve(sheet, manager, today=TODAY)
    db.session.rollback()
    with transaction():
        timesheets.approve(sheet, manager, today=TODAY, note="Confirmed by phone with Emily.")
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "timesheet.approved")
    )
    assert event.changes["on_behalf_of"] == [None, placement.client.name]
    assert event.changes["note"] == [None, "Confirmed by phone with Emily."]


def test_approving_a_version_someone_else_answered_is_refused(setup):
    placement, engineer_user, client_user, _ = setup
    sheet = submitted(placement, engineer_user)
    seen = sheet.version_id  # the page the second person opened
    with transaction():
        timesheets.approve(sheet, client_user, today=TODAY, version=seen)
    with pytest.raises(StaleEdit):
        timesheets.approve(sheet, client_user, today=TODAY, version=seen)
    db.session.rollback()
    approvals = db.session.scalar(
        sa.select(sa.func.count()).where(AuditEvent.action == "timesheet.approved")
    )
    assert approvals == 1


def test_a_whole_week_of_a_company_is_approved_at_once(make, setup):
    placement, engineer_user, client_user, _ = setup
    second = make.placement(
        request=make.request(client=placement.client), start=TODAY - timedelta(weeks=5)
    )
    second_user = make.user(role="engineer", engineer=second.engineer)
    submitted(placement, engineer_user)
    submitted(second, second_user)
    elsewhere = make.placement(start=TODAY - timedelta(weeks=5))
    submitted(elsewhere, make.user(role="engineer", engineer=elsewhere.engineer))
    with transaction():
        approved = timesheets.approve_week(placement.client_id, LAST_WEEK, client_user, today=TODAY)
    assert approved == 2
    statuses = dict(db.session.execute(sa.select(Timesheet.placement_id, Timesheet.status)).all())
    assert statuses == {
        placement.id: "approved",
        second.id: "approved",
        elsewhere.id: "submitted",
    }


# --- the database's own limits --------------------------------------------------------------


def test_the_database_refuses_a_second_timesheet_for_a_week(setup):
    placement, _, _, _ = setup
    db.session.add(Timesheet(placement_id=placement.id, week_start=LAST_WEEK, status="draft"))
    db.session.commit()
    db.session.add(Timesheet(placement_id=placement.id, week_start=LAST_WEEK, status="draft"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("hours", ["25", "0", "-1", "7.3"])
def test_the_database_refuses_an_entry_outside_0_to_24_hours(setup, hours):
    placement, _, _, _ = setup
    sheet = Timesheet(placement_id=placement.id, week_start=LAST_WEEK, status="draft")
    db.session.add(sheet)
    db.session.commit()
    insert = sa.text(
        "INSERT INTO timesheet_entry (timesheet_id, work_date, hours) VALUES (:t, :d, :h)"
    )
    with pytest.raises(IntegrityError):
        db.session.execute(insert, {"t": sheet.id, "d": LAST_WEEK, "h": hours})
    db.session.rollback()


def test_the_database_refuses_a_rejection_without_a_reason(setup):
    placement, _, _, _ = setup
    db.session.add(Timesheet(placement_id=placement.id, week_start=LAST_WEEK, status="rejected"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- the daily job --------------------------------------------------------------------------


def _business_days_back(n: int) -> date:
    """The latest day with n business days after it up to today, by the service's own count
    (on a Saturday, 5 back is the Sunday before last: Monday to Friday follow it)."""
    d = TODAY
    while timesheets.business_days_between(d, TODAY) < n:
        d -= timedelta(days=1)
    return d


def test_unanswered_timesheets_are_approved_after_five_business_days(setup):
    placement, engineer_user, _, manager = setup
    due = submitted(placement, engineer_user, week=LAST_WEEK - timedelta(days=7))
    fresh = submitted(placement, engineer_user)
    due.submitted_at = datetime.combine(_business_days_back(5), time(12), tzinfo=UTC)
    fresh.submitted_at = datetime.combine(_business_days_back(4), time(12), tzinfo=UTC)
    db.session.commit()
    with transaction():
        assert timesheets.auto_approve_due(TODAY) == 1
    assert due.status == TimesheetStatus.APPROVED
    assert due.approved_automatically
    assert due.decided_by_id is None
    assert fresh.status == TimesheetStatus.SUBMITTED
    event = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "timesheet.approved")
    )
    assert event.actor_id is None
    assert event.changes["automatic"] == [None, True]
    told = db.session.scalar(
        sa.select(Notification).where(Notification.kind == "timesheet_auto_approved")
    )
    assert told.user_id == manager.id
    with transaction():
        assert timesheets.auto_approve_due(TODAY) == 0


def test_business_days_skip_weekends():
    friday = date(2026, 11, 27)
    assert timesheets.business_days_between(friday, friday + timedelta(days=3)) == 1  # Monday
    assert timesheets.business_days_between(friday, friday + timedelta(days=7)) == 5
    assert timesheets.business_days_between(friday, friday) == 0


def test_a_week_without_a_submitted_timesheet_reminds_the_engineer_once(setup):
    placement, engineer_user, _, _ = setup
    monday = week_of(TODAY) + timedelta(days=7)  # a working day after a week that ended
    with transaction():
        assert timesheets.remind_missing(monday) == 1
    with transaction():
        assert timesheets.remind_missing(monday) == 0
    reminder = db.session.scalar(
        sa.select(Notification).where(Notification.kind == "timesheet_missing")
    )
    assert reminder.user_id == engineer_user.id
    assert week_of(TODAY).isoformat() in reminder.link
    with transaction():
        assert timesheets.remind_missing(monday - timedelta(days=1)) == 0  # a Sunday


def test_no_reminder_for_a_submitted_week(setup):
    placement, engineer_user, _, _ = setup
    submitted(placement, engineer_user)
    with transaction():
        assert timesheets.remind_missing(week_of(TODAY)) == 0  # Monday after last week


def test_the_daily_job_approves_and_reports(setup):
    placement, engineer_user, _, _ = setup
    sheet = submitted(placement, engineer_user)
    sheet.submitted_at = datetime.combine(_business_days_back(6), time(9), tzinfo=UTC)
    db.session.commit()
    with transaction():
        outcome = placements.run_daily(TODAY)
    assert outcome["timesheets_auto_approved"] == 1
    assert sheet.status == TimesheetStatus.APPROVED


# --- hours feed health ----------------------------------------------------------------------


def _health(placement):
    db.session.expire_all()
    fresh = db.session.get(type(placement), placement.id)
    in_sql = db.session.scalar(
        sa.select(health_sql(TODAY)).where(type(placement).id == placement.id)
    )
    in_python = health_of(fresh, TODAY)
    assert in_python.level == in_sql, "Python and SQL agree on the level"
    return in_python


def _approved_weeks(placement, engineer_user, client_user, hours: list[str]):
    """Approved weeks, the last one ending last Sunday, the first of `hours` the oldest."""
    placement.timesheets_from = LAST_WEEK - timedelta(weeks=len(hours) - 1)
    db.session.commit()
    for k, h in enumerate(hours):
        week = LAST_WEEK - timedelta(weeks=len(hours) - 1 - k)
        sheet = submitted(placement, engineer_user, week=week, hours=h)
        with transaction():
            timesheets.approve(sheet, client_user, today=TODAY)


def test_approved_hours_below_half_two_weeks_running_are_amber_and_four_red(setup):
    placement, engineer_user, client_user, _ = setup
    _approved_weeks(placement, engineer_user, client_user, ["8", "8", "3", "3"])
    health = _health(placement)
    assert health.level == "amber"
    assert "approved hours below half the expected for 2 weeks in a row" in health.reasons


def test_four_low_weeks_are_red(make, setup):
    _, _, client_user, _ = setup
    placement = make.placement(
        request=make.request(client=client_user.client), start=TODAY - timedelta(weeks=8)
    )
    engineer_user = make.user(role="engineer", engineer=placement.engineer)
    _approved_weeks(placement, engineer_user, client_user, ["2", "2", "2", "2"])
    health = _health(placement)
    assert health.level == "red"
    assert "approved hours below half the expected for 4 weeks in a row" in health.reasons


def test_one_low_week_is_not_a_reason(setup):
    placement, engineer_user, client_user, _ = setup
    _approved_weeks(placement, engineer_user, client_user, ["3", "8"])
    assert _health(placement).level == "green"


def test_a_rejected_timesheet_is_amber_and_red_after_a_week(setup):
    placement, engineer_user, client_user, _ = setup
    placement.timesheets_from = LAST_WEEK
    db.session.commit()
    sheet = submitted(placement, engineer_user)
    with transaction():
        timesheets.reject(sheet, client_user, "Wrong project code.", today=TODAY)
    health = _health(placement)
    assert (health.level, health.reasons) == ("amber", ("a timesheet was rejected",))
    sheet = db.session.get(Timesheet, sheet.id)
    sheet.decided_at = datetime.combine(TODAY - timedelta(days=8), time(10), tzinfo=UTC)
    with transaction():
        timesheets.refresh_hours_summary(sheet.placement, TODAY)
    health = _health(placement)
    assert health.level == "red"
    assert health.reasons[0].startswith("a timesheet rejected on")
    # Corrected and submitted again: the reason goes.
    save(placement, weekdays(LAST_WEEK, "8"), engineer_user)
    with transaction():
        timesheets.submit(timesheets.find(placement.id, LAST_WEEK), engineer_user, today=TODAY)
    assert _health(placement).level == "green"


def test_two_missing_weeks_are_amber_and_four_red(make, setup):
    placement, engineer_user, _, _ = setup
    placement.timesheets_from = LAST_WEEK - timedelta(weeks=1)
    with transaction():
        timesheets.refresh_hours_summary(placement, TODAY)
    health = _health(placement)
    assert (health.level, health.reasons) == (
        "amber",
        ("2 weeks without a submitted timesheet",),
    )
    submitted(placement, engineer_user)
    assert _health(placement).level == "green"
    placement = db.session.get(type(placement), placement.id)
    placement.timesheets_from = LAST_WEEK - timedelta(weeks=4)
    with transaction():
        timesheets.refresh_hours_summary(placement, TODAY)
    health = _health(placement)
    assert health.level == "red"
    assert "4 weeks without a submitted timesheet" in health.reasons


def test_a_placement_predating_timesheets_misses_no_week(setup):
    placement, _, _, _ = setup
    with transaction():
        timesheets.refresh_hours_summary(placement, TODAY)
    # Expected from its start, ten weeks ago: the last eight that ended count.
    assert placement.missing_weeks == timesheets.MISSING_WINDOW
    placement.timesheets_from = None  # it predates timesheets (the upgrade leaves ended ones so)
    with transaction():
        timesheets.refresh_hours_summary(placement, TODAY)
    assert placement.missing_weeks == 0
    with transaction():
        assert timesheets.remind_missing(week_of(TODAY) + timedelta(days=7)) == 0


# --- found in review ------------------------------------------------------------------------


def test_a_placement_called_off_before_it_began_owes_no_hours(make, setup):
    _, _, _, manager = setup
    starting = make.placement(status="pending", start=TODAY + timedelta(days=3))
    their_user = make.user(role="engineer", engineer=starting.engineer)
    with transaction():
        placements.end_placement(starting, "client_ended", manager, today=TODAY)
    assert starting.timesheets_from is None
    with transaction():
        timesheets.remind_missing(week_of(TODAY) + timedelta(days=14))
    reminded = db.session.scalars(sa.select(Notification.user_id)).all()
    assert their_user.id not in reminded
    with pytest.raises(DomainError):
        save(starting, [], manager, week=week_of(starting.start_date))


def test_weeks_before_the_tracker_kept_hours_cannot_be_logged(setup):
    placement, engineer_user, _, _ = setup
    placement.timesheets_from = week_of(TODAY)
    db.session.commit()
    with pytest.raises(DomainError, match="billed before its timesheets began"):
        save(placement, weekdays(LAST_WEEK), engineer_user)
    assert count(Timesheet) == 0


def test_a_rejection_stands_while_the_week_is_corrected_and_goes_when_resubmitted(setup):
    placement, engineer_user, client_user, _ = setup
    placement.timesheets_from = LAST_WEEK
    db.session.commit()
    sheet = submitted(placement, engineer_user)
    with transaction():
        timesheets.reject(sheet, client_user, "Thursday is wrong.", today=TODAY)
    save(placement, weekdays(LAST_WEEK, "7"), engineer_user)  # a draft again, not resubmitted
    assert _health(placement).reasons == ("a timesheet was rejected",)
    with transaction():
        timesheets.submit(timesheets.find(placement.id, LAST_WEEK), engineer_user, today=TODAY)
    sheet = timesheets.find(placement.id, LAST_WEEK)
    assert sheet.decided_at is None  # waiting for a new answer, not showing the old one
    assert sheet.decision_note is None
    assert _health(placement).level == "green"


def test_a_save_over_a_version_someone_else_saved_is_refused(setup):
    placement, engineer_user, _, manager = setup
    sheet = save(placement, weekdays(LAST_WEEK), engineer_user)
    opened = sheet.version_id
    notes = [EntryInput(e.work_date, e.hours, "on site") for e in weekdays(LAST_WEEK)]
    save(placement, notes, manager, version=opened)  # same total: only the notes change
    with pytest.raises(StaleEdit):
        save(placement, weekdays(LAST_WEEK, "6"), engineer_user, version=opened)
    db.session.rollback()
    assert {e.note for e in timesheets.find(placement.id, LAST_WEEK).entries} == {"on site"}


def test_a_week_still_running_is_not_short_of_hours(setup):
    placement, engineer_user, client_user, _ = setup
    if TODAY.weekday() == 6:
        pytest.skip("on a Sunday this week has all its days")
    _approved_weeks(placement, engineer_user, client_user, ["3"])
    this_week = week_of(TODAY)
    sheet = save(placement, [EntryInput(this_week, Decimal(2))], engineer_user, week=this_week)
    with transaction():
        timesheets.submit(sheet, engineer_user, today=TODAY)
    with transaction():
        timesheets.approve(sheet, client_user, today=TODAY)
    assert placement.low_hours_weeks == 1
    assert _health(placement).level == "green"
