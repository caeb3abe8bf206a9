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


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite rebuilds tables to change them")
def test_rebuilding_a_referenced_table_on_sqlite_keeps_every_reference(tmp_path):
    """0009 rebuilds user_account (its role CHECK changes); with foreign keys on, SQLite would
    run the ON DELETE actions of the dropped copy: notifications gone, account managers and
    authors of history forgotten."""
    app = make_app(f"sqlite:///{tmp_path / 'existing.db'}")
    with app.app_context():
        upgrade(revision="0008")
        insert = db.session.execute
        insert(sa.text(
            "INSERT INTO user_account (id, email, name, password_hash, role, is_active, "
            "session_token, created_at, updated_at) VALUES (1, 'am@agency.example', 'Ana', 'h', "
            "'account_manager', 1, 't', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ))  # fmt: skip
        insert(sa.text(
            "INSERT INTO client (id, name, country, timezone, workday_start, workday_end, "
            "account_manager_id, version_id, created_at, updated_at) VALUES (1, 'Acme', 'US', "
            "'America/New_York', '09:00:00.000000', '17:00:00.000000', 1, 1, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)"
        ))  # fmt: skip
        insert(sa.text(
            "INSERT INTO notification (user_id, kind, title, body, created_at) "
            "VALUES (1, 'review_due', 'A review is due', 'b', CURRENT_TIMESTAMP)"
        ))  # fmt: skip
        insert(sa.text(
            "INSERT INTO audit_event (actor_id, action, entity_type, changes, created_at) "
            "VALUES (1, 'client.created', 'Client', '{}', CURRENT_TIMESTAMP)"
        ))  # fmt: skip
        db.session.commit()
        db.session.remove()
        for revision in ("head", "0008", "head"):
            (upgrade if revision == "head" else downgrade)(revision=revision)
            db.session.remove()
            read = db.session.scalar
            assert read(sa.text("SELECT count(*) FROM notification")) == 1
            assert read(sa.text("SELECT account_manager_id FROM client")) == 1
            assert read(sa.text("SELECT actor_id FROM audit_event")) == 1
            triggers = db.session.scalars(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).all()
            guards = {"placement_no_double_booking_insert", "placement_no_double_booking_update"}
            assert guards <= set(triggers)  # the double-booking guard survives every rebuild
            final = [t for t in triggers if "issued_is_final" in t]  # 0011's, at head only
            assert len(final) == (12 if revision == "head" else 0)
            assert read(sa.text("PRAGMA foreign_keys")) == 1  # on again for the app
            db.session.remove()
