"""The engineer's own area: their placements, their weekly hours and their profile."""

from flask import Blueprint

bp = Blueprint("me", __name__, url_prefix="/me")

from tracker.me import routes  # noqa: E402, F401
