"""The money figures: what the agency billed, what it paid its engineers, and the difference.

Realized margin (DESIGN.md, "The money side") = billed − paid, per calendar month:

- billed: the totals of the issued and paid invoices *and* credit notes (negative totals) whose
  period_start is in the month, the month the hours were worked, not the month the document
  was issued; a credit note counts in the month of the invoice it corrects;
- paid to engineers: the totals of the issued and paid pay statements of the month.

Drafts are not counted: nothing is owed until a document is issued. Every figure is summed in
SQL, grouped by period_start, so its cost does not follow the months or the documents.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from tracker.models import Client, Invoice, PayStatement, db
from tracker.models.enums import InvoiceKind, InvoiceStatus
from tracker.reports.charts import _category_axis, _count_axis, _month_starts
from tracker.services import invoices
from tracker.services.billing import month_start
from tracker.services.field_rules import CENTS

# Issued documents, paid or not: what the agency and its engineers are owed.
COUNTED = (InvoiceStatus.ISSUED.value, InvoiceStatus.PAID.value)
ZERO = Decimal("0.00")

# Bootstrap 5's palette, like the other charts (tracker.reports.charts).
BILLED_COLOUR = "#0d6efd"
PAID_COLOUR = "#adb5bd"
MARGIN_COLOUR = "#198754"


def _cents(value) -> Decimal:
    # SQLite sums NUMERIC columns as floats, PostgreSQL as exact decimals: both to the cent.
    return ZERO if value is None else Decimal(value).quantize(CENTS)


@dataclass(frozen=True)
class MonthMoney:
    month: date  # its first day
    billed: Decimal
    paid_to_engineers: Decimal

    @property
    def margin(self) -> Decimal:
        """Realized margin: billed − paid to engineers."""
        return self.billed - self.paid_to_engineers


def _per_month(starts: list[date], rows: Iterable[tuple[date, object]]) -> dict[date, Decimal]:
    """Sums per period_start, folded onto the months asked (a missing month is 0.00)."""
    sums = dict.fromkeys(starts, ZERO)
    for period_start, total in rows:
        month = month_start(period_start)
        if month in sums:
            sums[month] += _cents(total)
    return sums


def _window(column, starts: list[date]) -> sa.ColumnElement[bool]:
    return sa.and_(column >= starts[0], column < _month_after(starts[-1]))


def _month_after(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def money_columns(today: date, months: int = 12) -> list[sa.ScalarSelect]:
    """SQL: billed and paid to engineers for each of the last `months` months, two scalar
    subqueries a month (ix_invoice_period_start, ix_pay_statement_period_start), so that
    another one-row query (the dashboard's key figures) can carry them at no extra statement."""
    columns = []
    for first in _month_starts(today, months):
        for model in (Invoice, PayStatement):
            columns.append(
                sa.select(sa.func.sum(model.total))
                .where(model.status.in_(COUNTED), _window(model.period_start, [first]))
                .scalar_subquery()
            )
    return columns


def money_from(today: date, values, months: int = 12) -> tuple[MonthMoney, ...]:
    """The months of money_columns' values, oldest first (an empty month is 0.00)."""
    values = list(values)
    return tuple(
        MonthMoney(first, _cents(values[2 * i]), _cents(values[2 * i + 1]))
        for i, first in enumerate(_month_starts(today, months))
    )


def monthly_money(today: date, months: int = 12) -> list[MonthMoney]:
    """Billed, paid to engineers and realized margin for each of the last `months` months
    (oldest first, today's month last), in one query."""
    values = db.session.execute(sa.select(*money_columns(today, months))).one()
    return list(money_from(today, values, months))


@dataclass(frozen=True)
class ClientRevenue:
    months: list[tuple[date, Decimal]]  # (first day, billed), oldest first
    total: Decimal


def client_revenue(client_id: int, today: date, months: int = 12) -> ClientRevenue:
    """What one client was billed (net of credit notes) in each of the last `months` months."""
    starts = _month_starts(today, months)
    rows = db.session.execute(
        sa.select(Invoice.period_start, sa.func.sum(Invoice.total))
        .where(
            Invoice.client_id == client_id,  # ix_invoice_client_id_period_start
            Invoice.status.in_(COUNTED),
            _window(Invoice.period_start, starts),
        )
        .group_by(Invoice.period_start)
    ).all()
    billed = _per_month(starts, ((r[0], r[1]) for r in rows))
    return ClientRevenue([(m, billed[m]) for m in starts], sum(billed.values(), ZERO))


@dataclass(frozen=True)
class OpenInvoices:
    """A client's issued, unpaid invoices (credit notes aside), and those past their due date."""

    count: int
    total: Decimal
    overdue_count: int
    overdue_total: Decimal


def open_invoices(client_id: int, today: date) -> OpenInvoices:
    """How many of a client's invoices wait for payment, and how many of them are overdue."""
    overdue = invoices.overdue_clause(today)  # the dashboard's rule, not a second one

    def overdue_sum(value):
        return sa.func.coalesce(sa.func.sum(sa.case((overdue, value), else_=0)), 0)

    count, total, overdue_count, overdue_total = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Invoice.total), 0),
            overdue_sum(1),
            overdue_sum(Invoice.total),
        ).where(
            Invoice.client_id == client_id,
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status == InvoiceStatus.ISSUED,
        )
    ).one()
    return OpenInvoices(count, _cents(total), int(overdue_count), _cents(overdue_total))


