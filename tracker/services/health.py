"""Health of a live placement — green, amber or red — from its reviews and their timeliness.

Red when any of: the latest review says the client would not continue; the average overall
score of the last three reviews is below 3.0; the overall score fell by 1.0 or more between
the last two reviews; two or more reviews are overdue.
Amber when none of those but any of: the average of the last three is below 3.75; the overall
fell by 0.5 or more; one review is overdue.
Green otherwise (also while no review is due yet). A review's overall score is the mean of its
four ratings. Ended placements have no health.

Hours count too (tracker.services.timesheets, from the placement's hours summary): approved
hours below half the expected two weeks in a row, a rejected timesheet, or two weeks without a
submitted timesheet (of the last eight) are amber; four weeks low, a rejection not corrected
within a week, or four missing weeks are red.

Read from the placement's review summary (services.reviews.refresh_summary), in Python for one
placement and as a SQL CASE for lists and the dashboard: the same thresholds in both.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from tracker.models import Placement
from tracker.models.enums import LIVE_PLACEMENT_STATUSES
from tracker.services.schedule import OVERDUE_AFTER
from tracker.services.timesheets import hours_amber_sql, hours_reasons, hours_red_sql

RED_AVERAGE = Decimal("3.0")
AMBER_AVERAGE = Decimal("3.75")
RED_DROP = Decimal("1.0")
AMBER_DROP = Decimal("0.5")
LEVELS = ("green", "amber", "red")


@dataclass(frozen=True)
class Health:
    level: str  # green, amber or red
    reasons: tuple[str, ...]  # the worst first

    @property
    def reason(self) -> str:
        return self.reasons[0] if self.reasons else "on track"


def _fmt(value: Decimal) -> str:
    return f"{value:.2f}"  # as the review tables show an overall


def overdue_count(placement: Placement | sa.Row[*tuple[Any, ...]], today: date) -> int:
    """0, 1 or '2 or more' (reported as 2): missing reviews a week past their due date."""
    overdue_before = today - OVERDUE_AFTER
    return sum(
        1
        for gap in (placement.first_gap_due_on, placement.second_gap_due_on)
        if gap is not None and gap <= overdue_before
    )


def health_of(placement: Placement | sa.Row[*tuple[Any, ...]], today: date) -> Health | None:
    """The placement's health and why; None for an ended placement."""
    if placement.status not in LIVE_PLACEMENT_STATUSES:
        return None
    red, amber = [], []
    average, last, previous = (
        placement.recent_average,
        placement.last_overall,
        placement.previous_overall,
    )
    if placement.last_would_continue is False:
        red.append("the client would not continue")
    if average is not None:
        if average < RED_AVERAGE:
            red.append(f"recent reviews average {_fmt(average)}")
        elif average < AMBER_AVERAGE:
            amber.append(f"recent reviews average {_fmt(average)}")
    if last is not None and previous is not None:
        drop = previous - last
        if drop >= RED_DROP:
            red.append(f"overall fell from {_fmt(previous)} to {_fmt(last)}")
        elif drop >= AMBER_DROP:
            amber.append(f"overall fell from {_fmt(previous)} to {_fmt(last)}")
    overdue = overdue_count(placement, today)
    if overdue >= 2:
        red.append("2 or more reviews overdue")
    elif overdue == 1:
        amber.append("1 review overdue")
    hours = hours_reasons(placement, today)
    red.extend(hours.red)
    amber.extend(hours.amber)
    if red:
        return Health("red", tuple(red + amber))
    if amber:
        return Health("amber", tuple(amber))
    return Health("green", ())


def health_sql(today: date):
    """SQL CASE giving 'red', 'amber', 'green' for a live placement row (NULL when ended)."""
    overdue_before = today - OVERDUE_AFTER
    p = Placement
    drop = p.previous_overall - p.last_overall
    red = sa.or_(
        p.last_would_continue.is_(False),
        p.recent_average < RED_AVERAGE,
        drop >= RED_DROP,
        p.second_gap_due_on <= overdue_before,
        hours_red_sql(today),
    )
    amber = sa.or_(
        p.recent_average < AMBER_AVERAGE,
        drop >= AMBER_DROP,
        p.first_gap_due_on <= overdue_before,
        hours_amber_sql(),
    )
    return sa.case(
        (p.status.not_in(LIVE_PLACEMENT_STATUSES), sa.null()),
        (red, "red"),
        (amber, "amber"),
        else_="green",
    )
