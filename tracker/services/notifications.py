"""Notifications: what happened, for whom, in the app and by e-mail.

Written in the caller's transaction, never committed here, so a notification (and its e-mail in
the outbox) exists exactly when its event does. `tracker.infra.mailer` sends the e-mails.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol, cast

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult

from tracker.infra.links import safe_next_path
from tracker.models import (
    Client,
    Notification,
    NotificationKind,
    OutboxEmail,
    OutboxStatus,
    User,
    db,
    utcnow,
)
from tracker.models.enums import Role

TITLE_LENGTH = 200  # the lengths of the columns
LINK_LENGTH = 500
KEY_LENGTH = 200


def notify(
    users: Iterable[User],
    *,
    kind: str,
    title: str,
    body: str,
    link: str | None = None,
    key: str | None = None,
    email: bool = True,
) -> list[Notification]:
    """Notify each active user once per key, in the app and (unless email=False) by e-mail.

    Inactive users are skipped, and so is a user who already has a notification with this key
    (even one written a moment ago by a concurrent transaction: the insert skips the duplicate
    rather than failing the caller's transaction). Returns the notifications created.
    """
    NotificationKind(kind)  # an unknown kind is a programming error: say so before the database
    if link is not None and (safe_next_path(link) is None or len(link) > LINK_LENGTH):
        raise ValueError(f"A notification links to a path inside the app, not {link!r}.")
    if key is not None and len(key) > KEY_LENGTH:
        raise ValueError(f"A notification key has at most {KEY_LENGTH} characters: {key!r}.")
    recipients: dict[int, User] = {}
    for user in users:
        if user is not None and user.is_active:
            recipients.setdefault(user.id, user)
    if not recipients:
        return []
    title = one_line(title, TITLE_LENGTH)
    rows = [
        dict(user_id=user_id, kind=kind, title=title, body=body, link=link, key=key)
        for user_id in recipients
    ]
    created = list(db.session.scalars(_insert_once_per_key().returning(Notification), rows))
    created.sort(key=lambda n: n.id)
    if email:
        base_url = current_app.config.get("APP_BASE_URL", "").rstrip("/")
        for notification in created:
            user = recipients[notification.user_id]
            db.session.add(
                OutboxEmail(
                    to_address=user.email,
                    to_name=one_line(user.name, 120),
                    subject=title,
                    body_text=email_text(user, body, link, base_url),
                    notification=notification,
                )
            )
    return created


def _insert_once_per_key():
    """INSERT … ON CONFLICT (user_id, key) DO NOTHING, in the dialect of the session's database."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(Notification).on_conflict_do_nothing(index_elements=["user_id", "key"])


class Named(Protocol):
    @property
    def name(self) -> str: ...


def email_text(user: Named, body: str, link: str | None, base_url: str = "") -> str:
    """The plain-text e-mail for a notification: greeting, body, link, signature."""
    parts = [f"Hello {user.name},", body.strip()]
    if link:
        parts.append(f"Open it in Engagement Tracker: {base_url}{link}")
    parts.append(
        "— Engagement Tracker\n"
        "You receive this e-mail because you have an account; it is also in your notifications."
    )
    return "\n\n".join(parts) + "\n"


def _count(stmt: sa.Select) -> int:
    """The number a COUNT(*) query gives."""
    return db.session.execute(stmt).scalar_one()


def one_line(text: str, limit: int) -> str:
    """Text on one line (no header injection in a subject), cut to limit characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread (one COUNT query)."""
    return _count(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def page(user: User) -> sa.Select:
    """The user's notifications, newest first: the statement a list pages through."""
    return (
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def recent(user: User, limit: int = 20) -> list[Notification]:
    """The user's newest notifications."""
    return list(db.session.scalars(page(user).limit(limit)))


def owned(user: User, notification_id: int) -> Notification | None:
    """The user's notification with this id; None when it is someone else's or missing."""
    return db.session.scalar(
        sa.select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user.id
        )
    )


def forget(user: User) -> int:
    """Delete a user's notifications and the e-mails still waiting for them; how many.

    Called when the user's role or company changes: they speak of records the user may no
    longer see (another company's requests, the agency's pipeline).
    """
    mine = sa.select(Notification.id).where(Notification.user_id == user.id)
    db.session.execute(
        sa.delete(OutboxEmail).where(
            OutboxEmail.notification_id.in_(mine),
            OutboxEmail.status != OutboxStatus.SENT,
        )
    )
    result = db.session.execute(sa.delete(Notification).where(Notification.user_id == user.id))
    return cast(CursorResult, result).rowcount  # a DELETE's result counts its rows


def mark_read(user: User, ids: Iterable[int] | None = None, *, now: datetime | None = None) -> int:
    """Mark the user's unread notifications read (those ids, or all); returns how many changed.

    Ids of other users' notifications match nothing: they are left exactly as they were.
    """
    stmt = sa.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if ids is not None:
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return 0
        stmt = stmt.where(Notification.id.in_(wanted))
    result = db.session.execute(stmt.values(read_at=now or utcnow()))
    return cast(CursorResult, result).rowcount  # an UPDATE's result counts its rows


def account_managers_of(client: Client) -> list[User]:
    """Who hears about a client's events: its account manager, or (so nothing is lost) all.

    When the client has no account manager, or theirs is inactive, every active account
    manager is told; when there is none of those either, every active admin.
    """
    manager = client.account_manager
    if manager is not None and manager.is_active:
        return [manager]
    for role in (Role.ACCOUNT_MANAGER, Role.ADMIN):
        staff = list(
            db.session.scalars(
                sa.select(User)
                .where(User.role == role.value, User.is_active.is_(True))
                .order_by(User.id)
            )
        )
        if staff:
            return staff
    return []


def _client_audience(client_id: int) -> tuple:
    """Who hears about a client company's events: its active users."""
    return (
        User.client_id == client_id,
        User.role == Role.CLIENT.value,
        User.is_active.is_(True),
    )


def client_users(client: Client) -> list[User]:
    """The active users of a client company."""
    return list(
        db.session.scalars(sa.select(User).where(*_client_audience(client.id)).order_by(User.id))
    )


def client_user_count(client_id: int) -> int:
    """How many people a client's notifications reach: with none, a proposal reaches nobody."""
    return _count(sa.select(sa.func.count()).select_from(User).where(*_client_audience(client_id)))
