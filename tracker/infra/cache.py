"""Agency-wide results kept in each process until a committed write to what they read.

Some results add up months of the whole database (the dashboard's fill rate, median days to
place, average review, the charts, a request's ranking) and are the same for every member of
staff. `cached` keeps such a value in the app's process and serves it again only while the
tables it was computed from are unchanged:

- While a value is computed, every statement sent records the tables it reads (from the
  statement as compiled: joins, subqueries and eager loads included), and the rows the session
  already holds count as read. Plain SQL names its tables (execution option `reads_tables`), or
  makes the value depend on every table.
- Every commit that wrote something (an ORM flush, or an INSERT/UPDATE/DELETE run through the
  session) replaces, in a short transaction of its own right after the commit, the token of
  each table it wrote in `table_generation` (with the tables the database itself changes when
  a row goes: ON DELETE CASCADE / SET NULL), and the one token of `data_generation` that every
  write renews. A change to BOOKKEEPING_COLUMNS alone (a sign-in's time, a session token) is
  no write here. Writes to UNSHARED_TABLES alone (notifications, e-mails, the audit trail,
  API tokens) renew nothing: no shared result may read them (`cached` refuses to keep a
  value that did).
- A cached value is stored with the tokens of its tables read before it was computed, and
  served only to a request that reads the same tokens: a write by any process or machine
  changes them, so the next request everywhere computes afresh; the writer's own next page
  already sees it. An hour logged leaves the rankings, the roster's filters and the
  dashboard but its timesheets card as they were; a review (it updates its placement's
  summary) or a placement made renews nearly everything.
- Values expire after MAX_AGE_SECONDS whatever happens, the safety net for writes made
  outside the app (psql, a restored backup): nothing is ever staler than that.

Only values that are the same for everyone may go through here (no user's own data), and only
plain values (numbers, dicts, frozen dataclasses, HTML), never ORM objects bound to a session.
"""

import logging
import re
import secrets
import time
from collections.abc import Callable, Hashable, Iterable
from functools import cache
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.sql import visitors
from sqlalchemy.sql.util import find_tables

from tracker.models import DataGeneration, TableGeneration, db

T = TypeVar("T")

MAX_AGE_SECONDS = 600.0
# Tables no shared result reads: people's notifications and e-mails, the audit trail, API
# tokens (an API call notes when its token was last used). Writing only these (a notification
# read, an API call) renews no token, so the busiest writes cost nothing here; a value whose
# statements read one of them is never kept. (People themselves are shared: lists name the
# account managers and reviewers; a sign-in renews the people's token alone.)
UNSHARED_TABLES = frozenset({"notification", "outbox_email", "audit_event", "api_token"})
ANY = "*"  # "some table": the data_generation row, renewed by every shared write
MISSING = ""  # the token of a table never written since the database was made
MAX_ENTRIES = 256  # keys carry the day: yesterday's entries go when the store fills up
EXTENSION = "tracker.infra.cache"
_WROTE = "tracker.infra.cache.wrote"  # session.info: the tables this transaction wrote
_TOKENS = "data_generations"  # g: the tokens read for this request
_READING = "cache_reading"  # g: the tables read by each value being computed, innermost last

log = logging.getLogger(__name__)


class _Entry(NamedTuple):
    tokens: tuple[tuple[str, str], ...]  # (table, its token when the value was computed)
    at: float  # time.monotonic() when stored
    value: Any


def cached(
    key: Hashable,
    compute: Callable[[], T],
    *,
    store: str = "shared",
    reaches_held_rows: bool = True,
) -> T:
    """compute(), or the value it gave for this key since the last write to what it read.

    The value must depend only on `key`, on what compute reads through SQL while it runs, and
    on the rows the session already holds when it starts (their tables count as read: a lazy
    load that finds its row in the identity map sends no statement). Anything else compute
    closes over that came from the database (a request's needs) belongs in the key. Rows a
    value depends on that are read earlier in the request must be read after tokens_now().

    `store` names a separate set of at most MAX_ENTRIES values: one that fills up (the API's
    answers) empties only itself, never the pages' figures. `reaches_held_rows=False`: compute
    touches no ORM object (Core rows only), so the rows held beforehand do not count."""
    tokens = _current_tokens()
    if tokens is None:  # no generation row (an emptied test database): no caching
        return compute()
    stores: dict = current_app.extensions.setdefault(EXTENSION, {})
    kept: dict = stores.setdefault(store, {})
    outer = g.get(_READING)
    entry = kept.get(key)
    now = time.monotonic()
    if (
        entry is not None
        and now - entry.at < MAX_AGE_SECONDS
        and all(tokens.get(table, MISSING) == token for table, token in entry.tokens)
    ):
        if outer:  # a value computed around this one depends on the same tables
            outer[-1].update(table for table, _ in entry.tokens)
        return entry.value
    read = _held_tables() if reaches_held_rows else set()
    stack = outer if outer is not None else g.setdefault(_READING, [])
    stack.append(read)
    try:
        value = compute()
    finally:
        stack.pop()
    if stack:
        stack[-1].update(read)
    if personal := read & UNSHARED_TABLES:
        # (The API's review lists name their authors: expected there, so not a warning.)
        log.debug("Not kept: %r read %s", key, ", ".join(sorted(personal)))
        return value
    if len(kept) >= MAX_ENTRIES:
        kept.clear()
    kept[key] = _Entry(tuple((t, tokens.get(t, MISSING)) for t in sorted(read)), now, value)
    return value


