"""The demo's invoices and pay statements, recomputed cent for cent from its hours and rates.

The demo bills its past months through the same services as the app; here an accountant's
check redoes the sums from the timesheet entries and the rate history alone: every line is
its entries' hours at the rate of their days, every approved hour of a billed month is billed
once and paid once, and numbers run without gaps in the order documents were issued.
"""

import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tests.conftest import fresh_database, make_app
from tracker.demo import data as demo_data
from tracker.extensions import db
from tracker.models import (
    Invoice,
    InvoiceLine,
    PayLine,
    PayStatement,
    Placement,
    Timesheet,
    TimesheetEntry,
)
from tracker.models.enums import InvoiceKind, InvoiceStatus, TimesheetStatus
from tracker.services import invoices
from tracker.services.billing import amount, month_end, month_start, previous_month
from tracker.services.rates import rate_on

# Early in a month (the usual) and late in one (the month before last barely had hours).
DAYS = [date(2026, 3, 2), date(2026, 3, 31)]
NUMBER = re.compile(r"^(INV|PAY)-(\d{4})-(\d{4})$")


@pytest.fixture(scope="module", params=DAYS, ids=lambda day: day.isoformat())
def today(request, database_template, tmp_path_factory) -> date:
    """The demo agency as seeded on that day, once for the module's read-only checks."""
    uri = fresh_database(database_template, tmp_path_factory.mktemp("billing_demo"))
    app = make_app(uri)
    with app.app_context():
        demo_data.seed(today=request.param)
        db.session.commit()
        yield request.param
        db.session.remove()
        db.engine.dispose()


def _entries() -> list[TimesheetEntry]:
    """Every timesheet entry, with its week, placement and the placement's rate history."""
    return list(
        db.session.scalars(
            sa.select(TimesheetEntry).options(
                selectinload(TimesheetEntry.timesheet)
                .selectinload(Timesheet.placement)
                .selectinload(Placement.rates)
            )
        )
    )


def _invoices() -> list[Invoice]:
    return list(
        db.session.scalars(
            sa.select(Invoice)
            .options(selectinload(Invoice.lines), selectinload(Invoice.client))
            .order_by(Invoice.id)
        )
    )


def _statements() -> list[PayStatement]:
    return list(
        db.session.scalars(
            sa.select(PayStatement)
            .options(selectinload(PayStatement.lines))
            .order_by(PayStatement.id)
        )
    )


def _by_line(entries: list[TimesheetEntry], column: str) -> dict[int, list[TimesheetEntry]]:
    """The entries each line covers, read from the entries' own column (not the relationship)."""
    covered = defaultdict(list)
    for entry in entries:
        if (line_id := getattr(entry, column)) is not None:
            covered[line_id].append(entry)
    return covered


def _check_line(line: InvoiceLine | PayLine, covered: list[TimesheetEntry], rate_of) -> None:
    """A line is its entries' hours at the rate of their days, to the cent."""
    assert covered, line
    placement = covered[0].timesheet.placement
    for entry in covered:
        assert entry.timesheet.status == TimesheetStatus.APPROVED, entry
        assert entry.timesheet.placement_id == line.placement_id, entry
        assert line.first_day <= entry.work_date <= line.last_day, entry
        assert rate_of(rate_on(placement, entry.work_date)) == line.rate, entry
    days = [entry.work_date for entry in covered]
    assert (min(days), max(days)) == (line.first_day, line.last_day), line
    assert sum((entry.hours for entry in covered), Decimal(0)) == line.hours, line
    assert line.amount == amount(line.hours, line.rate), line


def _check_numbers(documents: list, series: str) -> None:
    """Issued documents are numbered SERIES-YEAR-0001, 0002, … in the order of their issue
    dates, each year on its own, without gaps or repeats; drafts have no number."""
    by_year: dict[int, list] = defaultdict(list)
    for document in documents:
        if document.status == InvoiceStatus.DRAFT:
            assert document.number is None, document
            assert document.issued_on is None, document
            continue
        match = NUMBER.match(document.number or "")
        assert match, document.number
        assert match[1] == series, document.number
        assert int(match[2]) == document.issued_on.year, document.number
        by_year[document.issued_on.year].append(document)
    assert by_year, f"no {series} document was issued"
    for year, issued in by_year.items():
        issued.sort(key=lambda d: d.number)
        assert [d.number for d in issued] == [
            f"{series}-{year}-{k:04d}" for k in range(1, len(issued) + 1)
        ]
        days = [d.issued_on for d in issued]
        assert days == sorted(days), [(d.number, d.issued_on) for d in issued]


