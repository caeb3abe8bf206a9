"""Invoices: a client's approved hours of one month, billed once, numbered without gaps,
never changed once issued.

- draft(client, month): builds (or rebuilds) the month's draft from the approved entries no
  invoice covers yet: a line per placement and rate period. Each entry points at its line
  (invoice_line_id), so no entry is ever on two invoices; deleting or rebuilding a draft frees
  its entries first.
- A draft is out of date when hours were approved, or a rate changed, after it was built;
  issuing one is refused until it is rebuilt.
- issue(): the next number of the year (INV-2026-0001, shared with credit notes), the issue
  date and the due date (Client.payment_terms_days). From then on the database refuses any
  change but marking it paid.
- credit(): a credit note, numbered in the same series, with negative lines for the lines it
  corrects (whose hours become billable again) and/or an amount; never more than what is left
  of the invoice.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from tracker.infra.audit import json_safe, record_event
from tracker.infra.listing import Sort, apply_sort
from tracker.models import (
    Client,
    Engineer,
    Invoice,
    InvoiceLine,
    Placement,
    Timesheet,
    TimesheetEntry,
    User,
    db,
    utcnow,
)
from tracker.models.enums import InvoiceKind, InvoiceStatus, TimesheetStatus
from tracker.services import DomainError, ensure_version, webhooks
from tracker.services.billing import (
    INVOICE_SERIES,
    Built,
    LineDraft,
    approved_entries,
    build_lines,
    days_words,
    month_end,
    month_start,
    month_words,
    next_number,
    stale_ids,
)
from tracker.services.field_rules import CENTS
from tracker.services.status_moves import (
    STAFF,
    SYSTEM,
    Moves,
    may,
    mover,
    only_people,
    people_who_may,
)
from tracker.text import day as day_text

S = InvoiceStatus

# Who may move an invoice or credit note: staff, or the system (a scripted run) — never a
# client or an engineer. Issued → paid is the only move after issuing.
INVOICE_STATUS_MOVES: Moves = {
    (S.DRAFT, S.ISSUED): STAFF | SYSTEM,
    (S.ISSUED, S.PAID): STAFF | SYSTEM,
}


def _move_invoice(invoice: Invoice, target: str, actor: User | None) -> None:
    """The one place an invoice's status changes, when the table lets the mover make it."""
    by = mover(actor)
    if not may(INVOICE_STATUS_MOVES, invoice.status, target, by):
        if people := people_who_may(INVOICE_STATUS_MOVES, invoice.status, target):
            raise DomainError(f"{invoice.title} cannot be {target} by you: {only_people(people)}.")
        raise DomainError(f"{invoice.title} is {invoice.status}; it cannot become {target}.")
    invoice.status = target


REASON_LENGTH = 1000
MAX_CREDIT = Decimal("99999999.99")


def _unbilled(client_id: int, first_day: date, last_day: date) -> list[sa.ColumnElement[bool]]:
    return [
        Placement.client_id == client_id,
        TimesheetEntry.work_date.between(first_day, last_day),
    ]


def line_order(placement: Placement) -> tuple:
    """The order an invoice prints its placements in: by engineer, then start date."""
    return (placement.engineer.full_name.casefold(), placement.start_date, placement.id)


def line_description(placement: Placement) -> str:
    """What a line says it is for, as printed."""
    return f"{placement.engineer.full_name} — {placement.request.title}"[:300]


def find_draft(client_id: int, month: date) -> Invoice | None:
    return db.session.scalar(
        sa.select(Invoice).where(
            Invoice.client_id == client_id,
            Invoice.period_start == month_start(month),
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status == S.DRAFT,
        )
    )


def _billable(client_id: int, month: date) -> list[LineDraft]:
    first, last = month_start(month), month_end(month)
    entries = approved_entries(
        where=_unbilled(client_id, first, last), unbilled=TimesheetEntry.invoice_line_id.is_(None)
    )
    return build_lines(entries, first, last, lambda rate: rate.bill_rate, line_order)


