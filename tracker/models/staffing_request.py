"""What a client asked for: skills, seniority, headcount, hours and budget."""

from datetime import date, time
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Model, Timestamped, money, one_of, rating_check
from tracker.models.enums import Priority, RequestStatus, Seniority

if TYPE_CHECKING:
    from tracker.models.client import Client
    from tracker.models.engineer import Skill
    from tracker.models.placement import Placement
    from tracker.models.proposal import Proposal
    from tracker.models.user import User


class StaffingRequest(Timestamped, Model):
    __table_args__ = (
        sa.CheckConstraint(one_of("status", RequestStatus.values()), name="status"),
        sa.CheckConstraint(one_of("priority", Priority.values()), name="priority"),
        sa.CheckConstraint(one_of("seniority", Seniority.values()), name="seniority"),
        sa.CheckConstraint("headcount >= 1", name="headcount_positive"),
        sa.CheckConstraint(
            "duration_weeks IS NULL OR duration_weeks >= 1", name="duration_positive"
        ),
        sa.CheckConstraint(
            "min_overlap_hours >= 0 AND min_overlap_hours <= 24", name="min_overlap_range"
        ),
        sa.CheckConstraint(
            "max_bill_rate IS NULL OR max_bill_rate >= 0", name="max_bill_rate_non_negative"
        ),
        # Hours are given whole or not at all (then the client's apply).
        sa.CheckConstraint(
            "(timezone IS NULL AND workday_start IS NULL AND workday_end IS NULL) OR "
            "(timezone IS NOT NULL AND workday_start IS NOT NULL AND workday_end IS NOT NULL "
            "AND workday_start <> workday_end)",
            name="hours_all_or_none",
        ),
        # Lets Placement point at (request, client) so a placement's client is its request's.
        sa.UniqueConstraint("id", "client_id", name="uq_staffing_request_id_client_id"),
        sa.Index("ix_staffing_request_status_priority", "status", "priority"),
        # By age; the seats asked over 12 months read from the index alone.
        sa.Index("ix_staffing_request_created_status", "created_at", "status", "headcount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("client.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(160))
    description: Mapped[str | None] = mapped_column(sa.Text)
    seniority: Mapped[str] = mapped_column(sa.String(10))
    headcount: Mapped[int] = mapped_column(default=1)
    start_date: Mapped[date]
    duration_weeks: Mapped[int | None]  # empty: open-ended
    timezone: Mapped[str | None] = mapped_column(sa.String(64))  # empty: the client's
    workday_start: Mapped[time | None]
    workday_end: Mapped[time | None]
    min_overlap_hours: Mapped[Decimal] = mapped_column(sa.Numeric(4, 2), default=Decimal(4))
    max_bill_rate: Mapped[Decimal | None] = mapped_column(money())  # USD/h billed to the client
    status: Mapped[str] = mapped_column(sa.String(12), default=RequestStatus.DRAFT)
    priority: Mapped[str] = mapped_column(sa.String(8), default=Priority.NORMAL)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    client: Mapped["Client"] = relationship(back_populates="requests")
    created_by: Mapped["User | None"] = relationship()
    skills: Mapped[list["RequestSkill"]] = relationship(
        back_populates="request", cascade="all, delete-orphan"
    )
    proposals: Mapped[list["Proposal"]] = relationship(back_populates="request")
    placements: Mapped[list["Placement"]] = relationship(
        back_populates="request", foreign_keys="Placement.request_id"
    )

    def __repr__(self) -> str:
        return f"<StaffingRequest {self.id} {self.title!r}>"


class RequestSkill(Model):
    __table_args__ = (rating_check("min_level"),)

    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staffing_request.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        sa.ForeignKey("skill.id", ondelete="RESTRICT"), primary_key=True
    )
    min_level: Mapped[int] = mapped_column(sa.SmallInteger, default=3)
    required: Mapped[bool] = mapped_column(default=True)  # must-have; False: nice-to-have

    request: Mapped[StaffingRequest] = relationship(back_populates="skills")
    skill: Mapped["Skill"] = relationship(lazy="joined")
