"""`flask backup`: a consistent online copy of SQLite while others write; PostgreSQL → pg_dump."""

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL
from tracker.commands.backup import backup_command
from tracker.infra.backup import (
    backup_database,
    backup_sqlite,
    pg_dump_command,
    pg_restore_command,
)
from tracker.services import DomainError

sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="copies the SQLite file the app runs on")


def database_file(app) -> Path:
    return Path(make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database)


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


class SkillWriter(threading.Thread):
    """Another connection adding skills, two per transaction, noting each commit in order."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path = path
        self.committed: list[int] = []
        self.stop = threading.Event()
        self.error: Exception | None = None

    def run(self):
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            n = 0
            while not self.stop.is_set():
                n += 1
                with conn:  # one transaction: both rows or neither
                    for half in "AB":
                        conn.execute(
                            "INSERT INTO skill (name, category) VALUES (?, 'Backup test')",
                            (f"Writer {n:05d} {half}",),
                        )
                self.committed.append(n)
                time.sleep(0.001)
        except Exception as e:  # the test reports it
            self.error = e
        finally:
            conn.close()

    def wait_for(self, commits: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.committed) < commits and time.monotonic() < deadline and not self.error:
            time.sleep(0.01)


@sqlite_only
@pytest.mark.parametrize("journal_mode", ["delete", "wal"])
def test_backup_while_another_connection_writes(app, runner, make, tmp_path, journal_mode):
    source = database_file(app)
    assert rows(source, f"PRAGMA journal_mode={journal_mode}") == [(journal_mode,)]
    clients = [make.client() for _ in range(3)]
    writer = SkillWriter(source)
    writer.start()
    try:
        writer.wait_for(50)
        committed_before = list(writer.committed)
        target = tmp_path / "backups" / "tracker.db"
        target.parent.mkdir()

        result = runner.invoke(backup_command, [str(target)])

        writer.wait_for(len(committed_before) + 20)  # it kept writing during and after the copy
    finally:
        writer.stop.set()
        writer.join(timeout=10)
    assert writer.error is None, writer.error
    assert result.exit_code == 0, result.output
    assert "integrity_check ok" in result.output
    assert f"to {target}" in result.output
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]
    assert rows(target, "PRAGMA journal_mode") == [("delete",)]  # one self-contained file
    assert sorted(p.name for p in target.parent.iterdir()) == ["tracker.db"]  # no temp files

    copied = [name for (name,) in rows(target, "SELECT name FROM skill ORDER BY name")]
    numbers = sorted({int(name.split()[1]) for name in copied})
    # Every transaction committed before the backup began is there, whole; later ones are
    # either whole too or absent, and they form an unbroken prefix: one snapshot in time.
    assert set(committed_before) <= set(numbers)
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(copied) == 2 * len(numbers)
    assert len(numbers) <= len(writer.committed)
    names = {name for (name,) in rows(target, "SELECT name FROM client")}
    assert names == {c.name for c in clients}
    source_tables = rows(source, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")
    assert rows(target, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1") == (
        source_tables
    )
    assert "  client " in result.output  # row counts per table


def small_database(path: Path) -> Path:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)")
        conn.executemany("INSERT INTO note (body) VALUES (?)", [("one",), ("two",)])
    conn.close()
    return path


def test_backup_refuses_to_overwrite_an_existing_file_unless_forced(tmp_path):
    source = small_database(tmp_path / "app.db")
    target = tmp_path / "backup.db"
    target.write_bytes(b"last night's backup")

    with pytest.raises(DomainError, match=r"backup\.db already exists; pass --force to replace it"):
        backup_sqlite(source, target)

    assert target.read_bytes() == b"last night's backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "backup.db"]

    result = backup_sqlite(source, target, force=True)

    assert result.integrity == "ok"
    assert result.row_counts == {"note": 2}
    assert result.size_bytes == target.stat().st_size
    assert rows(target, "SELECT body FROM note ORDER BY id") == [("one",), ("two",)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "backup.db"]


@sqlite_only
def test_backup_command_refuses_an_existing_file(app, runner, tmp_path):
    target = tmp_path / "backup.db"
    target.write_text("keep me")

    result = runner.invoke(backup_command, [str(target)])

    assert result.exit_code == 1
    assert "already exists; pass --force to replace it" in result.output
    assert target.read_text() == "keep me"

    result = runner.invoke(backup_command, [str(target), "--force", "--quiet"])

    assert result.exit_code == 0, result.output
    assert rows(target, "PRAGMA integrity_check") == [("ok",)]
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("problem", "message"),
    [
        ("missing source", "There is no database at"),
        ("missing folder", "does not exist"),
        ("same file", "another file than the database itself"),
    ],
)
def test_backup_refuses_what_cannot_work(tmp_path, problem, message):
    source = small_database(tmp_path / "app.db")
    target = tmp_path / "copy.db"
    if problem == "missing source":
        source = tmp_path / "nothing.db"
    elif problem == "missing folder":
        target = tmp_path / "no-such-folder" / "copy.db"
    else:
        target = source

    with pytest.raises(DomainError, match=message):
        backup_sqlite(source, target)

    assert not (tmp_path / "nothing.db").exists()  # sqlite3.connect would have created it
    assert not (tmp_path / "copy.db").exists()


def test_in_memory_database_cannot_be_backed_up(tmp_path):
    with pytest.raises(DomainError, match="in memory"):
        backup_database("sqlite://", tmp_path / "copy.db")


def test_backup_on_postgres_points_to_pg_dump_and_on_sqlite_copies(app, runner, tmp_path):
    target = tmp_path / "tracker.backup"

    result = runner.invoke(backup_command, [str(target)])

    if ON_POSTGRES:
        url = make_url(TEST_DATABASE_URL)
        assert result.exit_code == 1
        assert "runs on PostgreSQL, which `flask backup` does not copy: use pg_dump" in (
            result.output
        )
        port = f" -p {url.port}" if url.port else ""
        assert (
            f"pg_dump --format=custom -h {url.host}{port} -U {url.username} -d {url.database} "
            f"-f {target}"
        ) in result.output
        assert "pg_restore --clean --if-exists --no-owner" in result.output
        assert not target.exists()
    else:
        assert result.exit_code == 0, result.output
        assert "integrity_check ok" in result.output
        assert rows(target, "PRAGMA integrity_check") == [("ok",)]


def test_pg_dump_command_is_built_from_the_database_url_without_the_password():
    url = "postgresql+psycopg://tracker:s3cret@db.internal:6543/tracker_prod"

    dump = pg_dump_command(url, Path("/var/backups/tracker 2026.dump"))
    restore = pg_restore_command(url, Path("/var/backups/tracker 2026.dump"))

    assert dump == (
        "PGPASSWORD=… pg_dump --format=custom -h db.internal -p 6543 -U tracker -d tracker_prod "
        "-f '/var/backups/tracker 2026.dump'  (or put the password in ~/.pgpass)"
    )
    assert restore.startswith(
        "PGPASSWORD=… pg_restore --clean --if-exists --no-owner -h db.internal -p 6543 "
        "-U tracker -d tracker_prod '/var/backups/tracker 2026.dump'"
    )
    assert "s3cret" not in dump + restore
    socket_url = "postgresql+psycopg:///tracker?host=/var/run/postgresql"
    assert pg_dump_command(socket_url, Path("t.dump")) == (
        "pg_dump --format=custom -h /var/run/postgresql -d tracker -f t.dump"
    )
