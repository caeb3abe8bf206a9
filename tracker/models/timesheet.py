"""Hours worked: one timesheet per placement and week, one entry per day worked."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Model, Timestamped, one_of
from tracker.models.enums import TimesheetStatus

if TYPE_CHECKING:
    from tracker.models.invoice import InvoiceLine, PayLine
    from tracker.models.placement import Placement
    from tracker.models.user import User

MAX_DAY_HOURS = Decimal(24)


class Timesheet(Timestamped, Model):
    __table_args__ = (
        sa.CheckConstraint(one_of("status", TimesheetStatus.values()), name="status"),
        # One week of one placement is one timesheet, whoever writes it.
        sa.UniqueConstraint("placement_id", "week_start"),
        sa.CheckConstraint(
            "status <> 'rejected' OR decision_note IS NOT NULL", name="rejected_with_a_reason"
        ),
        sa.CheckConstraint("total_hours >= 0", name="total_hours_not_negative"),
        # Lists by status and week (the portal's waiting weeks, the staff list, auto-approval).
        sa.Index("ix_timesheet_status_submitted_at", "status", "submitted_at"),
        # The staff list and the API's, newest week first (by id within a week), and a week's.
        sa.Index("ix_timesheet_week_start_id", "week_start", "id"),
        # A client's weeks answered lately, the latest answer first (the portal's hours page).
        sa.Index("ix_timesheet_decided_at_id", "decided_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(sa.ForeignKey("placement.id", ondelete="RESTRICT"))
    week_start: Mapped[date]  # a Monday
    status: Mapped[str] = mapped_column(sa.String(10), default=TimesheetStatus.DRAFT)
    total_hours: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(0))
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # Approved by the daily job because nobody answered within TIMESHEET_AUTO_APPROVE_DAYS.
    approved_automatically: Mapped[bool] = mapped_column(default=False)
    decision_note: Mapped[str | None] = mapped_column(sa.Text)  # the reason of a rejection
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    placement: Mapped["Placement"] = relationship(back_populates="timesheets")
    entries: Mapped[list["TimesheetEntry"]] = relationship(
        back_populates="timesheet",
        order_by="TimesheetEntry.work_date",
        cascade="all, delete-orphan",
    )
    submitted_by: Mapped["User | None"] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped["User | None"] = relationship(foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<Timesheet placement={self.placement_id} week={self.week_start} {self.status}>"


class TimesheetEntry(Model):
    __table_args__ = (
        sa.UniqueConstraint("timesheet_id", "work_date"),
        # More than 0 and at most 24 hours, in quarter hours, whatever code writes it.
        sa.CheckConstraint("hours > 0 AND hours <= 24", name="hours_in_a_day"),
        sa.CheckConstraint("hours * 4 = ROUND(hours * 4)", name="quarter_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    timesheet_id: Mapped[int] = mapped_column(sa.ForeignKey("timesheet.id", ondelete="CASCADE"))
    work_date: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(4, 2))
    note: Mapped[str | None] = mapped_column(sa.String(500))
    # The invoice line and the pay line that cover this day's hours: each hour is billed once
    # and paid once (tracker.services.invoices). Deleting a draft's lines frees them again.
    invoice_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invoice_line.id", ondelete="SET NULL"), index=True
    )
    pay_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pay_line.id", ondelete="SET NULL"), index=True
    )

    timesheet: Mapped[Timesheet] = relationship(back_populates="entries")
    invoice_line: Mapped["InvoiceLine | None"] = relationship(back_populates="entries")
    pay_line: Mapped["PayLine | None"] = relationship(back_populates="entries")

    def __repr__(self) -> str:
        return f"<TimesheetEntry {self.work_date} {self.hours} h>"
