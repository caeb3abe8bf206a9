"""A public liveness probe for load balancers: the app answers and the database too."""

import sqlalchemy as sa
from flask import jsonify

from tracker.extensions import db


def health():
    """200 with {"status": "ok"} when the database answers, 503 otherwise."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


def ping():
    """A bare answer with no database: the ceiling of this stack, for load-balancer pings and
    the throughput benchmark."""
    return "pong", 200, {"Content-Type": "text/plain; charset=utf-8"}
