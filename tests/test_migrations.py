"""Migrations: up from empty, down to base, up again, and no drift from the models."""

import pytest
import sqlalchemy as sa
from flask_migrate import check, downgrade, upgrade
from sqlalchemy.engine import make_url

from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, make_app
from tests.pg_database import drop_database, ensure_database
from tracker.extensions import db


@pytest.fixture
def scratch_uri(tmp_path):
    """An empty database of its own, so the shared test database is left alone."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = make_url(TEST_DATABASE_URL)
    scratch = url.set(database=f"{url.database}_migrations").render_as_string(hide_password=False)
    drop_database(scratch)
    ensure_database(scratch)
    yield scratch
    drop_database(scratch)


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade_and_no_drift(scratch_uri):
    app = make_app(scratch_uri)
    with app.app_context():
        expected = {t.name for t in db.metadata.sorted_tables}

        upgrade()
        assert table_names() == expected
        check()  # raises when the models and the migrated schema differ

        downgrade(revision="base")
        db.engine.dispose()
        assert table_names() == set()

        upgrade()
        assert table_names() == expected
        check()
        db.engine.dispose()
