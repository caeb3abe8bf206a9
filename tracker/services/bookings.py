"""Bookings: when an engineer is booked, said once (issue 13).

An engineer is booked on every day of their live placements (BOOKING_STATUSES: pending and
active; an ended placement frees its days). A placement runs from its start date to its end date,
both included; no end date means open-ended. Two date ranges overlap when they share a day, so a
placement ending on the day another starts overlaps it.

The rule in its three forms, for every caller (matching, placing, the roster, the dashboard):
- overlaps(): the Python check, for two date ranges already in memory;
- overlapping() / engineer_booked(): the SQL conditions, for queries;
- clash_message() / booking_phrase(): the words for a clash.
The database holds the same rule as its last line (the NO_DOUBLE_BOOKING guard of the initial
migration), which a migration must keep frozen and so does not import from here.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.models import Engineer, Placement, db
from tracker.models.enums import LIVE_PLACEMENT_STATUSES, PlacementStatus
from tracker.text import day

# The placement statuses that hold an engineer's days.
BOOKING_STATUSES = LIVE_PLACEMENT_STATUSES


def overlaps(start: date, end: date | None, other_start: date, other_end: date | None) -> bool:
    """Whether [start, end] and [other_start, other_end] share a day (an end None: open)."""
    return (end is None or other_start <= end) and (other_end is None or start <= other_end)


def covering(start: date, end: date | None) -> sa.ColumnElement[bool]:
    """SQL: the placement row's dates share a day with [start, end] (end None: open), whatever
    its status (a timesheet week of an ended placement still belongs to it)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if end is not None:
        conditions.append(Placement.start_date <= end)
    conditions.append(sa.or_(Placement.end_date.is_(None), Placement.end_date >= start))
    return sa.and_(*conditions)


def overlapping(start: date, end: date | None) -> sa.ColumnElement[bool]:
    """SQL: the placement row books its engineer on a day of [start, end] (end None: open)."""
    return sa.and_(Placement.status.in_(BOOKING_STATUSES), covering(start, end))


def engineer_booked(start: date, end: date | None):
    """SQL: the Engineer row of the enclosing query is booked on a day of [start, end]."""
    return (
        sa.select(Placement.id)
        .where(Placement.engineer_id == Engineer.id, overlapping(start, end))
        .exists()
    )


def booking_clash(
    engineer_id: int, start: date, end: date | None, *, ignore_id: int | None = None
) -> Placement | None:
    """The engineer's first booking sharing a day with [start, end] (end None: open), with its
    engineer and client loaded for clash_message; `ignore_id`: a placement that does not count
    (the one whose dates are changing)."""
    stmt = (
        sa.select(Placement)
        .where(Placement.engineer_id == engineer_id, overlapping(start, end))
        .options(selectinload(Placement.engineer), selectinload(Placement.client))
        .order_by(Placement.start_date)
        .limit(1)
    )
    if ignore_id is not None:
        stmt = stmt.where(Placement.id != ignore_id)
    return db.session.scalar(stmt)


def first_clashes(engineer_ids: list[int], start: date, end: date | None) -> dict[int, Placement]:
    """{engineer id: their earliest booking sharing a day with [start, end]} for those booked,
    clients loaded: two queries whatever the number of engineers."""
    if not engineer_ids:
        return {}
    clashes: dict[int, Placement] = {}
    for placement in db.session.scalars(
        sa.select(Placement)
        .where(Placement.engineer_id.in_(engineer_ids), overlapping(start, end))
        .options(selectinload(Placement.client))
        .order_by(Placement.start_date, Placement.id)
    ):
        clashes.setdefault(placement.engineer_id, placement)
    return clashes


def booking_phrase(clash: Placement, *, since: bool = False) -> str:
    """'already placed at Acme until 30 Jun 2027' (active) or 'already booked at …' (pending);
    `since`: with the first day, 'already placed at Acme from 1 Jun 2026 until 30 Jun 2027'."""
    word = "placed" if clash.status == PlacementStatus.ACTIVE else "booked"
    until = f"until {day(clash.end_date)}" if clash.end_date else "with no end date"
    start = f"from {day(clash.start_date)} " if since else ""
    return f"already {word} at {clash.client.name} {start}{until}"


def clash_message(clash: Placement) -> str:
    """'Ana Souza is already placed at Acme until 30 Jun 2027.'"""
    return f"{clash.engineer.full_name} is {booking_phrase(clash)}."
