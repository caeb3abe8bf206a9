"""Placements: engineers working in client teams."""

from flask import Blueprint

bp = Blueprint("placements", __name__)

from tracker.placements import export_routes, routes  # noqa: E402, F401
