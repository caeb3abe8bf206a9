"""Lists that scale: whitelisted sorting with a stable tie-breaker, search patterns, and the
small SQL pieces figures are made of."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Select


@dataclass(frozen=True)
class Sort:
    """A sort order read from a `sort` query parameter: "name" or "-name"."""

    key: str
    descending: bool

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    def toggled(self, key: str) -> str:
        """The parameter for a column header: flip direction on the current column."""
        if key == self.key:
            return key if self.descending else f"-{key}"
        return key


def parse_sort(value: str | None, allowed: Mapping[str, object], default: str) -> Sort:
    """The requested order if it names an allowed column, else the default."""
    value = (value or "").strip()
    descending = value.startswith("-")
    key = value.removeprefix("-")
    if key not in allowed:
        descending = default.startswith("-")
        key = default.removeprefix("-")
    return Sort(key, descending)


# What a list may be ordered by: a mapped attribute or any SQL expression.
Sortable = sa.SQLColumnExpression[Any]


def apply_sort(
    stmt: Select, sort: Sort, allowed: Mapping[str, Sortable], tie_breaker: Sortable
) -> Select:
    """Order by the chosen column, then by id, so pages never shuffle rows between them."""
    column = allowed[sort.key]
    ordered = column.desc() if sort.descending else column.asc()
    if _may_be_null(column):
        # Empty values last either way. Only where there can be any: PostgreSQL reads
        # "DESC NULLS LAST" from no plain index, and sorts the whole table for it.
        ordered = ordered.nulls_last()
    return stmt.order_by(ordered, tie_breaker.desc() if sort.descending else tie_breaker)


def _may_be_null(column: Sortable) -> bool:
    """Whether a sort column can hold NULL: a NOT NULL table column cannot; any other
    expression might."""
    expression = getattr(column, "expression", column)
    return not (isinstance(expression, sa.Column) and not expression.nullable)


def contains(text: str) -> str:
    """A LIKE pattern matching the text anywhere, with LIKE's wildcards taken literally."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def icontains(column, text: str):
    """Case-insensitive 'column contains text' on every database."""
    return sa.func.lower(column).like(contains(text), escape="\\")


def count_of(model, *criteria):
    """SQL: how many rows of `model` meet the criteria, as a scalar subquery (for one SELECT
    of several figures)."""
    return sa.select(sa.func.count()).select_from(model).where(*criteria).scalar_subquery()


def day_start(day: date) -> datetime:
    """The instant a UTC day begins: for comparing dates with created_at columns."""
    return datetime.combine(day, time(0), tzinfo=UTC)
