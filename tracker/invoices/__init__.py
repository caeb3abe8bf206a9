"""Invoices and credit notes for agency staff: the list, a month's drafts, one invoice, its PDF."""

from flask import Blueprint

bp = Blueprint("invoices", __name__, url_prefix="/invoices")

from tracker.invoices import routes  # noqa: E402, F401