def _write_lines(invoice: Invoice, lines: list[LineDraft]) -> None:
    for position, line in enumerate(lines, start=1):
        row = InvoiceLine(
            position=position,
            placement=line.placement,
            description=line_description(line.placement),
            first_day=line.first_day,
            last_day=line.last_day,
            hours=line.hours,
            rate=line.rate,
            amount=line.amount,
        )
        invoice.lines.append(row)
        for entry in line.entries:
            entry.invoice_line = row
    invoice.total = sum((line.amount for line in lines), Decimal("0.00"))


def _clear_lines(invoice: Invoice) -> None:
    """Free the draft's entries and drop its lines (written before the new ones)."""
    ids = [line.id for line in invoice.lines if line.id is not None]
    if ids:
        db.session.execute(
            sa.update(TimesheetEntry)
            .where(TimesheetEntry.invoice_line_id.in_(ids))
            .values(invoice_line_id=None)
            .execution_options(synchronize_session="fetch")
        )
    invoice.lines.clear()
    db.session.flush()


def _require_draft(invoice: Invoice, verb: str) -> None:
    if not invoice.is_draft:
        raise DomainError(
            f"{invoice.title} is {invoice.status}: an issued invoice never changes, so it "
            f"cannot be {verb}. Correct it with a credit note."
        )


def draft(client: Client, month: date, actor: User | None) -> tuple[Invoice, bool]:
    """The month's draft for a client, built afresh; (draft, True) when it is new.

    An existing draft is rebuilt (and so picks up hours approved since); with no approved hours
    left to bill, nothing is created and the user is told.
    """
    existing = find_draft(client.id, month)
    if existing is not None:
        rebuild(existing, actor)
        return existing, False
    lines = _billable(client.id, month)
    if not lines:
        raise DomainError(
            f"{client.name} has no approved hours in {month_words(month_start(month))} "
            "that are not invoiced yet: there is nothing to bill."
        )
    invoice = Invoice(
        client=client,
        kind=InvoiceKind.INVOICE,
        period_start=month_start(month),
        period_end=month_end(month),
        created_by=actor,
    )
    db.session.add(invoice)
    _write_lines(invoice, lines)
    record_event(
        actor,
        "invoice.drafted",
        invoice,
        {"total": [None, json_safe(invoice.total)], "lines": [None, len(lines)]},
    )
    return invoice, True


def rebuild(invoice: Invoice, actor: User | None, *, version=None) -> None:
    """Build a draft's lines again from the approved hours and today's rate history."""
    ensure_version(invoice, version, "This invoice")
    _require_draft(invoice, "rebuilt")
    before = invoice.total
    _clear_lines(invoice)
    _write_lines(invoice, _billable(invoice.client_id, invoice.period_start))
    invoice.updated_at = utcnow()  # built now: out of date only after this
    record_event(
        actor,
        "invoice.rebuilt",
        invoice,
        {"total": [json_safe(before), json_safe(invoice.total)]},
    )


def delete_draft(invoice: Invoice, actor: User | None, *, version=None) -> None:
    """Delete a draft; its hours are free to bill again."""
    ensure_version(invoice, version, "This invoice")
    _require_draft(invoice, "deleted")
    record_event(actor, "invoice.deleted", invoice, {"total": [json_safe(invoice.total), None]})
    _clear_lines(invoice)
    db.session.delete(invoice)


def out_of_date(invoice: Invoice) -> bool:
    """Whether a draft no longer bills what it would if built now."""
    return invoice.id in out_of_date_ids([invoice])


def out_of_date_ids(invoices: Iterable[Invoice]) -> set[int]:
    """The drafts among `invoices` that hours approved, or rates changed, since they were built
    have made stale (one statement for a whole page)."""
    return stale_ids(
        (
            Built(i.id, i.client_id, i.period_start, i.period_end, i.updated_at)
            for i in invoices
            if i.is_draft and not i.is_credit_note
        ),
        party=Placement.client_id,
        billed_by=TimesheetEntry.invoice_line_id,
        line_placement=InvoiceLine.placement_id,
        line_owner=InvoiceLine.invoice_id,
    )


