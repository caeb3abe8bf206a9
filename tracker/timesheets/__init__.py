"""Timesheets for agency staff: the list of every week, one week, and acting on someone's behalf."""

from flask import Blueprint

bp = Blueprint("timesheets", __name__, url_prefix="/timesheets")

from tracker.timesheets import routes  # noqa: E402, F401
