"""Sending webhook deliveries: each due one POSTed, signed, in its own small transaction.

The e-mail outbox's worker (`flask --app wsgi send-mail`) runs this after the e-mails. As for
e-mail, a delivery is marked delivered only after the receiver answered 2xx, so a crash in
between sends it twice at worst and never drops it (at least once: receivers drop duplicates by
the body's `id`). On PostgreSQL the row is locked (FOR UPDATE SKIP LOCKED) while it is sent, so
any number of workers never send the same delivery at the same time; on SQLite run one.

A failed attempt (a non-2xx answer, a redirect, a timeout, no connection) waits 1 min, 5 min,
30 min, 2 h, 12 h, then a day before the next (the mailer's back-off); after
WEBHOOK_MAX_ATTEMPTS it is kept as failed, to be retried from the endpoint's page. An endpoint
that failed is tried once per round: the rest of its deliveries wait for the next round rather
than each waiting out a timeout now.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from typing import cast

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import contains_eager
from werkzeug.local import LocalProxy

from tracker.infra.mailer import backoff
from tracker.models import WebhookDelivery, WebhookEndpoint, WebhookStatus, db, utcnow

USER_AGENT = "EngagementTracker-Webhooks/1"
RESPONSE_LENGTH = 2000  # the first characters of an answer kept on the delivery
ERROR_LENGTH = 500  # WebhookDelivery.last_error's size


def signature(secret: str, timestamp: int, body: str) -> str:
    """The X-Tracker-Signature value: t=<unix time>,v1=<hex HMAC-SHA256(secret, "t.body")>."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True)
class Answer:
    """What one attempt got back: an HTTP status (None when no answer came) and text."""

    status: int | None
    text: str = ""
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is an answer like any other (a failure): the body is never re-sent elsewhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _read(response, limit: int = RESPONSE_LENGTH * 4) -> str:
    try:
        raw = response.read(limit)
    except Exception:  # the answer was cut short: what came is enough
        return ""
    return raw.decode("utf-8", errors="replace")[:RESPONSE_LENGTH]


def post(url: str, headers: dict[str, str], body: str, timeout: float) -> Answer:
    """POST the body; any outcome becomes an Answer, nothing raises."""
    request = urllib.request.Request(  # noqa: S310 (the URL's scheme was checked at registration)
        url, data=body.encode(), headers=headers, method="POST"
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            return Answer(response.status, _read(response))
    except urllib.error.HTTPError as e:  # an answer, just not a 2xx
        with e:
            return Answer(e.code, _read(e), f"HTTP {e.code} {e.reason}"[:ERROR_LENGTH])
    except Exception as e:  # no answer: refused, timed out, TLS, DNS, …
        reason = getattr(e, "reason", None) or e
        return Answer(None, "", f"{type(e).__name__}: {reason}"[:ERROR_LENGTH])


def headers_for(delivery: WebhookDelivery, secret: str, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Tracker-Event": delivery.event,
        "X-Tracker-Delivery": json.loads(delivery.payload)["id"],
        "X-Tracker-Signature": signature(secret, timestamp, delivery.payload),
    }


@dataclass
class WebhookReport:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"delivered": self.delivered, "retrying": self.retrying, "failed": self.failed}


def _next_due(now: datetime, skip_endpoints: set[int]) -> WebhookDelivery | None:
    """The oldest due pending delivery to an active endpoint, locked for this transaction
    (skipped if another worker has it), with its endpoint."""
    stmt = (
        sa.select(WebhookDelivery)
        .join(WebhookDelivery.endpoint)
        .where(
            WebhookDelivery.status == WebhookStatus.PENDING.value,
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.is_active.is_(True),
        )
        .options(contains_eager(WebhookDelivery.endpoint))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=WebhookDelivery)  # PostgreSQL; SQLite: one writer
    )
    if skip_endpoints:
        stmt = stmt.where(WebhookDelivery.endpoint_id.not_in(skip_endpoints))
    return db.session.scalar(stmt)


def deliver_webhooks(now: datetime | None = None, batch: int = 50) -> dict[str, int]:
    """Send up to `batch` due deliveries, oldest first; returns counts of delivered, retrying
    and failed. Commits after each delivery (it owns its transactions, like a command)."""
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    max_attempts = int(app.config.get("WEBHOOK_MAX_ATTEMPTS", 8))
    timeout = float(app.config.get("WEBHOOK_TIMEOUT", 5))
    report = WebhookReport()
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("deliver_webhooks commits each delivery: commit or roll back first.")
    failing: set[int] = set()
    try:
        for _ in range(batch):
            delivery = _next_due(now or utcnow(), failing)
            if delivery is None:
                break
            endpoint = delivery.endpoint
            stamp = int(time.time())  # the moment it is sent, which the receiver compares
            answer = post(
                endpoint.url,
                headers_for(delivery, endpoint.secret, stamp),
                delivery.payload,
                timeout,
            )
            moment = now or utcnow()
            _record(delivery, answer, moment, max_attempts, report)
            if not answer.delivered:
                failing.add(endpoint.id)
                app.logger.info(
                    "Webhook %s to %s failed (attempt %s): %s",
                    delivery.id,
                    endpoint.url,
                    delivery.attempts,
                    delivery.last_error,
                )
            db.session.commit()  # releases the row lock
    finally:
        db.session.rollback()  # nothing half-done stays open, whatever happened
    return report.as_dict()


def _record(
    delivery: WebhookDelivery,
    answer: Answer,
    moment: datetime,
    max_attempts: int,
    report: WebhookReport,
) -> None:
    """Count the attempt and keep its outcome: delivered, wait for the next try, or give up
    (kept as failed, retryable from the endpoint's page)."""
    delivery.attempts += 1
    delivery.last_status_code = answer.status
    delivery.last_response = answer.text or None
    if answer.delivered:
        delivery.status = WebhookStatus.DELIVERED.value
        delivery.delivered_at = moment
        delivery.last_error = None
        report.delivered += 1
    elif delivery.attempts >= max_attempts:
        delivery.status = WebhookStatus.FAILED.value
        delivery.last_error = answer.error or f"HTTP {answer.status}"
        report.failed += 1
    else:
        delivery.next_attempt_at = moment + backoff(delivery.attempts)
        delivery.last_error = answer.error or f"HTTP {answer.status}"
        report.retrying += 1
