"""Client companies: list, profile, create, edit, archive; their portal users."""

from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")

from tracker.clients import portal_users, routes  # noqa: E402, F401
