"""Placements: engineers working in client teams."""

from flask import Blueprint

bp = Blueprint("placements", __name__)

from tracker.placements import routes  # noqa: E402, F401
