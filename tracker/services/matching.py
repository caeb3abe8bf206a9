"""Matching: rank the roster for a staffing request, and say why someone is left out.

Hard filters (an engineer failing one never appears), each an entry of HARD_FILTERS holding
its SQL for the ranking query and its words for why-not: vetted; active; not booked during the
engagement (tracker.services.bookings); every must-have skill at or above its level; the
requested seniority or up to MATCH_SENIORITY_STEPS_ABOVE above it; available on or before the
start date; the daily overlap with the team never below the request's minimum over the whole
engagement (start to end, or one year when open-ended), daylight-saving changes included;
hourly_rate x MATCH_MARKUP within the maximum bill rate when one is set.

Then a 0-100 score from weighted components (config MATCH_WEIGHTS), each with a reason.
Cost follows the holders of the rarest must-have, not the roster: one statement counts the
must-haves' holders (a join-order hint, kept per process for some minutes); one returns the
engineers passing the SQL prefilter as plain rows (as the driver hands them over) with their
level in each skill asked for, starting from the rarest must-have's index range and probing
the others by primary key; each component's points are worked out once per distinct input
among them (the overlap once per zone and working hours), and the reasons are written only
for the engineers shown.
"""

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased, selectinload

from tracker.infra.cache import cached
from tracker.infra.listing import icontains
from tracker.models import Engineer, EngineerSkill, Placement, StaffingRequest, db
from tracker.models.enums import Seniority, VettingStatus
from tracker.services.bookings import booking_phrase, engineer_booked, first_clashes
from tracker.services.staffing_requests import effective_hours
from tracker.services.timezones import OverlapProfile, WorkingWindow, overlap_profile
from tracker.text import day

OPEN_ENDED_HORIZON = timedelta(days=365)
RANK_LIMIT = 20  # engineers a match page shows
SENIORITY_RANK = {s.value: s.rank for s in Seniority}


# --- what the request needs ----------------------------------------------------------------


@dataclass(frozen=True)
class SkillNeed:
    skill_id: int
    name: str
    min_level: int
    required: bool


@dataclass(frozen=True)
class Needs:
    """A staffing request reduced to what matching compares."""

    window: WorkingWindow
    start: date
    end: date  # the engagement's last day (one year out when open-ended)
    open_ended: bool
    seniority: str
    min_overlap: float
    max_bill_rate: Decimal | None
    skills: tuple[SkillNeed, ...]

    @property
    def musts(self) -> tuple[SkillNeed, ...]:
        return tuple(s for s in self.skills if s.required)

    @property
    def nices(self) -> tuple[SkillNeed, ...]:
        return tuple(s for s in self.skills if not s.required)


def engagement_end(req: StaffingRequest) -> date:
    """The last day of the engagement: start + duration, or one year when open-ended."""
    if req.duration_weeks:
        return req.start_date + timedelta(days=7 * req.duration_weeks - 1)
    return req.start_date + OPEN_ENDED_HORIZON


def needs_of(req: StaffingRequest) -> Needs:
    """What matching needs to know about a request (its skills and client are loaded)."""
    return Needs(
        window=effective_hours(req).window,
        start=req.start_date,
        end=engagement_end(req),
        open_ended=req.duration_weeks is None,
        seniority=req.seniority,
        min_overlap=float(req.min_overlap_hours),
        max_bill_rate=req.max_bill_rate,
        skills=tuple(
            SkillNeed(rs.skill_id, rs.skill.name, rs.min_level, rs.required)
            for rs in sorted(req.skills, key=lambda rs: (not rs.required, rs.skill.name.lower()))
        ),
    )


def _seniority_steps_above() -> int:
    """How far above the requested seniority an engineer may be (config)."""
    return current_app.config["MATCH_SENIORITY_STEPS_ABOVE"]


def allowed_seniorities(requested: str) -> tuple[str, ...]:
    """The requested seniority and those up to MATCH_SENIORITY_STEPS_ABOVE above it."""
    steps = _seniority_steps_above()
    rank = SENIORITY_RANK[requested]
    return tuple(s for s, r in SENIORITY_RANK.items() if rank <= r <= rank + steps)


