"""Invoices and credit notes for agency staff: the list and its exports, drafting a month, one
invoice and what may be done to it in its state, and its PDF.

Every action posts the version the page showed: the service refuses it when the invoice changed
since. A refusal (a stale page, a payment date in the future, too large a credit) is flashed and
the detail page shown again, unchanged.
"""

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from tracker.auth.access import staff_required
from tracker.extensions import db
from tracker.forms import required
from tracker.infra.audit import timeline
from tracker.infra.csv_export import csv_response
from tracker.infra.listing import parse_sort
from tracker.infra.pagination import paginate
from tracker.invoices import bp
from tracker.invoices.forms import (
    CreditForm,
    DraftClientForm,
    DraftMonthForm,
    InvoiceActionForm,
    InvoiceFilterForm,
    PayForm,
)
from tracker.models import Client, Invoice
from tracker.services import DomainError, invoices, timesheets, transaction
from tracker.services.billing import month_words, previous_month
from tracker.text import day

DEFAULT_SORT = "-period"


# --- the list and its exports ----------------------------------------------------------------


def _client_choices() -> list[tuple[int, str]]:
    """The clients one may bill or filter on: those with a placement, by name."""
    return timesheets.clients_with_timesheets()


def _listing(today: date):
    """The filter form, the filters of its valid fields and the sort order."""
    form = InvoiceFilterForm(request.args)
    form.client.choices = [("", "Any client"), *_client_choices()]
    form.validate()
    sort = parse_sort(request.args.get("sort"), invoices.SORTS, DEFAULT_SORT)
    return form, form.to_filters(today), sort


def _pay_statements_url() -> str | None:
    """The pay statements' list, once that area is there."""
    try:
        return url_for("pay_statements.index")
    except BuildError:
        return None


def _draft_forms(today: date, choices) -> tuple[DraftMonthForm, DraftClientForm]:
    month = f"{previous_month(today):%Y-%m}"
    every = DraftMonthForm(formdata=None, prefix="draft", month=month)
    one = DraftClientForm(formdata=None, prefix="one", month=month)
    one.client_id.choices = [("", "— choose a client —"), *choices]
    return every, one


@bp.get("/")
@staff_required
def index():
    today = date.today()
    form, filters, sort = _listing(today)
    page = paginate(invoices.invoice_list(filters, sort))
    draft_form, client_form = _draft_forms(today, form.client.choices[1:])
    return render_template(
        "invoices/index.html",
        page=page,
        form=form,
        filtered=filters != invoices.InvoiceFilters(),
        sort=sort,
        today=today,
        stale=invoices.out_of_date_ids(page.items),
        overdue={i.id for i in page.items if invoices.is_overdue(i, today)},
        draft_form=draft_form,
        client_form=client_form,
        pay_url=_pay_statements_url(),
    )


@bp.get("/export.csv")
@staff_required
def export():
    today = date.today()
    _form, filters, sort = _listing(today)
    rows = invoices.export_rows(filters, sort)
    header = next(rows)
    return csv_response(f"invoices-{today:%Y-%m-%d}.csv", header, rows)


@bp.get("/lines.csv")
@staff_required
def export_lines():
    today = date.today()
    _form, filters, sort = _listing(today)
    rows = invoices.line_rows(filters, sort)
    header = next(rows)
    return csv_response(f"invoice-lines-{today:%Y-%m-%d}.csv", header, rows)


# --- drafting a month --------------------------------------------------------------------------


def _refused(form) -> None:
    """Flash what was wrong with a posted form, field by field."""
    for field in form:
        for error in field.errors:
            flash(f"{field.label.text}: {error}", "danger")


def _drafts(count: int, verb: str) -> str:
    return f"{count} draft{'' if count == 1 else 's'} {verb}"


@bp.post("/draft")
@staff_required
def draft_month():
    """Draft (or rebuild) every client's invoice for a month."""
    form = DraftMonthForm(prefix="draft")
    if not form.validate_on_submit() or form.first_day is None:
        _refused(form)
        return redirect(url_for("invoices.index"))
    month = form.first_day
    try:
        with transaction():
            run = invoices.draft_month(month, current_user)
            created, rebuilt = len(run.created), len(run.rebuilt)
    except DomainError as e:
        flash(str(e), "danger")
        return redirect(url_for("invoices.index"))
    if created or rebuilt:
        flash(f"{month_words(month)}: {_drafts(created, 'created')}, {rebuilt} rebuilt.", "success")
    else:
        flash(
            f"{month_words(month)}: nothing to bill. Every approved hour of the month is on an "
            "invoice already.",
            "info",
        )
    return redirect(url_for("invoices.index", month=f"{month:%Y-%m}"))


@bp.post("/draft-client")
@staff_required
def draft_client():
    """Draft (or rebuild) one client's invoice for a month."""
    form = DraftClientForm(prefix="one")
    form.client_id.choices = [("", "— choose a client —"), *_client_choices()]
    if not form.validate_on_submit() or form.first_day is None:
        _refused(form)
        return redirect(url_for("invoices.index"))
    client = db.get_or_404(Client, required(form.client_id.data))
    month = form.first_day
    try:
        with transaction():
            invoice, created = invoices.draft(client, month, current_user)
    except DomainError as e:
        flash(str(e), "danger")
        return redirect(url_for("invoices.index"))
    done = "Drafted" if created else "Rebuilt"
    flash(
        f"{done} {client.name}'s invoice for {month_words(month)}: ${invoice.total:,.2f}.",
        "success",
    )
    return redirect(url_for("invoices.detail", invoice_id=invoice.id))


