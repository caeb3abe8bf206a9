"""Staffing requests: what clients need, and their status."""

from flask import Blueprint

bp = Blueprint("requests", __name__, url_prefix="/requests")

from tracker.requests import routes  # noqa: E402, F401
