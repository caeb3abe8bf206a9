"""Client companies: who they are, their working hours, who looks after them."""

from dataclasses import asdict, dataclass
from datetime import time

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.infra.audit import pending_changes, record_event
from tracker.infra.listing import Sort, apply_sort, icontains
from tracker.models import Client, Placement, StaffingRequest, User, db, utcnow
from tracker.models.enums import (
    ACTIVE_REQUEST_STATUSES,
    LIVE_PLACEMENT_STATUSES,
    STAFF_ROLES,
)
from tracker.services import DomainError, ensure_version
from tracker.services.field_rules import RuleError, between
from tracker.services.timezones import is_valid_timezone

# Days from an invoice's issue date to its due date (the database holds 0 to 365 as well).
DEFAULT_PAYMENT_TERMS_DAYS = 30
MAX_PAYMENT_TERMS_DAYS = 365
payment_terms = between(
    0,
    MAX_PAYMENT_TERMS_DAYS,
    f"Payment terms are from 0 to {MAX_PAYMENT_TERMS_DAYS} days after the invoice's issue date.",
)


@dataclass(frozen=True)
class ClientInput:
    """What a person enters for a client."""

    name: str
    country: str
    timezone: str
    workday_start: time
    workday_end: time
    industry: str | None = None
    account_manager_id: int | None = None
    notes: str | None = None
    payment_terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS


@dataclass(frozen=True)
class ClientFilters:
    q: str | None = None
    country: str | None = None
    account_manager_id: int | None = None
    archived: bool = False


SORTS = {
    "name": Client.name,
    "country": Client.country,
    "timezone": Client.timezone,
    "created": Client.created_at,
}


def _validate(data: ClientInput, client: Client | None = None) -> None:
    if not data.name.strip():
        raise DomainError("A client needs a name.")
    if not is_valid_timezone(data.timezone):
        raise DomainError(f"“{data.timezone}” is not a time zone we know.")
    if data.workday_start == data.workday_end:
        raise DomainError("The end of the working day must differ from its start.")
    try:
        payment_terms(data.payment_terms_days)
    except RuleError as e:
        raise DomainError(str(e)) from None
    clash = db.session.scalar(
        sa.select(Client).where(
            sa.func.lower(Client.name) == data.name.strip().lower(),
            Client.id != (client.id if client else -1),
        )
    )
    if clash is not None:
        raise DomainError(f"There is already a client named {clash.name}.")
    if data.account_manager_id is not None:
        manager = db.session.get(User, data.account_manager_id)
        if manager is None or not manager.is_staff or not manager.is_active:
            raise DomainError("The account manager must be an active member of agency staff.")


def _assign(client: Client, data: ClientInput) -> None:
    values = asdict(data)
    values["name"] = data.name.strip()
    values["industry"] = (data.industry or "").strip() or None
    values["notes"] = (data.notes or "").strip() or None
    for field, value in values.items():
        setattr(client, field, value)


def create_client(data: ClientInput, actor: User) -> Client:
    """A new client company, recorded in its history."""
    _validate(data)
    client = Client()
    _assign(client, data)
    db.session.add(client)
    record_event(actor, "client.created", client, pending_changes(client))
    return client


def update_client(client: Client, data: ClientInput, actor: User, version=None) -> dict:
    """Apply an edit unless someone saved a newer version; returns what changed."""
    ensure_version(client, version, f"The client {client.name}")
    _validate(data, client)
    _assign(client, data)
    changes = pending_changes(client)
    if changes:
        record_event(actor, "client.updated", client, changes)
    return changes


def archive_client(client: Client, actor: User) -> None:
    """Hide a client from lists and pickers; its history stays."""
    if client.archived_at is not None:
        raise DomainError(f"{client.name} is already archived.")
    live = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Placement)
        .where(Placement.client_id == client.id, Placement.status.in_(LIVE_PLACEMENT_STATUSES))
    )
    if live:
        raise DomainError(
            f"{client.name} has {live} live placement{'s' if live != 1 else ''}; "
            "end them before archiving the client."
        )
    client.archived_at = utcnow()
    record_event(actor, "client.archived", client, pending_changes(client, {"archived_at"}))


