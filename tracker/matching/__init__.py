"""Matching: a request's ranked engineers, why someone is left out, and proposals."""

from flask import Blueprint

bp = Blueprint("matching", __name__)

from tracker.matching import routes  # noqa: E402, F401
