"""Iteration reviews across placements, for agency staff: the list and its CSV export."""

from flask import Blueprint

bp = Blueprint("reviews", __name__, url_prefix="/reviews")

from tracker.reviews import routes  # noqa: E402, F401