def restore_client(client: Client, actor: User) -> None:
    """Bring an archived client back."""
    if client.archived_at is None:
        raise DomainError(f"{client.name} is not archived.")
    client.archived_at = None
    record_event(actor, "client.restored", client, pending_changes(client, {"archived_at"}))


def client_list(filters: ClientFilters, sort: Sort) -> sa.Select:
    """Clients matching the filters, with each one's account manager loaded."""
    stmt = sa.select(Client).options(selectinload(Client.account_manager))
    stmt = stmt.where(
        Client.archived_at.is_not(None) if filters.archived else Client.archived_at.is_(None)
    )
    if filters.q:
        stmt = stmt.where(
            sa.or_(icontains(Client.name, filters.q), icontains(Client.industry, filters.q))
        )
    if filters.country:
        stmt = stmt.where(Client.country == filters.country)
    if filters.account_manager_id:
        stmt = stmt.where(Client.account_manager_id == filters.account_manager_id)
    return apply_sort(stmt, sort, SORTS, Client.id)


def open_request_counts(client_ids: list[int]) -> dict[int, int]:
    """Draft, open and on-hold requests per client, for one page of clients in one query."""
    if not client_ids:
        return {}
    rows = db.session.execute(
        sa.select(StaffingRequest.client_id, sa.func.count())
        .where(
            StaffingRequest.client_id.in_(client_ids),
            StaffingRequest.status.in_(ACTIVE_REQUEST_STATUSES),
        )
        .group_by(StaffingRequest.client_id)
    )
    return dict(rows.all())


def live_placement_counts(client_ids: list[int]) -> dict[int, int]:
    """Pending and active placements per client, in one query."""
    if not client_ids:
        return {}
    rows = db.session.execute(
        sa.select(Placement.client_id, sa.func.count())
        .where(Placement.client_id.in_(client_ids), Placement.status.in_(LIVE_PLACEMENT_STATUSES))
        .group_by(Placement.client_id)
    )
    return dict(rows.all())


# A list filter offering more clients than this is no help (and heavy to render): the lists'
# search boxes match client names, so the filter then offers only the client already chosen
# (a client's page links to its filtered lists).
FILTER_CHOICES_LIMIT = 100


def filter_choices(
    selected_id: int | None, include_archived: bool = False
) -> list[tuple[int, str]]:
    """The clients a list's filter offers, by name: all of them when few, else the chosen one."""
    stmt = sa.select(Client.id, Client.name, Client.archived_at).order_by(
        sa.func.lower(Client.name)
    )
    if not include_archived:
        stmt = stmt.where(sa.or_(Client.archived_at.is_(None), Client.id == selected_id))
    rows = db.session.execute(stmt.limit(FILTER_CHOICES_LIMIT + 1)).all()
    if len(rows) > FILTER_CHOICES_LIMIT:
        rows = db.session.execute(stmt.where(Client.id == selected_id)).all() if selected_id else []
    return [(cid, f"{name} (archived)" if archived else name) for cid, name, archived in rows]


def staff_choices() -> list[tuple[int, str]]:
    """Active agency staff who can look after a client, by name."""
    rows = db.session.execute(
        sa.select(User.id, User.name)
        .where(User.role.in_(sorted(STAFF_ROLES)), User.is_active.is_(True))
        .order_by(User.name)
    )
    return [(uid, name) for uid, name in rows]


def client_requests(client: Client, limit: int = 50) -> list[StaffingRequest]:
    """A client's requests, newest first."""
    stmt = (
        sa.select(StaffingRequest)
        .where(StaffingRequest.client_id == client.id)
        .order_by(StaffingRequest.created_at.desc(), StaffingRequest.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def client_placements(client: Client, limit: int = 50) -> list[Placement]:
    """A client's placements, live first then newest, with engineer and request loaded."""
    live_first = sa.case((Placement.status.in_(LIVE_PLACEMENT_STATUSES), 0), else_=1)
    stmt = (
        sa.select(Placement)
        .where(Placement.client_id == client.id)
        .options(selectinload(Placement.engineer), selectinload(Placement.request))
        .order_by(live_first, Placement.start_date.desc(), Placement.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def client_users(client: Client) -> list[User]:
    """The client company's sign-ins."""
    return list(
        db.session.scalars(sa.select(User).where(User.client_id == client.id).order_by(User.name))
    )
