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
        tz = _zone(self.zone)
        begins = datetime.combine(day, self.start, tzinfo=tz).astimezone(UTC)
        end_day = day + ONE_DAY if self.past_midnight else day
        ends = datetime.combine(end_day, self.end, tzinfo=tz).astimezone(UTC)
        if ends <= begins:  # a clock change swallowed the whole window
            return None
        return begins, ends

    def describe(self) -> str:
        """'09:00–17:00 America/New_York'."""
        return f"{self.start:%H:%M}–{self.end:%H:%M} {self.zone}"


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
        return f"from {self.day.isoformat()}: {self.hours:g} h instead of {self.previous:g} h"


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


@lru_cache(maxsize=8192)
def _profile(a: WorkingWindow, b: WorkingWindow, start: date, end: date) -> OverlapProfile:
    # Cached: matching asks once per distinct (request window, engineer window, dates).
    # Between clock changes the overlap depends only on the weekday, so each (stretch between
    # changes, weekday) is computed once; days near a change are computed one by one.
    near = _near_clock_changes(a, b, start, end)
    computed: dict[tuple[int, int], float] = {}
    values: list[tuple[date, float]] = []
    stretch = 0
    day = start
    while day <= end:
        if day in near:
            stretch += 1  # a new stretch begins after each run of days near a change
            if day.weekday() in a.weekdays:
                values.append((day, overlap_hours(a, b, day)))
        elif day.weekday() in a.weekdays:
            key = (stretch, day.weekday())
            if key not in computed:
                computed[key] = overlap_hours(a, b, day)
            values.append((day, computed[key]))
        day += ONE_DAY
    if not values:
        return OverlapProfile(start, end, 0, 0.0, 0.0, 0.0, 0.0, ())
    hours = [v for _, v in values]
    changes = tuple(
        OverlapChange(day, value, previous)
        for (_, previous), (day, value) in zip(values, values[1:], strict=False)
        if value != previous
    )
    typical = Counter(hours).most_common(1)[0][0]
    return OverlapProfile(
        start=start,
        end=end,
        working_days=len(values),
        minimum=min(hours),
        maximum=max(hours),
        average=sum(hours) / len(hours),
        typical=typical,
        changes=changes,
    )
