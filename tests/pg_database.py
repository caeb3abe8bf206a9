"""Create the PostgreSQL test database when missing: `python -m tests.pg_database ensure`."""

import os
import sys

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tracker_test"


def ensure_database(url: str) -> None:
    """Create the database named in url on its server if it does not exist yet."""
    target = make_url(url)
    server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        server.dispose()


def drop_database(url: str) -> None:
    """Drop the database named in url, ending its connections first."""
    target = make_url(url)
    server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        server.dispose()


if __name__ == "__main__":
    if sys.argv[1:] != ["ensure"]:
        sys.exit("usage: python -m tests.pg_database ensure")
    ensure_database(os.environ.get("TEST_DATABASE_URL", DEFAULT_URL))