@dataclass(frozen=True)
class OverdueInvoice:
    id: int
    number: str
    client_name: str
    due_on: date
    total: Decimal
    days_overdue: int


@dataclass(frozen=True)
class Overdue:
    """Invoices past their due date: how many, what they add up to, the longest overdue."""

    count: int
    total: Decimal
    longest: tuple[OverdueInvoice, ...]


def overdue(today: date, limit: int = 5) -> Overdue:
    """The overdue invoices' count and total and the `limit` longest overdue, in one query
    (window functions count and sum every overdue invoice before the limit applies); plain
    values, so the dashboard may cache them."""
    rows = db.session.execute(
        sa.select(
            Invoice.id,
            Invoice.number,
            Client.name,
            Invoice.due_on,
            Invoice.total,
            sa.func.count().over(),
            sa.func.sum(Invoice.total).over(),
        )
        .join(Client, Invoice.client_id == Client.id)
        .where(invoices.overdue_clause(today))
        .order_by(Invoice.due_on, Invoice.id)
        .limit(limit)
    ).all()
    if not rows:
        return Overdue(0, ZERO, ())
    longest = []
    for id_, number, client, due_on, total, _, _ in rows:
        assert number is not None  # an issued invoice has a number
        assert due_on is not None  # and a due date
        longest.append(
            OverdueInvoice(id_, number, client, due_on, _cents(total), (today - due_on).days)
        )
    return Overdue(int(rows[0][5]), _cents(rows[0][6]), tuple(longest))


def _amounts(values: Iterable[Decimal]) -> list[str]:
    # Exact strings, not floats: the accessible table (charts.as_table) prints them as they
    # are, cents included, and Chart.js reads numeric strings as numbers.
    return [f"{value:.2f}" for value in values]


def money_chart(months: list[MonthMoney]) -> dict:
    """Bars of billed and paid to engineers per month, and a line of the realized margin."""
    return {
        "type": "bar",
        "data": {
            "labels": [f"{m.month:%b %Y}" for m in months],
            "datasets": [
                {
                    "label": "Billed",
                    "data": _amounts(m.billed for m in months),
                    "backgroundColor": BILLED_COLOUR,
                    "borderRadius": 4,
                    "order": 2,
                },
                {
                    "label": "Paid to engineers",
                    "data": _amounts(m.paid_to_engineers for m in months),
                    "backgroundColor": PAID_COLOUR,
                    "borderRadius": 4,
                    "order": 2,
                },
                {
                    "type": "line",
                    "label": "Realized margin",
                    "data": _amounts(m.margin for m in months),
                    "borderColor": MARGIN_COLOUR,
                    "backgroundColor": MARGIN_COLOUR,
                    "borderWidth": 3,
                    "tension": 0,
                    "order": 1,  # drawn over the bars
                },
            ],
        },
        "options": {
            "scales": {"x": _category_axis("Month"), "y": _count_axis("US dollars")},
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {"legend": {"position": "bottom"}},
        },
    }