def issue(invoice: Invoice, actor: User | None, *, today: date, version=None) -> None:
    """Number, date and send a draft; from then on it never changes."""
    ensure_version(invoice, version, "This invoice")
    if not invoice.is_draft:
        raise DomainError(f"{invoice.title} is already {invoice.status}; it is issued once.")
    # The number first: its UPDATE holds the series (and, on SQLite, the write lock) until the
    # end, so what follows is read and written by one issuer at a time; a refusal below rolls
    # back and gives the number back.
    number = next_number(INVOICE_SERIES, today.year)
    if not invoice.lines or (not invoice.is_credit_note and invoice.total <= 0):
        raise DomainError(
            f"{invoice.title} has nothing to bill: an empty invoice is not issued. "
            "Rebuild it after hours are approved, or delete it."
        )
    if out_of_date(invoice):
        raise DomainError(
            f"{invoice.title} is out of date: hours were approved or rates changed since it "
            "was built. Rebuild it, check it, then issue it."
        )
    # A credit note is owed nothing: it has no due date.
    terms = None if invoice.is_credit_note else invoice.client.payment_terms_days
    due_on = None if terms is None else today + timedelta(days=terms)
    # One UPDATE: once the status reads issued, the database refuses any further change.
    with db.session.no_autoflush:
        invoice.number = number
        _move_invoice(invoice, S.ISSUED, actor)
        invoice.issued_on = today
        invoice.due_on = due_on
        invoice.issued_by = actor
    record_event(
        actor,
        "invoice.issued",
        invoice,
        {
            "status": [S.DRAFT.value, S.ISSUED.value],
            "number": [None, invoice.number],
            "due_on": [None, json_safe(invoice.due_on)],
        },
    )
    webhooks.emit("invoice.issued", webhooks.invoice_data(invoice))


def mark_paid(
    invoice: Invoice, actor: User | None, *, paid_on: date, today: date, version=None
) -> None:
    """Record the client's payment of an issued invoice."""
    ensure_version(invoice, version, "This invoice")
    if invoice.is_credit_note:
        raise DomainError("A credit note is not paid: it reduces what the client owes.")
    if invoice.status != S.ISSUED:
        if invoice.is_draft:
            raise DomainError(f"{invoice.title} is a draft: issue it before recording payment.")
        raise DomainError(f"{invoice.title} is already paid (on {day_text(invoice.paid_on)}).")
    assert invoice.issued_on is not None
    if paid_on > today:
        raise DomainError("The payment date is in the future: record a payment once it arrived.")
    if paid_on < invoice.issued_on:
        raise DomainError(
            f"The payment date is before the invoice was issued ({day_text(invoice.issued_on)})."
        )
    with db.session.no_autoflush:
        _move_invoice(invoice, S.PAID, actor)
        invoice.paid_on = paid_on
    record_event(
        actor,
        "invoice.paid",
        invoice,
        {"status": [S.ISSUED.value, S.PAID.value], "paid_on": [None, json_safe(paid_on)]},
    )


# --- credit notes -----------------------------------------------------------------------------


def credited_total(invoice: Invoice) -> Decimal:
    """What credit notes have taken off an invoice so far (a positive amount)."""
    return -sum((note.total for note in invoice.credit_notes), Decimal("0.00"))


def creditable(invoice: Invoice) -> Decimal:
    """What is left of an invoice to credit."""
    return invoice.total - credited_total(invoice)


def credited_line_ids(invoice: Invoice) -> set[int]:
    """The invoice's lines that a credit note has already reversed in full."""
    return {
        line.credits_line_id
        for note in invoice.credit_notes
        for line in note.lines
        if line.credits_line_id is not None
    }


def parse_amount(text: str | None) -> Decimal | None:
    """A credit amount as typed ('' → None); a bad one raises DomainError."""
    text = (text or "").strip().replace(",", "").lstrip("$")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        message = f"'{text}' is not an amount: type dollars and cents, like 120.50."
        raise DomainError(message) from None
    if not value.is_finite() or value <= 0 or value > MAX_CREDIT:
        raise DomainError("The amount to credit must be more than $0.00.")
    if value != value.quantize(CENTS):
        raise DomainError("The amount to credit has more than two decimals.")
    return value


