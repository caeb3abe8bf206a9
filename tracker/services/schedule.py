"""The iteration schedule of a placement: which period each review covers, and when it is due.

Iteration k covers [start + (k-1)·cadence, start + k·cadence - 1], the last one cut short by the
placement's end date. Its review is due the day after the iteration ends, and overdue seven
days after that.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

OVERDUE_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class Iteration:
    number: int
    start: date
    end: date

    @property
    def due_on(self) -> date:
        """The first day a review of this iteration may be written: the day after it ends."""
        return self.end + timedelta(days=1)

    @property
    def overdue_on(self) -> date:
        """From this day on, a missing review is overdue."""
        return self.due_on + OVERDUE_AFTER

    def state(self, today: date, reviewed: bool) -> str:
        """reviewed, upcoming, in_progress, due or overdue."""
        if reviewed:
            return "reviewed"
        if today < self.start:
            return "upcoming"
        if today < self.due_on:
            return "in_progress"
        if today < self.overdue_on:
            return "due"
        return "overdue"


def iteration(start: date, cadence: int, end: date | None, number: int) -> Iteration | None:
    """Iteration `number` of a placement, or None when the placement ends before it."""
    if number < 1:
        return None
    try:
        first = start + timedelta(days=(number - 1) * cadence)
        last = first + timedelta(days=cadence - 1)
    except OverflowError:  # past the end of the calendar (year 9999): no such iteration
        return None
    if end is not None and first > end:
        return None
    if end is not None and last > end:
        last = end
    return Iteration(number, first, last)


def iterations(start: date, cadence: int, end: date | None) -> Iterator[Iteration]:
    """Every iteration in order (endless for an open-ended placement: stop when you need)."""
    number = 1
    while (it := iteration(start, cadence, end, number)) is not None:
        yield it
        number += 1


def iterations_until(start: date, cadence: int, end: date | None, until: date) -> list[Iteration]:
    """The iterations that have started by `until`."""
    result = []
    for it in iterations(start, cadence, end):
        if it.start > until:
            break
        result.append(it)
    return result


def first_gaps(
    start: date, cadence: int, end: date | None, reviewed: set[int], count: int = 2
) -> list[Iteration]:
    """The first `count` iterations without a review (fewer when the placement ends first)."""
    gaps = []
    for it in iterations(start, cadence, end):
        if it.number not in reviewed:
            gaps.append(it)
            if len(gaps) == count:
                break
    return gaps
