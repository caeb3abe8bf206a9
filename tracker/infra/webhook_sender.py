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

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import cast
from urllib.parse import urlsplit

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


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to by now (no
    DNS rebinding between the check and the connection)."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS: the certificate is checked against the URL's host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def checked_address(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to: every address the host resolves to must be a public one
    (unless private receivers are allowed: development and tests). Raises OSError."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise OSError(f"{host} has no address")
    if not allow_private:
        for address in addresses:
            if not ipaddress.ip_address(address.split("%", 1)[0]).is_global:
                raise OSError(f"{host} resolves to {address}, a private or local address")
    return addresses[0]


def post(
    url: str, headers: dict[str, str], body: str, timeout: float, allow_private: bool = False
) -> Answer:
    """POST the body to the URL's checked address; any outcome becomes an Answer, nothing
    raises. `timeout` bounds the whole attempt (a receiver that trickles its answer is cut
    off), redirects are answers like any other (never followed)."""
    parts = urlsplit(url)
    secure = parts.scheme.lower() == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + timeout
    connection: http.client.HTTPConnection | None = None
    watchdog: threading.Timer | None = None
    cut = threading.Event()
    too_late = Answer(None, "", f"No answer within {timeout:g} s")
    try:
        address = checked_address(host, port, allow_private)
        kind = _PinnedHTTPSConnection if secure else _PinnedHTTPConnection
        connection = kind(host, port, address=address, timeout=timeout)
        watchdog = threading.Timer(timeout, _cut, args=(connection, cut))
        watchdog.daemon = True
        watchdog.start()
        connection.request("POST", path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        text = _read(response, deadline)
        if cut.is_set():  # what came was cut off at the deadline: no answer
            return too_late
        if 200 <= response.status < 300:
            return Answer(response.status, text)
        error = f"HTTP {response.status} {response.reason}"
        return Answer(response.status, text, error[:ERROR_LENGTH])
    except Exception as e:  # no answer: refused, timed out, cut off, TLS, DNS, private, …
        if cut.is_set() or time.monotonic() >= deadline:
            return too_late
        return Answer(None, "", f"{type(e).__name__}: {e}"[:ERROR_LENGTH])
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if connection is not None:
            connection.close()


def _cut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    """The watchdog: past the deadline, shut the socket so a blocked read returns."""
    cut.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _read(response, deadline: float, limit: int = RESPONSE_LENGTH * 4) -> str:
    chunks: list[bytes] = []
    size = 0
    try:
        while size < limit and time.monotonic() < deadline:
            chunk = response.read1(min(1024, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except Exception:  # noqa: S110 (the answer was cut short: what came is enough)
        pass
    return b"".join(chunks).decode("utf-8", errors="replace")[:RESPONSE_LENGTH]


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
    allow_private = bool(app.config.get("WEBHOOK_ALLOW_PRIVATE", False))
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
                allow_private,
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
