"""The benchmarks' large agency (tracker/demo/large.py), at a small fraction of its scale.

Its hours, invoices, pay statements and interviews are written in bulk, not through the
services: here they are held to the services' rules, the same checks as the demo's
(tests/test_billing_demo.py), and the pages the benchmarks measure answer on them.
"""

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from tests.conftest import fresh_database, make_app
from tests.test_billing_demo import _by_line, _check_line, _check_numbers
from tracker.demo import large
from tracker.extensions import db
from tracker.models import (
    Interview,
    Invoice,
    PayStatement,
    Placement,
    Timesheet,
    TimesheetEntry,
    User,
)
from tracker.models.enums import InvoiceKind, InvoiceStatus, TimesheetStatus
from tracker.services import interviews, timesheets
from tracker.services.billing import month_start

# Early in a month (last month's invoices still drafts) and after it closed (all issued).
DAYS = [date(2026, 3, 4), date(2026, 3, 20)]
SCALE = large.LARGE.fraction(0.02)
PASSWORD = "large-data-password-1"


@pytest.fixture(scope="module", params=DAYS, ids=lambda day: day.isoformat())
def today(request, database_template, tmp_path_factory):
    """The large agency at 2 % of its scale, as built on that day, for read-only checks."""
    uri = fresh_database(database_template, tmp_path_factory.mktemp("large"))
    app = make_app(uri)
    with app.app_context():
        large.seed(scale=SCALE, today=request.param, password=PASSWORD, progress=False)
        db.session.commit()
        yield request.param
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def web(today):
    """A test client on the module's database (the module's app context is the current one)."""
    return current_app.test_client()


def _entries() -> list[TimesheetEntry]:
    return list(
        db.session.scalars(
            sa.select(TimesheetEntry).options(
                selectinload(TimesheetEntry.timesheet)
                .selectinload(Timesheet.placement)
                .selectinload(Placement.rates)
            )
        )
    )


def _documents(model) -> list:
    return list(
        db.session.scalars(sa.select(model).options(selectinload(model.lines)).order_by(model.id))
    )


def test_hours_follow_the_timesheet_rules(today):
    sheets = db.session.scalars(
        sa.select(Timesheet).options(
            selectinload(Timesheet.entries), selectinload(Timesheet.placement)
        )
    ).all()
    statuses = defaultdict(int)
    this_week = timesheets.week_of(today)
    midnight = datetime.combine(today, time.min, tzinfo=UTC)
    cap = current_app.config["TIMESHEET_MAX_WEEKLY_HOURS"]
    for t in sheets:
        statuses[t.status] += 1
        p = t.placement
        assert t.week_start.weekday() == 0, t
        assert t.week_start >= timesheets.week_of(p.timesheets_from), t
        assert t.total_hours == sum(e.hours for e in t.entries) <= cap, t
        days = set(timesheets.loggable_days(p, t.week_start))
        for e in t.entries:
            assert e.work_date in days, (t, e)
            assert e.work_date < today, (t, e)
        steps = [s for s in (t.created_at, t.submitted_at, t.decided_at) if s is not None]
        assert steps == sorted(steps), t
        assert steps[-1] < midnight, t
        assert t.updated_at == steps[-1], t
        if t.status == TimesheetStatus.DRAFT:
            assert t.week_start == this_week, t
            assert t.submitted_at is None, t
        else:
            assert t.week_start < this_week, t
            assert t.submitted_by_id is not None, t
        if t.status == TimesheetStatus.REJECTED:
            assert t.decision_note, t
            assert t.decided_by_id is not None, t
        if t.status == TimesheetStatus.APPROVED:
            assert t.approved_automatically == (t.decided_by_id is None), t
    assert set(statuses) == {"draft", "submitted", "approved", "rejected"}, statuses
    assert statuses["approved"] > 0.8 * len(sheets)
    # Each placement's hours summary is the service's own.
    for p in db.session.scalars(sa.select(Placement).where(Placement.timesheets_from.is_not(None))):
        kept = (p.low_hours_weeks, p.missing_weeks, p.rejected_since)
        timesheets.refresh_hours_summary(p, today)
        assert (p.low_hours_weeks, p.missing_weeks, p.rejected_since) == kept, p
    db.session.rollback()
    counts = db.session.execute(
        sa.select(
            sa.func.count().filter(Placement.missing_weeks > 0),
            sa.func.count().filter(Placement.low_hours_weeks > 0),
            sa.func.count().filter(Placement.rejected_since.is_not(None)),
        )
    ).one()
    assert all(counts), counts


def test_invoices_are_their_hours_at_the_rates_of_their_days(today):
    entries = _entries()
    covered = _by_line(entries, "invoice_line_id")
    all_invoices = _documents(Invoice)
    for invoice in all_invoices:
        assert invoice.total == sum(line.amount for line in invoice.lines), invoice
        assert [line.position for line in invoice.lines] == list(range(1, len(invoice.lines) + 1))
        if invoice.is_credit_note:
            assert invoice.status == InvoiceStatus.ISSUED, invoice
            assert invoice.total < 0, invoice
            assert -invoice.total <= invoice.credits.total, invoice
            assert invoice.lines[0].description.startswith(f"Credit on {invoice.credits.number}")
            continue
        assert invoice.total > 0, invoice
        for line in invoice.lines:
            assert line.placement.client_id == invoice.client_id, line
            _check_line(line, covered[line.id], lambda rate: rate.bill_rate)
    _check_numbers(all_invoices, "INV")
    kinds = {(i.kind, i.status) for i in all_invoices}
    assert (InvoiceKind.INVOICE, InvoiceStatus.PAID) in kinds
    assert (InvoiceKind.CREDIT_NOTE, InvoiceStatus.ISSUED) in kinds


