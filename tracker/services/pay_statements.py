"""Pay statements: what the agency pays an engineer for one month of approved hours.

They mirror invoices at the pay rate: per engineer and calendar month, a line per placement and
rate period (hours × pay rate, to the cent), each approved entry paid once (pay_line_id); a
draft can be rebuilt or deleted, issuing numbers it (PAY-2026-0001, gapless), and once issued
it never changes (the database refuses it) except being marked paid. The engineer sees their
issued statements in /me/; staff export them as CSV for payroll.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from tracker.infra.audit import json_safe, record_event
from tracker.infra.listing import Sort, apply_sort, icontains
from tracker.models import (
    Engineer,
    PayLine,
    PayStatement,
    Placement,
    Timesheet,
    TimesheetEntry,
    User,
    db,
    utcnow,
)
from tracker.models.enums import InvoiceStatus, TimesheetStatus
from tracker.services import DomainError, ensure_version
from tracker.services.billing import (
    PAY_SERIES,
    Built,
    LineDraft,
    approved_entries,
    build_lines,
    month_end,
    month_start,
    month_words,
    next_number,
    stale_ids,
)
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

# Who may move a pay statement: staff, or the system (a scripted run).
PAY_STATEMENT_STATUS_MOVES: Moves = {
    (S.DRAFT, S.ISSUED): STAFF | SYSTEM,
    (S.ISSUED, S.PAID): STAFF | SYSTEM,
}


def _move_statement(statement: PayStatement, target: str, actor: User | None) -> None:
    """The one place a pay statement's status changes, when the table lets the mover make it."""
    by = mover(actor)
    if not may(PAY_STATEMENT_STATUS_MOVES, statement.status, target, by):
        if people := people_who_may(PAY_STATEMENT_STATUS_MOVES, statement.status, target):
            raise DomainError(
                f"{statement.title} cannot be {target} by you: {only_people(people)}."
            )
        raise DomainError(f"{statement.title} is {statement.status}; it cannot become {target}.")
    statement.status = target


def line_order(placement: Placement) -> tuple:
    """The order a pay statement prints its placements in: by start date."""
    return (placement.start_date, placement.id)


def line_description(placement: Placement) -> str:
    """What a line says it is for, as printed."""
    return f"{placement.client.name} — {placement.request.title}"[:300]


def _where(engineer_id: int, first: date, last: date) -> list[sa.ColumnElement[bool]]:
    return [Placement.engineer_id == engineer_id, TimesheetEntry.work_date.between(first, last)]


def find_draft(engineer_id: int, month: date) -> PayStatement | None:
    return db.session.scalar(
        sa.select(PayStatement).where(
            PayStatement.engineer_id == engineer_id,
            PayStatement.period_start == month_start(month),
            PayStatement.status == S.DRAFT,
        )
    )


def _payable(engineer_id: int, month: date) -> list[LineDraft]:
    first, last = month_start(month), month_end(month)
    entries = approved_entries(
        where=_where(engineer_id, first, last), unbilled=TimesheetEntry.pay_line_id.is_(None)
    )
    return build_lines(entries, first, last, lambda rate: rate.pay_rate, line_order)


def _write_lines(statement: PayStatement, lines: list[LineDraft]) -> None:
    for position, line in enumerate(lines, start=1):
        row = PayLine(
            position=position,
            placement=line.placement,
            description=line_description(line.placement),
            first_day=line.first_day,
            last_day=line.last_day,
            hours=line.hours,
            rate=line.rate,
            amount=line.amount,
        )
        statement.lines.append(row)
        for entry in line.entries:
            entry.pay_line = row
    statement.total = sum((line.amount for line in lines), Decimal("0.00"))


def _clear_lines(statement: PayStatement) -> None:
    ids = [line.id for line in statement.lines if line.id is not None]
    if ids:
        db.session.execute(
            sa.update(TimesheetEntry)
            .where(TimesheetEntry.pay_line_id.in_(ids))
            .values(pay_line_id=None)
            .execution_options(synchronize_session="fetch")
        )
    statement.lines.clear()
    db.session.flush()


def _require_draft(statement: PayStatement, verb: str) -> None:
    if not statement.is_draft:
        raise DomainError(
            f"{statement.title} is {statement.status}: an issued pay statement never changes, "
            f"so it cannot be {verb}."
        )


