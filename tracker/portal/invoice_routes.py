"""The client's invoices: the list, one invoice or credit note, and its PDF.

Only issued and paid documents of the signed-in user's company are found (services.invoices'
client_list and client_invoice): a draft, or another company's invoice, answers 404 for the page
and the PDF alike. The pages show what the PDF prints (lines at the client's own bill rate) and
nothing internal: no pay rate, margin, note or history of staff actions.
"""

from datetime import date

from flask import make_response, render_template
from flask_login import current_user
from sqlalchemy.orm import joinedload

from tracker.auth.access import client_required, own_or_404
from tracker.infra.pagination import paginate
from tracker.models import Invoice
from tracker.portal import bp
from tracker.reports import invoice_pdf
from tracker.services import invoices
from tracker.services.billing import month_words


def _my_invoice(invoice_id: int) -> Invoice:
    return own_or_404(
        invoices.client_invoice(current_user.client_id, invoice_id), Invoice, invoice_id
    )


def _overdue(invoice: Invoice, today: date) -> bool:
    return (
        not invoice.is_credit_note
        and invoice.paid_on is None
        and invoice.due_on is not None
        and invoice.due_on < today
    )


@bp.get("/invoices/", endpoint="invoices")
@client_required
def invoices_list():
    stmt = invoices.client_list(current_user.client_id).options(joinedload(Invoice.credits))
    return render_template(
        "portal/invoices.html",
        page=paginate(stmt),
        today=date.today(),
        overdue=_overdue,
        month_words=month_words,
    )


@bp.get("/invoices/<int:invoice_id>")
@client_required
def invoice(invoice_id: int):
    found = _my_invoice(invoice_id)
    today = date.today()
    return render_template(
        "portal/invoice.html",
        invoice=found,
        days_text=invoices.days_text,
        left_to_pay=invoices.creditable(found),
        is_overdue=_overdue(found, today),
        month_words=month_words,
    )


@bp.get("/invoices/<int:invoice_id>.pdf", endpoint="invoice_pdf")
@client_required
def invoice_pdf_download(invoice_id: int):
    found = _my_invoice(invoice_id)
    response = make_response(invoice_pdf.render(found))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{found.number}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
