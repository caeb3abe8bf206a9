"""The client portal: a client company's own requests, proposals, placements, hours and
invoices."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")

from tracker.portal import invoice_routes, routes, timesheet_routes  # noqa: E402, F401