def draft(engineer: Engineer, month: date, actor: User | None) -> tuple[PayStatement, bool]:
    """The month's draft for an engineer, built afresh; (draft, True) when it is new."""
    existing = find_draft(engineer.id, month)
    if existing is not None:
        rebuild(existing, actor)
        return existing, False
    lines = _payable(engineer.id, month)
    if not lines:
        raise DomainError(
            f"{engineer.full_name} has no approved hours in {month_words(month_start(month))} "
            "that are not on a pay statement yet."
        )
    statement = PayStatement(
        engineer=engineer,
        period_start=month_start(month),
        period_end=month_end(month),
        created_by=actor,
    )
    db.session.add(statement)
    _write_lines(statement, lines)
    record_event(
        actor, "pay_statement.drafted", statement, {"total": [None, json_safe(statement.total)]}
    )
    return statement, True


def rebuild(statement: PayStatement, actor: User | None, *, version=None) -> None:
    ensure_version(statement, version, "This pay statement")
    _require_draft(statement, "rebuilt")
    before = statement.total
    _clear_lines(statement)
    _write_lines(statement, _payable(statement.engineer_id, statement.period_start))
    statement.updated_at = utcnow()
    record_event(
        actor,
        "pay_statement.rebuilt",
        statement,
        {"total": [json_safe(before), json_safe(statement.total)]},
    )


def delete_draft(statement: PayStatement, actor: User | None, *, version=None) -> None:
    ensure_version(statement, version, "This pay statement")
    _require_draft(statement, "deleted")
    record_event(
        actor, "pay_statement.deleted", statement, {"total": [json_safe(statement.total), None]}
    )
    _clear_lines(statement)
    db.session.delete(statement)


def out_of_date(statement: PayStatement) -> bool:
    """Whether hours were approved, or rates changed, since the draft was built."""
    return statement.id in out_of_date_ids([statement])


def out_of_date_ids(statements: Iterable[PayStatement]) -> set[int]:
    """The stale drafts among `statements` (one statement for a whole page)."""
    return stale_ids(
        (
            Built(s.id, s.engineer_id, s.period_start, s.period_end, s.updated_at)
            for s in statements
            if s.is_draft
        ),
        party=Placement.engineer_id,
        billed_by=TimesheetEntry.pay_line_id,
        line_placement=PayLine.placement_id,
        line_owner=PayLine.pay_statement_id,
    )


def issue(statement: PayStatement, actor: User | None, *, today: date, version=None) -> None:
    """Number and date a draft; from then on it never changes."""
    ensure_version(statement, version, "This pay statement")
    if not statement.is_draft:
        raise DomainError(f"{statement.title} is already {statement.status}; it is issued once.")
    number = next_number(PAY_SERIES, today.year)  # first: holds the series (see invoices.issue)
    if not statement.lines or statement.total <= 0:
        raise DomainError(f"{statement.title} pays nothing: an empty statement is not issued.")
    if out_of_date(statement):
        raise DomainError(
            f"{statement.title} is out of date: hours were approved or rates changed since it "
            "was built. Rebuild it, check it, then issue it."
        )
    with db.session.no_autoflush:  # one UPDATE: once issued, the database refuses any change
        statement.number = number
        _move_statement(statement, S.ISSUED, actor)
        statement.issued_on = today
        statement.issued_by = actor
    record_event(
        actor,
        "pay_statement.issued",
        statement,
        {"status": [S.DRAFT.value, S.ISSUED.value], "number": [None, statement.number]},
    )


def mark_paid(
    statement: PayStatement, actor: User | None, *, paid_on: date, today: date, version=None
) -> None:
    """Record that the engineer was paid."""
    ensure_version(statement, version, "This pay statement")
    if statement.status != S.ISSUED:
        if statement.is_draft:
            raise DomainError(f"{statement.title} is a draft: issue it before paying it.")
        raise DomainError(f"{statement.title} is already paid (on {day_text(statement.paid_on)}).")
    assert statement.issued_on is not None
    if paid_on > today:
        raise DomainError("The payment date is in the future: record a payment once it is made.")
    if paid_on < statement.issued_on:
        raise DomainError(
            "The payment date is before the statement was issued "
            f"({day_text(statement.issued_on)})."
        )
    with db.session.no_autoflush:
        _move_statement(statement, S.PAID, actor)
        statement.paid_on = paid_on
    record_event(
        actor,
        "pay_statement.paid",
        statement,
        {"status": [S.ISSUED.value, S.PAID.value], "paid_on": [None, json_safe(paid_on)]},
    )


# --- reading ----------------------------------------------------------------------------------


