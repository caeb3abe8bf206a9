"""Client companies: list, profile, create, edit, archive."""

from flask import Blueprint

bp = Blueprint("clients", __name__, url_prefix="/clients")

from tracker.clients import routes  # noqa: E402, F401
