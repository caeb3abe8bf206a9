"""Interviews: staff pages to ask for, confirm, move, cancel and record interviews; the portal
and /me register their own routes on the same handlers (tracker.interviews.views)."""

from flask import Blueprint

bp = Blueprint("interviews", __name__, url_prefix="/interviews")

from tracker.interviews import routes  # noqa: E402, F401
