"""Pages of a list: size from ?per_page (bounded), number from ?page."""

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination

from tracker.extensions import db

PAGE_SIZES = (25, 50, 100, 200)


def paginate(stmt) -> Pagination:
    """One page of the statement's rows; a page past the end is empty, not an error."""
    size = request.args.get("per_page", type=int) or current_app.config["PAGE_SIZE"]
    size = min(max(size, 1), PAGE_SIZES[-1])
    return db.paginate(stmt, per_page=size, error_out=False)