# --- one invoice ----------------------------------------------------------------------------


def _load(invoice_id: int) -> Invoice:
    invoice = invoices.load(invoice_id)
    if invoice is None:
        abort(404)
    return invoice


@bp.get("/<int:invoice_id>")
@staff_required
def detail(invoice_id: int):
    invoice = _load(invoice_id)
    today = date.today()
    pay_form = PayForm(formdata=None, prefix="pay", paid_on=today)
    credit_form = CreditForm(formdata=None, prefix="credit")
    for form in (pay_form, credit_form):
        form.version_id.data = str(invoice.version_id)
    can_credit = not invoice.is_credit_note and not invoice.is_draft
    return render_template(
        "invoices/detail.html",
        invoice=invoice,
        today=today,
        stale=invoices.out_of_date(invoice),
        overdue=invoices.is_overdue(invoice, today),
        can_credit=can_credit,
        credited=invoices.credited_line_ids(invoice) if can_credit else set(),
        left_to_credit=invoices.creditable(invoice) if can_credit else None,
        pay_form=pay_form,
        credit_form=credit_form,
        days_text=invoices.days_text,
        events=timeline(invoice),
    )


# What an action on an invoice tells: the message, and where to go (None: the invoice's page).
Done = tuple[str, str | None]


def _act(invoice_id: int, form, action: Callable[[Invoice, Any], Done]):
    """Run an action on the invoice in one transaction; a refusal is flashed, nothing changes,
    and the invoice's page is shown again."""
    invoice = _load(invoice_id)
    here = url_for("invoices.detail", invoice_id=invoice_id)
    if not form.validate_on_submit():
        _refused(form)
        return redirect(here)
    try:
        with transaction():
            message, target = action(invoice, form)
    except DomainError as e:
        flash(str(e), "danger")
        return redirect(here)
    flash(message, "success")
    return redirect(target or here)


@bp.post("/<int:invoice_id>/rebuild")
@staff_required
def rebuild(invoice_id: int):
    def action(invoice: Invoice, form) -> Done:
        invoices.rebuild(invoice, current_user, version=form.version_id.data)
        if not invoice.lines:
            return (
                f"Rebuilt {invoice.title}: no approved hours are left to bill on it. "
                "Delete it, or rebuild it once hours are approved.",
                None,
            )
        lines = len(invoice.lines)
        return (
            f"Rebuilt {invoice.title}: ${invoice.total:,.2f} on {lines} "
            f"line{'' if lines == 1 else 's'}.",
            None,
        )

    return _act(invoice_id, InvoiceActionForm(), action)


@bp.post("/<int:invoice_id>/issue")
@staff_required
def issue(invoice_id: int):
    def action(invoice: Invoice, form) -> Done:
        invoices.issue(invoice, current_user, today=date.today(), version=form.version_id.data)
        return (
            f"Issued {invoice.number} to {invoice.client.name}: ${invoice.total:,.2f}, "
            f"due {day(invoice.due_on)}. It cannot be changed any more.",
            None,
        )

    return _act(invoice_id, InvoiceActionForm(), action)


@bp.post("/<int:invoice_id>/delete")
@staff_required
def delete(invoice_id: int):
    def action(invoice: Invoice, form) -> Done:
        client, month = invoice.client.name, invoice.period_start
        invoices.delete_draft(invoice, current_user, version=form.version_id.data)
        return (
            f"Deleted the draft invoice of {client} for {month_words(month)}; its hours can "
            "be billed again.",
            url_for("invoices.index", month=f"{month:%Y-%m}"),
        )

    return _act(invoice_id, InvoiceActionForm(), action)


@bp.post("/<int:invoice_id>/pay")
@staff_required
def pay(invoice_id: int):
    def action(invoice: Invoice, form) -> Done:
        invoices.mark_paid(
            invoice,
            current_user,
            paid_on=required(form.paid_on.data),
            today=date.today(),
            version=form.version_id.data,
        )
        return f"{invoice.title} is paid (on {day(invoice.paid_on)}).", None

    return _act(invoice_id, PayForm(prefix="pay"), action)


@bp.post("/<int:invoice_id>/credit")
@staff_required
def credit(invoice_id: int):
    def action(invoice: Invoice, form) -> Done:
        note = invoices.credit(
            invoice,
            form.to_request(),
            current_user,
            today=date.today(),
            version=form.version_id.data,
        )
        return (
            f"Issued credit note {note.number}: ${-note.total:,.2f} off {invoice.number}.",
            url_for("invoices.detail", invoice_id=note.id),
        )

    return _act(invoice_id, CreditForm(prefix="credit"), action)


# --- the PDF --------------------------------------------------------------------------------


def pdf_name(invoice: Invoice) -> str:
    """INV-2026-0001.pdf, or draft-acme-2026-11.pdf while it has no number."""
    if invoice.number:
        return f"{invoice.number}.pdf"
    client = re.sub(r"[^a-z0-9]+", "-", invoice.client.name.lower()).strip("-") or "client"
    return f"draft-{client[:60]}-{invoice.period_start:%Y-%m}.pdf"


@bp.get("/<int:invoice_id>.pdf")
@staff_required
def pdf(invoice_id: int):
    """The invoice as the client receives it; a draft's PDF says DRAFT across it."""
    from tracker.reports.invoice_pdf import render  # written alongside; imported when used

    invoice = _load(invoice_id)
    return Response(
        render(invoice),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{pdf_name(invoice)}"'},
    )
