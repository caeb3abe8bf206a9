"""Agency-wide figures kept in each process until the next committed write, never longer.

Some figures add up months of the whole database (the dashboard's fill rate, median days to
place, average review, the charts) and are the same for every member of staff. `cached` keeps
such a value in the app's process and serves it again only while the database is unchanged:

- Every commit that wrote something (an ORM flush, or an INSERT/UPDATE/DELETE run through the
  session) replaces the token of the `data_generation` row with a random one, in a short
  transaction of its own right after the commit; unless all it wrote is in UNSHARED_TABLES
  (users, notifications, e-mails, the audit trail), which no shared result reads.
- A cached value is stored with the token read before it was computed, and served only to a
  request that reads the same token. A write by any process or machine changes the token, so
  the next request everywhere computes afresh; the writer's own next page already sees it.
- Values expire after MAX_AGE_SECONDS whatever happens, the safety net for writes made
  outside the app (psql, a restored backup): nothing is ever staler than that.

Only values that are the same for everyone may go through here (no user's own data), and only
plain values (numbers, dicts, frozen dataclasses), never ORM objects bound to a session.
"""

import logging
import secrets
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from flask_sqlalchemy.session import Session
from sqlalchemy import event

from tracker.models import DataGeneration, db

T = TypeVar("T")

MAX_AGE_SECONDS = 600.0
# Tables no shared result reads: people, their notifications and e-mails, the audit trail,
# API tokens (an API call notes when its token was last used). Writing only these (a sign-in,
# a notification read, an API call) keeps the generation, so the busiest writes do not empty
# every process's cache. A cached value that came to read one of them would have to take it
# out of this set.
UNSHARED_TABLES = frozenset(
    {"user_account", "notification", "outbox_email", "audit_event", "api_token"}
)
MAX_ENTRIES = 256  # keys carry the day: yesterday's entries go when the store fills up
EXTENSION = "tracker.infra.cache"
_WROTE = "tracker.infra.cache.wrote"  # session.info flag: this transaction wrote something

log = logging.getLogger(__name__)


def cached(key: Hashable, compute: Callable[[], T]) -> T:
    """compute(), or the value it gave for this key since the last write to the database."""
    token = _current_token()
    if token is None:  # no generation row (an emptied test database): no caching
        return compute()
    store: dict = current_app.extensions.setdefault(EXTENSION, {})
    entry = store.get(key)
    now = time.monotonic()
    if entry is not None and entry[0] == token and now - entry[1] < MAX_AGE_SECONDS:
        return entry[2]
    value = compute()
    if len(store) >= MAX_ENTRIES:
        store.clear()
    store[key] = (token, now, value)
    return value


def _current_token() -> str | None:
    """The generation token, read once per request (and again after a commit in it)."""
    if "data_generation" not in g:
        g.data_generation = db.session.scalar(
            sa.select(DataGeneration.token).where(DataGeneration.id == 1)
        )
    return g.data_generation


def bump() -> None:
    """Give the data a new generation: every process's cached values stop being served."""
    token = secrets.token_hex(16)
    try:
        with db.engine.begin() as conn:
            changed = conn.execute(
                sa.update(DataGeneration).where(DataGeneration.id == 1).values(token=token)
            ).rowcount
            if not changed:  # the row is gone (a truncated database): put it back
                conn.execute(sa.insert(DataGeneration).values(id=1, token=token))
    except sa.exc.SQLAlchemyError:
        # The write itself is committed; other processes may serve the old figures until
        # they expire (MAX_AGE_SECONDS). Say so rather than fail a request that succeeded.
        log.warning("Could not renew the data generation; cached figures may lag", exc_info=True)
    finally:
        current_app.extensions.pop(EXTENSION, None)
        g.pop("data_generation", None)


def listen() -> None:
    """Watch every session of the app for writes (idempotent: the app factory calls it)."""
    for name, handler in (
        ("after_flush", _flushed),
        ("do_orm_execute", _executed),
        ("after_commit", _committed),
        ("after_transaction_end", _ended),
    ):
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)


def _flushed(session, _flush_context):
    # Still the flush's own objects here (SQLAlchemy clears them after this event).
    written = {*session.new, *session.dirty, *session.deleted}
    if any(_shared(getattr(obj, "__table__", None)) for obj in written):
        session.info[_WROTE] = True


def _executed(state):
    dml = state.is_insert or state.is_update or state.is_delete
    if dml and _shared(getattr(state.statement, "table", None)):
        state.session.info[_WROTE] = True


def _shared(table) -> bool:
    """Whether a write to this table may change a shared result (unknown: assume it may)."""
    return getattr(table, "name", None) not in UNSHARED_TABLES


def _committed(session):
    if session.get_nested_transaction() is not None:
        # A savepoint released inside a transaction still open: nothing is committed yet
        # (and the outer transaction holds the write lock bump() would wait for on SQLite).
        return
    if session.info.pop(_WROTE, False) and has_app_context():
        bump()


def _ended(session, transaction):
    if transaction.parent is None:  # a rolled-back transaction wrote nothing
        session.info.pop(_WROTE, None)
