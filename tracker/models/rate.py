"""What a placement bills and pays per hour, from a date on: its rates over time.

The rate of a day is the row with the latest effective_from on or before it
(tracker.services.rates.rate_on). Rows are written only by the rate service; an invoice
later bills each day at the rate of that day, so a change dated inside an invoiced period is
refused there.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Model, money, utcnow

if TYPE_CHECKING:
    from tracker.models.placement import Placement
    from tracker.models.user import User


class PlacementRate(Model):
    __table_args__ = (
        # One rate per placement and day; the unique index also serves "the rates of a
        # placement, by date" (the placement page, rate_on, rates_between).
        sa.UniqueConstraint("placement_id", "effective_from"),
        sa.CheckConstraint("bill_rate >= 0 AND pay_rate >= 0", name="rates_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(sa.ForeignKey("placement.id", ondelete="RESTRICT"))
    effective_from: Mapped[date]
    bill_rate: Mapped[Decimal] = mapped_column(money())  # billed to the client, USD/h
    pay_rate: Mapped[Decimal] = mapped_column(money())  # paid to the engineer, USD/h
    note: Mapped[str | None] = mapped_column(sa.Text)  # why the rates changed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    placement: Mapped["Placement"] = relationship(back_populates="rates")
    created_by: Mapped["User | None"] = relationship()

    @property
    def margin(self) -> Decimal:
        """What the agency keeps per hour at these rates."""
        return self.bill_rate - self.pay_rate

    def __repr__(self) -> str:
        return f"<PlacementRate placement={self.placement_id} from={self.effective_from}>"
