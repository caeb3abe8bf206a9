"""The money figures: billed, paid to engineers and realized margin per month, on the dashboard
and a client's page, from issued documents only (credit notes deducted, drafts left out)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.test_invoices import MONTH, NEXT, TODAY, drafted, issued, work, world  # noqa: F401
from tracker.extensions import db
from tracker.infra.links import url_if_routed
from tracker.reports import billing, charts
from tracker.services import invoices, pay_statements, rates, transaction
from tracker.services.billing import month_end
from tracker.services.invoices import CreditRequest


def days_worked(first: date, last: date) -> int:
    return sum(1 for k in range((last - first).days + 1) if (first + timedelta(k)).weekday() < 5)


def billed_for(month: date, rate: str) -> Decimal:
    """Eight hours on every weekday of the month at a rate."""
    return Decimal(8 * days_worked(month, month_end(month))) * Decimal(rate)


def pay_statement(engineer, month, actor, issue=True):
    with transaction():
        statement, _ = pay_statements.draft(engineer, month, actor)
        if issue:
            pay_statements.issue(statement, actor, today=TODAY)
    return statement


def by_month(figures: list[billing.MonthMoney]) -> dict[date, billing.MonthMoney]:
    return {m.month: m for m in figures}


@pytest.fixture
def billed_world(world):  # noqa: F811
    """MONTH issued (less a 10.00 credit note) and paid out; NEXT only drafted, both sides."""
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(NEXT))
    invoice = issued(placement.client, am, MONTH)
    with transaction():
        invoices.credit(
            invoice, CreditRequest(reason="Discount", amount=Decimal("10.00")), am, today=TODAY
        )
    drafted(placement.client, am, NEXT)
    pay_statement(placement.engineer, MONTH, am)
    pay_statement(placement.engineer, NEXT, am, issue=False)
    return world


def test_monthly_money_is_billed_less_credit_notes_minus_pay_per_month(billed_world, count_queries):
    with count_queries() as counter:
        figures = billing.monthly_money(TODAY)

    assert counter.count == 1  # both documents, grouped by period_start, in one statement
    assert [m.month for m in figures] == charts._month_starts(TODAY, 12)  # oldest first
    assert figures[-1].month == TODAY.replace(day=1)
    month = by_month(figures)[MONTH]
    assert month.billed == billed_for(MONTH, "90.00") - Decimal("10.00")
    assert month.paid_to_engineers == billed_for(MONTH, "55.00")
    assert month.margin == billed_for(MONTH, "35.00") - Decimal("10.00")
    # NEXT has a draft invoice and a draft pay statement: nothing is counted yet.
    assert by_month(figures)[NEXT] == billing.MonthMoney(NEXT, Decimal("0.00"), Decimal("0.00"))
    assert sum(m.billed for m in figures) == month.billed
    assert all(
        isinstance(m.billed, Decimal) and m.billed.as_tuple().exponent == -2 for m in figures
    )


def test_a_month_outside_the_window_is_not_counted(billed_world):
    later = billing.monthly_money(MONTH + timedelta(days=365 + 31))  # MONTH is 13 months back
    assert len(later) == 12
    assert all(m.billed == 0 and m.paid_to_engineers == 0 for m in later)


def test_the_money_chart_draws_bars_and_a_margin_line_with_a_table(billed_world):
    config = billing.money_chart(billing.monthly_money(TODAY))

    assert config["type"] == "bar"
    labels = [ds["label"] for ds in config["data"]["datasets"]]
    assert labels == ["Billed", "Paid to engineers", "Realized margin"]
    assert config["data"]["datasets"][2]["type"] == "line"
    table = charts.as_table(config)
    assert table.header == ("Month", "Billed", "Paid to engineers", "Realized margin")
    row = next(r for r in table.rows if r[0] == f"{MONTH:%b %Y}")
    expected = billed_for(MONTH, "90.00") - Decimal("10.00")
    assert row[1] == f"{expected:.2f}"  # cents exact, not a float's rounding
    assert row[3] == f"{expected - billed_for(MONTH, '55.00'):.2f}"


def test_client_revenue_counts_only_that_client(billed_world, make, count_queries):
    placement, *_ = billed_world
    other = make.client(name="Contoso")
    manager = make.user(role="account_manager")
    theirs = make.placement(
        request=make.request(client=other),
        start=MONTH - timedelta(days=40),
        bill_rate=Decimal("100.00"),
        pay_rate=Decimal("60.00"),
    )
    rates.start_rates(theirs, manager)
    db.session.commit()
    work(
        theirs,
        make.user(role="engineer", engineer=theirs.engineer),
        make.user(role="client", client=other),
        MONTH,
        month_end(MONTH),
    )
    issued(other, manager, MONTH)
    client_id = placement.client_id

    with count_queries() as counter:
        revenue = billing.client_revenue(client_id, TODAY)

    assert counter.count == 1
    assert len(revenue.months) == 12
    assert dict(revenue.months)[MONTH] == billed_for(MONTH, "90.00") - Decimal("10.00")
    assert dict(revenue.months)[NEXT] == Decimal("0.00")  # only a draft
    assert revenue.total == billed_for(MONTH, "90.00") - Decimal("10.00")
    assert billing.client_revenue(other.id, TODAY).total == billed_for(MONTH, "100.00")
    agency = by_month(billing.monthly_money(TODAY))[MONTH].billed
    assert agency == revenue.total + billed_for(MONTH, "100.00")


@pytest.fixture
def overdue_invoice(world):  # noqa: F811
    """MONTH's invoice, issued the day after MONTH began with no payment term: long overdue."""
    placement, eng, client_user, am = world
    placement.client.payment_terms_days = 0
    db.session.commit()
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice = drafted(placement.client, am, MONTH)
    with transaction():
        invoices.issue(invoice, am, today=MONTH + timedelta(days=1))
    return invoice


