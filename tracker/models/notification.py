"""What the app tells people: in-app notifications and the e-mails that carry them."""

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Model, one_of, utcnow
from tracker.models.enums import LabeledEnum

if TYPE_CHECKING:
    from tracker.models.user import User


class NotificationKind(LabeledEnum):
    PROPOSAL_WAITING = "proposal_waiting"  # a client has engineers to accept or decline
    CLIENT_DECISION = "client_decision"  # a client accepted or declined a proposal
    DRAFT_REQUEST = "draft_request"  # a client logged a staffing request in the portal
    CLIENT_REVIEW = "client_review"  # a client submitted an iteration review
    REVIEW_DUE = "review_due"  # an iteration review is missing
    TIMESHEET_MISSING = "timesheet_missing"  # a week ended without a submitted timesheet
    TIMESHEET_SUBMITTED = "timesheet_submitted"  # a client has hours to approve
    TIMESHEET_REJECTED = "timesheet_rejected"  # the client sent a week back
    TIMESHEET_AUTO_APPROVED = "timesheet_auto_approved"  # nobody answered in time
    INTERVIEW_REQUESTED = "interview_requested"  # times to meet are waiting for your answer
    INTERVIEW_SCHEDULED = "interview_scheduled"  # an interview was confirmed or moved
    INTERVIEW_CANCELLED = "interview_cancelled"


class OutboxStatus(LabeledEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENT = "sent"  # the SMTP server accepted it
    FAILED = "failed"  # gave up after MAIL_MAX_ATTEMPTS (kept, can be queued again)


class Notification(Model):
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", NotificationKind.values()), name="kind"),
        # The same event (key) never reaches the same person twice; NULL keys never collide.
        sa.UniqueConstraint("user_id", "key"),
        # The bell's unread count and the list both start from the user.
        sa.Index("ix_notification_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)  # plain text, escaped when shown
    link: Mapped[str | None] = mapped_column(sa.String(500))  # a path inside the app
    key: Mapped[str | None] = mapped_column(sa.String(200))
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped["User"] = relationship()

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    def __repr__(self) -> str:
        return f"<Notification {self.kind} to user {self.user_id}>"


class OutboxEmail(Model):
    """An e-mail written in the same transaction as its event, sent later by `send-mail`."""

    __table_args__ = (
        sa.CheckConstraint(one_of("status", OutboxStatus.values()), name="status"),
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        sa.CheckConstraint(
            "(status = 'sent' AND sent_at IS NOT NULL) OR (status <> 'sent' AND sent_at IS NULL)",
            name="sent_at_iff_sent",
        ),
        # What the sender asks for: the pending messages that are due, oldest first.
        sa.Index("ix_outbox_email_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    to_name: Mapped[str] = mapped_column(sa.String(120))
    subject: Mapped[str] = mapped_column(sa.String(250))
    body_text: Mapped[str] = mapped_column(sa.Text)
    # An iCalendar invite sent with the message (text/calendar, its METHOD inside), if any.
    calendar: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default=OutboxStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    notification_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notification.id", ondelete="SET NULL"), index=True
    )

    notification: Mapped["Notification | None"] = relationship()

    def __repr__(self) -> str:
        return f"<OutboxEmail {self.id} to {self.to_address} ({self.status})>"
