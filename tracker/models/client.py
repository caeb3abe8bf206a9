"""Client companies: whom the agency places engineers with."""

from datetime import datetime, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Model, Timestamped

if TYPE_CHECKING:
    from tracker.models.placement import Placement
    from tracker.models.staffing_request import StaffingRequest
    from tracker.models.user import User


class Client(Timestamped, Model):
    __table_args__ = (
        sa.CheckConstraint("length(country) = 2", name="country_alpha2"),
        sa.CheckConstraint("workday_start <> workday_end", name="workday_not_empty"),
        sa.CheckConstraint(
            "payment_terms_days BETWEEN 0 AND 365", name="payment_terms_days_in_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    industry: Mapped[str | None] = mapped_column(sa.String(80))
    country: Mapped[str] = mapped_column(sa.String(2))  # ISO 3166 alpha-2
    timezone: Mapped[str] = mapped_column(sa.String(64))  # IANA zone name
    workday_start: Mapped[time]
    workday_end: Mapped[time]
    account_manager_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(
            "user_account.id", ondelete="SET NULL", use_alter=True
        ),  # user_account also points here (User.client_id): a cycle, added after both tables
        index=True,
    )
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # Days from an invoice's issue date to its due date.
    payment_terms_days: Mapped[int] = mapped_column(default=30, server_default="30")
    archived_at: Mapped[datetime | None]
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    account_manager: Mapped["User | None"] = relationship(foreign_keys=[account_manager_id])
    users: Mapped[list["User"]] = relationship(
        back_populates="client", foreign_keys="User.client_id"
    )
    requests: Mapped[list["StaffingRequest"]] = relationship(back_populates="client")
    placements: Mapped[list["Placement"]] = relationship(back_populates="client")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def __repr__(self) -> str:
        return f"<Client {self.name}>"
