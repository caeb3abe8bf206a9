"""The client's or account manager's rating of one iteration of a placement."""

from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Model, Timestamped, rating_check

if TYPE_CHECKING:
    from tracker.models.placement import Placement
    from tracker.models.user import User

REVIEW_DIMENSIONS = ("delivery", "code_quality", "communication", "collaboration")


class IterationReview(Timestamped, Model):
    __table_args__ = (
        sa.UniqueConstraint("placement_id", "iteration"),
        sa.CheckConstraint("iteration >= 1", name="iteration_positive"),
        sa.CheckConstraint("period_end >= period_start", name="period_ordered"),
        *(rating_check(d) for d in REVIEW_DIMENSIONS),
        # The newest first; the average over 90 days read from the index alone.
        sa.Index("ix_iteration_review_created_scores", "created_at", *REVIEW_DIMENSIONS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("placement.id", ondelete="CASCADE"), index=True
    )
    iteration: Mapped[int]
    period_start: Mapped[date]
    period_end: Mapped[date]
    delivery: Mapped[int] = mapped_column(sa.SmallInteger)
    code_quality: Mapped[int] = mapped_column(sa.SmallInteger)
    communication: Mapped[int] = mapped_column(sa.SmallInteger)
    collaboration: Mapped[int] = mapped_column(sa.SmallInteger)
    would_continue: Mapped[bool]
    comments: Mapped[str | None] = mapped_column(sa.Text)
    action_items: Mapped[str | None] = mapped_column(sa.Text)
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    placement: Mapped["Placement"] = relationship(back_populates="reviews")
    submitted_by: Mapped["User | None"] = relationship()

    @property
    def overall(self) -> float:
        """The mean of the four ratings."""
        return sum(getattr(self, d) for d in REVIEW_DIMENSIONS) / len(REVIEW_DIMENSIONS)