def test_pay_statements_are_their_hours_at_the_pay_rates(today):
    covered = _by_line(_entries(), "pay_line_id")
    statements = _documents(PayStatement)
    for statement in statements:
        assert statement.total == sum(line.amount for line in statement.lines), statement
        for line in statement.lines:
            assert line.placement.engineer_id == statement.engineer_id, line
            _check_line(line, covered[line.id], lambda rate: rate.pay_rate)
        if statement.status == InvoiceStatus.PAID:
            assert statement.issued_on <= statement.paid_on < today, statement
    _check_numbers(statements, "PAY")


def test_every_approved_hour_of_a_closed_month_is_billed_and_paid_once(today):
    invoices_by_line = {
        line.id: i for i in _documents(Invoice) for line in i.lines if not i.is_credit_note
    }
    statements_by_line = {line.id: s for s in _documents(PayStatement) for line in s.lines}
    drafts = set()
    for entry in _entries():
        approved = entry.timesheet.status == TimesheetStatus.APPROVED
        if not approved or entry.work_date >= month_start(today):
            assert (entry.invoice_line_id, entry.pay_line_id) == (None, None), entry
            continue
        invoice = invoices_by_line[entry.invoice_line_id]
        statement = statements_by_line[entry.pay_line_id]
        month = month_start(entry.work_date)
        assert invoice.period_start == statement.period_start == month, entry
        assert invoice.client_id == entry.timesheet.placement.client_id, entry
        assert statement.engineer_id == entry.timesheet.placement.engineer_id, entry
        assert invoice.is_draft == statement.is_draft, entry
        if invoice.is_draft:
            drafts.add(month)
    # Only last month can still be open: early in the month it is, late it is issued.
    assert drafts == ({month_start(today - timedelta(days=today.day))} if today.day < 15 else set())


def test_interviews_show_every_state_inside_both_working_days(today):
    rows = db.session.scalars(
        sa.select(Interview).options(selectinload(Interview.proposal)).order_by(Interview.id)
    ).all()
    by_status = defaultdict(list)
    for row in rows:
        by_status[row.status].append(row)
    assert set(by_status) == {"requested", "scheduled", "completed", "cancelled", "no_show"}
    start_of_today = datetime.combine(today, time(0), tzinfo=UTC)
    for i in by_status["completed"]:
        if i.proposal.status == "accepted":
            assert i.would_continue, i
            assert i.outcome_at == i.proposal.decided_at, i
        else:
            assert not i.would_continue, i
        assert i.ends_at < start_of_today, i
    for i in by_status["scheduled"]:
        assert i.proposal.status == "interviewing", i
        assert i.starts_at > start_of_today, i
    for i in by_status["requested"]:
        assert len(i.choices) == 3, i
        assert i.proposal.status in ("proposed", "interviewing"), i
    ever = datetime(2000, 1, 1, tzinfo=UTC)
    for i in rows[:: max(1, len(rows) // 60)]:  # a sample: free_slots asks the database
        slots = interviews.choices_of(i) if i.starts_at is None else [(i.starts_at, i.ends_at)]
        if not slots:
            continue
        day = slots[0][0].date() - timedelta(days=1)
        offered = interviews.free_slots(
            i.proposal, day, days=10, now=ever, except_interview_id=i.id
        )
        assert set(slots) <= set(offered), i


def test_the_measured_pages_answer_for_each_person(today, web):
    from benchmarks.bench_pages import NEW_PAGES, Targets
    from tracker.services.api_tokens import create_token

    invoice = db.session.scalar(
        sa.select(Invoice.id).where(Invoice.status != "draft").order_by(Invoice.id).limit(1)
    )
    interview = db.session.scalar(sa.select(sa.func.min(Interview.id)))
    engineer = db.session.scalars(
        sa.select(User).where(User.role == "engineer").order_by(User.id)
    ).first()
    client_user = db.session.scalars(
        sa.select(User).where(User.role == "client").order_by(User.id)
    ).first()
    placement = db.session.scalar(
        sa.select(Placement.id).where(Placement.engineer_id == engineer.engineer_id).limit(1)
    )
    staff = db.session.scalar(sa.select(User).where(User.email == "am@agency.example"))
    secret = create_token(staff, "test", "read").secret
    db.session.commit()
    targets = Targets(1, "Python", 1, placement, staff.email, client_user.email,
                      invoice_id=invoice, interview_id=interview, engineer_email=engineer.email,
                      engineer_placement_id=placement)  # fmt: skip
    urls = targets.urls()
    emails = {"staff": staff.email, "client": client_user.email, "engineer": engineer.email}
    for who, email in emails.items():
        web.post("/logout")
        assert web.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
        for page in NEW_PAGES:
            if urls[page][0] == who:
                assert web.get(urls[page][1]).status_code == 200, page
    bearer = {"Authorization": f"Bearer {secret}"}
    for page in NEW_PAGES:
        if urls[page][0] == "api":
            assert web.get(urls[page][1], headers=bearer).status_code == 200, page
