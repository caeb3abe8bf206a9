"""The invoice PDF: what a client files, read back from the bytes (tracker.reports.invoice_pdf)."""

import io
from datetime import timedelta
from decimal import Decimal

import pypdf

from tests.test_invoices import MONTH, TODAY, drafted, issued, work, world  # noqa: F401
from tracker.models import db
from tracker.reports import invoice_pdf
from tracker.services import invoices, transaction
from tracker.services.billing import month_end
from tracker.services.invoices import CreditRequest
from tracker.text import day


def text_of(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def billed(world):  # noqa: F811
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH - timedelta(days=10), month_end(MONTH) + timedelta(5))
    return placement, am


def test_an_issued_invoice_prints_its_number_client_lines_total_and_terms(world, app):  # noqa: F811
    placement, am = billed(world)
    placement.client.payment_terms_days = 45
    db.session.commit()
    invoice = issued(placement.client, am)
    [line] = invoice.lines

    data = invoice_pdf.render(invoice)

    assert data.startswith(b"%PDF")
    text = text_of(data)
    assert "INVOICE" in text
    assert "CREDIT NOTE" not in text
    assert invoice.number in text
    assert "Northwind" in text
    assert "Ana Souza - ML platform" in text  # the em dash, spelt in Latin-1
    assert f"{line.hours:,.2f}" in text
    assert "$90.00" in text
    assert f"${line.amount:,.2f}" in text
    assert f"Total (USD) ${invoice.total:,.2f}" in text
    assert f"{MONTH:%B %Y}" in text
    assert day(invoice.due_on) in text
    assert "Payment due within 45 days of the issue date" in text
    assert app.config["AGENCY_NAME"] in text
    assert "DRAFT" not in text
    assert "55.00" not in text  # the pay rate is never printed


def test_the_agency_comes_from_the_settings_and_accents_print(world, app, make):  # noqa: F811
    placement, am = billed(world)
    placement.engineer.full_name = "Sebastián Núñez"
    app.config.update(
        AGENCY_NAME="Talento Andino S.A.",
        AGENCY_ADDRESS="Av. Providencia 1208\nSantiago, Chile",
        AGENCY_EMAIL="cobros@talento.example",
        AGENCY_TAX_ID="76.123.456-7",
        AGENCY_PAYMENT_DETAILS="Banco Ejemplo — IBAN CL00 1234 5678",
    )
    db.session.commit()
    invoice = issued(placement.client, am)

    text = text_of(invoice_pdf.render(invoice))

    assert "Sebastián Núñez - ML platform" in text
    assert "Talento Andino S.A." in text
    assert "Av. Providencia 1208" in text
    assert "Santiago, Chile" in text
    assert "cobros@talento.example" in text
    assert "Tax ID: 76.123.456-7" in text
    assert "Banco Ejemplo - IBAN CL00 1234 5678" in text


def test_a_paid_invoice_says_when_and_rendering_twice_gives_the_same_bytes(world):  # noqa: F811
    placement, am = billed(world)
    invoice = issued(placement.client, am)
    with transaction():
        invoices.mark_paid(invoice, am, paid_on=TODAY, today=TODAY)

    first, second = invoice_pdf.render(invoice), invoice_pdf.render(invoice)

    assert first == second
    text = text_of(first)
    assert f"Paid on {day(TODAY)}" in text
    assert "Payment due within" not in text


def test_a_draft_says_it_is_not_a_valid_invoice(world):  # noqa: F811
    placement, am = billed(world)
    invoice = drafted(placement.client, am)

    text = text_of(invoice_pdf.render(invoice))

    assert "DRAFT - not a valid invoice" in text
    assert "Payment due within 30 days of the issue date" in text


def test_a_credit_note_names_the_invoice_it_credits_and_why(world):  # noqa: F811
    placement, am = billed(world)
    invoice = issued(placement.client, am)
    with transaction():
        note = invoices.credit(
            invoice,
            CreditRequest(reason="Two days billed twice", amount=Decimal("120.00")),
            am,
            today=TODAY,
        )

    text = text_of(invoice_pdf.render(note))

    assert "CREDIT NOTE" in text
    assert note.number in text
    assert f"Credits invoice {invoice.number}" in text
    assert "Reason: Two days billed twice" in text
    assert "-$120.00" in text
    assert "Payment due within" not in text

    # The invoice it credits shows the note and what is left to pay.
    text = text_of(invoice_pdf.render(invoices.load(invoice.id)))
    assert f"Credit note {note.number}" in text
    assert f"${invoice.total - Decimal('120.00'):,.2f}" in text


def test_characters_latin_1_lacks_are_spelt_or_replaced():
    assert invoice_pdf.printable("3–28 Nov — “ok” …") == '3-28 Nov - "ok" ...'
    assert invoice_pdf.printable("Zoë Łukasz 李") == "Zoë ?ukasz ?"
    assert invoice_pdf.amount_text(Decimal("-1234.5")) == "-$1,234.50"
    assert invoice_pdf.amount_text(Decimal("1234.5"), "EUR") == "EUR 1,234.50"
