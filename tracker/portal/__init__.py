"""The client portal: a client company's own requests, proposals and placements."""

from flask import Blueprint

bp = Blueprint("portal", __name__, url_prefix="/portal")

from tracker.portal import routes  # noqa: E402, F401
