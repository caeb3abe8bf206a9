"""Rates over time: what a placement bills and pays per hour, and from which day.

A placement's rates change only here, through a rate change with an effective date
(PlacementRate); the rate of a day is the one with the latest effective_from on or before it.
Placement.bill_rate and pay_rate are a copy of the rate in effect today, for the many pages and
figures that read the current rate: this module keeps them equal to it, on every change and in
the daily job when a change dated ahead takes effect (apply_rates_in_effect).

For invoices: rate_on answers "which rate applied on day D", rates_between splits a period
into the stretches of one rate each, and invoiced_until says up to which day a placement is
invoiced, so that no change can reprice a day already billed.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from tracker.infra.audit import json_safe, pending_changes, record_event
from tracker.models import Invoice, InvoiceLine, Placement, PlacementRate, User, db, utcnow
from tracker.models.enums import InvoiceKind, InvoiceStatus
from tracker.services import DomainError, ensure_version
from tracker.services.field_rules import CENTS, RuleError, max_length, money
from tracker.text import day as day_text

MAX_NOTE = 500
_RATE_FIELDS = {"bill_rate", "pay_rate"}


@dataclass(frozen=True)
class RatePeriod:
    """Consecutive days billed and paid at one rate: first_day to last_day, both included."""

    first_day: date
    last_day: date
    rate: PlacementRate


def invoiced_until(placement: Placement) -> date | None:
    """The last day of the placement billed on an issued invoice and not credited back, or
    None while none is: its rates up to that day are fixed (a credit note frees them)."""
    credited_back = sa.select(InvoiceLine.credits_line_id).where(
        InvoiceLine.credits_line_id.is_not(None)
    )
    return db.session.scalar(
        sa.select(sa.func.max(InvoiceLine.last_day))
        .join(Invoice, InvoiceLine.invoice_id == Invoice.id)
        .where(
            InvoiceLine.placement_id == placement.id,
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status != InvoiceStatus.DRAFT,
            InvoiceLine.id.not_in(credited_back),
        )
    )


def is_invoiced(placement: Placement, day: date) -> bool:
    """Whether a day of the placement lies inside a period already invoiced."""
    until = invoiced_until(placement)
    return until is not None and day <= until


def check_rates(bill_rate: Decimal, pay_rate: Decimal) -> None:
    """The rule a placement's rates obey, at creation and at every change."""
    if bill_rate < 0 or pay_rate < 0:
        raise DomainError("Rates cannot be negative.")
    for label, value in (("bill rate", bill_rate), ("pay rate", pay_rate)):
        try:
            money(value)
        except RuleError as e:
            raise DomainError(f"The {label}: {e}") from None
    if bill_rate < pay_rate:
        raise DomainError(
            f"The bill rate (${bill_rate}/h) is below the pay rate (${pay_rate}/h): "
            "the agency would lose money on every hour."
        )


def _by_date(placement: Placement) -> list[PlacementRate]:
    return sorted(placement.rates, key=lambda r: r.effective_from)


def rate_on(placement: Placement, day: date) -> PlacementRate:
    """The rate in effect on a day: the one with the latest effective_from on or before it.

    A day before the first rate has the first rate (a placement activated early starts before
    its first rate's date). A placement with no rate row at all (the benchmarks' large data,
    written without the services) has its own bill_rate and pay_rate from its start date: an
    unsaved PlacementRate is returned for them.
    """
    rates = _by_date(placement)
    if not rates:
        return PlacementRate(
            placement_id=placement.id,
            effective_from=placement.start_date,
            bill_rate=placement.bill_rate,
            pay_rate=placement.pay_rate,
        )
    current = rates[0]
    for rate in rates[1:]:
        if rate.effective_from > day:
            break
        current = rate
    return current


def rates_between(placement: Placement, start: date, end: date) -> list[RatePeriod]:
    """The periods of one rate each that cover [start, end] exactly, in order (none when end is
    before start): what an invoice line per rate period bills."""
    if end < start:
        return []
    periods = []
    first, current = start, rate_on(placement, start)
    for rate in _by_date(placement):
        if start < rate.effective_from <= end:
            periods.append(RatePeriod(first, rate.effective_from - timedelta(days=1), current))
            first, current = rate.effective_from, rate
    periods.append(RatePeriod(first, end, current))
    return periods


def start_rates(placement: Placement, actor: User | None) -> PlacementRate:
    """The placement's first rate: its own rates, from its start date (written at creation)."""
    rate = PlacementRate(
        placement=placement,
        effective_from=placement.start_date,
        bill_rate=placement.bill_rate,
        pay_rate=placement.pay_rate,
        created_by=actor,
    )
    db.session.add(rate)
    return rate


