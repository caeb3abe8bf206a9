"""Database connection settings that must hold on every connection."""

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


def enable_sqlite_foreign_keys() -> None:
    """SQLite checks foreign keys only when asked to, per connection: always ask."""
    global _installed
    if _installed:
        return
    event.listen(Engine, "connect", _on_connect)
    _installed = True


def _on_connect(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
