"""Webhooks: the endpoints staff register, and the events the services emit to them.

An event is written as one WebhookDelivery row per active endpoint subscribed to it, in the
same transaction as the change it reports (`emit`): it exists exactly when the change does,
and it is sent later by the outbox worker (tracker/infra/webhook_sender.py, run by
`flask --app wsgi send-mail`), retried with back-off, at least once. The body written here is
the one signed and sent, byte for byte, on every attempt.

Event names and the keys of their `data` are a contract with other systems (README: "Webhooks"):
add keys, never rename or remove them. Payloads carry ids and the main fields only, never pay
rates or margins.
"""

import ipaddress
import json
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from tracker.infra.audit import record_event
from tracker.models import (
    Invoice,
    IterationReview,
    Placement,
    Proposal,
    Timesheet,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookStatus,
    db,
    utcnow,
)
from tracker.services import DomainError

# What an endpoint may subscribe to, with the words the registration page shows.
EVENTS: dict[str, str] = {
    "proposal.created": "Proposal created (an engineer shortlisted on a request)",
    "proposal.decided": "Proposal decided (accepted or declined)",
    "placement.created": "Placement created",
    "placement.ended": "Placement ended",
    "review.submitted": "Iteration review submitted",
    "timesheet.submitted": "Timesheet submitted",
    "timesheet.decided": "Timesheet decided (approved, also automatically, or rejected)",
    "invoice.issued": "Invoice or credit note issued",
}
PING = "ping"  # the page's "send a test event": sent to one endpoint, whatever it subscribed to

MAX_URL_LENGTH = 500  # the column's size
MAX_DESCRIPTION_LENGTH = 200
MAX_ENDPOINTS = 50


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # the signing key, shown to staff once, right after registration


# --- the endpoints ------------------------------------------------------------------------------


def url_problem(url: str, *, https_only: bool, allow_private: bool | None = None) -> str | None:
    """Why the URL cannot receive webhooks, in words; None when it can. The address a host
    name resolves to is checked again at each attempt (tracker.infra.webhook_sender)."""
    if allow_private is None:
        allow_private = not https_only
    if len(url) > MAX_URL_LENGTH:
        return f"The URL is longer than {MAX_URL_LENGTH} characters."
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "The URL cannot contain spaces or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port  # reading it checks it
    except ValueError:
        return "This is not a valid URL."
    allowed = ("https",) if https_only else ("https", "http")
    if parts.scheme.lower() not in allowed:
        if https_only:
            return "The URL must start with https:// (webhooks are only sent encrypted)."
        return "The URL must start with https:// or http://."
    if parts.username is not None or parts.password is not None:
        return "Put no user name or password in the URL; the signature proves who sent it."
    host = parts.hostname or ""
    if not host:
        return "The URL needs a host name, e.g. https://crm.example.com/hooks/tracker."
    if port == 0:
        return "This is not a valid URL."
    if parts.fragment:
        return "Leave out the #fragment: it is never sent to the server."
    if not allow_private and _is_internal(host):
        return "The URL must name a public host, not this machine or a private address."
    return None


def _is_internal(host: str) -> bool:
    """localhost, or an address literal of this machine, a private network or the cloud's
    metadata service (169.254.169.254): never a receiver in production."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # Spellings the resolver reads as an address (127.1, 2130706433, 0x7f000001, 0): an
        # all-numeric or hexadecimal name is never a public host name.
        return all(part.isdigit() or part.lower().startswith("0x") for part in host.split("."))
    return not address.is_global


def check_url(url: str) -> str:
    """The URL, stripped, or a DomainError saying what is wrong with it. Only https:// when
    FORCE_HTTPS (production); http:// too in development and tests."""
    url = (url or "").strip()
    if not url:
        raise DomainError("Enter the URL that receives the webhooks.")
    problem = url_problem(
        url,
        https_only=bool(current_app.config.get("FORCE_HTTPS")),
        allow_private=bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE", False)),
    )
    if problem:
        raise DomainError(problem)
    return url