def tokens_now() -> None:
    """Read the tokens for this request now, before rows that a value computed later will
    depend on (rows held by the session count as read): a write after this point is seen by
    the next request."""
    _current_tokens()


def _held_tables() -> set[str]:
    """The tables of the rows the session holds now, but the unshared ones (an API token,
    notifications: never reached from a shared result)."""
    return {
        table.name
        for obj in db.session.identity_map.values()
        for table in sa.inspect(obj).mapper.tables
    } - UNSHARED_TABLES


def _current_tokens() -> dict[str, str] | None:
    """Each table's token and ANY's, read once per request (and again after a commit in it);
    None when the data_generation row is missing."""
    if _TOKENS not in g:
        rows = db.session.execute(
            sa.union_all(
                sa.select(sa.literal(ANY), DataGeneration.token).where(DataGeneration.id == 1),
                sa.select(TableGeneration.name, TableGeneration.token),
            )
        ).all()
        tokens = dict(rows)
        g.setdefault(_TOKENS, tokens if ANY in tokens else None)
    return g.get(_TOKENS)


def bump(tables: Iterable[str] | None = None) -> None:
    """Renew the tokens of these tables (None: all of them) and ANY's: every process stops
    serving the values computed from them."""
    token = secrets.token_hex(16)
    names = sorted(_all_tables() if tables is None else set(tables) - {ANY})
    try:
        with db.engine.begin() as conn:
            # ANY's row first: concurrent writers queue on it, so they never hold each
            # other's table rows in opposite orders.
            changed = conn.execute(
                sa.update(DataGeneration).where(DataGeneration.id == 1).values(token=token)
            ).rowcount
            if not changed:  # the row is gone (a truncated database): put it back
                conn.execute(sa.insert(DataGeneration).values(id=1, token=token))
            if names:
                conn.execute(
                    _upsert(conn.dialect.name), [{"name": n, "token": token} for n in names]
                )
    except sa.exc.SQLAlchemyError:
        # The write itself is committed; other processes may serve the old figures until
        # they expire (MAX_AGE_SECONDS). Say so rather than fail a request that succeeded.
        log.warning("Could not renew the data generation; cached figures may lag", exc_info=True)
        current_app.extensions.pop(EXTENSION, None)  # this process at least forgets them
    finally:
        g.pop(_TOKENS, None)


def _upsert(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(TableGeneration)
    return stmt.on_conflict_do_update(
        index_elements=[TableGeneration.name], set_={"token": stmt.excluded.token}
    )


@cache
def _all_tables() -> frozenset[str]:
    bookkeeping = {DataGeneration.__tablename__, TableGeneration.__tablename__}
    return frozenset(t.name for t in db.metadata.sorted_tables) - bookkeeping - UNSHARED_TABLES


@cache
def _changed_along(table: str) -> frozenset[str]:
    """The table and those the database itself changes when a row of it is deleted (foreign
    keys with ON DELETE CASCADE / SET NULL), transitively. (No key is ever updated here.)"""
    found, todo = {table}, [table]
    while todo:
        current = todo.pop()
        for other in db.metadata.sorted_tables:
            for fk in other.foreign_keys:
                acts = (fk.ondelete or "").upper() in ("CASCADE", "SET NULL", "SET DEFAULT")
                if acts and fk.column.table.name == current and other.name not in found:
                    found.add(other.name)
                    todo.append(other.name)
    return frozenset(found)


def listen() -> None:
    """Watch every session of the app for writes and every engine for the tables a value
    being computed reads (idempotent: the app factory calls it)."""
    for name, handler in (
        ("after_flush", _flushed),
        ("do_orm_execute", _executed),
        ("after_commit", _committed),
        ("after_transaction_end", _ended),
    ):
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)
    if not event.contains(Engine, "before_cursor_execute", _statement_sent):
        event.listen(Engine, "before_cursor_execute", _statement_sent)


