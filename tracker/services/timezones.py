"""Time zones: which IANA names the app offers, and how much two working windows overlap.

The overlap contract (DESIGN.md): a *working window* is a zone, a local start and end time and
working weekdays; when end <= start it runs past midnight. `overlap_hours(a, b, on)` is how long
b works during the interval of a that starts on a's local date `on`: 0 when `on` is not one of
a's working days, otherwise the length of that interval's intersection with b's intervals that
start on b's local dates on-1, on and on+1 (each only on b's working days). Wall-clock times
become instants the way zoneinfo does by default (fold=0), so daylight-saving changes of either
zone are taken into account on the very day they happen.
"""

import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache

from tracker.text import day as day_text

ONE_DAY = timedelta(days=1)
WEEKDAYS = frozenset(range(5))  # Monday = 0 … Friday = 4

# Legacy aliases and POSIX-style names: valid for zoneinfo, confusing in a form.
_HIDDEN_PREFIXES = (
    "Etc/",
    "SystemV/",
    "US/",
    "posix",
    "right/",
    "Canada/",
    "Brazil/",
    "Chile/",
    "Mexico/",
)


@cache
def selectable_timezones() -> tuple[str, ...]:
    """Canonical 'Region/City' zone names plus UTC, sorted."""
    names = {
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(_HIDDEN_PREFIXES)
    }
    return tuple(sorted(names | {"UTC"}))


@cache
def _selectable_set() -> frozenset[str]:
    return frozenset(selectable_timezones())


def is_valid_timezone(name: str | None) -> bool:
    """Whether the name is one of the zones the app offers."""
    return bool(name) and name in _selectable_set()


@cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def utc_offset(zone: str, at: datetime | None = None) -> str:
    """The zone's offset from UTC at an instant (now by default): 'UTC−3', 'UTC+5:30'."""
    offset = (at or datetime.now(UTC)).astimezone(_zone(zone)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    if not minutes:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


@dataclass(frozen=True)
class WorkingWindow:
    """Local working hours in an IANA zone on given weekdays (Mon–Fri unless stated)."""

    zone: str
    start: time
    end: time
    weekdays: frozenset[int] = field(default=WEEKDAYS)

    def __post_init__(self):
        if self.start == self.end:
            raise ValueError("a working window needs different start and end times")
        _zone(self.zone)  # raises ZoneInfoNotFoundError for an unknown zone

    @property
    def past_midnight(self) -> bool:
        return self.end <= self.start

    def interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The UTC instants of the working interval starting on local `day`, if one does."""
        if day.weekday() not in self.weekdays:
            return None
        return _interval(self, day)

    def describe(self) -> str:
        """'09:00–17:00 America/New_York'."""
        return f"{self.start:%H:%M}–{self.end:%H:%M} {self.zone}"


@lru_cache(maxsize=65536)
def _interval(window: WorkingWindow, day: date) -> tuple[datetime, datetime] | None:
    # Cached: a profile asks for each day's interval up to three times, and a ranking asks
    # for the team's intervals once per engineer window.
    tz = _zone(window.zone)
    begins = datetime.combine(day, window.start, tzinfo=tz).astimezone(UTC)
    end_day = day + ONE_DAY if window.past_midnight else day
    ends = datetime.combine(end_day, window.end, tzinfo=tz).astimezone(UTC)
    if ends <= begins:  # a clock change swallowed the whole window
        return None
    return begins, ends


def _merged(intervals: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Sorted, non-overlapping union of the intervals."""
    merged: list[tuple[datetime, datetime]] = []
    for begins, ends in sorted(intervals):
        if merged and begins <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], ends))
        else:
            merged.append((begins, ends))
    return merged


def overlap_hours(a: WorkingWindow, b: WorkingWindow, on: date) -> float:
    """Hours b works during a's working interval that starts on a's local date `on`."""
    mine = a.interval(on)
    if mine is None:
        return 0.0
    theirs = [iv for d in (on - ONE_DAY, on, on + ONE_DAY) if (iv := b.interval(d))]
    seconds = 0.0
    for begins, ends in _merged(theirs):
        common = min(mine[1], ends) - max(mine[0], begins)
        if common > timedelta(0):
            seconds += common.total_seconds()
    return seconds / 3600


@dataclass(frozen=True)
class OverlapChange:
    """From `day` on, the daily overlap is `hours` instead of `previous`."""

    day: date
    hours: float
    previous: float

    def describe(self) -> str:
        # The app's one date format ("2 Nov 2026"), like every date beside it on a page.
        return f"from {day_text(self.day)}: {self.hours:g} h instead of {self.previous:g} h"


