"""What invoices and pay statements share: months, gapless numbers, and lines built from hours.

An invoice and a pay statement are the same calculation at two rates: a party's approved
timesheet entries of one calendar month, not yet on a document of that kind, grouped into one
line per placement and rate period (tracker.services.rates.rates_between), each line
hours × rate rounded to the cent (half up), the total the sum of the lines.
"""

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, selectinload

from tracker.models import (
    DocumentNumber,
    Placement,
    PlacementRate,
    StaffingRequest,
    Timesheet,
    TimesheetEntry,
    db,
)
from tracker.models.enums import TimesheetStatus
from tracker.services.field_rules import CENTS
from tracker.services.rates import rates_between

INVOICE_SERIES = "INV"  # invoices and credit notes: one series, INV-2026-0001
PAY_SERIES = "PAY"  # pay statements: PAY-2026-0001
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def amount(hours: Decimal, rate: Decimal) -> Decimal:
    """A line's amount: hours × rate, to the cent, half up (what an accountant recomputes)."""
    return (hours * rate).quantize(CENTS, rounding=ROUND_HALF_UP)


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of the month of a day."""
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def previous_month(today: date) -> date:
    """The first day of the month before today's: the month usually billed."""
    return month_start(month_start(today) - timedelta(days=1))


def parse_month(text: str | None) -> date | None:
    """'2026-11' → 1 Nov 2026; anything else (or a month outside 2000–2999) → None."""
    match = _MONTH.match((text or "").strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (2000 <= year <= 2999 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def month_words(first_day: date) -> str:
    return f"{first_day:%B %Y}"


def next_number(series: str, year: int) -> str:
    """The next number of a series and year, taken inside the caller's transaction.

    UPDATE … SET last = last + 1 locks the counter row until the transaction ends, so a second
    person issuing at the same moment waits and takes the number after; a transaction that
    rolls back gives its number back. Numbers are therefore unique and gapless.
    """
    which = (DocumentNumber.series == series, DocumentNumber.year == year)
    take = (
        sa.update(DocumentNumber)
        .where(*which)
        .values(last=DocumentNumber.last + 1)
        .execution_options(synchronize_session=False)
    )
    taken = cast(sa.CursorResult, db.session.execute(take))
    if taken.rowcount == 0:  # the year's first number: make its counter, once
        try:
            with db.session.begin_nested():
                db.session.add(DocumentNumber(series=series, year=year, last=0))
        except IntegrityError:
            pass  # someone else made it in the meantime
        db.session.execute(take)
    last = db.session.scalar(sa.select(DocumentNumber.last).where(*which))
    return f"{series}-{year}-{last:04d}"


@dataclass
class LineDraft:
    """One line to write: a placement's hours in one rate period of the month."""

    placement: Placement
    first_day: date
    last_day: date
    hours: Decimal
    rate: Decimal
    entries: list[TimesheetEntry] = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return amount(self.hours, self.rate)


def approved_entries(
    *, where: Iterable[sa.ColumnElement[bool]], unbilled: sa.ColumnElement[bool]
) -> list[TimesheetEntry]:
    """Approved entries matching `where` that no document of the kind covers yet (`unbilled`),
    with their placements, rates and people loaded (a fixed number of queries)."""
    stmt = (
        sa.select(TimesheetEntry)
        .join(Timesheet, TimesheetEntry.timesheet_id == Timesheet.id)
        .join(Placement, Timesheet.placement_id == Placement.id)
        .where(Timesheet.status == TimesheetStatus.APPROVED, unbilled, *where)
        .options(
            selectinload(TimesheetEntry.timesheet)
            .selectinload(Timesheet.placement)
            .options(
                selectinload(Placement.rates),
                selectinload(Placement.engineer),
                selectinload(Placement.client),
                selectinload(Placement.request).load_only(StaffingRequest.title),
            )
        )
        .order_by(TimesheetEntry.work_date, TimesheetEntry.id)
    )
    return list(db.session.scalars(stmt))


def build_lines(
    entries: list[TimesheetEntry],
    first_day: date,
    last_day: date,
    rate_of: Callable[[PlacementRate], Decimal],
    order: Callable[[Placement], tuple],
) -> list[LineDraft]:
    """One line per placement and rate period that has hours, in the order `order` gives the
    placements and by date within one."""
    by_placement: dict[int, list[TimesheetEntry]] = defaultdict(list)
    placements: dict[int, Placement] = {}
    for entry in entries:
        placement = entry.timesheet.placement
        by_placement[placement.id].append(entry)
        placements[placement.id] = placement
    lines = []
    for placement in sorted(placements.values(), key=order):
        days = by_placement[placement.id]
        for period in rates_between(placement, first_day, last_day):
            inside = [e for e in days if period.first_day <= e.work_date <= period.last_day]
            if not inside:
                continue
            lines.append(
                LineDraft(
                    placement=placement,
                    first_day=inside[0].work_date,
                    last_day=inside[-1].work_date,
                    hours=sum((e.hours for e in inside), Decimal(0)),
                    rate=rate_of(period.rate),
                    entries=inside,
                )
            )
    return lines


def days_words(first_day: date, last_day: date) -> str:
    """'3–28 Nov 2026', or one day."""
    if first_day == last_day:
        return f"{first_day.day} {first_day:%b %Y}"
    return f"{first_day.day}–{last_day.day} {last_day:%b %Y}"


Column = sa.ColumnElement[int] | InstrumentedAttribute[int]


@dataclass(frozen=True)
class Built:
    """A draft as staleness sees it: whose month it bills, and when it was built."""

    id: int
    party_id: int  # the client (invoice) or the engineer (pay statement)
    first_day: date
    last_day: date
    built_at: datetime


def stale_ids(
    drafts: Iterable[Built],
    *,
    party: Column,
    billed_by: InstrumentedAttribute[int | None],
    line_placement: Column,
    line_owner: Column,
) -> set[int]:
    """The drafts that hours approved, or a rate change written, since they were built have
    made stale: a draft would bill (or pay) something else if built now. `billed_by` is the
    entry's column that points at the kind's lines (an entry not on one is not billed yet).

    One statement for any number of drafts (a page of a list), whose size does not grow with
    them: the parties with approved hours not billed yet in each period the drafts bill, and
    the latest rate written for the placements on each draft's lines.
    """
    drafts = list(drafts)
    if not drafts:
        return set()
    periods = sorted({(d.first_day, d.last_day) for d in drafts})
    # The latest rate written for the placements on each draft's lines (first: its columns
    # type the rows of the whole UNION).
    parts = [
        sa.select(
            sa.literal(-1).label("period"),
            line_owner.label("ref"),
            sa.func.max(PlacementRate.created_at).label("written"),
        )
        .where(PlacementRate.placement_id == line_placement, line_owner.in_({d.id for d in drafts}))
        .group_by(line_owner)
    ]
    for k, (first, last) in enumerate(periods):
        # The parties with approved hours of the period not billed yet: for each of the
        # parties' placements, its approved weeks of the period and their days, a few index
        # probes (nested in the placement, so no database reads every week of the period, nor
        # every entry not billed: every party's unanswered weeks, thousands at agency scale).
        hours = (
            sa.select(Timesheet.id)
            .join(TimesheetEntry, TimesheetEntry.timesheet_id == Timesheet.id)
            .where(
                Timesheet.placement_id == Placement.id,
                Timesheet.status == TimesheetStatus.APPROVED,
                # A week's days are its Monday to Sunday: the weeks that hold the period's days.
                Timesheet.week_start.between(first - timedelta(days=6), last),
                TimesheetEntry.work_date.between(first, last),
                billed_by.is_(None),
            )
            .correlate(Placement)
            .exists()
        )
        parties = {d.party_id for d in drafts if (d.first_day, d.last_day) == (first, last)}
        parts.append(
            sa.select(sa.literal(k), party, sa.cast(sa.null(), PlacementRate.created_at.type))
            .where(party.in_(parties), hours)
            .distinct()
        )
    written: dict[int, datetime] = {}
    waiting: set[tuple[date, date, int]] = set()
    for period, ref, last_written in db.session.execute(sa.union_all(*parts)):
        if period < 0:
            written[ref] = last_written
        else:
            waiting.add((*periods[period], ref))
    return {
        d.id
        for d in drafts
        if (d.first_day, d.last_day, d.party_id) in waiting
        or (d.id in written and written[d.id] > d.built_at)
    }