def check_events(events: Iterable[str]) -> list[str]:
    """The chosen event names in the order of EVENTS; at least one, all known."""
    chosen = set(events)
    if unknown := sorted(chosen - EVENTS.keys()):
        raise DomainError(f"Unknown event: {', '.join(unknown)}.")
    if not chosen:
        raise DomainError("Choose at least one event to send to this endpoint.")
    return [name for name in EVENTS if name in chosen]


def _description(text: str | None) -> str | None:
    text = " ".join((text or "").split()) or None
    if text and len(text) > MAX_DESCRIPTION_LENGTH:
        raise DomainError(f"The description is longer than {MAX_DESCRIPTION_LENGTH} characters.")
    return text


def create_endpoint(
    url: str, events: Iterable[str], actor: User, *, description: str | None = None
) -> NewEndpoint:
    """Register an endpoint with a new secret; the caller commits and shows the secret once."""
    url = check_url(url)
    names = check_events(events)
    text = _description(description)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(WebhookEndpoint)) or 0
    if count >= MAX_ENDPOINTS:
        raise DomainError(f"At most {MAX_ENDPOINTS} endpoints can be registered; delete one.")
    secret = secrets.token_hex(32)
    endpoint = WebhookEndpoint(
        url=url,
        description=text,
        events=" ".join(names),
        secret=secret,
        is_active=True,
        created_by_id=actor.id,
    )
    db.session.add(endpoint)
    record_event(actor, "webhook.created", endpoint, {"url": [None, url], "events": [None, names]})
    return NewEndpoint(endpoint, secret)


def update_endpoint(
    endpoint: WebhookEndpoint,
    events: Iterable[str],
    actor: User,
    *,
    description: str | None,
    is_active: bool,
) -> None:
    """Change what an endpoint receives, its description, and whether it receives anything.

    An inactive endpoint gets no new events; its pending deliveries wait until it is active
    again (the worker skips them)."""
    names = check_events(events)
    text = _description(description)
    changes: dict[str, list[Any]] = {}
    if names != endpoint.event_list:
        changes["events"] = [endpoint.event_list, names]
    if text != endpoint.description:
        changes["description"] = [endpoint.description, text]
    if is_active != endpoint.is_active:
        changes["is_active"] = [endpoint.is_active, is_active]
    endpoint.events = " ".join(names)
    endpoint.description = text
    endpoint.is_active = is_active
    if changes:
        record_event(actor, "webhook.changed", endpoint, changes)


def delete_endpoint(endpoint: WebhookEndpoint, actor: User) -> None:
    """Forget an endpoint and every delivery to it (pending ones are never sent)."""
    record_event(actor, "webhook.deleted", endpoint, {"url": [endpoint.url, None]})
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)


def endpoint_list() -> list[tuple[WebhookEndpoint, dict[str, int]]]:
    """Every endpoint, newest first, with how many of its deliveries are in each status."""
    endpoints = db.session.scalars(
        sa.select(WebhookEndpoint)
        .order_by(WebhookEndpoint.created_at.desc(), WebhookEndpoint.id.desc())
        .limit(MAX_ENDPOINTS)
    ).all()
    counts: dict[int, dict[str, int]] = {
        e.id: dict.fromkeys(WebhookStatus.values(), 0) for e in endpoints
    }
    rows = db.session.execute(
        sa.select(WebhookDelivery.endpoint_id, WebhookDelivery.status, sa.func.count())
        .where(WebhookDelivery.endpoint_id.in_(counts))
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    )
    for endpoint_id, status, count in rows:
        counts[endpoint_id][status] = count
    return [(e, counts[e.id]) for e in endpoints]


def deliveries_of(endpoint: WebhookEndpoint) -> sa.Select:
    """An endpoint's deliveries, newest first (for a paginated list)."""
    return (
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    )


# --- events -------------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # money as text, "1234.50": no binary fraction on the way
    raise TypeError(f"{type(value).__name__} has no JSON form in a webhook")


