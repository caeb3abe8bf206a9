"""The client's invoices in the portal: their own issued ones, never a draft or another
company's, never a pay rate; the PDF to download."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from tests.test_invoices import MONTH, TODAY, drafted, issued, work
from tracker.models import AuditEvent, db
from tracker.services import invoices, rates, transaction
from tracker.services.billing import month_end
from tracker.services.invoices import CreditRequest
from tracker.text import day

BILL_RATE, PAY_RATE = Decimal("97.35"), Decimal("61.17")  # distinctive: searched for in pages


@pytest.fixture
def initech(make):
    """A company with a placement billed at 97.35 and paid at 61.17, its month's hours approved."""
    manager = make.user(role="account_manager")
    company = make.client(account_manager=manager, name="Initech")
    engineer = make.engineer(full_name="Sebastián Núñez", email="sebastian@mail.example",
                             phone="+56 9 8765 4321", notes="Internal: wants a raise")  # fmt: skip
    placement = make.placement(
        engineer=engineer,
        request=make.request(client=company, title="Data platform"),
        start=MONTH - timedelta(days=40),
        bill_rate=BILL_RATE,
        pay_rate=PAY_RATE,
    )
    rates.start_rates(placement, manager)
    db.session.commit()
    engineer_user = make.user(role="engineer", engineer=engineer)
    client_user = make.user(role="client", client=company)
    work(placement, engineer_user, client_user, MONTH, month_end(MONTH))
    return {"company": company, "manager": manager, "client_user": client_user,
            "engineer_user": engineer_user, "placement": placement}  # fmt: skip


def test_a_client_sees_their_issued_invoice_and_downloads_its_pdf(client, auth, initech):
    invoice = issued(initech["company"], initech["manager"])
    [line] = invoice.lines
    auth.login(initech["client_user"].email)

    listing = client.get("/portal/invoices/")
    assert listing.status_code == 200
    assert invoice.number in listing.text
    assert f"{MONTH:%B %Y}" in listing.text
    assert day(invoice.due_on) in listing.text
    assert f"${invoice.total:,.2f}" in listing.text
    assert f'href="/portal/invoices/{invoice.id}.pdf"' in listing.text

    page = client.get(f"/portal/invoices/{invoice.id}")
    assert page.status_code == 200
    assert "Sebastián Núñez — Data platform" in page.text
    assert f"{float(line.hours):g} h" in page.text
    assert "$97.35 an hour" in page.text
    assert f"${line.amount:,.2f}" in page.text
    assert day(invoice.due_on) in page.text
    assert "Download PDF" in page.text

    pdf = client.get(f"/portal/invoices/{invoice.id}.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'


def test_the_portal_never_shows_pay_rates_or_anything_internal(client, auth, initech):
    invoice = issued(initech["company"], initech["manager"])
    auth.login(initech["client_user"].email)

    for path in ("/portal/", "/portal/invoices/", f"/portal/invoices/{invoice.id}"):
        text = client.get(path).text
        assert "61.17" not in text, path
        assert "margin" not in text.lower(), path
        assert "sebastian@mail.example" not in text, path
        assert "8765" not in text, path
        assert "wants a raise" not in text, path
        assert "History" not in text, path


def test_a_draft_is_not_in_the_portal(client, auth, initech):
    invoice = drafted(initech["company"], initech["manager"])
    auth.login(initech["client_user"].email)

    assert client.get(f"/portal/invoices/{invoice.id}").status_code == 404
    assert client.get(f"/portal/invoices/{invoice.id}.pdf").status_code == 404
    listing = client.get("/portal/invoices/").text
    assert "No invoices yet." in listing
    assert "Draft" not in listing


def test_another_companys_invoice_is_not_found(client, auth, make, initech):
    invoice = issued(initech["company"], initech["manager"])
    other = make.user(role="client", client=make.client(name="Globex"))
    auth.login(other.email)

    assert client.get(f"/portal/invoices/{invoice.id}").status_code == 404
    assert client.get(f"/portal/invoices/{invoice.id}.pdf").status_code == 404
    assert invoice.number not in client.get("/portal/invoices/").text
    refused = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "access.cross_tenant")
    ).all()
    assert len(refused) == 2


@pytest.mark.parametrize("role", ["account_manager", "admin", "engineer"])
def test_staff_and_engineers_get_no_portal_invoices(client, auth, initech, role):
    invoice = issued(initech["company"], initech["manager"])
    if role == "engineer":
        auth.login(initech["engineer_user"].email)
    else:
        auth.login_as(role)

    for path in ("/portal/invoices/", f"/portal/invoices/{invoice.id}",
                 f"/portal/invoices/{invoice.id}.pdf"):  # fmt: skip
        assert client.get(path).status_code == 403, path


def test_a_credit_note_is_listed_and_linked_both_ways(client, auth, initech):
    invoice = issued(initech["company"], initech["manager"])
    with transaction():
        note = invoices.credit(
            invoice,
            CreditRequest(reason="One day billed twice", amount=Decimal("778.80")),
            initech["manager"],
            today=TODAY,
        )
    auth.login(initech["client_user"].email)

    listing = client.get("/portal/invoices/").text
    assert note.number in listing
    assert f"on {invoice.number}" in listing

    page = client.get(f"/portal/invoices/{invoice.id}").text
    assert f'href="/portal/invoices/{note.id}"' in page
    assert "One day billed twice" in page
    assert f"${invoice.total - Decimal('778.80'):,.2f}" in page  # total less credit notes

    note_page = client.get(f"/portal/invoices/{note.id}")
    assert note_page.status_code == 200
    assert "Credit note " + note.number in note_page.text
    assert f'href="/portal/invoices/{invoice.id}"' in note_page.text
    pdf = client.get(f"/portal/invoices/{note.id}.pdf")
    assert pdf.headers["Content-Disposition"] == f'attachment; filename="{note.number}.pdf"'


def test_the_overview_sums_up_what_is_unpaid(client, auth, initech):
    auth.login(initech["client_user"].email)
    card = 'data-testid="invoices-card"'
    assert "nothing to pay" in client.get("/portal/").text

    invoice = issued(initech["company"], initech["manager"])
    page = client.get("/portal/").text
    assert card in page
    assert f"1 unpaid, ${invoice.total:,.2f} in all; next due {day(invoice.due_on)}" in page
    assert " overdue</span>" not in page  # reviews due may be overdue, not this invoice

    with time_machine.travel(invoice.due_on + timedelta(days=1), tick=False):
        auth.login(initech["client_user"].email)  # the earlier session has expired by then
        page = client.get("/portal/").text
        assert "1 overdue" in page
        listing = client.get("/portal/invoices/").text
        assert 'data-testid="overdue"' in listing

    with transaction():
        invoices.mark_paid(invoice, initech["manager"], paid_on=TODAY, today=TODAY)
    auth.login(initech["client_user"].email)
    assert "nothing to pay" in client.get("/portal/").text
    page = client.get(f"/portal/invoices/{invoice.id}").text
    assert ">Paid</span>" in page
    assert "Not yet" not in page