def amount_credit_description(number: str | None, reason: str) -> str:
    """What a credit note's line of an amount (not of whole lines) on the invoice of this
    number says, as printed."""
    return f"Credit on {number}: {reason}"[:300]


@dataclass
class CreditRequest:
    """What a credit note corrects: whole lines (their hours billable again) and/or an amount."""

    reason: str
    line_ids: list[int] = field(default_factory=list)
    amount: Decimal | None = None


def credit(
    invoice: Invoice, request: CreditRequest, actor: User | None, *, today: date, version=None
) -> Invoice:
    """Issue a credit note against an issued invoice; returns it (numbered INV-…)."""
    ensure_version(invoice, version, "This invoice")
    if invoice.is_credit_note:
        raise DomainError("A credit note cannot itself be credited.")
    if invoice.is_draft:
        raise DomainError(f"{invoice.title} is a draft: change or delete it instead of crediting.")
    reason = (request.reason or "").strip()
    if not reason:
        raise DomainError("Say why the invoice is credited: the reason is printed on the note.")
    if len(reason) > REASON_LENGTH:
        raise DomainError(f"The reason is longer than {REASON_LENGTH} characters.")
    lines_by_id = {line.id: line for line in invoice.lines}
    chosen = sorted(set(request.line_ids))
    if any(line_id not in lines_by_id for line_id in chosen):
        raise DomainError("A chosen line is not a line of this invoice.")
    already = credited_line_ids(invoice) & set(chosen)
    if already:
        raise DomainError(
            "Line "
            + ", ".join(str(lines_by_id[i].position) for i in sorted(already))
            + " was already credited."
        )
    if not chosen and request.amount is None:
        raise DomainError("Choose the lines to credit, or an amount, or both.")
    total = sum((lines_by_id[i].amount for i in chosen), Decimal("0.00")) + (
        request.amount or Decimal("0.00")
    )
    left = creditable(invoice)
    if total > left:
        raise DomainError(
            f"A credit note of ${total:,.2f} is more than what is left to credit on "
            f"{invoice.title} (${left:,.2f})."
        )
    note = Invoice(
        client_id=invoice.client_id,
        kind=InvoiceKind.CREDIT_NOTE,
        credits=invoice,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        note=reason,
        created_by=actor,
        total=-total,
    )
    db.session.add(note)
    position = 0
    for line_id in chosen:
        line = lines_by_id[line_id]
        position += 1
        note.lines.append(
            InvoiceLine(
                position=position,
                placement_id=line.placement_id,
                credits=line,
                description=f"Credit of line {line.position}: {line.description}"[:300],
                first_day=line.first_day,
                last_day=line.last_day,
                hours=-line.hours,
                rate=line.rate,
                amount=-line.amount,
            )
        )
        # The hours of a credited line are billable again (on a new invoice, at the rates of
        # their days then): each entry stays billed once, net.
        db.session.execute(
            sa.update(TimesheetEntry)
            .where(TimesheetEntry.invoice_line_id == line.id)
            .values(invoice_line_id=None)
            .execution_options(synchronize_session="fetch")
        )
    if request.amount is not None:
        position += 1
        first_line = invoice.lines[0]
        note.lines.append(
            InvoiceLine(
                position=position,
                placement_id=first_line.placement_id,
                description=amount_credit_description(invoice.number, reason),
                first_day=invoice.period_start,
                last_day=invoice.period_end,
                hours=Decimal("0.00"),
                rate=Decimal("0.00"),
                amount=-request.amount,
            )
        )
    db.session.flush()
    issue(note, actor, today=today)
    record_event(
        actor,
        "invoice.credited",
        invoice,
        {"credit_note": [None, note.number], "amount": [None, json_safe(total)]},
    )
    return note


# --- reading ----------------------------------------------------------------------------------


def load(invoice_id: int) -> Invoice | None:
    """An invoice with what its page shows (lines, client, credit notes) loaded."""
    return db.session.scalar(
        sa.select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(
            joinedload(Invoice.client),
            selectinload(Invoice.lines)
            .joinedload(InvoiceLine.placement)
            .joinedload(Placement.engineer),
            selectinload(Invoice.credit_notes).selectinload(Invoice.lines),
            joinedload(Invoice.credits),
        )
    )


