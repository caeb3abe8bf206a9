"""What an engineer reads in their own area, /me/: their placements, weeks and profile.

Every query takes the engineer's id and filters on it in SQL, so an id of another engineer's
placement or timesheet finds nothing (the page answers 404). Nothing here writes: the week
editor writes through tracker.services.timesheets, whose rules are the only ones.

What the pages show is the engineer's side of a placement only: the client's name, the dates,
the team's hours and the pay rate. Never the bill rate, the margin, the client's notes, its
reviews or anyone else.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from tracker.models import Engineer, EngineerSkill, Placement, Timesheet, db
from tracker.models.enums import LIVE_PLACEMENT_STATUSES
from tracker.services.staffing_requests import WorkingHours, effective_hours
from tracker.services.timesheets import (
    Week,
    expected_hours,
    loggable_days,
    week_of,
)

# Ended placements stay on the engineer's first page this long after their last day.
RECENT = timedelta(days=90)


def today_for(engineer: Engineer) -> date:
    """The engineer's own date: a timesheet's week and days are their local dates."""
    return datetime.now(ZoneInfo(engineer.timezone)).date()


# --- placements -------------------------------------------------------------------------------


def _placements(engineer_id: int) -> sa.Select:
    live_first = sa.case((Placement.status.in_(LIVE_PLACEMENT_STATUSES), 0), else_=1)
    return (
        sa.select(Placement)
        .where(Placement.engineer_id == engineer_id)
        .options(joinedload(Placement.client), joinedload(Placement.request))
        .order_by(live_first, Placement.start_date.desc(), Placement.id.desc())
    )


def my_placements(engineer_id: int, today: date) -> list[Placement]:
    """Live placements, then those ended in the last RECENT days; live first, then newest."""
    recent = sa.or_(
        Placement.status.in_(LIVE_PLACEMENT_STATUSES),
        Placement.end_date >= today - RECENT,
    )
    return list(db.session.scalars(_placements(engineer_id).where(recent).limit(50)).unique())


def has_placements(engineer_id: int) -> bool:
    """Whether the engineer was ever placed (an empty first page says which empty it is)."""
    found = sa.select(Placement.id).where(Placement.engineer_id == engineer_id).limit(1)
    return db.session.scalar(found) is not None


def my_placement(engineer_id: int, placement_id: int) -> Placement | None:
    """One of the engineer's placements, or None (another engineer's included)."""
    return db.session.scalar(_placements(engineer_id).where(Placement.id == placement_id))


def my_timesheet(engineer_id: int, timesheet_id: int) -> Timesheet | None:
    """One of the engineer's timesheets, or None (another engineer's included)."""
    return db.session.scalar(
        sa.select(Timesheet)
        .join(Timesheet.placement)
        .where(Timesheet.id == timesheet_id, Placement.engineer_id == engineer_id)
    )


def my_timesheets(engineer_id: int, status: str | None = None) -> sa.Select:
    """The engineer's timesheets, newest week first, with each placement's client (a page of
    them is read with tracker.infra.pagination)."""
    stmt = (
        sa.select(Timesheet)
        .join(Timesheet.placement)
        .where(Placement.engineer_id == engineer_id)
        .options(joinedload(Timesheet.placement).joinedload(Placement.client))
        .order_by(Timesheet.week_start.desc(), Timesheet.id.desc())
    )
    if status:
        stmt = stmt.where(Timesheet.status == status)
    return stmt


def recent_weeks(placements: list[Placement], today: date) -> dict[int, list[Week]]:
    """This week and last week of each placement (those it covers and that have begun), newest
    first, with their timesheets: one query for all of them."""
    mondays = [week_of(today), week_of(today) - timedelta(days=7)]
    wanted = {p.id: [m for m in mondays if m <= today and loggable_days(p, m)] for p in placements}
    ids = [pid for pid, weeks in wanted.items() if weeks]
    sheets: dict[tuple[int, date], Timesheet] = {}
    if ids:
        sheets = {
            (t.placement_id, t.week_start): t
            for t in db.session.scalars(
                sa.select(Timesheet).where(
                    Timesheet.placement_id.in_(ids), Timesheet.week_start.in_(mondays)
                )
            )
        }
    return {
        p.id: [Week(m, sheets.get((p.id, m)), expected_hours(p, m)) for m in wanted[p.id]]
        for p in placements
    }


# A week with no timesheet from before the tracker expected hours of the placement: not missing.
NOT_LOGGED = "not_logged"
IN_PROGRESS = "in_progress"  # this week, nothing saved yet: not missing until it ends
NOTHING_DUE = "nothing_due"  # a week of the placement without a working day of it


def status_of(placement: Placement, week: Week, today: date) -> str:
    """A week's status as the engineer reads it: its timesheet's; without one, "not_logged"
    for a week the tracker keeps no hours of (before its timesheets began), "in_progress"
    while the week runs, "nothing_due" for one without a working day of the placement (a start
    on a Saturday), else "missing" (health counts it)."""
    if week.timesheet is not None:
        return week.timesheet.status
    if not loggable_days(placement, week.week_start):
        return NOT_LOGGED
    if week.week_end >= today:
        return IN_PROGRESS
    if week.expected == 0:
        return NOTHING_DUE
    return "missing"


# --- the team's hours, in the engineer's zone -------------------------------------------------


@dataclass(frozen=True)
class TeamHours:
    """The hours of the team the engineer works with: in the team's zone, and the same
    instants on the engineer's clock (on a working day near `on`: clock changes move them)."""

    team: WorkingHours
    zone: str  # the engineer's
    starts: datetime | None  # on the engineer's clock
    ends: datetime | None
    on: date

    @property
    def same_zone(self) -> bool:
        return self.team.timezone == self.zone

    def _clock(self, moment: datetime) -> str:
        shift = (moment.date() - self.on).days
        mark = {-1: " (day before)", 1: " (next day)"}.get(shift, "")
        return f"{moment:%H:%M}{mark}"

    @property
    def in_team_zone(self) -> str:
        return f"{self.team.start:%H:%M}–{self.team.end:%H:%M} {self.team.timezone}"

    @property
    def in_your_zone(self) -> str:
        if self.starts is None or self.ends is None:
            return "—"
        return f"{self._clock(self.starts)}–{self._clock(self.ends)} {self.zone}"


def team_hours(placement: Placement, engineer: Engineer, today: date) -> TeamHours:
    """The team's hours of the placement's request (effective_hours: the request's own or its
    client's), and when they fall on the engineer's clock on the next working day of it."""
    hours = effective_hours(placement.request)
    on = max(today, placement.start_date)
    while on.weekday() >= 5:
        on += timedelta(days=1)
    interval = hours.window.interval(on)
    zone = ZoneInfo(engineer.timezone)
    starts, ends = (None, None) if interval is None else (
        interval[0].astimezone(zone), interval[1].astimezone(zone))  # fmt: skip
    return TeamHours(hours, engineer.timezone, starts, ends, on)


# --- the profile -------------------------------------------------------------------------------


def my_profile(engineer_id: int) -> Engineer | None:
    """The engineer's roster record with their skills loaded (skills.ranked_skills orders them)."""
    return db.session.scalar(
        sa.select(Engineer)
        .where(Engineer.id == engineer_id)
        .options(selectinload(Engineer.skills).joinedload(EngineerSkill.skill))
    )