def _statement_sent(conn, cursor, statement, parameters, context, executemany):
    if not has_app_context() or not (stack := g.get(_READING)):
        return
    # Plain SQL may name what it reads: sa.text(...).execution_options(reads_tables=(...)).
    declared = context.execution_options.get("reads_tables")
    stack[-1].update(declared if declared is not None else _tables_read(context.compiled))


def _tables_read(compiled) -> frozenset[str]:
    """The tables a compiled statement names (kept on it: compiled statements are reused)."""
    if compiled is None:  # SQL sent as a string
        return frozenset({ANY})
    known = getattr(compiled, "_tracker_tables", None)
    if known is None:
        state = getattr(compiled, "compile_state", None)
        statement = getattr(state, "statement", None)
        if statement is None:
            statement = compiled.statement
        known = frozenset(
            t.name
            for t in find_tables(
                statement,
                check_columns=True,
                include_joins=True,
                include_selects=True,
                include_crud=True,
            )
            if isinstance(t, sa.TableClause)
        )
        if not known or any(isinstance(e, sa.TextClause) for e in visitors.iterate(statement)):
            known |= {ANY}
        compiled._tracker_tables = known
    return known


def _note(session, tables: Iterable[str], *, deleting: bool = False) -> None:
    shared: set[str] = set()
    for table in tables:
        shared |= _changed_along(table) if deleting and table != ANY else {table}
    shared -= UNSHARED_TABLES
    if shared:
        session.info.setdefault(_WROTE, set()).update(shared)


# Columns no shared result shows: a change to these alone is not a write to the table (a
# sign-in notes its time, a sign-out or a password change rotates the session token).
BOOKKEEPING_COLUMNS = {
    "user_account": frozenset({"last_login_at", "session_token", "password_hash"})
}


def _bookkeeping_only(obj) -> bool:
    """Whether this changed object changed only columns no shared result shows."""
    ignored = BOOKKEEPING_COLUMNS.get(getattr(obj, "__tablename__", ""))
    if not ignored or sa.inspect(obj).pending:
        return False
    changed = {attr.key for attr in sa.inspect(obj).attrs if attr.history.has_changes()}
    return changed <= ignored


@cache
def _mapper_tables(mapper) -> frozenset[str]:
    """The tables a flush of this class's objects may write: its own and its many-to-many
    association tables."""
    tables = {t.name for t in mapper.tables}
    tables |= {r.secondary.name for r in mapper.relationships if r.secondary is not None}
    return frozenset(tables)


def _flushed(session, flush_context):
    # Every row the flush wrote, as the unit of work saw it: also those it found orphaned
    # (a row taken out of a delete-orphan collection) and those cascades reached.
    written: set[str] = set()
    deleted: set[str] = set()
    for state, (isdelete, listonly) in flush_context.states.items():
        if listonly or (not isdelete and _bookkeeping_only(state.obj())):
            continue
        (deleted if isdelete else written).update(_mapper_tables(state.mapper))
    _note(session, written)
    _note(session, deleted, deleting=True)


def _executed(state):
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(statement, "table", None)
        _note(state.session, [getattr(table, "name", ANY)], deleting=state.is_delete)
    elif isinstance(statement, sa.TextClause) and not _reads_only(statement.text):
        _note(state.session, [ANY])  # TRUNCATE, a DELETE in plain SQL: assume anything changed


def _reads_only(sql: str) -> bool:
    words = sql.upper().split()
    if not words or words[0] not in ("SELECT", "WITH", "EXPLAIN", "PRAGMA", "SHOW"):
        return False
    # A common table expression may write (WITH … UPDATE …): only a plain read is one.
    return words[0] != "WITH" or not _WRITING.intersection(re.findall(r"[A-Z]+", sql.upper()))


_WRITING = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE"})


def _committed(session):
    if session.get_nested_transaction() is not None:
        # A savepoint released inside a transaction still open: nothing is committed yet
        # (and the outer transaction holds the write lock bump() would wait for on SQLite).
        return
    written = session.info.pop(_WROTE, None)
    if written and has_app_context():
        bump(None if ANY in written else written)


def _ended(session, transaction):
    if transaction.parent is None:  # a rolled-back transaction wrote nothing
        session.info.pop(_WROTE, None)
