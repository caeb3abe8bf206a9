"""Pages of a list: size from ?per_page (bounded), number from ?page, and a bounded count."""

import sqlalchemy as sa
from flask import current_app, request
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import orm

from tracker.extensions import db

PAGE_SIZES = (25, 50, 100, 200)
# A page number past this reads as this one, empty like any page past the end; unbounded, its
# OFFSET overflowed the database's 64-bit integer (a 500).
MAX_PAGE = 2**31 - 1
# A list never counts more rows than this (or than the current page needs): "1,000+".
COUNT_CAP = 1000


class CappedPagination(SelectPagination):
    """Flask-SQLAlchemy's page, whose count stops a little past what the page needs.

    Counting 500,000 reviews to print "of 500,000" costs more than the page itself; people
    page through the first few hundred rows and filter for the rest.
    """

    capped: bool = False

    def _query_count(self) -> int:
        limit = max(COUNT_CAP, self._query_offset + self.per_page) + 1
        select = self._query_args["select"].options(orm.lazyload("*")).order_by(None)
        sub = select.limit(limit).subquery()
        total = (
            self._query_args["session"]
            .execute(sa.select(sa.func.count()).select_from(sub))
            .scalar()
        )
        self.capped = total >= limit
        return total - 1 if self.capped else total


def paginate(stmt) -> CappedPagination:
    """One page of the statement's rows; a page past the end is empty, not an error."""
    size = request.args.get("per_page", type=int) or current_app.config["PAGE_SIZE"]
    size = min(max(size, 1), PAGE_SIZES[-1])
    page = request.args.get("page", type=int) or 1
    return CappedPagination(
        select=stmt,
        session=db.session(),
        page=min(max(page, 1), MAX_PAGE),
        per_page=size,
        max_per_page=PAGE_SIZES[-1],
        error_out=False,
        count=True,
    )