def test_dashboard_shows_the_money_and_the_overdue_invoice(app, client, auth, overdue_invoice):
    auth.login_as("account_manager")

    page = client.get("/dashboard/").text

    assert 'data-testid="money"' in page
    assert "Billed, paid to engineers and realized margin per month" in page
    assert 'id="money-chart"' in page
    assert "Invoices overdue" in page
    total = f"${overdue_invoice.total:,.2f}"
    assert f"1 · {total}" in page
    assert overdue_invoice.number in page
    assert "Northwind" in page
    days = (TODAY - (MONTH + timedelta(days=1))).days
    assert f"{days} days" in page
    with app.test_request_context():
        href = url_if_routed("invoices.detail", invoice_id=overdue_invoice.id)
    if href:  # the invoices pages are routed: the number links to its page
        assert f'href="{href}"' in page


def test_dashboard_says_when_no_invoice_is_overdue(client, auth):
    auth.login_as("account_manager")
    page = client.get("/dashboard/").text
    assert "No invoice is overdue." in page
    assert "0 · $0.00" in page


def test_a_client_user_never_sees_the_money(client, auth, overdue_invoice):
    auth.login_as("client", client=overdue_invoice.client)
    response = client.get("/dashboard/")
    assert response.status_code == 403
    assert "Realized margin" not in response.text


def test_client_page_shows_revenue_and_open_invoices(app, client, auth, overdue_invoice):
    auth.login_as("account_manager")

    page = client.get(f"/clients/{overdue_invoice.client_id}").text

    assert "Revenue, last 12 months" in page
    total = f"${overdue_invoice.total:,.2f}"
    assert f'data-testid="revenue-total">{total}<' in page
    assert f"{MONTH:%b %Y}" in page
    assert f"1 · {total}" in page  # one open invoice
    assert f"1 overdue · {total}" in page
    with app.test_request_context():
        href = url_if_routed("invoices.index", client_id=overdue_invoice.client_id)
    if href:
        assert f'href="{href}"' in page.replace("&amp;", "&")


def test_a_paid_invoice_is_revenue_but_no_longer_open(overdue_invoice):
    with transaction():
        invoices.mark_paid(overdue_invoice, None, paid_on=TODAY, today=TODAY)

    open_now = billing.open_invoices(overdue_invoice.client_id, TODAY)
    assert open_now == billing.OpenInvoices(0, Decimal("0.00"), 0, Decimal("0.00"))
    assert billing.client_revenue(overdue_invoice.client_id, TODAY).total == overdue_invoice.total