@dataclass(frozen=True)
class OverlapProfile:
    """Daily overlap over a's working days in a date range."""

    start: date
    end: date
    working_days: int
    minimum: float
    maximum: float
    average: float
    typical: float  # the most frequent daily value
    changes: tuple[OverlapChange, ...]

    @property
    def constant(self) -> bool:
        return not self.changes

    def first_below(self, hours: float) -> OverlapChange | None:
        """The first change that takes the overlap below `hours`, if any."""
        return next((c for c in self.changes if c.hours < hours), None)


def overlap_profile(a: WorkingWindow, b: WorkingWindow, start: date, end: date) -> OverlapProfile:
    """Minimum, maximum, average and the dates the overlap changes, over a's working days."""
    return _profile(a, b, start, end)


@lru_cache(maxsize=64)
def _transition_days(zone: str, year: int) -> tuple[date, ...]:
    """Local dates during which the zone's UTC offset changes (a clock change), in one year."""
    tz = _zone(zone)
    day = date(year, 1, 1)
    offset = datetime.combine(day, time(0), tzinfo=tz).utcoffset()
    changes = []
    while day.year == year:
        following = day + ONE_DAY
        next_offset = datetime.combine(following, time(0), tzinfo=tz).utcoffset()
        if next_offset != offset:
            changes.append(day)
        day, offset = following, next_offset
    return tuple(changes)


def _near_clock_changes(a: WorkingWindow, b: WorkingWindow, start: date, end: date) -> set[date]:
    """Days whose overlap a clock change of either zone can affect (a's interval reaches
    into the next day, b's intervals span the day before to the day after next)."""
    near: set[date] = set()
    for zone in {a.zone, b.zone}:
        for year in range(start.year - 1, end.year + 2):
            for change in _transition_days(zone, year):
                near.update(change + timedelta(days=k) for k in range(-3, 4))
    return near


def _working_days(first: date, last: date, weekdays: frozenset[int]) -> tuple[date | None, int]:
    """The first working day in [first, last] and how many there are."""
    total = (last - first).days + 1
    if total <= 0:
        return None, 0
    weeks, rest = divmod(total, 7)
    count = weeks * len(weekdays) + sum(
        1 for k in range(rest) if (first.weekday() + k) % 7 in weekdays
    )
    offset = next((k for k in range(min(7, total)) if (first.weekday() + k) % 7 in weekdays), None)
    return (None if offset is None else first + timedelta(days=offset)), count


@lru_cache(maxsize=8192)
def _profile(a: WorkingWindow, b: WorkingWindow, start: date, end: date) -> OverlapProfile:
    # Cached: matching asks once per distinct (request window, engineer window, dates).
    # Between clock changes of either zone the overlap depends only on the weekday: such a
    # stretch costs one computation per weekday, and one run when every weekday agrees. Days
    # near a clock change (its effect reaches three days either side) are computed one by one.
    near = sorted(d for d in _near_clock_changes(a, b, start, end) if start <= d <= end)
    runs: list[list] = []  # [first working day, hours, working days], merged when equal

    def add(first: date, hours: float, count: int) -> None:
        if runs and runs[-1][1] == hours:
            runs[-1][2] += count
        else:
            runs.append([first, hours, count])

    def stretch(first: date, last: date) -> None:
        by_weekday = {}
        for k in range(min(7, (last - first).days + 1)):
            day = first + timedelta(days=k)
            if day.weekday() in a.weekdays:
                by_weekday[day.weekday()] = overlap_hours(a, b, day)
        if len(set(by_weekday.values())) <= 1:
            first_working, count = _working_days(first, last, a.weekdays)
            if count and first_working is not None:
                add(first_working, next(iter(by_weekday.values())), count)
            return
        day = first
        while day <= last:
            if day.weekday() in a.weekdays:
                add(day, by_weekday[day.weekday()], 1)
            day += ONE_DAY

    cursor = start
    for day in near:
        if day > cursor:
            stretch(cursor, day - ONE_DAY)
        if day.weekday() in a.weekdays:
            add(day, overlap_hours(a, b, day), 1)
        cursor = day + ONE_DAY
    if cursor <= end:
        stretch(cursor, end)

    if not runs:
        return OverlapProfile(start, end, 0, 0.0, 0.0, 0.0, 0.0, ())
    days = sum(count for _, _, count in runs)
    totals: Counter[float] = Counter()
    for _, hours, count in runs:
        totals[hours] += count
    return OverlapProfile(
        start=start,
        end=end,
        working_days=days,
        minimum=min(totals),
        maximum=max(totals),
        average=sum(hours * count for _, hours, count in runs) / days,
        typical=max(totals, key=lambda h: (totals[h], -h)),
        changes=tuple(
            OverlapChange(first, hours, previous[1])
            for previous, (first, hours, _) in zip(runs, runs[1:], strict=False)
        ),
    )