def billable_rate(hourly_rate: Decimal) -> Decimal:
    """What the agency bills for this pay rate at the standard markup."""
    return (Decimal(hourly_rate) * current_app.config["MATCH_MARKUP"]).quantize(Decimal("0.01"))


def within_budget(hourly_rate: Decimal, max_bill_rate: Decimal | None) -> bool:
    return max_bill_rate is None or billable_rate(hourly_rate) <= max_bill_rate


# --- the hard filters ----------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What explaining an exclusion knows of one engineer: the engineer (skills loaded) and
    their first booking sharing a day with the engagement (None: free then)."""

    engineer: Engineer
    clash: Placement | None


@dataclass(frozen=True)
class HardFilter:
    """One hard filter, its SQL and its words side by side: an engineer failing it never appears.

    narrow(stmt, needs): the ranking query restricted to the engineers passing it. What SQL does
    not decide exactly (the overlap; the budget to the cent) _best finishes with the helper the
    words use (_overlap_enough, within_budget).
    explain(needs, subject): why this engineer fails it, a sentence per failure (none: passes).
    """

    name: str
    narrow: Callable[[sa.Select, Needs], sa.Select]
    explain: Callable[[Needs, Subject], list[str]]


def _where(condition: Callable[[Needs], Any]) -> Callable[[sa.Select, Needs], sa.Select]:
    """narrow() of a filter one SQL condition on the engineer row decides (None: no limit)."""

    def narrow(stmt: sa.Select, needs: Needs) -> sa.Select:
        clause = condition(needs)
        return stmt if clause is None else stmt.where(clause)

    return narrow


# Working windows (zone, start, end) seen on rosters by this process, up to a bound: the
# overlap filter leaves out in SQL those that fall short for a request, so their engineers
# cost no probes and no rows. Knowing a window never lets anyone through: engineers of a window
# not seen yet reach _best, which decides the overlap of every row itself.
_SEEN_WINDOWS: set[WorkingWindow] = set()
_SEEN_WINDOWS_MAX = 4096


def _seen(window: WorkingWindow) -> None:
    if len(_SEEN_WINDOWS) < _SEEN_WINDOWS_MAX:
        _SEEN_WINDOWS.add(window)


def _without_short_windows(stmt: sa.Select, needs: Needs) -> sa.Select:
    """Leave out the engineers of the windows seen so far whose overlap falls short (the
    profiles are cached: _best reads the same ones)."""
    short = [
        (w.zone, w.start, w.end)
        for w in _SEEN_WINDOWS
        if not _overlap_enough(overlap_profile(needs.window, w, needs.start, needs.end), needs)
    ]
    if not short:
        return stmt
    window = sa.tuple_(Engineer.timezone, Engineer.workday_start, Engineer.workday_end)
    return stmt.where(window.not_in(sorted(short)))


def _vetting_words(needs: Needs, subject: Subject) -> list[str]:
    status = VettingStatus(subject.engineer.vetting_status)
    if status == VettingStatus.VETTED:
        return []
    return [f"not {VettingStatus.VETTED.label.lower()} (vetting status: {status.label.lower()})"]


def _archived_words(needs: Needs, subject: Subject) -> list[str]:
    return [] if subject.engineer.is_active else ["archived (inactive)"]


def _booking_words(needs: Needs, subject: Subject) -> list[str]:
    return [] if subject.clash is None else [booking_phrase(subject.clash, since=True)]


def _must_haves_first(stmt: sa.Select, needs: Needs) -> sa.Select:
    """Start from the engineers holding the rarest must-have at its level (an index range of
    ix_engineer_skill_skill_level), then probe each other must-have by primary key: the work
    follows the holders of the rarest must-have, not the roster or the common skills. Each
    join's level is the row's column for that skill (level_label)."""
    if not needs.musts:
        return stmt
    rarest, *others = _rarest_first(needs.musts)
    held = aliased(EngineerSkill, name="held_0")
    stmt = (
        stmt.select_from(held)
        .join(Engineer, Engineer.id == held.engineer_id)
        .where(held.skill_id == rarest.skill_id, held.level >= rarest.min_level)
        .add_columns(held.level.label(level_label(rarest.skill_id)))
    )
    for n, need in enumerate(others, 1):
        also = aliased(EngineerSkill, name=f"held_{n}")
        stmt = stmt.join(
            also,
            sa.and_(
                also.engineer_id == Engineer.id,
                also.skill_id == need.skill_id,
                also.level >= need.min_level,
            ),
        ).add_columns(also.level.label(level_label(need.skill_id)))
    return stmt


# How many engineers hold a skill at a level or more, per database. Only the order of the
# prefilter's joins follows from it, never who is ranked: a count some minutes old will do (a
# write cannot make a ranking wrong through it, at worst its join order a little slower). Kept
# per process for HOLDERS_MAX_AGE seconds, so the first view after a write does not count again.
_HOLDERS: dict[tuple[str, int, int], tuple[float, int]] = {}
HOLDERS_MAX_AGE = 600.0
_HOLDERS_MAX = 4096


def _rarest_first(musts: tuple[SkillNeed, ...]) -> list[SkillNeed]:
    """The must-haves, those held at their level by the fewest engineers first (ties keep the
    request's order); the counts not known yet come from the covering index, in one statement."""
    if len(musts) < 2:
        return list(musts)
    database, now = db.engine.url.render_as_string(), time.monotonic()
    keys = [(database, m.skill_id, m.min_level) for m in musts]
    known = {
        k: kept[1] for k in keys if (kept := _HOLDERS.get(k)) and now - kept[0] < HOLDERS_MAX_AGE
    }
    if missing := [k for k in keys if k not in known]:
        counts = db.session.execute(
            sa.select(
                *(
                    sa.select(sa.func.count())
                    .where(EngineerSkill.skill_id == skill_id, EngineerSkill.level >= level)
                    .scalar_subquery()
                    for _, skill_id, level in missing
                )
            )
        ).one()
        known.update(zip(missing, counts, strict=True))
        if len(_HOLDERS) + len(missing) > _HOLDERS_MAX:
            _HOLDERS.clear()
        _HOLDERS.update({k: (now, known[k]) for k in missing})
    order = sorted(range(len(musts)), key=lambda i: (known[keys[i]], i))
    return [musts[i] for i in order]


def _skill_words(needs: Needs, subject: Subject) -> list[str]:
    have = {es.skill_id: es.level for es in subject.engineer.skills}
    reasons = []
    for need in needs.musts:
        level = have.get(need.skill_id)
        if level is None:
            reasons.append(f"missing must-have skill {need.name} (level {need.min_level} or more)")
        elif level < need.min_level:
            reasons.append(f"{need.name} at level {level}; the request needs {need.min_level}")
    return reasons


NUMBER_WORDS = {1: "one", 2: "two", 3: "three"}


def _seniority_words(needs: Needs, subject: Subject) -> list[str]:
    seniority = subject.engineer.seniority
    if seniority in allowed_seniorities(needs.seniority):
        return []
    if SENIORITY_RANK[seniority] < SENIORITY_RANK[needs.seniority]:
        return [f"seniority {seniority}; the request needs {needs.seniority}"]
    steps = _seniority_steps_above()
    above = (
        "above"
        if steps == 0
        else f"more than {NUMBER_WORDS.get(steps, steps)} level{'s' if steps != 1 else ''} above"
    )
    return [f"seniority {seniority} is {above} the {needs.seniority} asked for"]


def is_vetted() -> sa.ColumnElement[bool]:
    """SQL: the Engineer row is vetted (hard filter "vetted")."""
    return Engineer.vetting_status == VettingStatus.VETTED


def is_on_roster() -> sa.ColumnElement[bool]:
    """SQL: the Engineer row is not archived (hard filter "active")."""
    return Engineer.is_active.is_(True)


def available_by(day: date) -> sa.ColumnElement[bool]:
    """SQL: the Engineer row is available on or before `day` (hard filter "available")."""
    return sa.or_(Engineer.available_from.is_(None), Engineer.available_from <= day)


def _available_in_time(needs: Needs) -> sa.ColumnElement[bool]:
    return available_by(needs.start)


def _availability_words(needs: Needs, subject: Subject) -> list[str]:
    free = subject.engineer.available_from
    if free is None or free <= needs.start:
        return []
    return [f"available from {day(free)}, after the start on {day(needs.start)}"]


def _overlap_enough(profile: OverlapProfile, needs: Needs) -> bool:
    """The daily overlap never drops below the request's minimum over the engagement."""
    return profile.minimum >= needs.min_overlap


def _overlap_words(needs: Needs, subject: Subject) -> list[str]:
    engineer = subject.engineer
    window = WorkingWindow(engineer.timezone, engineer.workday_start, engineer.workday_end)
    profile = overlap_profile(needs.window, window, needs.start, needs.end)
    if _overlap_enough(profile, needs):
        return []
    drop = profile.first_below(needs.min_overlap)
    if drop is not None and drop.previous >= needs.min_overlap:
        return [
            f"overlap drops to {drop.hours:.1f} h from {day(drop.day)}; "
            f"minimum {needs.min_overlap:g} h"
        ]
    return [f"overlap is {profile.minimum:.1f} h a day; minimum {needs.min_overlap:g} h"]


def _rate_ceiling(needs: Needs):
    if needs.max_bill_rate is None:
        return None
    # A cent of slack for the database's rounding; within_budget() decides exactly, in _best.
    ceiling = needs.max_bill_rate / current_app.config["MATCH_MARKUP"] + Decimal("0.01")
    return Engineer.hourly_rate <= ceiling


def _budget_words(needs: Needs, subject: Subject) -> list[str]:
    rate = subject.engineer.hourly_rate
    if within_budget(rate, needs.max_bill_rate):
        return []
    markup = current_app.config["MATCH_MARKUP"]
    return [
        f"rate ${rate}/h x {markup} = ${billable_rate(rate)}/h "
        f"is over the ${needs.max_bill_rate}/h budget"
    ]


# Every hard filter, in the order why-not lists what an engineer fails: adding one is an entry.
HARD_FILTERS: tuple[HardFilter, ...] = (
    HardFilter(
        "vetted",
        _where(lambda needs: is_vetted()),
        _vetting_words,
    ),
    HardFilter("active", _where(lambda needs: is_on_roster()), _archived_words),
    HardFilter(
        "not booked",
        _where(lambda needs: ~engineer_booked(needs.start, needs.end)),
        _booking_words,
    ),
    HardFilter("must-have skills", _must_haves_first, _skill_words),
    HardFilter(
        "seniority",
        _where(lambda needs: Engineer.seniority.in_(allowed_seniorities(needs.seniority))),
        _seniority_words,
    ),
    HardFilter("available", _where(_available_in_time), _availability_words),
    HardFilter("overlap", _without_short_windows, _overlap_words),
    HardFilter("budget", _where(_rate_ceiling), _budget_words),
)


# --- the SQL prefilter ---------------------------------------------------------------------


def _level_in(skill_id: int):
    """SQL: the row's engineer's level in this skill, NULL when they do not hold it."""
    return (
        sa.select(EngineerSkill.level)
        .where(EngineerSkill.engineer_id == Engineer.id, EngineerSkill.skill_id == skill_id)
        .scalar_subquery()
    )


def level_label(skill_id: int) -> str:
    """The name of the prefilter's column holding the engineer's level in this skill."""
    return f"level_{skill_id}"


def _raw(column):
    """The column as the driver returns it: _best converts each distinct value once (SQLite
    hands times, dates and rates over as text, which a processor would parse row by row)."""
    return sa.type_coerce(column, sa.types.NullType()).label(column.key)


RAW_COLUMNS = (
    Engineer.id,
    Engineer.timezone,
    Engineer.workday_start,
    Engineer.workday_end,
    Engineer.seniority,
    Engineer.hourly_rate,
    Engineer.available_from,
)


def prefilter(needs: Needs) -> sa.Select:
    """Plain rows of the engineers that pass every hard filter as far as SQL decides: the
    engineer's id, zone, hours, seniority, rate and availability as the driver returns them
    (RAW_COLUMNS), and their level in each skill asked for (a column named level_label(id):
    the must-haves' from the joins that require them, the others' by a primary-key probe)."""
    stmt = sa.select(*(_raw(column) for column in RAW_COLUMNS))
    stmt = stmt.add_columns(
        *(_level_in(need.skill_id).label(level_label(need.skill_id)) for need in needs.nices)
    )
    for hard_filter in HARD_FILTERS:
        stmt = hard_filter.narrow(stmt, needs)
    return stmt


# --- scoring -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    """One part of the score: 0-100 on its own, weighted into the total."""

    name: str
    score: float
    weight: int
    reason: str

    @property
    def points(self) -> float:
        return self.score * self.weight / 100


@dataclass(frozen=True)
class SkillFit:
    name: str
    level: int | None  # None: the engineer does not have it
    min_level: int
    required: bool

    @property
    def met(self) -> bool:
        return self.level is not None and self.level >= self.min_level

    @property
    def above(self) -> int:
        """Levels held above the one asked for (0 when not held or below it)."""
        return max(0, self.level - self.min_level) if self.level is not None else 0


@dataclass(frozen=True)
class Match:
    """An engineer who passes every hard filter, with the score explained."""

    engineer: Engineer
    score: float
    components: tuple[Component, ...]
    overlap: OverlapProfile
    skills: tuple[SkillFit, ...]
    billable_rate: Decimal

    @property
    def missing_nice(self) -> list[str]:
        return [s.name for s in self.skills if not s.required and not s.met]


# Each component is a score (for every candidate) and a reason (for the ones shown): ranking
# computes the scores alone, once per distinct input, and words only the best `limit`.


def _skills_score(fits: tuple[SkillFit, ...]) -> float:
    musts = [f for f in fits if f.required]
    nices = [f for f in fits if not f.required]
    # Meeting a must-have's level is worth half; each level above it, up to 5, the rest.
    depth = [0.5 + 0.5 * (f.above / (5 - f.min_level) if f.min_level < 5 else 1) for f in musts]
    nice_share = sum(f.met for f in nices) / len(nices) if nices else None
    if depth and nice_share is not None:
        return 100 * (0.6 * sum(depth) / len(depth) + 0.4 * nice_share)
    if depth:
        return 100 * sum(depth) / len(depth)
    if nice_share is not None:
        return 100 * nice_share
    return 100.0


def _skills_reason(fits: tuple[SkillFit, ...]) -> str:
    musts = [f for f in fits if f.required]
    nices = [f for f in fits if not f.required]
    parts = []
    if musts:
        above = [f"{f.name} +{f.above}" for f in musts if f.above]
        parts.append(f"all {len(musts)} must-have{'s' if len(musts) != 1 else ''}")
        if above:  # which skills, by how many levels: a count of skills read as levels
            parts[-1] += f", above the level asked: {', '.join(above)}"
    if nices:
        met = [f.name for f in nices if f.met]
        parts.append(
            f"{len(met)} of {len(nices)} nice-to-have" + (f" ({', '.join(met)})" if met else "")
        )
    return "; ".join(parts) or "no skills asked for"


def _overlap_score(profile: OverlapProfile, needs: Needs) -> float:
    room = _window_hours(needs.window) - needs.min_overlap
    score = 100.0 if room <= 0 else 100 * min(1.0, (profile.minimum - needs.min_overlap) / room)
    return max(0.0, score)


def _overlap_reason(profile: OverlapProfile, needs: Needs) -> str:
    reason = f"{profile.minimum:g} h a day at least (needs {needs.min_overlap:g} h)"
    lowest = next((c for c in profile.changes if c.hours == profile.minimum), None)
    if lowest is not None:
        reason += f"; {lowest.hours:g} h from {day(lowest.day)}, {lowest.previous:g} h before"
    elif profile.changes:
        reason += f"; up to {profile.maximum:g} h"
    return reason


def _window_hours(window: WorkingWindow) -> float:
    start = window.start.hour * 60 + window.start.minute
    end = window.end.hour * 60 + window.end.minute
    return ((end - start) % (24 * 60)) / 60


def _seniority_score(seniority: str, needs: Needs) -> float:
    return max(0.0, 100 - 40 * (SENIORITY_RANK[seniority] - SENIORITY_RANK[needs.seniority]))


def _seniority_reason(seniority: str, needs: Needs) -> str:
    if seniority == needs.seniority:
        return f"{seniority}, as asked"
    return f"{seniority}, asked for {needs.seniority}"


def _availability_score(available_from: date | None, needs: Needs, today: date) -> float:
    slack = (needs.start - (available_from or today)).days
    # Free well before the start is safest; just in time risks a late finish elsewhere.
    return 60 + 40 * min(1.0, max(slack, 0) / 14)


def _availability_reason(available_from: date | None, needs: Needs, today: date) -> str:
    free = available_from or today
    if free <= today:
        return "available now"
    slack = (needs.start - free).days
    return f"free from {day(free)}, {slack} day{'s' if slack != 1 else ''} before the start"


def _rate_score(billed: Decimal, needs: Needs) -> float:
    if needs.max_bill_rate is None:
        return 50.0
    headroom = float((needs.max_bill_rate - billed) / needs.max_bill_rate)
    return 50 + 50 * min(1.0, headroom / 0.3)


def _rate_reason(billed: Decimal, needs: Needs) -> str:
    if needs.max_bill_rate is None:
        return f"${billed}/h billed; no budget set"
    return f"${billed}/h billed of a ${needs.max_bill_rate}/h budget"


COMPONENTS = ("skills", "overlap", "rate", "seniority", "availability")


def _points(score: float, weight: int) -> float:
    """What a component's score adds to the total."""
    return score * weight / 100


def _total(scores: tuple[float, ...], weights: dict[str, int]) -> float:
    """The 0-100 score: the components' points, summed in COMPONENTS order, to 0.1."""
    points = (_points(score, weights[name]) for name, score in zip(COMPONENTS, scores, strict=True))
    return round(sum(points), 1)


# --- ranking -------------------------------------------------------------------------------


class _Candidate(NamedTuple):
    """What ranking keeps of a prefilter row that passed the overlap and budget."""

    engineer_id: int
    profile: OverlapProfile
    fits: tuple[SkillFit, ...]
    seniority: str
    available_from: date | None
    billed: Decimal


def rank_engineers(
    staffing_request: StaffingRequest, limit: int = RANK_LIMIT, *, today=None
) -> list[Match]:
    """The engineers passing every hard filter, best first (ties by engineer id)."""
    needs, today = needs_of(staffing_request), today or date.today()
    return _matches(_best(needs, limit, today), needs, today)


def shared_ranking(staffing_request: StaffingRequest, limit: int = RANK_LIMIT) -> list[Match]:
    """rank_engineers for today, worked out once per change to the data for all staff.

    The ranking depends only on what the request asks, the roster and the day: the same for
    every member of staff, so the match page keeps it in tracker.infra.cache until a write to
    the roster's tables it read.
    What is kept is plain values; the engineers are loaded afresh for each view.
    """
    needs, today = needs_of(staffing_request), date.today()
    # Keyed by everything _best is given: the roster's tables it reads decide the rest, so
    # an edit of the request itself (read before, into needs) is a new key. _best reads Core
    # rows only: the request and its client, held by the session, are none of its business.
    best = cached(
        ("matching.rank", needs, limit, today),
        lambda: _best(needs, limit, today),
        reaches_held_rows=False,
    )
    return _matches(best, needs, today)


def score_engineer(staffing_request: StaffingRequest, engineer: Engineer, *, today=None):
    """The engineer's Match for this request, or None when a hard filter excludes them."""
    needs, today = needs_of(staffing_request), today or date.today()
    found = _matches(_best(needs, 1, today, only=engineer.id), needs, today)
    return found[0] if found else None


def _best(needs: Needs, limit: int, today: date, only: int | None = None) -> list[_Candidate]:
    """The `limit` best candidates, best first (ties by engineer id), as plain values."""
    weights = current_app.config["MATCH_WEIGHTS"]
    stmt = prefilter(needs)
    if only is not None:
        stmt = stmt.where(Engineer.id == only)
    # Core, on the session's connection: plain rows and the cursor's description (_converters).
    result = db.session.connection().execute(stmt)
    column_at = {name: i for i, name in enumerate(result.keys())}
    level_at = [column_at[level_label(need.skill_id)] for need in needs.skills]
    levels_of = _levels_getter(level_at)
    convert = _converters(result.dialect, result.cursor.description)
    rows = result.all()

    # Candidates share zones, hours, rates, levels and dates: each distinct input is worked
    # out once, as its points in the total, so a candidate costs a few dictionary lookups.
    overlaps: dict[tuple, tuple[OverlapProfile, float] | None] = {}
    rates: dict[Any, tuple[Decimal, float] | None] = {}
    skill_fits: dict[tuple, tuple[tuple[SkillFit, ...], float]] = {}
    seniority_points = {
        s: _points(_seniority_score(s, needs), weights["seniority"])
        for s in allowed_seniorities(needs.seniority)
    }
    availability_points: dict[Any, float] = {}
    scored: list[tuple[float, int, tuple]] = []
    for row in rows:
        engineer_id, zone, starts, ends, seniority, rate, available = row[:7]
        try:
            overlap = overlaps[zone, starts, ends]
        except KeyError:
            window = WorkingWindow(zone, convert["workday_start"](starts),
                                   convert["workday_end"](ends))  # fmt: skip
            _seen(window)
            profile = overlap_profile(needs.window, window, needs.start, needs.end)
            overlap = overlaps[zone, starts, ends] = (
                (profile, _points(_overlap_score(profile, needs), weights["overlap"]))
                if _overlap_enough(profile, needs)
                else None
            )
        if overlap is None:
            continue
        try:
            billing = rates[rate]
        except KeyError:
            hourly_rate = convert["hourly_rate"](rate)
            billed = billable_rate(hourly_rate)
            billing = rates[rate] = (
                (billed, _points(_rate_score(billed, needs), weights["rate"]))
                if within_budget(hourly_rate, needs.max_bill_rate)
                else None
            )
        if billing is None:
            continue
        levels = levels_of(row)
        if (fitting := skill_fits.get(levels)) is None:
            fits = tuple(
                SkillFit(need.name, level, need.min_level, need.required)
                for need, level in zip(needs.skills, levels, strict=True)
            )
            fitting = skill_fits[levels] = (fits, _points(_skills_score(fits), weights["skills"]))
        if (free := availability_points.get(available)) is None:
            free = availability_points[available] = _points(
                _availability_score(convert["available_from"](available), needs, today),
                weights["availability"],
            )
        # The same sum, in the same order, as _total: the same float, so the same rounding.
        total = round(fitting[1] + overlap[1] + billing[1] + seniority_points[seniority] + free, 1)
        scored.append(
            (-total, engineer_id, (overlap[0], fitting[0], seniority, available, billing[0]))
        )

    return [
        _Candidate(
            engineer_id, profile, fits, seniority, convert["available_from"](available), billed
        )
        for _, engineer_id, (profile, fits, seniority, available, billed) in heapq.nsmallest(
            limit, scored
        )
    ]


def _levels_getter(positions: list[int]) -> Callable[[Any], tuple]:
    """What reads a row's levels, in needs.skills order, as a tuple (itemgetter, in C)."""
    if len(positions) > 1:
        return itemgetter(*positions)
    if positions:
        only = positions[0]
        return lambda row: (row[only],)
    return lambda row: ()


def _converters(dialect, description) -> dict[str, Callable[[Any], Any]]:
    """For each raw column of the prefilter (the first ones of `description`, the cursor's),
    what turns the driver's value into Python's: the column type's own result processor, or
    the value itself when the driver already did (PostgreSQL's)."""
    converters = {}
    for column, described in zip(RAW_COLUMNS, description, strict=False):
        impl = column.type.dialect_impl(dialect)
        converters[column.key] = impl.result_processor(dialect, described[1]) or _as_is
    return converters


def _as_is(value):
    return value


def _matches(best: list[_Candidate], needs: Needs, today: date) -> list[Match]:
    """The candidates' Matches, in order, with their engineers loaded in one query."""
    weights = current_app.config["MATCH_WEIGHTS"]
    ids = [c.engineer_id for c in best]
    by_id = {e.id: e for e in db.session.scalars(sa.select(Engineer).where(Engineer.id.in_(ids)))}
    return [
        _explained(by_id[c.engineer_id], c, needs, weights, today)
        for c in best
        if c.engineer_id in by_id
    ]


def _explained(engineer: Engineer, c: _Candidate, needs: Needs, weights, today: date) -> Match:
    """A ranked candidate's Match: every component with its score, weight and reason."""
    parts = {
        "skills": (_skills_score(c.fits), _skills_reason(c.fits)),
        "overlap": (_overlap_score(c.profile, needs), _overlap_reason(c.profile, needs)),
        "rate": (_rate_score(c.billed, needs), _rate_reason(c.billed, needs)),
        "seniority": (_seniority_score(c.seniority, needs), _seniority_reason(c.seniority, needs)),
        "availability": (
            _availability_score(c.available_from, needs, today),
            _availability_reason(c.available_from, needs, today),
        ),
    }
    components = tuple(
        Component(name, parts[name][0], weights[name], parts[name][1]) for name in COMPONENTS
    )
    total = _total(tuple(comp.score for comp in components), weights)
    return Match(engineer, total, components, c.profile, c.fits, c.billed)


# --- explaining an exclusion ---------------------------------------------------------------


WHY_NOT_LIMIT = 10


def why_not(
    staffing_request: StaffingRequest, query: str, ranked_ids: list[int]
) -> list[tuple[Engineer, list[str], int | None]]:
    """Engineers whose name or email contains the query: each with what excludes them and
    their rank when they are ranked (at most WHY_NOT_LIMIT, in three queries)."""
    engineers = db.session.scalars(
        sa.select(Engineer)
        .where(sa.or_(icontains(Engineer.full_name, query), icontains(Engineer.email, query)))
        .options(selectinload(Engineer.skills))
        .order_by(Engineer.full_name, Engineer.id)
        .limit(WHY_NOT_LIMIT)
    ).all()
    needs = needs_of(staffing_request)
    clashes = first_clashes([e.id for e in engineers], needs.start, needs.end)
    return [
        (
            e,
            _exclusions(needs, e, clashes.get(e.id)),
            ranked_ids.index(e.id) + 1 if e.id in ranked_ids else None,
        )
        for e in engineers
    ]


def explain_exclusion(staffing_request: StaffingRequest, engineer: Engineer) -> list[str]:
    """The hard filters this engineer fails for this request, in words (empty: none)."""
    needs = needs_of(staffing_request)
    clash = first_clashes([engineer.id], needs.start, needs.end).get(engineer.id)
    return _exclusions(needs, engineer, clash)


def _exclusions(needs: Needs, engineer: Engineer, clash: Placement | None) -> list[str]:
    """The words of every hard filter the engineer fails, in HARD_FILTERS order."""
    subject = Subject(engineer, clash)
    return [reason for hard in HARD_FILTERS for reason in hard.explain(needs, subject)]