def test_every_invoice_line_is_its_hours_at_the_bill_rate_of_their_days(today):
    covered = _by_line(_entries(), "invoice_line_id")
    all_invoices = _invoices()
    lines_by_id = {line.id: line for invoice in all_invoices for line in invoice.lines}
    checked = 0
    for invoice in all_invoices:
        assert invoice.period_start == month_start(invoice.period_start), invoice
        assert invoice.period_end == month_end(invoice.period_start), invoice
        assert [line.position for line in invoice.lines] == list(
            range(1, len(invoice.lines) + 1)
        ), invoice
        assert invoice.total == sum(line.amount for line in invoice.lines), invoice
        if invoice.is_credit_note:
            continue
        assert invoice.lines, invoice
        assert invoice.total > 0, invoice
        for line in invoice.lines:
            assert line.placement.client_id == invoice.client_id, line
            in_month = covered[line.id]
            assert all(
                invoice.period_start <= e.work_date <= invoice.period_end for e in in_month
            ), line
            _check_line(line, in_month, lambda rate: rate.bill_rate)
            checked += 1
    assert checked > 10
    # No entry points at a line that is gone, or at a credit note's line.
    assert set(covered) <= {i for i, line in lines_by_id.items() if not line.invoice.is_credit_note}


def test_credit_notes_take_off_lines_or_amounts_of_the_invoice_they_credit(today):
    notes = [i for i in _invoices() if i.is_credit_note]
    assert notes
    for note in notes:
        credited = note.credits
        assert credited is not None
        assert credited.kind == InvoiceKind.INVOICE
        assert credited.status != InvoiceStatus.DRAFT
        assert note.status == InvoiceStatus.ISSUED
        assert note.client_id == credited.client_id
        assert (note.period_start, note.period_end) == (credited.period_start, credited.period_end)
        assert note.issued_on >= credited.issued_on
        assert note.note
        assert note.note.startswith("Goodwill")
        assert note.total < 0
        assert note.total == sum(line.amount for line in note.lines)
        assert -note.total <= credited.total
        credited_lines = {line.id: line for line in credited.lines}
        for line in note.lines:
            assert line.amount < 0, line
            assert not line.entries, line  # hours are billed on invoices only
            if line.credits_line_id is not None:  # a whole line reversed
                original = credited_lines[line.credits_line_id]
                assert (line.hours, line.amount) == (-original.hours, -original.amount)
                assert line.rate == original.rate
            else:  # an amount off the invoice
                assert (line.hours, line.rate) == (0, 0), line
                assert line.placement_id in {o.placement_id for o in credited.lines}, line
    assert sum(invoices.creditable(n.credits) for n in notes) > 0


def test_every_approved_hour_of_a_past_month_is_billed_once(today):
    last_month = previous_month(today)
    all_invoices = {i.id: i for i in _invoices()}
    line_invoice = {line.id: i for i in all_invoices.values() for line in i.lines}
    reversed_lines = {
        line.credits_line_id
        for i in all_invoices.values()
        for line in i.lines
        if line.credits_line_id is not None
    }
    billed = 0
    for entry in _entries():
        approved = entry.timesheet.status == TimesheetStatus.APPROVED
        if not approved or entry.work_date >= month_start(today):
            assert entry.invoice_line_id is None, entry  # nothing unapproved, nothing current
            continue
        assert entry.invoice_line_id is not None, entry
        assert entry.invoice_line_id not in reversed_lines, entry
        invoice = line_invoice[entry.invoice_line_id]
        assert not invoice.is_credit_note
        assert invoice.period_start == month_start(entry.work_date)
        assert invoice.client_id == entry.timesheet.placement.client_id
        # Last month's hours are on its drafts; every earlier month's are issued.
        assert invoice.is_draft == (invoice.period_start == last_month), invoice
        billed += 1
    assert billed > 100
    # One invoice per client and month (credit notes aside): billing twice is not possible.
    months = [(i.client_id, i.period_start) for i in all_invoices.values() if not i.is_credit_note]
    assert len(months) == len(set(months))


