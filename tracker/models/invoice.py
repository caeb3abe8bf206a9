"""What the agency bills its clients and pays its engineers, month by month.

An Invoice bills one client's approved timesheet entries of one calendar month, a line per
placement and rate period; a PayStatement pays one engineer's, at the pay rate. Each entry
points at the one invoice line and the one pay line that cover it (TimesheetEntry.invoice_line_id
and pay_line_id), so an hour is billed and paid exactly once.

Once issued, a document and its lines never change: besides the services, the database itself
refuses an UPDATE or DELETE of them (triggers, migration 0011), except marking an issued
document paid. A mistake is corrected by a credit note.
"""

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Model, Timestamped, money, one_of
from tracker.models.enums import InvoiceKind, InvoiceStatus

if TYPE_CHECKING:
    from tracker.models.client import Client
    from tracker.models.engineer import Engineer
    from tracker.models.placement import Placement
    from tracker.models.timesheet import TimesheetEntry
    from tracker.models.user import User

# The columns of an issued document that marking it paid may change; every other column of an
# issued invoice or pay statement is refused by the database (see migration 0011).
PAYABLE_COLUMNS = ("status", "paid_on", "version_id", "updated_at")
NUMBERED_WHEN_ISSUED = "(status = 'draft') = (number IS NULL)"
PAID_ON_WHEN_PAID = "(status = 'paid') = (paid_on IS NOT NULL)"
DATED_WHEN_ISSUED = "status = 'draft' OR issued_on IS NOT NULL"
DRAFT = InvoiceStatus.DRAFT.value


def hours_column() -> sa.Numeric:
    """Hours on a line: a month of one placement fits easily (negative on a credit note)."""
    return sa.Numeric(8, 2, asdecimal=True)


class Invoice(Timestamped, Model):
    __table_args__ = (
        sa.CheckConstraint(one_of("status", InvoiceStatus.values()), name="status"),
        sa.CheckConstraint(one_of("kind", InvoiceKind.values()), name="kind"),
        sa.CheckConstraint(NUMBERED_WHEN_ISSUED, name="numbered_when_issued"),
        sa.CheckConstraint(PAID_ON_WHEN_PAID, name="paid_on_when_paid"),
        sa.CheckConstraint(DATED_WHEN_ISSUED, name="dated_when_issued"),
        sa.CheckConstraint("period_start <= period_end", name="period_in_order"),
        sa.CheckConstraint(
            "(kind = 'credit_note') = (credits_invoice_id IS NOT NULL)",
            name="credit_note_credits_an_invoice",
        ),
        sa.CheckConstraint(
            "(kind = 'invoice' AND total >= 0) OR (kind = 'credit_note' AND total <= 0)",
            name="total_sign",
        ),
        sa.CheckConstraint("kind = 'invoice' OR status <> 'paid'", name="credit_note_not_paid"),
        # One draft per client and month: drafting again rebuilds it rather than adding one.
        sa.Index(
            "uq_invoice_one_draft_per_client_month",
            "client_id",
            "period_start",
            unique=True,
            sqlite_where=sa.text("status = 'draft' AND kind = 'invoice'"),
            postgresql_where=sa.text("status = 'draft' AND kind = 'invoice'"),
        ),
        sa.Index("ix_invoice_client_id_period_start", "client_id", "period_start"),
        sa.Index("ix_invoice_status_due_on", "status", "due_on"),
        # The staff list and the API's, latest month first (by id within a month), a month's.
        sa.Index("ix_invoice_period_start_id", "period_start", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("client.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(sa.String(12), default=InvoiceKind.INVOICE)
    credits_invoice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invoice.id", ondelete="RESTRICT"), index=True
    )
    number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)  # INV-2026-0001
    period_start: Mapped[date]  # the first day of the month billed
    period_end: Mapped[date]  # its last day
    status: Mapped[str] = mapped_column(sa.String(10), default=InvoiceStatus.DRAFT)
    issued_on: Mapped[date | None]
    due_on: Mapped[date | None]
    paid_on: Mapped[date | None]
    total: Mapped[Decimal] = mapped_column(money(), default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    note: Mapped[str | None] = mapped_column(sa.Text)  # a credit note's reason
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    issued_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    client: Mapped["Client"] = relationship()
    credits: Mapped["Invoice | None"] = relationship(
        remote_side=[id], back_populates="credit_notes"
    )
    credit_notes: Mapped[list["Invoice"]] = relationship(
        back_populates="credits", order_by="Invoice.id"
    )
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])
    issued_by: Mapped["User | None"] = relationship(foreign_keys=[issued_by_id])

    @property
    def is_credit_note(self) -> bool:
        return self.kind == InvoiceKind.CREDIT_NOTE

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def title(self) -> str:
        """How a person names it: its number, or what it is while a draft."""
        if self.number:
            return self.number
        what = "Draft credit note" if self.is_credit_note else "Draft invoice"
        return f"{what} {self.period_start:%B %Y}"

    def __repr__(self) -> str:
        return f"<Invoice {self.number or 'draft'} client={self.client_id} {self.status}>"


