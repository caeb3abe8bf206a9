"""An engineer working in a client's team: dates, rates and review cadence."""

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Model, Timestamped, money, one_of
from tracker.models.enums import REVIEW_CADENCES, EndReason, PlacementStatus

if TYPE_CHECKING:
    from tracker.models.client import Client
    from tracker.models.engineer import Engineer
    from tracker.models.proposal import Proposal
    from tracker.models.rate import PlacementRate
    from tracker.models.review import IterationReview
    from tracker.models.staffing_request import StaffingRequest
    from tracker.models.timesheet import Timesheet

# The guard against double booking is not expressible as a portable constraint; the initial
# migration adds it per database: an exclusion constraint on PostgreSQL (btree_gist, daterange
# overlap) and BEFORE INSERT/UPDATE triggers on SQLite. Both carry this name.
NO_DOUBLE_BOOKING = "placement_no_double_booking"


class Placement(Timestamped, Model):
    __table_args__ = (
        sa.CheckConstraint(one_of("status", PlacementStatus.values()), name="status"),
        sa.CheckConstraint(
            f"end_reason IS NULL OR {one_of('end_reason', EndReason.values())}", name="end_reason"
        ),
        sa.CheckConstraint(
            "(status = 'ended') = (end_reason IS NOT NULL)", name="ended_iff_end_reason"
        ),
        sa.CheckConstraint("bill_rate >= 0 AND pay_rate >= 0", name="rates_non_negative"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
        sa.CheckConstraint(
            "hours_per_week > 0 AND hours_per_week <= 80", name="hours_per_week_in_range"
        ),
        sa.CheckConstraint(
            one_of("review_cadence_days", REVIEW_CADENCES).replace("'", ""), name="cadence"
        ),
        sa.CheckConstraint(
            "replaces_placement_id IS NULL OR replaces_placement_id <> id",
            name="not_self_replacing",
        ),
        # The placement's client is its request's client, enforced by the database.
        sa.ForeignKeyConstraint(
            ["request_id", "client_id"],
            ["staffing_request.id", "staffing_request.client_id"],
            name="fk_placement_request_client",
            ondelete="RESTRICT",
        ),
        sa.Index("ix_placement_engineer_dates", "engineer_id", "start_date", "end_date"),
        sa.Index("ix_placement_status_end_date", "status", "end_date"),
        sa.Index("ix_placement_status_gap", "status", "first_gap_due_on"),
        # The dashboard's figures, each read from its index alone: the median days to place
        # (12 months), seats filled per request, engineers booked today.
        sa.Index("ix_placement_created_days", "created_at", "days_to_place"),
        sa.Index("ix_placement_request_status", "request_id", "status", "end_reason"),
        sa.Index("ix_placement_status_start", "status", "start_date", "end_date", "engineer_id"),
        sa.Index("ix_placement_start_date", "start_date"),  # placements started per month
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("staffing_request.id", ondelete="RESTRICT")  # ix_placement_request_status
    )
    engineer_id: Mapped[int] = mapped_column(sa.ForeignKey("engineer.id", ondelete="RESTRICT"))
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("client.id", ondelete="RESTRICT"), index=True
    )
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposal.id", ondelete="SET NULL"), unique=True
    )
    start_date: Mapped[date]
    end_date: Mapped[date | None]  # empty: open-ended
    # The rates in effect today: a copy of the PlacementRate of today (see `rates`), kept by
    # tracker.services.rates (on every change, and by the daily job when a change dated ahead
    # takes effect), because many pages, the dashboard's average margin and matching's budgets
    # read the current rate. Only creation and the rate service assign them (a test checks it);
    # the rate of a past or future day is rates.rate_on(placement, day).
    bill_rate: Mapped[Decimal] = mapped_column(money())  # billed to the client, USD/h
    pay_rate: Mapped[Decimal] = mapped_column(money())  # paid to the engineer, USD/h
    status: Mapped[str] = mapped_column(sa.String(8), default=PlacementStatus.PENDING)
    end_reason: Mapped[str | None] = mapped_column(sa.String(16))
    review_cadence_days: Mapped[int] = mapped_column(sa.SmallInteger, default=14)
    replaces_placement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("placement.id", ondelete="SET NULL"), index=True
    )
    # When the request was placed, in days after it was created (for "median days to place").
    days_to_place: Mapped[int | None]
    # A summary of the reviews, kept by services.reviews.refresh_summary(), so health can be
    # read and filtered on in SQL without loading every review of every placement.
    reviews_count: Mapped[int] = mapped_column(default=0)
    last_overall: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 2))
    previous_overall: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 2))
    recent_average: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 2))  # last three
    last_would_continue: Mapped[bool | None]
    first_gap_due_on: Mapped[date | None]  # due date of the first iteration not reviewed
    second_gap_due_on: Mapped[date | None]  # … and of the second
    # Hours the client expects a week; approved hours far below it are a health reason.
    hours_per_week: Mapped[Decimal] = mapped_column(
        sa.Numeric(4, 1), default=Decimal(40), server_default="40"
    )
    # A summary of the timesheets, kept by services.timesheets.refresh_hours_summary() (on every
    # timesheet change and by the daily job), so health reads it in SQL like the reviews'.
    # Weeks are counted back from the latest week that ended; a placement whose timesheets
    # started mid-way counts from timesheets_from (None: no week is expected of it).
    timesheets_from: Mapped[date | None]
    low_hours_weeks: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    missing_weeks: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    rejected_since: Mapped[date | None]  # the oldest rejection not yet answered by a resubmit
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    request: Mapped["StaffingRequest"] = relationship(
        back_populates="placements", foreign_keys=[request_id]
    )
    engineer: Mapped["Engineer"] = relationship(back_populates="placements")
    client: Mapped["Client"] = relationship(back_populates="placements", foreign_keys=[client_id])
    proposal: Mapped["Proposal | None"] = relationship()
    replaces: Mapped["Placement | None"] = relationship(remote_side=[id])
    reviews: Mapped[list["IterationReview"]] = relationship(
        back_populates="placement", order_by="IterationReview.iteration"
    )
    timesheets: Mapped[list["Timesheet"]] = relationship(
        back_populates="placement", order_by="Timesheet.week_start"
    )
    # The rates over time, oldest first (written only by tracker.services.rates).
    rates: Mapped[list["PlacementRate"]] = relationship(
        back_populates="placement", order_by="PlacementRate.effective_from"
    )

    @property
    def margin(self) -> Decimal:
        """What the agency keeps per hour, at today's rates."""
        return self.bill_rate - self.pay_rate

    def __repr__(self) -> str:
        return f"<Placement {self.id} engineer={self.engineer_id} client={self.client_id}>"
