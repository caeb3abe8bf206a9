"""Invoices and pay statements as services: lines per placement and rate period, each hour billed
and paid once, gapless numbers, issued documents that never change, credit notes (issue 15)."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from tracker.models import (
    AuditEvent,
    Invoice,
    InvoiceLine,
    PayLine,
    PayStatement,
    TimesheetEntry,
    db,
)
from tracker.models.enums import InvoiceKind, InvoiceStatus
from tracker.services import (
    DomainError,
    StaleEdit,
    invoices,
    pay_statements,
    rates,
    timesheets,
    transaction,
)
from tracker.services.billing import month_end, parse_month, previous_month
from tracker.services.invoices import CreditRequest
from tracker.services.timesheets import EntryInput, week_of

TODAY = date.today()
MONTH = previous_month(previous_month(TODAY))  # a whole month in the past
NEXT = previous_month(TODAY)


@pytest.fixture
def world(make):
    """A placement that started well before MONTH, its engineer's and client's accounts."""
    manager = make.user(role="account_manager")
    client = make.client(account_manager=manager, name="Northwind")
    request = make.request(client=client, title="ML platform")
    engineer = make.engineer(full_name="Ana Souza")
    start = MONTH - timedelta(days=40)
    placement = make.placement(
        engineer=engineer,
        request=request,
        start=start,
        bill_rate=Decimal("90.00"),
        pay_rate=Decimal("55.00"),
    )
    rates.start_rates(placement, manager)
    db.session.commit()
    engineer_user = make.user(role="engineer", engineer=engineer)
    client_user = make.user(role="client", client=client)
    return placement, engineer_user, client_user, manager


def work(placement, engineer_user, client_user, first: date, last: date, hours="8", approve=True):
    """Log `hours` on every weekday from first to last, submit, and (by default) approve."""
    week = week_of(first)
    while week <= last:
        days = [
            EntryInput(week + timedelta(days=k), Decimal(hours))
            for k in range(5)
            if first <= week + timedelta(days=k) <= last
        ]
        if days:
            with transaction():
                sheet = timesheets.save_week(placement, week, days, engineer_user, today=TODAY)
            with transaction():
                timesheets.submit(sheet, engineer_user, today=TODAY)
            if approve:
                with transaction():
                    timesheets.approve(sheet, client_user, today=TODAY)
        week += timedelta(days=7)


def weekdays(first: date, last: date) -> int:
    return sum(1 for k in range((last - first).days + 1) if (first + timedelta(k)).weekday() < 5)


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def drafted(client, actor, month=MONTH) -> Invoice:
    with transaction():
        invoice, _ = invoices.draft(client, month, actor)
    return invoice


def issued(client, actor, month=MONTH) -> Invoice:
    invoice = drafted(client, actor, month)
    with transaction():
        invoices.issue(invoice, actor, today=TODAY)
    return invoice


# --- drafting ----------------------------------------------------------------------------------


def test_a_draft_bills_the_months_approved_hours_at_the_bill_rate(world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH - timedelta(days=10), month_end(MONTH) + timedelta(5))

    invoice = drafted(placement.client, am)

    days = weekdays(MONTH, month_end(MONTH))
    [line] = invoice.lines
    assert line.description == "Ana Souza — ML platform"
    assert line.hours == Decimal(8 * days)
    assert line.rate == Decimal("90.00")
    assert line.amount == Decimal(8 * days) * Decimal("90.00")
    assert invoice.total == line.amount
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number is None
    assert (invoice.period_start, invoice.period_end) == (MONTH, month_end(MONTH))
    assert MONTH <= line.first_day <= line.last_day <= month_end(MONTH)
    # Every entry of the month, and only those, points at the line.
    on_line = db.session.scalars(
        sa.select(TimesheetEntry.work_date).where(TimesheetEntry.invoice_line_id == line.id)
    ).all()
    assert len(on_line) == days
    assert all(MONTH <= d <= month_end(MONTH) for d in on_line)


def test_a_rate_change_mid_month_makes_two_lines_each_at_its_rate(world):
    placement, eng, client_user, am = world
    raise_on = MONTH + timedelta(days=14)
    with transaction():
        rates.change_rate(
            placement,
            effective_from=raise_on,
            bill_rate=Decimal("100.00"),
            pay_rate=Decimal("60.00"),
            note="Raise",
            actor=am,
            today=TODAY,
        )
    work(placement, eng, client_user, MONTH, month_end(MONTH), hours="7.25")

    invoice = drafted(placement.client, am)

    first, second = invoice.lines
    assert (first.rate, second.rate) == (Decimal("90.00"), Decimal("100.00"))
    assert first.last_day < raise_on <= second.first_day
    assert first.hours == Decimal("7.25") * weekdays(MONTH, raise_on - timedelta(days=1))
    assert second.hours == Decimal("7.25") * weekdays(raise_on, month_end(MONTH))
    assert invoice.total == first.amount + second.amount
    with transaction():
        statement, _ = pay_statements.draft(placement.engineer, MONTH, am)
    assert [line.rate for line in statement.lines] == [Decimal("55.00"), Decimal("60.00")]
    assert statement.total == sum(
        (line.hours * line.rate).quantize(Decimal("0.01")) for line in statement.lines
    )


def test_only_approved_hours_are_billed_and_nothing_means_no_draft(world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH), approve=False)

    with pytest.raises(DomainError, match="no approved hours in .* there is nothing to bill"):
        drafted(placement.client, am)
    assert count(Invoice) == 0


def test_drafting_again_rebuilds_the_one_draft_and_picks_up_newly_approved_hours(world):
    placement, eng, client_user, am = world
    next_week = week_of(MONTH) + timedelta(days=7)
    work(placement, eng, client_user, MONTH, next_week - timedelta(days=1))
    invoice = drafted(placement.client, am)
    first_total = invoice.total
    work(placement, eng, client_user, next_week, month_end(MONTH))

    assert invoices.out_of_date(invoice)
    with pytest.raises(DomainError, match="out of date"), transaction():
        invoices.issue(invoice, am, today=TODAY)

    again = drafted(placement.client, am)
    assert again.id == invoice.id
    assert count(Invoice) == 1
    assert again.total > first_total
    assert not invoices.out_of_date(again)


def test_the_cli_drafts_every_client_once(world, runner, make):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    month = f"{MONTH:%Y-%m}"

    first = runner.invoke(args=["invoices-draft", "--month", month])
    second = runner.invoke(args=["invoices-draft", "--month", month])

    assert first.exit_code == 0, first.output
    assert "1 invoice drafts created" in first.output
    assert "Northwind" in first.output
    assert "0 invoice drafts created, 0 drafts rebuilt" in second.output
    assert count(Invoice) == 1
    bad = runner.invoke(args=["invoices-draft", "--month", "2026-13"])
    assert bad.exit_code != 0
    assert "YYYY-MM" in bad.output
    pay = runner.invoke(args=["pay-statements-draft", "--month", month])
    pay_again = runner.invoke(args=["pay-statements-draft", "--month", month])
    assert "1 pay statement drafts created" in pay.output
    assert "0 pay statement drafts created" in pay_again.output
    assert count(PayStatement) == 1


def test_deleting_a_draft_frees_its_hours(world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice = drafted(placement.client, am)

    with transaction():
        invoices.delete_draft(invoice, am)

    assert count(Invoice) == 0
    assert count(InvoiceLine) == 0
    assert count(TimesheetEntry, TimesheetEntry.invoice_line_id.is_not(None)) == 0
    assert drafted(placement.client, am).total > 0


# --- issuing and paying ------------------------------------------------------------------------


def test_issuing_numbers_dates_and_fixes_the_rates_of_the_period(world):
    placement, eng, client_user, am = world
    placement.client.payment_terms_days = 15
    db.session.commit()
    work(placement, eng, client_user, MONTH, month_end(MONTH))

    invoice = issued(placement.client, am)

    assert invoice.number == f"INV-{TODAY.year}-0001"
    assert invoice.issued_on == TODAY
    assert invoice.due_on == TODAY + timedelta(days=15)
    assert invoice.status == InvoiceStatus.ISSUED
    assert rates.invoiced_until(placement) == invoice.lines[-1].last_day
    with pytest.raises(DomainError, match="inside a period already invoiced"):
        rates.change_rate(
            placement,
            effective_from=MONTH + timedelta(days=3),
            bill_rate=Decimal("95.00"),
            pay_rate=Decimal("55.00"),
            note=None,
            actor=am,
            today=TODAY,
        )
    for verb, act in (
        ("rebuilt", lambda: invoices.rebuild(invoice, am)),
        ("deleted", lambda: invoices.delete_draft(invoice, am)),
        ("issued once", lambda: invoices.issue(invoice, am, today=TODAY)),
    ):
        with pytest.raises(DomainError, match=verb):
            act()


def test_an_empty_draft_is_not_issued_and_a_draft_is_not_paid(world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice = drafted(placement.client, am)
    with pytest.raises(DomainError, match="a draft: issue it before"):
        invoices.mark_paid(invoice, am, paid_on=TODAY, today=TODAY)
    # Its hours go to nobody: delete the lines' entries' link by rebuilding with none left.
    db.session.execute(sa.update(TimesheetEntry).values(invoice_line_id=None))
    with transaction():
        invoice.lines.clear()
        invoice.total = Decimal("0.00")
    with pytest.raises(DomainError, match="an empty invoice is not issued"):
        invoices.issue(invoice, am, today=TODAY)


def test_paying_an_issued_invoice(world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice = issued(placement.client, am)

    with pytest.raises(DomainError, match="in the future"):
        invoices.mark_paid(invoice, am, paid_on=TODAY + timedelta(days=1), today=TODAY)
    with pytest.raises(DomainError, match="before the invoice was issued"):
        invoices.mark_paid(invoice, am, paid_on=TODAY - timedelta(days=1), today=TODAY)
    with transaction():
        invoices.mark_paid(invoice, am, paid_on=TODAY, today=TODAY)
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.paid_on == TODAY
    with pytest.raises(DomainError, match="already paid"):
        invoices.mark_paid(invoice, am, paid_on=TODAY, today=TODAY)


def test_a_stale_form_is_refused(world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice = drafted(placement.client, am)
    with pytest.raises(StaleEdit):
        invoices.issue(invoice, am, today=TODAY, version=invoice.version_id - 1)


def test_numbers_run_on_across_invoices_and_credit_notes_and_pay_has_its_own(world, make):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(NEXT))
    first = issued(placement.client, am, MONTH)
    second = issued(placement.client, am, NEXT)
    with transaction():
        note = invoices.credit(
            first, CreditRequest(reason="Discount", amount=Decimal("10.00")), am, today=TODAY
        )
    with transaction():
        statement, _ = pay_statements.draft(placement.engineer, MONTH, am)
        pay_statements.issue(statement, am, today=TODAY)

    year = TODAY.year
    assert [first.number, second.number, note.number] == [
        f"INV-{year}-0001",
        f"INV-{year}-0002",
        f"INV-{year}-0003",
    ]
    assert statement.number == f"PAY-{year}-0001"


# --- credit notes ------------------------------------------------------------------------------


def test_a_credit_note_of_a_line_frees_its_hours_for_a_new_invoice_at_the_new_rate(world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice = issued(placement.client, am)
    [line] = invoice.lines

    with transaction():
        note = invoices.credit(
            invoice, CreditRequest(reason="Wrong rate", line_ids=[line.id]), am, today=TODAY
        )

    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.credits_invoice_id == invoice.id
    assert note.total == -invoice.total
    assert note.status == InvoiceStatus.ISSUED
    assert note.due_on is None  # nothing is owed on a credit note
    [credit_line] = note.lines
    assert credit_line.credits_line_id == line.id
    assert credit_line.hours == -line.hours
    assert rates.invoiced_until(placement) is None  # the period is open again
    with transaction():
        rates.change_rate(
            placement,
            effective_from=MONTH,
            bill_rate=Decimal("95.00"),
            pay_rate=Decimal("55.00"),
            note="Agreed rate",
            actor=am,
            today=TODAY,
        )
    rebilled = issued(placement.client, am)
    assert rebilled.id != invoice.id
    assert rebilled.lines[0].hours == line.hours
    assert rebilled.lines[0].rate == Decimal("95.00")
    # Net, each hour is billed once: invoice + credit note + new invoice.
    assert invoice.total + note.total + rebilled.total == rebilled.total
    with pytest.raises(DomainError, match="already credited"):
        invoices.credit(invoice, CreditRequest(reason="again", line_ids=[line.id]), am, today=TODAY)


def test_a_credit_note_never_credits_more_than_is_left(world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice = issued(placement.client, am)
    with transaction():
        invoices.credit(
            invoice, CreditRequest(reason="Goodwill", amount=Decimal("100.00")), am, today=TODAY
        )

    too_much = invoice.total - Decimal("100.00") + Decimal("0.01")
    with pytest.raises(DomainError, match="more than what is left to credit"):
        invoices.credit(invoice, CreditRequest(reason="x", amount=too_much), am, today=TODAY)
    with pytest.raises(DomainError, match="reason"):
        invoices.credit(invoice, CreditRequest(reason=" ", amount=Decimal(1)), am, today=TODAY)
    with pytest.raises(DomainError, match="not a line of this invoice"):
        invoices.credit(invoice, CreditRequest(reason="x", line_ids=[10**6]), am, today=TODAY)
    for text, message in (("abc", "not an amount"), ("-5", "more than"), ("1.234", "two decimals")):
        with pytest.raises(DomainError, match=message):
            invoices.parse_amount(text)
    assert invoices.creditable(invoice) == invoice.total - Decimal("100.00")


# --- the database's own refusal ----------------------------------------------------------------


def raw(sql: str, **params) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE invoice SET total = total + 1 WHERE id = :id",
        "UPDATE invoice SET number = 'INV-1999-0001' WHERE id = :id",
        "UPDATE invoice SET status = 'draft', number = NULL WHERE id = :id",
        "UPDATE invoice SET due_on = issued_on WHERE id = :id",
        "DELETE FROM invoice WHERE id = :id",
        "UPDATE invoice_line SET amount = 0 WHERE invoice_id = :id",
        "UPDATE invoice_line SET invoice_id = invoice_id WHERE invoice_id = :id",
        "DELETE FROM invoice_line WHERE invoice_id = :id",
        "INSERT INTO invoice_line (invoice_id, position, placement_id, description, first_day,"
        " last_day, hours, rate, amount) SELECT invoice_id, 99, placement_id, 'extra', first_day,"
        " last_day, 1, 1, 1 FROM invoice_line WHERE invoice_id = :id",
    ],
)
def test_the_database_refuses_to_change_an_issued_invoice(world, sql):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice = issued(placement.client, am)
    before = (invoice.total, invoice.number, [line.amount for line in invoice.lines])
    db.session.commit()

    with pytest.raises(DatabaseError, match="never changes"):
        raw(sql, id=invoice.id)

    db.session.expire_all()
    again = db.session.get(Invoice, invoice.id)
    assert (again.total, again.number, [line.amount for line in again.lines]) == before


def test_the_database_lets_an_issued_invoice_be_paid_and_refuses_anything_after(world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice = issued(placement.client, am)
    db.session.commit()

    raw("UPDATE invoice SET status = 'paid', paid_on = issued_on WHERE id = :id", id=invoice.id)
    with pytest.raises(DatabaseError, match="never changes"):
        raw("UPDATE invoice SET status = 'issued', paid_on = NULL WHERE id = :id", id=invoice.id)
    with pytest.raises(DatabaseError, match="never changes"):
        raw("UPDATE invoice SET status = 'paid', total = 1 WHERE id = :id", id=invoice.id)


def test_the_database_refuses_to_change_an_issued_pay_statement(world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    with transaction():
        statement, _ = pay_statements.draft(placement.engineer, MONTH, am)
        pay_statements.issue(statement, am, today=TODAY)
    db.session.commit()

    for sql in (
        "UPDATE pay_statement SET total = 0 WHERE id = :id",
        "DELETE FROM pay_statement WHERE id = :id",
        "UPDATE pay_line SET hours = 1 WHERE pay_statement_id = :id",
        "DELETE FROM pay_line WHERE pay_statement_id = :id",
    ):
        with pytest.raises(DatabaseError, match="never changes"):
            raw(sql, id=statement.id)
    # A draft is free to change, whoever writes it.
    assert count(PayLine) == len(statement.lines)


def test_a_draft_may_be_changed_and_deleted_by_sql(world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice = drafted(placement.client, am)
    db.session.commit()
    raw("UPDATE invoice_line SET description = 'x' WHERE invoice_id = :id", id=invoice.id)
    raw("DELETE FROM invoice WHERE id = :id", id=invoice.id)
    assert count(Invoice) == 0


# --- concurrency -------------------------------------------------------------------------------


def test_two_people_issuing_at_the_same_moment_get_consecutive_numbers(app, world, make):
    placement, eng, client_user, am = world
    other_request = make.request(client=make.client(name="Globex"), title="Search")
    other = make.placement(
        request=other_request, start=MONTH - timedelta(days=40), bill_rate=Decimal("80.00")
    )
    other_engineer_user = make.user(role="engineer", engineer=other.engineer)
    other_client_user = make.user(role="client", client=other.client)
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    work(other, other_engineer_user, other_client_user, MONTH, month_end(MONTH))
    ids = [drafted(placement.client, am).id, drafted(other.client, am).id]
    am_id = am.id
    db.session.commit()

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def issue(invoice_id):
        with app.app_context():
            try:
                from tracker.models import User

                barrier.wait(timeout=10)
                with transaction():
                    invoices.issue(
                        db.session.get(Invoice, invoice_id),
                        db.session.get(User, am_id),
                        today=TODAY,
                    )
            except BaseException as e:  # reported below
                errors.append(e)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    import traceback

    for e in errors:
        traceback.print_exception(e)
    assert errors == []
    numbers = sorted(db.session.scalars(sa.select(Invoice.number)).all())
    assert numbers == [f"INV-{TODAY.year}-0001", f"INV-{TODAY.year}-0002"]


def test_two_people_issuing_one_draft_at_once_issue_it_once(app, world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice_id, am_id = drafted(placement.client, am).id, am.id
    db.session.commit()
    barrier = threading.Barrier(2)
    results: list[str] = []

    def issue():
        with app.app_context():
            try:
                from tracker.models import User

                invoice = db.session.get(Invoice, invoice_id)
                version = invoice.version_id
                barrier.wait(timeout=10)
                with transaction():
                    invoices.issue(
                        invoice, db.session.get(User, am_id), today=TODAY, version=version
                    )
                results.append("issued")
            except DomainError as e:
                results.append(str(e))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert results.count("issued") == 1, results
    assert db.session.scalars(sa.select(Invoice.number)).all() == [f"INV-{TODAY.year}-0001"]
    # The loser's number was given back: the next one issued is 0002.
    counter = db.session.execute(sa.text("SELECT last FROM document_number")).scalar_one()
    assert counter == 1


# --- small rules -------------------------------------------------------------------------------


def test_months_parse_strictly():
    assert parse_month("2026-11") == date(2026, 11, 1)
    for bad in ("2026-13", "2026-1", "nov", "", None, "1999-12"):
        assert parse_month(bad) is None
    assert month_end(date(2028, 2, 3)) == date(2028, 2, 29)


def test_every_move_is_in_the_history(world):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice = issued(placement.client, am)
    actions = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.entity_type == "Invoice", AuditEvent.entity_id == invoice.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["invoice.drafted", "invoice.issued"]


def test_the_placement_page_says_up_to_which_day_it_is_invoiced(world, client, auth):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    auth.login(am.email)
    assert 'data-testid="invoiced-until"' not in client.get(f"/placements/{placement.id}").text
    invoice = issued(placement.client, am)

    page = client.get(f"/placements/{placement.id}").text

    assert "Invoiced up to" in page
    assert f"{invoice.lines[-1].last_day.day} {invoice.lines[-1].last_day:%b %Y}" in page
