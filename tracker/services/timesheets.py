"""Timesheets: the hours an engineer works on a placement, week by week, and the client's answer.

A timesheet covers one placement and one week (Monday to Sunday) and holds one entry per day
worked: more than 0 and at most 24 hours, in quarter hours, only on days of the placement and
of that week, and not after today. A week's total above TIMESHEET_MAX_WEEKLY_HOURS is refused.

draft -> submitted -> approved or rejected (with a reason). Editing a rejected timesheet makes
it a draft again; an approved one is locked. The engineer enters and submits (an account
manager may do it on their behalf, recorded as such); the client's users approve or reject (an
account manager may approve on the client's behalf, with a note). A submitted timesheet nobody
answered within TIMESHEET_AUTO_APPROVE_DAYS business days is approved by the daily job.

Every change refreshes the placement's hours summary (refresh_hours_summary), which health
reads: approved hours below half the expected, a rejected week, weeks without a timesheet.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Protocol

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from tracker.infra.audit import record_event
from tracker.infra.cache import cached
from tracker.infra.listing import Sort, apply_sort, icontains
from tracker.models import (
    AuditEvent,
    Client,
    Engineer,
    Placement,
    Timesheet,
    TimesheetEntry,
    User,
    db,
    utcnow,
)
from tracker.models.enums import LIVE_PLACEMENT_STATUSES, Role
from tracker.models.enums import TimesheetStatus as T
from tracker.models.notification import NotificationKind as Kind
from tracker.models.timesheet import MAX_DAY_HOURS
from tracker.services import DomainError, ensure_version, webhooks
from tracker.services.bookings import covering
from tracker.services.notifications import account_managers_of, client_users, notify
from tracker.services.status_moves import (
    CLIENT,
    ENGINEER,
    STAFF,
    SYSTEM,
    Moves,
    may,
    mover,
    only_people,
    people_who_may,
)
from tracker.text import day

WEEK = timedelta(days=7)
QUARTER = Decimal("0.25")
# Health: how many weeks count, and when a reason turns from amber to red.
LOW_HOURS_SHARE = Decimal("0.5")  # approved hours below half the expected
LOW_WEEKS_AMBER, LOW_WEEKS_RED = 2, 4  # ... for two weeks in a row; four is red
MISSING_WINDOW = 8  # missing weeks are counted over the last eight weeks that ended
MISSING_AMBER, MISSING_RED = 2, 4
REJECTED_RED_AFTER = timedelta(days=7)  # a rejection unanswered for a week is red
NOTE_LENGTH = 500
REASON_LENGTH = 2000
# Statuses a week counts as answered by the engineer in (not missing).
SENT = (T.SUBMITTED, T.APPROVED, T.REJECTED)


# --- weeks and days ---------------------------------------------------------------------------


def hours_text(value: Decimal) -> str:
    """Hours as people write them: 40, 7.5, 7.25 (a column's 40.00 without its zeros)."""
    return f"{value.normalize():f}"


def week_of(some_day: date) -> date:
    """The Monday of the week holding this day."""
    return some_day - timedelta(days=some_day.weekday())


def week_days(week_start: date) -> list[date]:
    return [week_start + timedelta(days=k) for k in range(7)]


def placement_days(placement: Placement, week_start: date) -> list[date]:
    """The days of this week the placement covers (start to end date, both included)."""
    return [
        d
        for d in week_days(week_start)
        if d >= placement.start_date and (placement.end_date is None or d <= placement.end_date)
    ]


def tracked_from(placement: Placement) -> date | None:
    """The first day the tracker keeps the placement's hours (a missing week counts from
    there), or None when it keeps none: the placement predates timesheets, or was called off
    before it began. Days before it are not logged here: they were billed the old way."""
    if placement.timesheets_from is None:
        return None
    return max(placement.timesheets_from, placement.start_date)


def loggable_days(placement: Placement, week_start: date) -> list[date]:
    """The days of this week whose hours the tracker keeps: the placement's, from tracked_from."""
    first = tracked_from(placement)
    if first is None:
        return []
    return [d for d in placement_days(placement, week_start) if d >= first]


def weeks_of(placement: Placement, today: date) -> list[date]:
    """The Mondays of the placement's weeks up to this week, newest first (none before it
    starts)."""
    first = week_of(placement.start_date)
    last_day = today if placement.end_date is None else min(today, placement.end_date)
    if last_day < placement.start_date:
        return []
    weeks, monday = [], week_of(last_day)
    while monday >= first:
        weeks.append(monday)
        monday -= WEEK
    return weeks


def expected_hours(placement: Placement, week_start: date) -> Decimal:
    """hours_per_week, for the working days (Monday to Friday) of the week the placement covers."""
    working = [d for d in loggable_days(placement, week_start) if d.weekday() < 5]
    return (placement.hours_per_week * len(working) / 5).quantize(QUARTER)


def business_days_between(start: date, end: date) -> int:
    """Monday-to-Friday days after `start` up to and including `end`."""
    if end <= start:
        return 0
    full_weeks, rest = divmod((end - start).days, 7)
    count = full_weeks * 5
    for k in range(1, rest + 1):
        if (start + timedelta(days=k)).weekday() < 5:
            count += 1
    return count


# --- reading -----------------------------------------------------------------------------------


def find(placement_id: int, week_start: date) -> Timesheet | None:
    return db.session.scalar(
        sa.select(Timesheet)
        .where(Timesheet.placement_id == placement_id, Timesheet.week_start == week_start)
        .options(selectinload(Timesheet.entries))
    )


def load(timesheet_id: int) -> Timesheet | None:
    """A timesheet with its entries and placement (engineer, client) loaded."""
    return db.session.scalar(
        sa.select(Timesheet)
        .where(Timesheet.id == timesheet_id)
        .options(
            selectinload(Timesheet.entries),
            joinedload(Timesheet.placement).joinedload(Placement.engineer),
            joinedload(Timesheet.placement).joinedload(Placement.client),
            joinedload(Timesheet.submitted_by),
            joinedload(Timesheet.decided_by),
        )
    )


@dataclass(frozen=True)
class Week:
    """One week of a placement as its pages show it: the timesheet if any, and what is due."""

    week_start: date
    timesheet: Timesheet | None
    expected: Decimal

    @property
    def status(self) -> str:
        return self.timesheet.status if self.timesheet else "missing"

    @property
    def hours(self) -> Decimal:
        return self.timesheet.total_hours if self.timesheet else Decimal(0)

    @property
    def week_end(self) -> date:
        return self.week_start + timedelta(days=6)


def placement_weeks(placement: Placement, today: date, limit: int = 26) -> list[Week]:
    """The placement's latest weeks (newest first, at most `limit`) with their timesheets: one
    query whatever the number of weeks."""
    mondays = weeks_of(placement, today)[:limit]
    if not mondays:
        return []
    sheets = {
        t.week_start: t
        for t in db.session.scalars(
            sa.select(Timesheet).where(
                Timesheet.placement_id == placement.id,
                Timesheet.week_start.between(mondays[-1], mondays[0]),
            )
        )
    }
    return [Week(m, sheets.get(m), expected_hours(placement, m)) for m in mondays]


# The statuses whose hours may still be entered (save_week refuses the others).
EDITABLE = (T.DRAFT, T.REJECTED)


def is_editable(timesheet: Timesheet | None) -> bool:
    """Whether the week's hours may still be entered: no timesheet yet, a draft, or rejected."""
    return timesheet is None or timesheet.status in EDITABLE


# --- who may act --------------------------------------------------------------------------------


def _may_enter(placement: Placement, actor: User) -> bool:
    """The engineer of the placement, or staff on their behalf."""
    if actor.is_staff:
        return True
    return actor.role == Role.ENGINEER and actor.engineer_id == placement.engineer_id


def _may_answer(placement: Placement, actor: User) -> bool:
    """The client's users, or staff on the client's behalf."""
    if actor.is_staff:
        return True
    return actor.role == Role.CLIENT and actor.client_id == placement.client_id


def _require(allowed: bool) -> None:
    if not allowed:
        # Callers scope their queries so this is never reached through a page; a service call
        # with the wrong person is refused all the same, with nothing changed.
        raise DomainError("You cannot change this timesheet.")


# --- entering hours -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryInput:
    work_date: date
    hours: Decimal
    note: str | None = None


def parse_hours(text: str | None) -> Decimal | None:
    """Hours as typed: '7.5', '7,5' or '7:30'; None when blank; DomainError when not a number."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if ":" in text:
            hours, minutes = text.split(":", 1)
            if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
                raise ValueError
            if int(minutes) >= 60:
                raise ValueError
            value = Decimal(hours) + Decimal(minutes) / 60
        else:
            value = Decimal(text.replace(",", "."))
    except (ValueError, InvalidOperation):
        raise DomainError(f"“{text[:20]}” is not a number of hours.") from None
    if not value.is_finite():
        raise DomainError(f"“{text[:20]}” is not a number of hours.")
    return value


def _check_entries(
    placement: Placement, week_start: date, entries: list[EntryInput], today: date
) -> None:
    allowed = set(loggable_days(placement, week_start))
    seen: set[date] = set()
    for e in entries:
        when = day(e.work_date)
        if e.work_date in seen:
            raise DomainError(f"{when} is entered twice.")
        seen.add(e.work_date)
        if not week_start <= e.work_date < week_start + WEEK:
            raise DomainError(f"{when} is not in the week of {day(week_start)}.")
        if e.work_date not in allowed:
            raise DomainError(f"{when} is outside the placement's dates.")
        if e.work_date > today:
            raise DomainError(f"{when} is still to come; log hours once they are worked.")
        if not Decimal(0) < e.hours <= MAX_DAY_HOURS:
            raise DomainError(f"Hours on {when} must be more than 0 and at most 24.")
        if e.hours % QUARTER:
            raise DomainError(f"Hours on {when} go in quarter hours (7.25, 7.5, 7.75).")
        if e.note and len(e.note) > NOTE_LENGTH:
            raise DomainError(f"The note on {when} is longer than {NOTE_LENGTH} characters.")
    total = sum((e.hours for e in entries), Decimal(0))
    cap = Decimal(current_app.config["TIMESHEET_MAX_WEEKLY_HOURS"])
    if total > cap:
        raise DomainError(
            f"{hours_text(total)} hours in a week is more than the {hours_text(cap)} allowed."
        )


def save_week(
    placement: Placement,
    week_start: date,
    entries: Iterable[EntryInput],
    actor: User,
    *,
    today: date,
    version: int | str | None = None,
) -> Timesheet:
    """Write the week's entries (replacing what was there) and return its timesheet.

    A new week starts as a draft; a rejected one becomes a draft again; a submitted or approved
    one is refused. An account manager's entry is recorded as made on the engineer's behalf.
    """
    _require(_may_enter(placement, actor))
    if week_start.weekday() != 0:
        raise DomainError("A timesheet week starts on a Monday.")
    if not loggable_days(placement, week_start):
        if placement_days(placement, week_start):
            raise DomainError(
                f"The tracker keeps no hours of this placement for the week of "
                f"{day(week_start)}: they were billed before its timesheets began."
            )
        raise DomainError(f"The placement does not cover the week of {day(week_start)}.")
    if week_start > today:
        raise DomainError("That week has not started yet.")
    wanted = sorted(entries, key=lambda e: e.work_date)
    _check_entries(placement, week_start, wanted, today)
    timesheet = find(placement.id, week_start)
    created = timesheet is None
    if timesheet is None:
        timesheet = Timesheet(placement=placement, week_start=week_start, status=T.DRAFT)
        db.session.add(timesheet)
    else:
        ensure_version(timesheet, version, "This timesheet")
        if timesheet.status == T.SUBMITTED:
            raise DomainError(
                "This week is submitted and waits for the client; it cannot be edited now."
            )
        if timesheet.status == T.APPROVED:
            raise DomainError("This week is approved and locked.")
    before = {e.work_date: (e.hours, e.note) for e in timesheet.entries}
    old_status = timesheet.status
    timesheet.entries.clear()
    db.session.flush()  # the old rows go before the new ones take their (timesheet, day)
    for e in wanted:
        timesheet.entries.append(
            TimesheetEntry(work_date=e.work_date, hours=e.hours, note=(e.note or None))
        )
    timesheet.total_hours = sum((e.hours for e in wanted), Decimal(0))
    # Every save is a new version, even one that only moves hours between days or changes a
    # note: someone who opened the week before it must be told, not silently overwritten.
    timesheet.updated_at = utcnow()
    if timesheet.status == T.REJECTED:
        _move_timesheet(timesheet, T.DRAFT, actor)
    after = {e.work_date: (e.hours, e.note or None) for e in wanted}
    changes = _entry_changes(before, after)
    if old_status != timesheet.status:
        changes["status"] = [old_status, timesheet.status]
    if created:
        changes["week_start"] = [None, week_start.isoformat()]
    if not actor.is_engineer:
        changes["on_behalf_of"] = [None, placement.engineer.full_name]
    record_event(actor, "timesheet.saved", timesheet, changes)
    refresh_hours_summary(placement, today)
    return timesheet


def _entry_changes(before: dict, after: dict) -> dict[str, list]:
    changes: dict[str, list] = {}
    for d in sorted(set(before) | set(after)):
        old = before.get(d)
        new = after.get(d)
        if old != new:
            changes[f"hours {d.isoformat()}"] = [
                None if old is None else hours_text(old[0]),
                None if new is None else hours_text(new[0]),
            ]
    return changes


def submit(timesheet: Timesheet, actor: User, *, today: date, version=None) -> None:
    """draft -> submitted: the client's users are asked to approve it."""
    placement = timesheet.placement
    _require(_may_enter(placement, actor))
    ensure_version(timesheet, version, "This timesheet")
    if timesheet.status != T.DRAFT:
        raise DomainError(_not_now(timesheet, "submitted"))
    if timesheet.week_start > today:
        raise DomainError("That week has not started yet.")
    _move_timesheet(timesheet, T.SUBMITTED, actor)
    timesheet.submitted_at = utcnow()
    timesheet.submitted_by_id = actor.id
    # A resubmitted week waits for a new answer: the rejection it answers is in its history.
    timesheet.decided_at = timesheet.decided_by_id = timesheet.decision_note = None
    changes: dict[str, list] = {"status": [T.DRAFT, T.SUBMITTED]}
    if not actor.is_engineer:
        changes["on_behalf_of"] = [None, placement.engineer.full_name]
    record_event(actor, "timesheet.submitted", timesheet, changes)
    webhooks.emit("timesheet.submitted", webhooks.timesheet_data(timesheet))
    _tell_client(timesheet)
    refresh_hours_summary(placement, today)


# Every move a timesheet's status can make, and who may make it (as for requests, proposals and
# placements): the engineer enters and submits, staff may on their behalf; the client answers,
# staff may on the client's behalf, the daily job approves what nobody answered. A new week is
# created as a draft; approved is final.
TIMESHEET_STATUS_MOVES: Moves = {
    (T.DRAFT, T.SUBMITTED): ENGINEER | STAFF,
    (T.SUBMITTED, T.APPROVED): CLIENT | STAFF | SYSTEM,
    (T.SUBMITTED, T.REJECTED): CLIENT | STAFF,
    (T.REJECTED, T.DRAFT): ENGINEER | STAFF,  # edited after the rejection
}
MOVE_VERBS: dict[str, str] = {
    T.SUBMITTED: "submitted",
    T.APPROVED: "approved",
    T.REJECTED: "rejected",
}


def _move_timesheet(
    timesheet: Timesheet, target: str, actor: User | None, *, automatic: bool = False
) -> None:
    """The one place a timesheet's status changes, when the table lets the mover make it."""
    by = mover(actor, automatic=automatic)
    if not may(TIMESHEET_STATUS_MOVES, timesheet.status, target, by):
        if people := people_who_may(TIMESHEET_STATUS_MOVES, timesheet.status, target):
            raise DomainError(
                f"This week cannot be {MOVE_VERBS.get(target, 'edited')}: {only_people(people)}."
            )
        raise DomainError(_not_now(timesheet, MOVE_VERBS.get(target, "edited")))
    timesheet.status = target


def _not_now(timesheet: Timesheet, verb: str) -> str:
    words = {
        T.DRAFT: "is still a draft",
        T.SUBMITTED: "is already submitted",
        T.APPROVED: "is already approved",
        T.REJECTED: "was rejected; edit it first",
    }
    return f"This week cannot be {verb}: it {words[T(timesheet.status)]}."


# --- answering ----------------------------------------------------------------------------------


def approve(
    timesheet: Timesheet,
    actor: User | None,
    *,
    today: date,
    note: str | None = None,
    version=None,
) -> None:
    """submitted -> approved, by the client, by staff on the client's behalf (with a note), or
    automatically (actor None: the daily job)."""
    placement = timesheet.placement
    automatic = actor is None
    if actor is not None:
        _require(_may_answer(placement, actor))
    ensure_version(timesheet, version, "This timesheet")
    if timesheet.status != T.SUBMITTED:
        raise DomainError(_not_now(timesheet, "approved"))
    note = " ".join((note or "").split()) or None
    if actor is not None and actor.is_staff and not note:
        raise DomainError("Say why you approve on the client's behalf (who confirmed the hours).")
    if note and len(note) > REASON_LENGTH:
        raise DomainError(f"The note is longer than {REASON_LENGTH} characters.")
    _move_timesheet(timesheet, T.APPROVED, actor, automatic=automatic)
    timesheet.decided_at = utcnow()
    timesheet.decided_by_id = actor.id if actor is not None else None
    timesheet.approved_automatically = automatic
    timesheet.decision_note = note
    changes: dict[str, list] = {"status": [T.SUBMITTED, T.APPROVED]}
    if automatic:
        changes["automatic"] = [None, True]
    elif actor is not None and actor.is_staff:
        changes["on_behalf_of"] = [None, placement.client.name]
    if note:
        changes["note"] = [None, note]
    record_event(actor, "timesheet.approved", timesheet, changes)
    webhooks.emit("timesheet.decided", webhooks.timesheet_data(timesheet))
    if automatic:
        _tell_account_managers_approved(timesheet)
    refresh_hours_summary(placement, today)


def reject(timesheet: Timesheet, actor: User, reason: str, *, today: date, version=None) -> None:
    """submitted -> rejected, with the reason the engineer reads."""
    placement = timesheet.placement
    _require(_may_answer(placement, actor))
    ensure_version(timesheet, version, "This timesheet")
    if timesheet.status != T.SUBMITTED:
        raise DomainError(_not_now(timesheet, "rejected"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say what is wrong with the hours, so they can be corrected.")
    if len(reason) > REASON_LENGTH:
        raise DomainError(f"The reason is longer than {REASON_LENGTH} characters.")
    _move_timesheet(timesheet, T.REJECTED, actor)
    timesheet.decided_at = utcnow()
    timesheet.decided_by_id = actor.id
    timesheet.decision_note = reason
    changes: dict[str, list] = {"status": [T.SUBMITTED, T.REJECTED], "reason": [None, reason]}
    if actor.is_staff:
        changes["on_behalf_of"] = [None, placement.client.name]
    record_event(actor, "timesheet.rejected", timesheet, changes)
    webhooks.emit("timesheet.decided", webhooks.timesheet_data(timesheet))
    _tell_rejected(timesheet, reason)
    refresh_hours_summary(placement, today)


def waiting_for_client(client_id: int, week_start: date | None = None) -> list[Timesheet]:
    """The company's submitted timesheets (of one week, when given), oldest week first."""
    stmt = (
        sa.select(Timesheet)
        .join(Timesheet.placement)
        .where(Placement.client_id == client_id, Timesheet.status == T.SUBMITTED)
        .options(
            selectinload(Timesheet.entries),
            joinedload(Timesheet.placement).joinedload(Placement.engineer),
        )
        .order_by(Timesheet.week_start, Timesheet.id)
        .limit(200)
    )
    if week_start is not None:
        stmt = stmt.where(Timesheet.week_start == week_start)
    return list(db.session.scalars(stmt).unique())


def approve_week(client_id: int, week_start: date, actor: User, *, today: date) -> int:
    """Approve every submitted timesheet of the company for that week; returns how many."""
    sheets = waiting_for_client(client_id, week_start)
    for timesheet in sheets:
        approve(timesheet, actor, today=today)
    return len(sheets)


def auto_approve_due(today: date) -> int:
    """Approve every submitted timesheet nobody answered within TIMESHEET_AUTO_APPROVE_DAYS
    business days of its submission; returns how many (the daily job)."""
    days = int(current_app.config["TIMESHEET_AUTO_APPROVE_DAYS"])
    # In SQL, those submitted `days` calendar days ago or earlier (fewer calendar days hold
    # fewer business days); in Python, the business days exactly.
    latest = datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=UTC)
    candidates = db.session.scalars(
        sa.select(Timesheet)
        .where(Timesheet.status == T.SUBMITTED, Timesheet.submitted_at < latest)
        .options(joinedload(Timesheet.placement).joinedload(Placement.client))
        .order_by(Timesheet.submitted_at, Timesheet.id)
    ).all()
    approved = 0
    for timesheet in candidates:
        submitted = timesheet.submitted_at
        if submitted is None or business_days_between(submitted.date(), today) < days:
            continue
        approve(timesheet, None, today=today)
        approved += 1
    return approved


# --- notices ------------------------------------------------------------------------------------


def _week_words(timesheet: Timesheet) -> str:
    return f"the week of {day(timesheet.week_start)}"


def _tell_client(timesheet: Timesheet) -> None:
    placement = timesheet.placement
    who = placement.engineer.client_safe_name
    notify(
        client_users(placement.client),
        kind=Kind.TIMESHEET_SUBMITTED,
        title=f"{who}'s hours for {_week_words(timesheet)} wait for you",
        body=(
            f"{who} logged {hours_text(timesheet.total_hours)} hours for {_week_words(timesheet)}. "
            "Approve them, or reject them with a reason. Unanswered hours are approved "
            f"after {current_app.config['TIMESHEET_AUTO_APPROVE_DAYS']} business days."
        ),
        link=f"/portal/timesheets/{timesheet.id}",
        key=f"timesheet-submitted:{timesheet.id}:{timesheet.submitted_at:%Y%m%d%H%M%S}",
    )


def _engineer_users(placement: Placement) -> list[User]:
    user = placement.engineer.user
    return [user] if user is not None else []


def _tell_rejected(timesheet: Timesheet, reason: str) -> None:
    placement = timesheet.placement
    stamp = f"{timesheet.decided_at:%Y%m%d%H%M%S}"
    notify(
        _engineer_users(placement),
        kind=Kind.TIMESHEET_REJECTED,
        title=f"Your hours for {_week_words(timesheet)} were sent back",
        body=f"{placement.client.name} rejected them: {reason} Correct the week and submit it.",
        link=f"/me/timesheets/{timesheet.id}",
        key=f"timesheet-rejected:{timesheet.id}:{stamp}",
    )
    notify(
        account_managers_of(placement.client),
        kind=Kind.TIMESHEET_REJECTED,
        title=(
            f"{placement.client.name} rejected {placement.engineer.full_name}'s hours for "
            f"{_week_words(timesheet)}"
        ),
        body=f"Reason: {reason}",
        link=f"/placements/{placement.id}#hours",
        key=f"timesheet-rejected-am:{timesheet.id}:{stamp}",
    )


def _tell_account_managers_approved(timesheet: Timesheet) -> None:
    placement = timesheet.placement
    notify(
        account_managers_of(placement.client),
        kind=Kind.TIMESHEET_AUTO_APPROVED,
        title=(
            f"{placement.engineer.full_name}'s hours for {_week_words(timesheet)} were approved "
            "automatically"
        ),
        body=(
            f"Nobody at {placement.client.name} answered within "
            f"{current_app.config['TIMESHEET_AUTO_APPROVE_DAYS']} business days, so "
            f"{hours_text(timesheet.total_hours)} hours were approved automatically."
        ),
        link=f"/placements/{placement.id}#hours",
        key=f"timesheet-auto-approved:{timesheet.id}",
    )


def remind_missing(today: date) -> int:
    """On a working day, tell each engineer about the last week that ended without a submitted
    timesheet (once per week); returns how many reminders went out."""
    if today.weekday() >= 5:
        return 0
    last_week = week_of(today) - WEEK
    placements = db.session.scalars(
        sa.select(Placement)
        .join(Placement.engineer)
        .join(User, User.engineer_id == Engineer.id)
        .where(
            covering(last_week, last_week + timedelta(days=6)),
            User.is_active.is_(True),
        )
        .options(joinedload(Placement.engineer).joinedload(Engineer.user))
        .order_by(Placement.id)
    ).unique()
    sent = 0
    for placement in placements:
        first = tracked_from(placement)
        if first is None or first > last_week + timedelta(days=6):
            continue
        if expected_hours(placement, last_week) == 0:  # no working day of it that week
            continue
        timesheet = find(placement.id, last_week)
        if timesheet is not None and timesheet.status in SENT:
            continue
        created = notify(
            _engineer_users(placement),
            kind=Kind.TIMESHEET_MISSING,
            title=f"Your hours for the week of {day(last_week)} are not submitted",
            body=(
                f"Log and submit your hours at {placement.client.name} for the week of "
                f"{day(last_week)}, so the client can approve them."
            ),
            link=f"/me/placements/{placement.id}/weeks/{last_week.isoformat()}",
            key=f"timesheet-missing:{placement.id}:{last_week.isoformat()}",
        )
        sent += bool(created)
    return sent


# --- the hours summary health reads -------------------------------------------------------------


def refresh_hours_summary(placement: Placement, today: date) -> None:
    """Recount the placement's hours reasons from its timesheets (two small queries)."""
    # The last year of weeks that ended: more is never needed, and keeps the query small.
    ended = _ended_weeks(placement, today)
    recent: list[Timesheet] = []
    if ended:
        recent = list(
            db.session.scalars(
                sa.select(Timesheet).where(
                    Timesheet.placement_id == placement.id,
                    Timesheet.week_start >= ended[-1],
                )
            )
        )
    # A rejection stands until the week is submitted again: rejected, or a draft being
    # corrected (submit clears the answer it replies to).
    rejected = db.session.scalars(
        sa.select(Timesheet).where(
            Timesheet.placement_id == placement.id,
            Timesheet.status.in_((T.REJECTED, T.DRAFT)),
            Timesheet.decided_at.is_not(None),
        )
    )
    summary = hours_summary(placement, [*recent, *rejected], today)
    placement.missing_weeks = summary.missing_weeks
    placement.low_hours_weeks = summary.low_hours_weeks
    placement.rejected_since = summary.rejected_since


class WeekSheet(Protocol):
    """What the hours summary reads of a timesheet (a Timesheet, or a planned row)."""

    @property
    def week_start(self) -> date: ...
    @property
    def status(self) -> str: ...
    @property
    def total_hours(self) -> Decimal: ...
    @property
    def decided_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class HoursSummary:
    """The hours summary a placement keeps (missing_weeks, low_hours_weeks, rejected_since)."""

    missing_weeks: int
    low_hours_weeks: int
    rejected_since: date | None


def _ended_weeks(placement, today: date) -> list[date]:
    """The Mondays of the last year of the placement's weeks that ended, newest first."""
    return [m for m in weeks_of(placement, today) if m + timedelta(days=6) < today][:52]


def hours_summary(placement, sheets: Iterable[WeekSheet], today: date) -> HoursSummary:
    """The hours summary of a placement (or a planned one: start_date, end_date,
    timesheets_from, hours_per_week) from its timesheets: any of them, at least those of the
    last year of weeks that ended and those rejected or being corrected."""
    ended = _ended_weeks(placement, today)
    first = tracked_from(placement)
    # A week counts from the first tracked one, and only when it has a working day of the
    # placement (a placement starting on a Saturday owes nothing for that week).
    window = (
        []
        if first is None
        else [
            m
            for m in ended[:MISSING_WINDOW]
            if m >= week_of(first) and expected_hours(placement, m) > 0
        ]
    )
    sheets = list(sheets)
    by_week = {t.week_start: t for t in sheets}
    missing = sum(1 for m in window if m not in by_week or by_week[m].status not in SENT)
    low = 0
    ended_weeks = set(ended)  # a week still running is not short of hours yet
    approved = sorted(
        (t for t in by_week.values() if t.status == T.APPROVED and t.week_start in ended_weeks),
        key=lambda t: t.week_start,
        reverse=True,
    )
    previous: date | None = None
    for t in approved:
        if previous is not None and t.week_start != previous - WEEK:
            break
        expected = expected_hours(placement, t.week_start)
        if not expected or t.total_hours >= expected * LOW_HOURS_SHARE:
            break
        low += 1
        previous = t.week_start
    rejected = [
        t.decided_at.date()
        for t in sheets
        if t.status in (T.REJECTED, T.DRAFT) and t.decided_at is not None
    ]
    return HoursSummary(missing, low, min(rejected) if rejected else None)


def refresh_live_summaries(today: date) -> int:
    """The daily job: recount every live placement's hours summary (weeks end by the calendar)."""
    placements = db.session.scalars(
        sa.select(Placement)
        .where(Placement.status.in_(LIVE_PLACEMENT_STATUSES))
        .order_by(Placement.id)
    ).all()
    for placement in placements:
        refresh_hours_summary(placement, today)
    return len(placements)


@dataclass(frozen=True)
class HoursHealth:
    amber: tuple[str, ...]
    red: tuple[str, ...]


def hours_reasons(placement, today: date) -> HoursHealth:
    """The hours' health reasons of a placement (or a row with the summary columns)."""
    red: list[str] = []
    amber: list[str] = []
    low = placement.low_hours_weeks or 0
    if low >= LOW_WEEKS_RED:
        red.append(f"approved hours below half the expected for {low} weeks in a row")
    elif low >= LOW_WEEKS_AMBER:
        amber.append(f"approved hours below half the expected for {low} weeks in a row")
    rejected = placement.rejected_since
    if rejected is not None:
        if rejected <= today - REJECTED_RED_AFTER:
            red.append(f"a timesheet rejected on {day(rejected)} is still not corrected")
        else:
            amber.append("a timesheet was rejected")
    missing = placement.missing_weeks or 0
    if missing >= MISSING_RED:
        red.append(f"{missing} weeks without a submitted timesheet")
    elif missing >= MISSING_AMBER:
        amber.append(f"{missing} weeks without a submitted timesheet")
    return HoursHealth(tuple(amber), tuple(red))


def hours_red_sql(today: date) -> sa.ColumnElement[bool]:
    p = Placement
    return sa.or_(
        p.low_hours_weeks >= LOW_WEEKS_RED,
        p.rejected_since <= today - REJECTED_RED_AFTER,
        p.missing_weeks >= MISSING_RED,
    )


def hours_amber_sql() -> sa.ColumnElement[bool]:
    p = Placement
    return sa.or_(
        p.low_hours_weeks >= LOW_WEEKS_AMBER,
        p.rejected_since.is_not(None),
        p.missing_weeks >= MISSING_AMBER,
    )


# --- the staff list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TimesheetFilters:
    client_id: int | None = None
    engineer: str | None = None
    week_start: date | None = None
    status: str | None = None


SORTS = {
    "week": Timesheet.week_start,
    "status": Timesheet.status,
    "hours": Timesheet.total_hours,
    "submitted": Timesheet.submitted_at,
}


def timesheet_list(filters: TimesheetFilters, sort: Sort) -> sa.Select:
    """The staff list: timesheets with their placement's engineer and client, filtered."""
    stmt = (
        sa.select(Timesheet)
        .join(Timesheet.placement)
        .join(Placement.engineer)
        .options(
            joinedload(Timesheet.placement).joinedload(Placement.engineer),
            joinedload(Timesheet.placement).joinedload(Placement.client),
        )
    )
    if filters.client_id is not None:
        stmt = stmt.where(Placement.client_id == filters.client_id)
    if filters.engineer:
        stmt = stmt.where(icontains(Engineer.full_name, filters.engineer))
    if filters.week_start is not None:
        stmt = stmt.where(Timesheet.week_start == week_of(filters.week_start))
    if filters.status:
        stmt = stmt.where(Timesheet.status == filters.status)
    return apply_sort(stmt, sort, SORTS, Timesheet.id)


def export_rows(filters: TimesheetFilters, sort: Sort) -> Iterator[list]:
    """CSV rows: one per entry (a week without entries: one row with no day)."""
    yield [
        "week_start",
        "client",
        "engineer",
        "placement_id",
        "status",
        "date",
        "hours",
        "note",
        "week_total",
        "submitted_at",
        "decided_at",
        "approved_automatically",
        "decision_note",
    ]
    stmt = timesheet_list(filters, sort).options(selectinload(Timesheet.entries))
    # Joined rows are many-to-one (placement, engineer, client): no uniquing, which yield_per
    # refuses; the entries come by selectin, a batch at a time.
    for t in db.session.scalars(stmt.execution_options(yield_per=500)):
        p = t.placement
        common = [t.week_start.isoformat(), p.client.name, p.engineer.full_name, p.id, t.status]
        tail = [
            f"{t.total_hours:g}",
            t.submitted_at.isoformat() if t.submitted_at else "",
            t.decided_at.isoformat() if t.decided_at else "",
            "yes" if t.approved_automatically else "no",
            t.decision_note or "",
        ]
        if not t.entries:
            yield [*common, "", "", "", *tail]
        for e in t.entries:
            yield [*common, e.work_date.isoformat(), f"{e.hours:g}", e.note or "", *tail]


def oldest_waiting(limit: int = 10) -> list[Timesheet]:
    """Submitted timesheets waiting longest for their client (the dashboard)."""
    return list(
        db.session.scalars(
            sa.select(Timesheet)
            .where(Timesheet.status == T.SUBMITTED)
            .options(
                joinedload(Timesheet.placement).joinedload(Placement.engineer),
                joinedload(Timesheet.placement).joinedload(Placement.client),
            )
            .order_by(Timesheet.submitted_at, Timesheet.id)
            .limit(limit)
        ).unique()
    )


def clients_with_timesheets() -> list[tuple[int, str]]:
    """Client choices for the list's filter: those that have a placement, by name. The same
    for all staff, and thousands at agency scale: kept until the next write
    (tracker.infra.cache)."""
    return list(cached("clients with a placement", _clients_with_placements))


def _clients_with_placements() -> tuple[tuple[int, str], ...]:
    return tuple(
        (row.id, row.name)
        for row in db.session.execute(
            sa.select(Client.id, Client.name)
            .where(sa.exists().where(Placement.client_id == Client.id))
            .order_by(sa.func.lower(Client.name))
        )
    )


# --- the pages: one company's timesheets, a week in a URL, the decisions -----------------------


def parse_week(text: str) -> date | None:
    """The Monday a URL names as YYYY-MM-DD; None when the text is no such date or no Monday."""
    if len(text) != 10:  # fromisoformat also reads 20260302 and 2026-W10-1
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        return None
    return value if value.weekday() == 0 else None


def client_timesheet(client_id: int, timesheet_id: int) -> Timesheet | None:
    """One timesheet of the company's placements, entries and engineer loaded; None when it is
    another company's (filtered in SQL: the row is never loaded)."""
    return db.session.scalar(
        sa.select(Timesheet)
        .join(Timesheet.placement)
        .where(Timesheet.id == timesheet_id, Placement.client_id == client_id)
        .options(
            selectinload(Timesheet.entries),
            joinedload(Timesheet.placement).joinedload(Placement.engineer),
            joinedload(Timesheet.placement).joinedload(Placement.request),
        )
    )


def answered_for_client(client_id: int, since: date, limit: int = 30) -> list[Timesheet]:
    """The company's timesheets approved or rejected since that day, the latest answer first."""
    return list(
        db.session.scalars(
            sa.select(Timesheet)
            .join(Timesheet.placement)
            .where(
                Placement.client_id == client_id,
                Timesheet.status.in_((T.APPROVED, T.REJECTED)),
                Timesheet.decided_at >= datetime.combine(since, time.min, tzinfo=UTC),
            )
            .options(
                joinedload(Timesheet.placement).joinedload(Placement.engineer),
                joinedload(Timesheet.decided_by),
            )
            .order_by(Timesheet.decided_at.desc(), Timesheet.id.desc())
            .limit(limit)
        ).unique()
    )


def approve_week_as_shown(
    client_id: int,
    week_start: date,
    shown: dict[int, int],
    actor: User,
    *,
    today: date,
) -> int:
    """Approve the company's submitted timesheets of that week exactly as the approver saw them
    (timesheet id -> version): when one was answered, changed or added since, nothing is
    approved. Returns how many were."""
    sheets = waiting_for_client(client_id, week_start)
    waiting = {t.id for t in sheets}
    if waiting - set(shown):
        raise DomainError(
            f"More hours arrived for the week of {day(week_start)} since you opened the page; "
            "nothing was approved. Review them and approve again."
        )
    if set(shown) - waiting:
        raise DomainError(
            f"Some hours of the week of {day(week_start)} were answered or changed by someone "
            "else since you opened the page; nothing was approved. Review the week as it is now."
        )
    for timesheet in sheets:
        approve(timesheet, actor, today=today, version=shown[timesheet.id])
    return len(sheets)


DECISION_ACTIONS = ("timesheet.submitted", "timesheet.approved", "timesheet.rejected")


@dataclass(frozen=True)
class Decision:
    """A timesheet's submission or answer, as its history shows it."""

    action: str  # submitted, approved, rejected
    at: datetime
    actor: User | None  # None: approved automatically
    on_behalf: bool  # by staff for the engineer (submitted) or the client (answers)
    automatic: bool
    note: str | None  # the reason of a rejection, the note of an approval


def decisions(timesheet: Timesheet, limit: int = 50) -> list[Decision]:
    """The timesheet's submissions and answers, newest first (one query, actors loaded)."""
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.entity_type == "Timesheet",
            AuditEvent.entity_id == timesheet.id,
            AuditEvent.action.in_(DECISION_ACTIONS),
        )
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    shown = []
    for e in events:
        changes = e.changes or {}
        note = (changes.get("reason") or changes.get("note") or [None, None])[1]
        shown.append(
            Decision(
                action=e.action.removeprefix("timesheet."),
                at=e.created_at,
                actor=e.actor,
                on_behalf="on_behalf_of" in changes,
                automatic="automatic" in changes,
                note=note,
            )
        )
    return shown


@dataclass(frozen=True)
class WorkDay:
    """A day of a timesheet's week as the pages show it."""

    work_date: date
    entry: TimesheetEntry | None
    covered: bool  # a day of the placement: hours may be entered on it


def days_of(timesheet: Timesheet) -> list[WorkDay]:
    """The seven days of the timesheet's week, each with its entry (entries already loaded)."""
    entries = {e.work_date: e for e in timesheet.entries}
    covered = set(placement_days(timesheet.placement, timesheet.week_start))
    return [WorkDay(d, entries.get(d), d in covered) for d in week_days(timesheet.week_start)]


def not_waiting(timesheet: Timesheet) -> str | None:
    """Why a timesheet cannot be answered now, in words for whoever tried; None when it waits."""
    decided = day(timesheet.decided_at) if timesheet.decided_at else None
    match timesheet.status:
        case T.SUBMITTED:
            return None
        case T.APPROVED if timesheet.approved_automatically:
            return f"These hours were already approved automatically on {decided}."
        case T.APPROVED:
            return f"These hours were already approved on {decided}; nothing was changed."
        case T.REJECTED:
            return f"These hours were already rejected on {decided}; nothing was changed."
    return "These hours are back with the engineer and not submitted yet; nothing was changed."
