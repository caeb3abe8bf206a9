"""The roster: engineers, their skills and vetting; the skills catalogue; CSV import."""

from flask import Blueprint

bp = Blueprint("engineers", __name__, url_prefix="/engineers")

from tracker.engineers import account_routes, import_routes, routes  # noqa: E402, F401