def change_rate(
    placement: Placement,
    *,
    effective_from: date,
    bill_rate: Decimal,
    pay_rate: Decimal,
    note: str | None,
    actor: User | None,
    today: date,
    version: int | str | None = None,
) -> PlacementRate:
    """Bill and pay at new rates from a day on, recorded in the placement's history.

    The day lies within the placement's dates and after what is invoiced. A second change on
    the same day replaces the first one (its rates were never billed, or the day would be
    invoiced and refused): correcting a mistyped raise needs no third rate.
    """
    ensure_version(placement, version, "This placement")
    check_rates(bill_rate, pay_rate)
    bill_rate, pay_rate = bill_rate.quantize(CENTS), pay_rate.quantize(CENTS)  # as stored
    note = (note or "").strip() or None
    if note is not None:
        try:
            max_length(MAX_NOTE)(note)
        except RuleError as e:
            raise DomainError(f"The note: {e}") from None
    if effective_from < placement.start_date:
        raise DomainError(
            f"The placement starts on {day_text(placement.start_date)}: "
            "new rates cannot take effect before it."
        )
    if placement.end_date is not None and effective_from > placement.end_date:
        raise DomainError(
            f"The placement ends on {day_text(placement.end_date)}: "
            "new rates cannot take effect after it."
        )
    until = invoiced_until(placement)
    if until is not None and effective_from <= until:
        raise DomainError(
            f"{day_text(effective_from)} is inside a period already invoiced (up to "
            f"{day_text(until)}): date the change after it, or correct the invoice with a "
            "credit note."
        )
    if not placement.rates:  # written before rates were kept: its own rates come first
        start_rates(placement, actor)
    before = rate_on(placement, effective_from)
    if before.bill_rate == bill_rate and before.pay_rate == pay_rate:
        raise DomainError(
            f"Those are already the rates on {day_text(effective_from)} "
            f"(${bill_rate}/h billed, ${pay_rate}/h paid); nothing changed."
        )
    changes = {
        "effective_from": [None, json_safe(effective_from)],
        "bill_rate": [json_safe(before.bill_rate), json_safe(bill_rate)],
        "pay_rate": [json_safe(before.pay_rate), json_safe(pay_rate)],
        "note": [None, note],
    }
    if before.effective_from == effective_from:  # a second change that day replaces the first
        rate = before
        changes["effective_from"][0] = json_safe(effective_from)
        changes["note"][0] = rate.note
        rate.bill_rate, rate.pay_rate, rate.note = bill_rate, pay_rate, note
        rate.created_by, rate.created_at = actor, utcnow()
    else:
        rate = PlacementRate(
            placement=placement,
            effective_from=effective_from,
            bill_rate=bill_rate,
            pay_rate=pay_rate,
            note=note,
            created_by=actor,
        )
        db.session.add(rate)
    current = rate_on(placement, today)
    _set_current(placement, current.bill_rate, current.pay_rate)
    # The placement's version moves with every rate change, current or not, so a form opened
    # before another person's change is refused rather than answered with a stale history.
    placement.updated_at = utcnow()
    record_event(actor, "placement.rate_changed", placement, changes)
    return rate


def _set_current(placement: Placement, bill_rate: Decimal, pay_rate: Decimal) -> None:
    """The one place a placement's current rates are assigned after its creation."""
    if (placement.bill_rate, placement.pay_rate) != (bill_rate, pay_rate):
        placement.bill_rate = bill_rate
        placement.pay_rate = pay_rate


def apply_rates_in_effect(placements: list[Placement], today: date) -> int:
    """Bring each placement's current rates to the rate in effect today, in one query; a
    change dated ahead takes effect on its day (run by the daily job). Returns how many
    placements changed; each change is recorded, by the system."""
    if not placements:
        return 0
    ids = [p.id for p in placements]
    latest = (
        sa.select(
            PlacementRate.placement_id, sa.func.max(PlacementRate.effective_from).label("day")
        )
        .where(PlacementRate.placement_id.in_(ids), PlacementRate.effective_from <= today)
        .group_by(PlacementRate.placement_id)
        .subquery()
    )
    in_effect = {
        placement_id: (bill, pay)
        for placement_id, bill, pay in db.session.execute(
            sa.select(
                PlacementRate.placement_id, PlacementRate.bill_rate, PlacementRate.pay_rate
            ).join(
                latest,
                sa.and_(
                    PlacementRate.placement_id == latest.c.placement_id,
                    PlacementRate.effective_from == latest.c.day,
                ),
            )
        )
    }
    changed = 0
    for placement in placements:
        rates = in_effect.get(placement.id)
        if rates is None or rates == (placement.bill_rate, placement.pay_rate):
            continue
        _set_current(placement, *rates)
        changes = pending_changes(placement, _RATE_FIELDS)
        record_event(None, "placement.rates_took_effect", placement, changes)
        changed += 1
    return changed
