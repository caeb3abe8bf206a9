"""What the API keeps: tokens that act as their user, answers kept for idempotent retries,
and the webhook endpoints other systems registered with the deliveries sent to them."""

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.models.base import Model, one_of, utcnow
from tracker.models.enums import LabeledEnum

if TYPE_CHECKING:
    from tracker.models.user import User


class TokenScope(LabeledEnum):
    READ = "read"  # GET only
    WRITE = "write"  # everything the user may do


class ApiToken(Model):
    """A bearer token: shown once, kept as a SHA-256 hash; its prefix stays visible."""

    __table_args__ = (sa.CheckConstraint(one_of("scope", TokenScope.values()), name="scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(80))
    prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(8))
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped["User"] = relationship()

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix} of user {self.user_id} {self.scope}>"


class IdempotentRequest(Model):
    """The first answer to a POST with an Idempotency-Key, replayed to its retries.

    The row is written (without an answer) before the request runs, so two retries arriving
    together cannot both run: the unique key lets one in.
    """

    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(200))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))  # method, path and body, hashed
    status_code: Mapped[int | None]  # None while the first request is still running
    body: Mapped[str | None] = mapped_column(sa.Text)
    location: Mapped[str | None] = mapped_column(sa.String(500))
    etag: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class WebhookStatus(LabeledEnum):
    PENDING = "pending"  # waiting for its next attempt
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # gave up after WEBHOOK_MAX_ATTEMPTS


class WebhookEndpoint(Model):
    """A URL that receives signed POSTs for the events it subscribed to."""

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str | None] = mapped_column(sa.String(200))
    events: Mapped[str] = mapped_column(sa.Text)  # space-separated event names
    secret: Mapped[str] = mapped_column(sa.String(64))  # the HMAC key, shown once
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def event_list(self) -> list[str]:
        return self.events.split()

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.id} {self.url}>"


class WebhookDelivery(Model):
    """One event sent (or to be sent) to one endpoint, with every attempt's outcome."""

    __table_args__ = (
        sa.CheckConstraint(one_of("status", WebhookStatus.values()), name="status"),
        sa.Index("ix_webhook_delivery_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_endpoint_id_created_at", "endpoint_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE")
    )
    event: Mapped[str] = mapped_column(sa.String(60))
    payload: Mapped[str] = mapped_column(sa.Text)  # the JSON body, exactly as signed
    status: Mapped[str] = mapped_column(sa.String(16), default=WebhookStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status_code: Mapped[int | None]
    last_response: Mapped[str | None] = mapped_column(sa.Text)  # the first 2,000 characters
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    endpoint: Mapped[WebhookEndpoint] = relationship()

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.id} {self.event} {self.status}>"