class InvoiceLine(Model):
    __table_args__ = (
        sa.CheckConstraint("first_day <= last_day", name="days_in_order"),
        sa.UniqueConstraint("invoice_id", "position"),
        sa.Index("ix_invoice_line_placement_id_last_day", "placement_id", "last_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoice.id", ondelete="CASCADE"))
    position: Mapped[int]  # 1, 2, … in the order printed
    placement_id: Mapped[int] = mapped_column(sa.ForeignKey("placement.id", ondelete="RESTRICT"))
    # The line of an invoice that this credit-note line corrects.
    credits_line_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("invoice_line.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str] = mapped_column(sa.String(300))  # engineer and role, as printed
    first_day: Mapped[date]
    last_day: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(hours_column())
    rate: Mapped[Decimal] = mapped_column(money())  # the bill rate of those days
    amount: Mapped[Decimal] = mapped_column(money())  # hours × rate, to the cent

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    placement: Mapped["Placement"] = relationship()
    credits: Mapped["InvoiceLine | None"] = relationship(remote_side=[id])
    entries: Mapped[list["TimesheetEntry"]] = relationship(
        back_populates="invoice_line", order_by="TimesheetEntry.work_date"
    )

    def __repr__(self) -> str:
        return f"<InvoiceLine {self.description} {self.hours} h × {self.rate}>"


class PayStatement(Timestamped, Model):
    __table_args__ = (
        sa.CheckConstraint(one_of("status", InvoiceStatus.values()), name="status"),
        sa.CheckConstraint(NUMBERED_WHEN_ISSUED, name="numbered_when_issued"),
        sa.CheckConstraint(PAID_ON_WHEN_PAID, name="paid_on_when_paid"),
        sa.CheckConstraint(DATED_WHEN_ISSUED, name="dated_when_issued"),
        sa.CheckConstraint("period_start <= period_end", name="period_in_order"),
        sa.CheckConstraint("total >= 0", name="total_not_negative"),
        sa.Index(
            "uq_pay_statement_one_draft_per_engineer_month",
            "engineer_id",
            "period_start",
            unique=True,
            sqlite_where=sa.text("status = 'draft'"),
            postgresql_where=sa.text("status = 'draft'"),
        ),
        sa.Index("ix_pay_statement_engineer_id_period_start", "engineer_id", "period_start"),
        # The staff list and the API's, latest month first (by id within a month), a month's.
        sa.Index("ix_pay_statement_period_start_id", "period_start", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    engineer_id: Mapped[int] = mapped_column(sa.ForeignKey("engineer.id", ondelete="RESTRICT"))
    number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)  # PAY-2026-0001
    period_start: Mapped[date]
    period_end: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(10), default=InvoiceStatus.DRAFT)
    issued_on: Mapped[date | None]
    paid_on: Mapped[date | None]
    total: Mapped[Decimal] = mapped_column(money(), default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    issued_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}

    engineer: Mapped["Engineer"] = relationship()
    lines: Mapped[list["PayLine"]] = relationship(
        back_populates="statement", order_by="PayLine.position", cascade="all, delete-orphan"
    )
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])
    issued_by: Mapped["User | None"] = relationship(foreign_keys=[issued_by_id])

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def title(self) -> str:
        return self.number or f"Draft pay statement {self.period_start:%B %Y}"

    def __repr__(self) -> str:
        return f"<PayStatement {self.number or 'draft'} engineer={self.engineer_id}>"


class PayLine(Model):
    __table_args__ = (
        sa.CheckConstraint("first_day <= last_day", name="days_in_order"),
        sa.UniqueConstraint("pay_statement_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pay_statement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pay_statement.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    placement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("placement.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str] = mapped_column(sa.String(300))  # client and role, as printed
    first_day: Mapped[date]
    last_day: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(hours_column())
    rate: Mapped[Decimal] = mapped_column(money())  # the pay rate of those days
    amount: Mapped[Decimal] = mapped_column(money())

    statement: Mapped[PayStatement] = relationship(back_populates="lines")
    placement: Mapped["Placement"] = relationship()
    entries: Mapped[list["TimesheetEntry"]] = relationship(
        back_populates="pay_line", order_by="TimesheetEntry.work_date"
    )


class DocumentNumber(Model):
    """The last number given in a series and year: issuing takes the next one in the same
    transaction (UPDATE … last + 1 locks the row), so numbers are gapless and never repeat."""

    __tablename__ = "document_number"

    series: Mapped[str] = mapped_column(sa.String(10), primary_key=True)  # INV, PAY
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