def iso_utc(moment: datetime) -> str:
    """2026-12-04T12:25:27Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def body(event: str, data: dict[str, Any], *, delivery_id: str, created_at: datetime) -> str:
    """The JSON text sent (and signed): id, event, created_at, data."""
    document = {"id": delivery_id, "event": event, "created_at": iso_utc(created_at), "data": data}
    return json.dumps(document, default=_json_value, separators=(",", ":"), ensure_ascii=False)


def _delivery(endpoint: WebhookEndpoint, event: str, data: dict[str, Any], now: datetime):
    delivery_id = str(uuid.uuid4())
    return WebhookDelivery(
        endpoint_id=endpoint.id,
        event=event,
        payload=body(event, data, delivery_id=delivery_id, created_at=now),
        status=WebhookStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


def emit(event: str, data: dict[str, Any]) -> int:
    """Queue the event for every active endpoint subscribed to it, in the caller's transaction
    (one SELECT, whatever the number of endpoints); returns how many deliveries were queued."""
    if event not in EVENTS:
        raise ValueError(f"{event!r} is not a webhook event")
    endpoints = db.session.scalars(
        sa.select(WebhookEndpoint)
        .where(WebhookEndpoint.is_active.is_(True))
        .order_by(WebhookEndpoint.id)
    ).all()
    subscribed = [e for e in endpoints if event in e.event_list]
    now = utcnow()
    for endpoint in subscribed:
        db.session.add(_delivery(endpoint, event, data, now))
    return len(subscribed)


def send_ping(endpoint: WebhookEndpoint, actor: User) -> WebhookDelivery:
    """Queue a `ping` to this endpoint alone (active or not), to test the receiver."""
    now = utcnow()
    data = {"endpoint_id": endpoint.id, "sent_by_id": actor.id}  # no e-mail to a third party
    delivery = _delivery(endpoint, PING, data, now)
    db.session.add(delivery)
    db.session.flush()
    return delivery


def retry(delivery: WebhookDelivery) -> None:
    """Send a failed (or waiting) delivery at the worker's next round; a failed one gets a
    fresh set of attempts. A delivered one is not sent again."""
    if delivery.status == WebhookStatus.DELIVERED:
        raise DomainError("This delivery was received already; send a test event instead.")
    if delivery.status == WebhookStatus.FAILED:
        delivery.attempts = 0
    delivery.status = WebhookStatus.PENDING.value
    delivery.next_attempt_at = utcnow()


# What each event says about its record: ids first, then the main fields.


def proposal_data(proposal: Proposal) -> dict[str, Any]:
    return {
        "proposal_id": proposal.id,
        "request_id": proposal.request_id,
        "client_id": proposal.request.client_id,
        "engineer_id": proposal.engineer_id,
        "status": proposal.status,
        "decline_reason": proposal.decline_reason,
        "decided_at": proposal.decided_at,
    }


def placement_data(placement: Placement) -> dict[str, Any]:
    return {
        "placement_id": placement.id,
        "request_id": placement.request_id,
        "client_id": placement.client_id,
        "engineer_id": placement.engineer_id,
        "proposal_id": placement.proposal_id,
        "replaces_placement_id": placement.replaces_placement_id,
        "status": placement.status,
        "start_date": placement.start_date,
        "end_date": placement.end_date,
        "end_reason": placement.end_reason,
    }


def review_data(review: IterationReview) -> dict[str, Any]:
    placement = review.placement
    return {
        "review_id": review.id,
        "placement_id": placement.id,
        "client_id": placement.client_id,
        "engineer_id": placement.engineer_id,
        "iteration": review.iteration,
        "period_start": review.period_start,
        "period_end": review.period_end,
        "overall": round(review.overall, 2),
        "would_continue": review.would_continue,
    }


def timesheet_data(timesheet: Timesheet) -> dict[str, Any]:
    placement = timesheet.placement
    return {
        "timesheet_id": timesheet.id,
        "placement_id": placement.id,
        "client_id": placement.client_id,
        "engineer_id": placement.engineer_id,
        "week_start": timesheet.week_start,
        "status": timesheet.status,
        "total_hours": timesheet.total_hours,
        "submitted_at": timesheet.submitted_at,
        "decided_at": timesheet.decided_at,
        "approved_automatically": timesheet.approved_automatically,
    }


def invoice_data(invoice: Invoice) -> dict[str, Any]:
    return {
        "invoice_id": invoice.id,
        "client_id": invoice.client_id,
        "kind": invoice.kind,
        "credits_invoice_id": invoice.credits_invoice_id,
        "number": invoice.number,
        "status": invoice.status,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "total": invoice.total,
        "currency": invoice.currency,
    }