def client_invoice(client_id: int, invoice_id: int) -> Invoice | None:
    """A client's own issued (or paid) invoice or credit note; None for drafts and others'."""
    invoice = load(invoice_id)
    if invoice is None or invoice.client_id != client_id or invoice.is_draft:
        return None
    return invoice


@dataclass(frozen=True)
class InvoiceFilters:
    client_id: int | None = None
    status: str | None = None
    month: date | None = None
    kind: str | None = None
    overdue_on: date | None = None  # only invoices issued and unpaid past their due date then


SORTS = {
    "period": Invoice.period_start,
    "number": Invoice.number,
    "issued": Invoice.issued_on,
    "due": Invoice.due_on,
    "total": Invoice.total,
    "status": Invoice.status,
}


def invoice_list(filters: InvoiceFilters, sort: Sort) -> sa.Select:
    """Invoices and credit notes with their client, filtered (staff list and exports)."""
    stmt = sa.select(Invoice).options(joinedload(Invoice.client), joinedload(Invoice.credits))
    if filters.client_id is not None:
        stmt = stmt.where(Invoice.client_id == filters.client_id)
    if filters.status:
        stmt = stmt.where(Invoice.status == filters.status)
    if filters.month is not None:
        stmt = stmt.where(Invoice.period_start == month_start(filters.month))
    if filters.kind:
        stmt = stmt.where(Invoice.kind == filters.kind)
    if filters.overdue_on is not None:
        stmt = stmt.where(overdue_clause(filters.overdue_on))
    return apply_sort(stmt, sort, SORTS, Invoice.id)


def client_list(client_id: int) -> sa.Select:
    """The portal's list: the company's issued and paid invoices and credit notes, newest first."""
    return (
        sa.select(Invoice)
        .where(Invoice.client_id == client_id, Invoice.status != S.DRAFT)
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
    )


def overdue_clause(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Invoice.kind == InvoiceKind.INVOICE, Invoice.status == S.ISSUED, Invoice.due_on < today
    )


def overdue(today: date, limit: int = 10) -> list[Invoice]:
    """Issued invoices past their due date, the longest overdue first (the dashboard)."""
    return list(
        db.session.scalars(
            sa.select(Invoice)
            .where(overdue_clause(today))
            .options(joinedload(Invoice.client))
            .order_by(Invoice.due_on, Invoice.id)
            .limit(limit)
        )
    )


def overdue_summary(today: date) -> tuple[int, Decimal]:
    """How many invoices are overdue and what they add up to."""
    count, total = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Invoice.total), 0)).where(
            overdue_clause(today)
        )
    ).one()
    return count, Decimal(total).quantize(CENTS)


@dataclass(frozen=True)
class UnpaidSummary:
    """A client's issued invoices not paid yet (the portal overview)."""

    count: int
    owed: Decimal  # their totals less what credit notes took off them
    next_due: date | None
    overdue: int


def unpaid_for_client(client_id: int, today: date) -> UnpaidSummary:
    """What a client still owes on its issued invoices, in one query (fully credited ones
    owe nothing and are left out)."""
    note = sa.orm.aliased(Invoice)
    credited = (
        sa.select(sa.func.coalesce(sa.func.sum(note.total), 0))
        .where(note.credits_invoice_id == Invoice.id, note.status != S.DRAFT)
        .correlate(Invoice)
        .scalar_subquery()
    )
    owed = Invoice.total + credited
    count, total, next_due, late = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(owed), 0),
            sa.func.min(Invoice.due_on),
            sa.func.count().filter(Invoice.due_on < today),
        ).where(
            Invoice.client_id == client_id,
            Invoice.kind == InvoiceKind.INVOICE,
            Invoice.status == S.ISSUED,
            owed > 0,
        )
    ).one()
    return UnpaidSummary(count, Decimal(total).quantize(CENTS), next_due, late)


