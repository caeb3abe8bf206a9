"""The declarative base, naming convention and column types every model shares."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import abort
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

# Every id column is a PostgreSQL integer: ids run from 1 to 2**31 - 1. A larger number names
# no row, and PostgreSQL refuses to even compare it with an id column (NumericValueOutOfRange).
MAX_ID = 2**31 - 1
# The largest amount a money() column holds.
MAX_MONEY = Decimal("99999999.99")

# Stable constraint names, so migrations can drop and alter what they created.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """An instant stored as naive UTC on every database and read back aware (UTC)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime; naive values are ambiguous")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class Database(SQLAlchemy):
    """Flask-SQLAlchemy, whose get_or_404 knows the range of an id."""

    def get_or_404(self, entity, ident, *, description: str | None = None, **kwargs):
        """The row, or 404; an id no row can have (say a posted 2**63) is not even looked up."""
        if isinstance(ident, int) and not 1 <= ident <= MAX_ID:
            abort(404, description=description)
        return super().get_or_404(entity, ident, description=description, **kwargs)


db = Database(model_class=Base)

# Models subclass Model. At run time it is db.Model (Base plus Flask-SQLAlchemy's table naming
# and binds); a type checker cannot follow a base class read from an attribute (python/mypy#8603),
# so it sees the declarative base db.Model is made from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


class Timestamped:
    """created_at / updated_at maintained by the ORM, in UTC."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def money() -> sa.Numeric:
    """Numeric(10, 2) read back as Decimal: what every amount of money uses (to MAX_MONEY)."""
    return sa.Numeric(10, 2, asdecimal=True)


def one_of(column: str, values) -> str:
    """A CHECK expression limiting a text column to an enumeration."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def rating_check(column: str, nullable: bool = False) -> sa.CheckConstraint:
    """A CHECK that a 1–5 rating column holds 1 to 5."""
    expr = f"{column} BETWEEN 1 AND 5"
    if nullable:
        expr = f"{column} IS NULL OR ({expr})"
    return sa.CheckConstraint(expr, name=f"{column}_1_to_5")