def test_invoice_numbers_run_without_gaps_in_issue_order_and_fall_due_on_terms(today):
    all_invoices = _invoices()
    _check_numbers(all_invoices, "INV")
    for invoice in all_invoices:
        if invoice.is_draft:
            assert (invoice.due_on, invoice.paid_on) == (None, None), invoice
            continue
        if invoice.is_credit_note:  # it refunds: nothing falls due, nothing is paid
            assert (invoice.due_on, invoice.paid_on) == (None, None), invoice
            assert invoice.status == InvoiceStatus.ISSUED, invoice
            continue
        terms = timedelta(days=invoice.client.payment_terms_days)
        assert invoice.due_on == invoice.issued_on + terms, invoice
        assert invoice.issued_on > invoice.period_end, invoice
        if invoice.status == InvoiceStatus.PAID:
            assert invoice.issued_on <= invoice.paid_on < today, invoice


def test_every_pay_line_is_its_hours_at_the_pay_rate_of_their_days(today):
    entries = _entries()
    covered = _by_line(entries, "pay_line_id")
    statements = _statements()
    last_month = previous_month(today)
    checked = 0
    for statement in statements:
        assert statement.period_end == month_end(statement.period_start), statement
        assert statement.lines, statement
        assert statement.total > 0, statement
        assert statement.total == sum(line.amount for line in statement.lines), statement
        for line in statement.lines:
            assert line.placement.engineer_id == statement.engineer_id, line
            in_month = covered[line.id]
            assert all(
                statement.period_start <= e.work_date <= statement.period_end for e in in_month
            ), line
            _check_line(line, in_month, lambda rate: rate.pay_rate)
            checked += 1
        # Paid for every month before last, a draft for last month.
        if statement.period_start == last_month:
            assert statement.is_draft, statement
        else:
            assert statement.status == InvoiceStatus.PAID, statement
            assert statement.issued_on > statement.period_end, statement
            assert statement.issued_on.weekday() < 5, statement
            assert statement.issued_on <= statement.paid_on < today, statement
    assert checked > 10
    line_statement = {line.id: s for s in statements for line in s.lines}
    for entry in entries:
        approved = entry.timesheet.status == TimesheetStatus.APPROVED
        if not approved or entry.work_date >= month_start(today):
            assert entry.pay_line_id is None, entry
            continue
        statement = line_statement[entry.pay_line_id]  # paid once: one line, one statement
        assert statement.engineer_id == entry.timesheet.placement.engineer_id
        assert statement.period_start == month_start(entry.work_date)
    months = [(s.engineer_id, s.period_start) for s in statements]
    assert len(months) == len(set(months))
    _check_numbers(statements, "PAY")


def test_the_demo_shows_every_state_of_an_invoice(today):
    all_invoices = _invoices()
    kinds = defaultdict(list)
    for invoice in all_invoices:
        kinds[invoice.kind, invoice.status].append(invoice)
    assert kinds[InvoiceKind.INVOICE, InvoiceStatus.ISSUED]
    assert kinds[InvoiceKind.INVOICE, InvoiceStatus.PAID]
    drafts = kinds[InvoiceKind.INVOICE, InvoiceStatus.DRAFT]
    assert drafts
    assert {d.period_start for d in drafts} == {previous_month(today)}
    assert len(kinds[InvoiceKind.CREDIT_NOTE, InvoiceStatus.ISSUED]) == 1
    overdue = invoices.overdue(today)
    assert 1 <= len(overdue) <= demo_data.OVERDUE
    assert all(i.due_on < today and i.paid_on is None for i in overdue)
    assert any(s.status == InvoiceStatus.PAID for s in _statements())