def days_text(line: InvoiceLine) -> str:
    return days_words(line.first_day, line.last_day)


# --- exports ----------------------------------------------------------------------------------


def export_rows(filters: InvoiceFilters, sort: Sort) -> Iterator[list]:
    """CSV for accounting: one row per invoice or credit note."""
    yield [
        "number",
        "kind",
        "status",
        "client",
        "period_start",
        "period_end",
        "issued_on",
        "due_on",
        "paid_on",
        "total",
        "currency",
        "credits_invoice",
        "invoice_id",
    ]
    for i in db.session.scalars(invoice_list(filters, sort).execution_options(yield_per=500)):
        yield [
            i.number or "",
            i.kind,
            i.status,
            i.client.name,
            i.period_start.isoformat(),
            i.period_end.isoformat(),
            i.issued_on.isoformat() if i.issued_on else "",
            i.due_on.isoformat() if i.due_on else "",
            i.paid_on.isoformat() if i.paid_on else "",
            f"{i.total:.2f}",
            i.currency,
            i.credits.number if i.credits else "",
            i.id,
        ]


def line_rows(filters: InvoiceFilters, sort: Sort) -> Iterator[list]:
    """CSV for accounting: one row per line, with its invoice's number and client."""
    yield [
        "number",
        "kind",
        "status",
        "client",
        "line",
        "placement_id",
        "engineer",
        "description",
        "first_day",
        "last_day",
        "hours",
        "rate",
        "amount",
        "currency",
    ]
    stmt = invoice_list(filters, sort).options(
        selectinload(Invoice.lines).joinedload(InvoiceLine.placement).joinedload(Placement.engineer)
    )
    for i in db.session.scalars(stmt.execution_options(yield_per=200)):
        for line in i.lines:
            yield [
                i.number or "",
                i.kind,
                i.status,
                i.client.name,
                line.position,
                line.placement_id,
                line.placement.engineer.full_name,
                line.description,
                line.first_day.isoformat(),
                line.last_day.isoformat(),
                f"{line.hours:.2f}",
                f"{line.rate:.2f}",
                f"{line.amount:.2f}",
                i.currency,
            ]


# --- the month's drafts (CLI and staff page) --------------------------------------------------


@dataclass
class DraftRun:
    created: list[Invoice] = field(default_factory=list)
    rebuilt: list[Invoice] = field(default_factory=list)


def clients_to_bill(month: date) -> list[Client]:
    """Clients with approved hours in the month that no invoice covers yet, by name."""
    first, last = month_start(month), month_end(month)
    ids = (
        sa.select(Placement.client_id)
        .join(Timesheet, Timesheet.placement_id == Placement.id)
        .join(TimesheetEntry, TimesheetEntry.timesheet_id == Timesheet.id)
        .where(
            Timesheet.status == TimesheetStatus.APPROVED,
            TimesheetEntry.invoice_line_id.is_(None),
            TimesheetEntry.work_date.between(first, last),
        )
    )
    return list(
        db.session.scalars(sa.select(Client).where(Client.id.in_(ids)).order_by(Client.name))
    )


def draft_month(month: date, actor: User | None) -> DraftRun:
    """Draft every client's invoice for a month: a client with a draft already has it rebuilt
    (when it is out of date), a client with nothing left to bill gets nothing; running it twice
    creates nothing new."""
    run = DraftRun()
    for client in clients_to_bill(month):
        invoice, created = draft(client, month, actor)
        (run.created if created else run.rebuilt).append(invoice)
    return run


def engineers_named(invoice: Invoice) -> list[Engineer]:
    """The engineers on an invoice's lines, once each, in line order."""
    seen: dict[int, Engineer] = {}
    for line in invoice.lines:
        seen.setdefault(line.placement.engineer_id, line.placement.engineer)
    return list(seen.values())


def is_overdue(invoice: Invoice, today: date) -> bool:
    """One invoice as overdue_clause reads it: issued, unpaid and past its due date."""
    return (
        invoice.kind == InvoiceKind.INVOICE
        and invoice.status == S.ISSUED
        and invoice.due_on is not None
        and invoice.due_on < today
    )
