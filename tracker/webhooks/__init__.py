"""Webhooks: the endpoints other systems registered with staff, and what was sent to them."""

from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")

from tracker.webhooks import routes  # noqa: E402, F401
