"""Data generations: tokens that change after committed writes (tracker.infra.cache)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Model


class DataGeneration(Model):
    """One row; its token is replaced with a random one right after each write commits."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))


class TableGeneration(Model):
    """A row per table written since the database was made; its token is replaced with a
    random one right after each committed write to that table, so a cached value that read
    only other tables stays good."""

    name: Mapped[str] = mapped_column(sa.String(63), primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))