def load(statement_id: int) -> PayStatement | None:
    return db.session.scalar(
        sa.select(PayStatement)
        .where(PayStatement.id == statement_id)
        .options(
            joinedload(PayStatement.engineer),
            selectinload(PayStatement.lines)
            .joinedload(PayLine.placement)
            .joinedload(Placement.client),
        )
    )


def engineer_statement(engineer_id: int, statement_id: int) -> PayStatement | None:
    """An engineer's own issued (or paid) statement; None for drafts and anyone else's."""
    statement = load(statement_id)
    if statement is None or statement.engineer_id != engineer_id or statement.is_draft:
        return None
    return statement


def engineer_list(engineer_id: int) -> sa.Select:
    """/me/: the engineer's issued and paid statements, newest month first."""
    return (
        sa.select(PayStatement)
        .where(PayStatement.engineer_id == engineer_id, PayStatement.status != S.DRAFT)
        .order_by(PayStatement.period_start.desc(), PayStatement.id.desc())
    )


@dataclass(frozen=True)
class PayFilters:
    engineer: str | None = None  # part of the name
    status: str | None = None
    month: date | None = None


SORTS = {
    "period": PayStatement.period_start,
    "number": PayStatement.number,
    "engineer": Engineer.full_name,
    "total": PayStatement.total,
    "status": PayStatement.status,
}


def statement_list(filters: PayFilters, sort: Sort) -> sa.Select:
    stmt = (
        sa.select(PayStatement)
        .join(PayStatement.engineer)
        .options(joinedload(PayStatement.engineer))
    )
    if filters.engineer:
        stmt = stmt.where(icontains(Engineer.full_name, filters.engineer))
    if filters.status:
        stmt = stmt.where(PayStatement.status == filters.status)
    if filters.month is not None:
        stmt = stmt.where(PayStatement.period_start == month_start(filters.month))
    return apply_sort(stmt, sort, SORTS, PayStatement.id)


def export_rows(filters: PayFilters, sort: Sort) -> Iterator[list]:
    """CSV for payroll: one row per statement, with the engineer's payment details."""
    return _payroll_rows(statement_list(filters, sort))


def engineer_export_rows(engineer_id: int) -> Iterator[list]:
    """/me/pay.csv: the payroll CSV's columns, for the engineer's own issued and paid statements."""
    return _payroll_rows(engineer_list(engineer_id).options(joinedload(PayStatement.engineer)))


def _payroll_rows(stmt: sa.Select) -> Iterator[list]:
    yield [
        "number",
        "status",
        "engineer",
        "engineer_email",
        "country",
        "period_start",
        "period_end",
        "hours",
        "total",
        "currency",
        "issued_on",
        "paid_on",
        "statement_id",
    ]
    stmt = stmt.options(selectinload(PayStatement.lines))
    for s in db.session.scalars(stmt.execution_options(yield_per=200)):
        hours = sum((line.hours for line in s.lines), Decimal(0))
        yield [
            s.number or "",
            s.status,
            s.engineer.full_name,
            s.engineer.email,
            s.engineer.country,
            s.period_start.isoformat(),
            s.period_end.isoformat(),
            f"{hours:.2f}",
            f"{s.total:.2f}",
            s.currency,
            s.issued_on.isoformat() if s.issued_on else "",
            s.paid_on.isoformat() if s.paid_on else "",
            s.id,
        ]


@dataclass
class DraftRun:
    created: list[PayStatement] = field(default_factory=list)
    rebuilt: list[PayStatement] = field(default_factory=list)


def engineers_to_pay(month: date) -> list[Engineer]:
    first, last = month_start(month), month_end(month)
    ids = (
        sa.select(Placement.engineer_id)
        .join(Timesheet, Timesheet.placement_id == Placement.id)
        .join(TimesheetEntry, TimesheetEntry.timesheet_id == Timesheet.id)
        .where(
            Timesheet.status == TimesheetStatus.APPROVED,
            TimesheetEntry.pay_line_id.is_(None),
            TimesheetEntry.work_date.between(first, last),
        )
    )
    return list(
        db.session.scalars(
            sa.select(Engineer).where(Engineer.id.in_(ids)).order_by(Engineer.full_name)
        )
    )


def draft_month(month: date, actor: User | None) -> DraftRun:
    """Draft every engineer's statement for a month; running it twice creates nothing new."""
    run = DraftRun()
    for engineer in engineers_to_pay(month):
        statement, created = draft(engineer, month, actor)
        (run.created if created else run.rebuilt).append(statement)
    return run
