"""Signing in and out, and the account's own settings (password, API tokens)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from tracker.auth import routes, tokens  # noqa: E402, F401  (registers the views)
