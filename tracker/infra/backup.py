"""Backups of the database: a consistent online copy of SQLite, a pg_dump hint for PostgreSQL."""

import contextlib
import os
import shlex
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from tracker.services import DomainError


@dataclass(frozen=True)
class BackupResult:
    """What a backup copied, checked on the copy itself."""

    source: Path
    target: Path
    size_bytes: int
    seconds: float
    integrity: str  # "ok", or the problems PRAGMA integrity_check found
    row_counts: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.row_counts.values())


def backup_database(database_url: str | URL, target: Path, force: bool = False) -> BackupResult:
    """Back up the app's database to target: SQLite is copied, PostgreSQL is refused."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        raise DomainError(
            "This app runs on PostgreSQL, which `flask backup` does not copy: use pg_dump, e.g.\n"
            f"  {pg_dump_command(url, target)}\n"
            f"and restore with\n  {pg_restore_command(url, target)}"
        )
    if url.get_backend_name() != "sqlite":
        raise DomainError(f"Backups of {url.get_backend_name()} databases are not supported.")
    if url.database in (None, "", ":memory:") or url.database.startswith("file::memory:"):
        raise DomainError("The database is in memory: there is no file to back up.")
    return backup_sqlite(Path(url.database), target, force=force)


def backup_sqlite(source: Path, target: Path, force: bool = False) -> BackupResult:
    """Copy a live SQLite database with the online backup API, then move it into place.

    The copy is one consistent snapshot even while the app writes: it holds every transaction
    committed before the copy began and none that was half done. It is written to a temporary
    file beside target and only renamed to target once it passes PRAGMA integrity_check, so
    target is never a half-written file.
    """
    source, target = Path(source).resolve(), Path(target).absolute()
    if not source.is_file():
        raise DomainError(f"There is no database at {source}.")  # connect() would create one
    if target == source:
        raise DomainError("The backup must go to another file than the database itself.")
    if target.is_dir():
        raise DomainError(f"{target} is a folder: give the backup's file name.")
    if not target.parent.is_dir():
        raise DomainError(f"The folder {target.parent} does not exist.")
    if target.exists() and not force:
        raise DomainError(f"{target} already exists; pass --force to replace it.")

    began = time.perf_counter()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        integrity, row_counts = _copy(source, tmp)
        if integrity != "ok":
            raise DomainError(f"The copy failed its integrity check ({integrity}); not kept.")
        _fsync(tmp)
        _move_into_place(tmp, target, force)
    finally:
        for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return BackupResult(
        source=source,
        target=target,
        size_bytes=target.stat().st_size,
        seconds=time.perf_counter() - began,
        integrity=integrity,
        row_counts=row_counts,
    )


def _copy(source: Path, tmp: Path) -> tuple[str, dict[str, int]]:
    """The online backup into tmp, as one self-contained file; its integrity and row counts."""
    src = sqlite3.connect(source, timeout=30)
    dest = sqlite3.connect(tmp)
    try:
        # All pages in one step: a single read transaction, so one consistent snapshot. (SQLite
        # retries while a writer holds its lock; WAL writers are never blocked.)
        src.backup(dest)
        dest.execute("PRAGMA journal_mode=DELETE")  # no -wal file needed beside the copy
        problems = [row[0] for row in dest.execute("PRAGMA integrity_check")]
        tables = [
            row[0]
            for row in dest.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        counts = {name: _count_rows(dest, name) for name in tables}
    finally:
        dest.close()
        src.close()
    return "; ".join(problems[:5]), counts


def _count_rows(conn: sqlite3.Connection, table: str) -> int:
    quoted = '"' + table.replace('"', '""') + '"'  # a name read from sqlite_master
    return conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]  # noqa: S608


def _move_into_place(tmp: Path, target: Path, force: bool) -> None:
    """Rename atomically; without force, never over a file that appeared in the meantime."""
    if force:
        os.replace(tmp, target)
    else:
        try:
            os.link(tmp, target)  # fails if target exists, unlike a rename
        except FileExistsError:
            raise DomainError(f"{target} already exists; pass --force to replace it.") from None
        except OSError:  # a file system without hard links
            if target.exists():
                raise DomainError(f"{target} already exists; pass --force to replace it.") from None
            os.replace(tmp, target)
    _fsync(target.parent)


def _fsync(path: Path) -> None:
    """Make a file (or a folder's entries) durable before telling anyone it is there."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) if path.is_dir() else os.O_RDONLY
    try:
        fd = os.open(path, flags)
    except OSError:
        return  # some platforms cannot open a folder; the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _pg_parts(url: URL) -> list[str]:
    """Connection options for pg_dump and pg_restore from a SQLAlchemy URL (no password)."""
    host = url.host or url.query.get("host")
    parts = []
    if host:
        parts += ["-h", str(host)]
    if url.port:
        parts += ["-p", str(url.port)]
    if url.username:
        parts += ["-U", url.username]
    return parts


def pg_dump_command(database_url: str | URL, target: Path) -> str:
    """The pg_dump command that backs up this PostgreSQL database to target (custom format)."""
    url = make_url(database_url)
    words = ["pg_dump", "--format=custom", *_pg_parts(url), "-d", url.database or "", "-f"]
    command = shlex.join([*words, str(target)])
    return _with_password_note(url, command)


def pg_restore_command(database_url: str | URL, target: Path) -> str:
    """The pg_restore command that loads such a dump back, replacing what the database holds."""
    url = make_url(database_url)
    words = ["pg_restore", "--clean", "--if-exists", "--no-owner", *_pg_parts(url)]
    command = shlex.join([*words, "-d", url.database or "", str(target)])
    return _with_password_note(url, command)


def _with_password_note(url: URL, command: str) -> str:
    if url.password:
        return f"PGPASSWORD=… {command}  (or put the password in ~/.pgpass)"
    return command
