"""The history of every record: who changed which fields, from what to what — and from where."""

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import MANYTOONE, selectinload

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
    """Field -> [old, new] for the columns of an entity changed since it was loaded.

    A reference to another record (client_id, engineer_id, …) is reported under the
    relationship's name with the names of the records, {"client": ["Acme", "Globex"]}, and
    under the column with their ids, {"client_id": [3, 5]}, for links;
    whether the id column or the relationship was assigned: assigning `user.client` leaves
    the `client_id` column unchanged until the next flush, and reading only column history
    missed such a change.
    """
    state = sa.inspect(entity)
    references = _references(state.mapper)
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        name = attr.key
        if (fields is not None and name not in fields) or name in IGNORED_FIELDS:
            continue
        if name in references:
            continue
        hist = state.attrs[name].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if json_safe(old) != json_safe(new):
            changes[name] = [json_safe(old), json_safe(new)]
    with db.session.no_autoflush:  # a flush would reset the very history read here
        for column, relation in references.items():
            if fields is not None and column not in fields and relation.key not in fields:
                continue
            if column in IGNORED_FIELDS:
                continue
            old, new = _reference_change(state, column, relation.key)
            if _key(old) != _key(new):
                target = relation.mapper.class_
                changes[relation.key] = [_display_name(target, old), _display_name(target, new)]
                # The ids too, so a timeline can link the names; never shown themselves.
                changes[column] = [_id_of(old), _id_of(new)]
    return changes


def _references(mapper) -> dict[str, Any]:
    """{foreign key attribute: many-to-one relationship} of a mapper (single-column keys)."""
    found = {}
    for relation in mapper.relationships:
        if (
            relation.direction is not MANYTOONE
            or relation.viewonly
            or len(relation.local_columns) != 1
        ):
            continue
        (column,) = relation.local_columns
        found[mapper.get_property_by_column(column).key] = relation
    return found


def _reference_change(state, column: str, relation: str) -> tuple[Any, Any]:
    """(old, new) of a reference: each an id, a related object, or None."""
    column_history = state.attrs[column].load_history()  # the stored id, even if expired
    relation_history = state.attrs[relation].history
    committed = (column_history.deleted or column_history.unchanged or [None])[0]
    if relation_history.added:  # the relationship wins at flush
        old = relation_history.deleted[0] if relation_history.deleted else committed
        return old, relation_history.added[0]
    if relation_history.deleted:  # set to None
        return relation_history.deleted[0], None
    if column_history.has_changes():
        return committed, (column_history.added or [None])[0]
    return committed, committed


def _key(value) -> Any:
    """The id a reference stands for (an object not yet flushed stands for itself)."""
    if value is None or isinstance(value, int):
        return value
    return value.id if value.id is not None else id(value)


def _id_of(value) -> int | None:
    return value if value is None or isinstance(value, int) else value.id


def _display_name(target, value) -> Any:
    """How a referenced record reads in history: its name, or 'Placement #12'."""
    if value is None:
        return None
    record = value if not isinstance(value, int) else db.session.get(target, value)
    if record is None:
        return f"#{value}"
    for attribute in ("name", "full_name", "title"):
        if isinstance(name := getattr(record, attribute, None), str):
            return name
    return f"{type(record).__name__} #{record.id}" if record.id is not None else None


# Kept on a placement so lists can compute health in SQL: derived from the reviews, which have
# their own history.
BOOKKEEPING_FIELDS = frozenset({
    "reviews_count", "last_overall", "previous_overall", "recent_average",
    "last_would_continue", "first_gap_due_on", "second_gap_due_on", "days_to_place",
})  # fmt: skip
# Kept out of history: timestamps and versions say nothing to a person, secrets must not be
# copied, the creator of a record is the actor of its creation event already, and bookkeeping
# is derived from records with histories of their own.
IGNORED_FIELDS = {
    "created_at",
    "updated_at",
    "version_id",
    "password_hash",
    "session_token",
    "created_by_id",
    *BOOKKEEPING_FIELDS,
}


def snapshot(entity) -> dict[str, list[Any]]:
    """Field -> [None, value] for every set column: what a creation event records.

    Unlike pending_changes it does not depend on the ORM's change history, so it gives the
    same answer before and after a flush.
    """
    state = sa.inspect(entity)
    references = _references(state.mapper)  # the record it belongs to and its author: context
    return {
        attr.key: [None, json_safe(value)]
        for attr in state.mapper.column_attrs
        if attr.key not in IGNORED_FIELDS
        and attr.key not in references
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


# What a client user may read in the history of their own company's records, per model: the
# fields the portal shows elsewhere. Anything else (priority, internal notes, who created it,
# rates the agency pays, the other side's ids) stays with the agency. A model not listed has no
# history in the portal.
CLIENT_HISTORY_FIELDS: dict[str, frozenset[str]] = {
    "StaffingRequest": frozenset({
        "title", "description", "seniority", "headcount", "start_date",
        "duration_weeks", "timezone", "workday_start", "workday_end", "min_overlap_hours",
        "max_bill_rate", "status", "skills",
    }),
    "Proposal": frozenset({"status", "request", "bill_rate", "decline_reason", "decline_note"}),
    "Placement": frozenset({
        "status", "request", "start_date", "end_date", "end_reason", "bill_rate",
        "review_cadence_days",
    }),
    "IterationReview": frozenset({
        "iteration", "period_start", "period_end", "delivery", "code_quality", "communication",
        "collaboration", "would_continue", "comments", "action_items",
    }),
}  # fmt: skip


@dataclass(frozen=True)
class ShownEvent:
    """An event as a client may read it: the same fields as AuditEvent, the changes filtered."""

    action: str
    entity_type: str
    entity_id: int | None
    actor: User | None
    created_at: datetime
    changes: dict[str, list[Any]]


def client_timeline(entity, limit: int = 100) -> list[ShownEvent]:
    """The history of a record as its client may read it: only CLIENT_HISTORY_FIELDS, no event
    left with nothing to say (an update of internal fields only), and nothing from before the
    record came to this client (a request logged for another client, then moved)."""
    visible = CLIENT_HISTORY_FIELDS.get(type(entity).__name__)
    if visible is None:
        return []
    shown = []
    for event in timeline(entity, limit):  # newest first
        moved = (event.changes or {}).get("client")
        if moved and moved[0] is not None:
            break  # this event and the older ones belong to the other client's time
        changes = {f: v for f, v in (event.changes or {}).items() if f in visible}
        if event.changes and not changes and event.action.endswith(".updated"):
            continue
        shown.append(
            ShownEvent(
                event.action, event.entity_type, event.entity_id, event.actor,
                event.created_at, changes,
            )
        )  # fmt: skip
    return shown


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
