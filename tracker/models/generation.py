"""The data generation: a token that changes after every committed write (tracker.infra.cache)."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tracker.models.base import Model


class DataGeneration(Model):
    """One row; its token is replaced with a random one right after each write commits."""

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))
