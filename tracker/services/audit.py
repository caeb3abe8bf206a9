"""The history of every record: who changed which fields, from what to what — and from where."""

from contextvars import ContextVar
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.models import AuditEvent, User, db


def json_safe(value: Any) -> Any:
    """A value as it can be stored in the JSON changes column and read by a person."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def pending_changes(entity, fields=None) -> dict[str, list[Any]]:
    """Field -> [old, new] for the columns of an entity changed since it was loaded."""
    state = sa.inspect(entity)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        name = attr.key
        if (fields is not None and name not in fields) or name in IGNORED_FIELDS:
            continue
        hist = state.attrs[name].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if json_safe(old) != json_safe(new):
            changes[name] = [json_safe(old), json_safe(new)]
    return changes


IGNORED_FIELDS = {"created_at", "updated_at", "version_id", "password_hash", "session_token"}


def snapshot(entity) -> dict[str, list[Any]]:
    """Field -> [None, value] for every set column: what a creation event records.

    Unlike pending_changes it does not depend on the ORM's change history, so it gives the
    same answer before and after a flush.
    """
    state = sa.inspect(entity)
    return {
        attr.key: [None, json_safe(value)]
        for attr in state.mapper.column_attrs
        if attr.key not in IGNORED_FIELDS
        and attr.key != "id"
        and (value := getattr(entity, attr.key)) is not None
    }


# The address a request comes from, set by the web layer for each request (None on the CLI),
# so every event records where it came from without services knowing about requests.
origin: ContextVar[str | None] = ContextVar("origin", default=None)


def record_event(
    actor: User | None,
    action: str,
    entity,
    changes: dict[str, list[Any]] | None = None,
    *,
    ip_address: str | None = None,
) -> AuditEvent:
    """Append an event for an entity; flushes first so a new entity has its id."""
    if getattr(entity, "id", None) is None:
        db.session.flush()
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity_type=type(entity).__name__,
        entity_id=entity.id,
        changes=changes or {},
        ip_address=ip_address or origin.get(),
    )
    db.session.add(event)
    return event


def timeline(entity, limit: int = 100, *, related=None) -> list[AuditEvent]:
    """The newest events of one record (and of related records), with their actors loaded.

    related: {entity type name: [ids]}, e.g. a request's proposals and placements.
    """
    about = [
        sa.and_(AuditEvent.entity_type == type(entity).__name__, AuditEvent.entity_id == entity.id)
    ]
    for entity_type, ids in (related or {}).items():
        if ids:
            about.append(
                sa.and_(AuditEvent.entity_type == entity_type, AuditEvent.entity_id.in_(ids))
            )
    stmt = (
        sa.select(AuditEvent)
        .where(sa.or_(*about))
        .options(selectinload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def record_security_event(
    actor: User | None, action: str, about=None, changes: dict | None = None
) -> AuditEvent:
    """A security event (sign-ins, refusals, rights) — who, what, when, from where; never a
    password. `about` is the row concerned, or None for the request itself."""
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        action=action,
        entity_type=type(about).__name__ if about is not None else "Request",
        entity_id=getattr(about, "id", None),
        changes=changes or {},
        ip_address=origin.get(),
    )
    db.session.add(event)
    return event
