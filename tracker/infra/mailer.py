"""Sending the outbox: each due e-mail in its own small transaction, retried with back-off.

An e-mail is marked sent only after the SMTP server accepted it, so a crash in between sends it
twice at worst and never drops it. On PostgreSQL the row is locked (FOR UPDATE SKIP LOCKED)
while it is sent, so any number of workers never take the same message; on SQLite run one.
"""

import contextlib
import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import cast

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.engine import CursorResult
from werkzeug.local import LocalProxy

from tracker.models import OutboxEmail, OutboxStatus, db, utcnow

# Wait after the 1st, 2nd, … failed attempt; the last step repeats.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
    timedelta(hours=24),
)
ERROR_LENGTH = 2000


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next try, after `attempts` failed ones."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): trying again would not help."""


class ServerUnavailable(Exception):
    """No usable connection to the SMTP server: the rest of the round would fail the same way."""


@dataclass
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed}


def build_message(email: OutboxEmail, config) -> EmailMessage:
    """The MIME message for an outbox row: UTF-8 plain text, and an iCalendar invite when the
    row carries one (inline as text/calendar with its METHOD, as calendar programs read it,
    and attached as invite.ics for those that only look at attachments)."""
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = Address(display_name=email.to_name, addr_spec=email.to_address)
    message["Subject"] = config.get("MAIL_SUBJECT_PREFIX", "") + email.subject
    message["Date"] = format_datetime(email.created_at)
    # The same id on every attempt, so a receiving system can drop a rare duplicate.
    domain = parseaddr(config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<outbox-{email.id}-{email.created_at:%Y%m%d%H%M%S}@{domain}>"
    message.set_content(email.body_text)
    if email.calendar:
        method = calendar_method(email.calendar)
        message.add_alternative(email.calendar, subtype="calendar", params={"method": method})
        message.add_attachment(
            email.calendar.encode(), maintype="application", subtype="ics", filename="invite.ics"
        )
    return message


def calendar_method(calendar: str) -> str:
    """The METHOD line of an iCalendar text (REQUEST, CANCEL …)."""
    for line in calendar.splitlines():
        if line.upper().startswith("METHOD:"):
            return line.partition(":")[2].strip().upper()
    return "PUBLISH"


def body_text(message: EmailMessage) -> str:
    """The plain-text part of a message."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part is not None else ""


class LogTransport:
    """No MAIL_SERVER: write each message to the log (development), as if it were sent."""

    name = "log"

    def __init__(self, logger: logging.Logger):
        self.logger = logger

    def send(self, message: EmailMessage) -> None:
        self.logger.info(
            "E-mail (log transport, not sent)\nTo: %s\nSubject: %s\n\n%s",
            message["To"],
            message["Subject"],
            body_text(message),
        )

    def close(self) -> None:
        pass


class SMTPTransport:
    """smtplib, one connection reused for a batch and opened again after any error."""

    name = "smtp"

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        timeout = float(c["MAIL_TIMEOUT"])
        if c["MAIL_USE_SSL"]:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                c["MAIL_SERVER"],
                int(c["MAIL_PORT"]),
                timeout=timeout,
                context=ssl.create_default_context(),
            )
        else:
            smtp = smtplib.SMTP(c["MAIL_SERVER"], int(c["MAIL_PORT"]), timeout=timeout)
            if c["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
        if c["MAIL_USERNAME"]:
            smtp.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"])
        return smtp

    def _open(self) -> smtplib.SMTP:
        try:
            return self._connect()
        except Exception as e:
            raise ServerUnavailable(_describe(e)) from e

    def send(self, message: EmailMessage) -> None:
        reused = self.connection is not None
        try:
            try:
                if self.connection is None:
                    self.connection = self._open()
                self.connection.send_message(message)
            except smtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                # The server closed a connection left open since the last message: the message
                # was not accepted, so it is safe to send it again on a new connection.
                self.close()
                self.connection = self._open()
                self.connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as e:
            self.close()
            if all(code >= 500 for code, _ in e.recipients.values()):
                raise PermanentFailure(_describe(e)) from e
            raise
        except smtplib.SMTPDataError as e:
            self.close()
            if e.smtp_code >= 500:
                raise PermanentFailure(_describe(e)) from e
            raise
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # a broken connection has nothing more to say
                self.connection.quit()
            self.connection = None


def _describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".strip()
    return text[:ERROR_LENGTH]


def transport_for(app=None):
    """SMTP when MAIL_SERVER is set, else the log transport."""
    app = app or cast("LocalProxy[Flask]", current_app)._get_current_object()
    if app.config.get("MAIL_SERVER"):
        return SMTPTransport(app.config)
    return LogTransport(app.logger)


def _next_due(now: datetime) -> OutboxEmail | None:
    """The oldest due pending e-mail, locked for this transaction (skipped if another has it)."""
    return db.session.scalar(
        sa.select(OutboxEmail)
        .where(OutboxEmail.status == OutboxStatus.PENDING.value, OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite has one writer anyway
    )


def deliver_outbox(now: datetime | None = None, batch: int = 50, transport=None) -> dict:
    """Send up to `batch` due e-mails, oldest first; returns counts of sent, retrying, failed.

    Commits after each message (it owns its transactions, like a command does).
    """
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()
    transport = transport or transport_for(app)
    max_attempts = int(app.config.get("MAIL_MAX_ATTEMPTS", 8))
    report = DeliveryReport()
    due_by = now or utcnow()
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("deliver_outbox commits each message: commit or roll back first.")
    try:
        for _ in range(batch):
            email = _next_due(due_by)
            if email is None:
                break
            try:
                transport.send(build_message(email, app.config))
            except Exception as error:  # any failure of this one message: retry it later
                _record_failure(email, error, now or utcnow(), max_attempts, report, app.logger)
                db.session.commit()
                if isinstance(error, ServerUnavailable):
                    break  # one attempt per round against a server that is down, not a batch
            else:
                email.status = OutboxStatus.SENT.value
                email.sent_at = now or utcnow()
                report.sent += 1
                db.session.commit()  # releases the row lock
    finally:
        transport.close()
        db.session.rollback()  # nothing half-done stays open, whatever happened
    return report.as_dict()


def _record_failure(
    email: OutboxEmail,
    error: Exception,
    moment: datetime,
    max_attempts: int,
    report: DeliveryReport,
    logger: logging.Logger,
) -> None:
    """Count the attempt; wait before the next one, or give up (kept, status failed)."""
    email.attempts += 1
    email.last_error = _describe(error)
    if isinstance(error, PermanentFailure) or email.attempts >= max_attempts:
        email.status = OutboxStatus.FAILED.value
        report.failed += 1
        logger.warning(
            "E-mail %s to %s given up after %s attempts: %s",
            email.id,
            email.to_address,
            email.attempts,
            email.last_error,
        )
    else:
        email.next_attempt_at = moment + backoff(email.attempts)
        report.retrying += 1


def requeue_failed(ids=None, *, now: datetime | None = None) -> int:
    """Put failed e-mails (those ids, or all) back in the queue with a fresh set of attempts."""
    stmt = sa.update(OutboxEmail).where(OutboxEmail.status == OutboxStatus.FAILED.value)
    if ids is not None:
        stmt = stmt.where(OutboxEmail.id.in_([int(i) for i in ids]))
    result = db.session.execute(
        stmt.values(status=OutboxStatus.PENDING.value, attempts=0, next_attempt_at=now or utcnow())
    )
    return cast(CursorResult, result).rowcount  # an UPDATE's result counts its rows


def queue_counts() -> dict[str, int]:
    """How many e-mails are pending, sent and failed."""
    counts = dict.fromkeys(OutboxStatus.values(), 0)
    rows = db.session.execute(
        sa.select(OutboxEmail.status, sa.func.count()).group_by(OutboxEmail.status)
    )
    counts.update(dict(rows.all()))
    return counts
