"""`flask --app wsgi backup PATH`: a consistent copy of the SQLite database while the app runs."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from tracker.extensions import db
from tracker.infra.backup import backup_database
from tracker.services import DomainError


def _size(n: int) -> str:
    """1536 → "1.5 KB"."""
    if n < 1024:
        return f"{n} bytes"
    value, unit = n / 1024, "KB"
    for bigger in ("MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it already exists.")
@click.option("--quiet", is_flag=True, help="Print one line, not the row counts (for cron).")
@with_appcontext
def backup_command(path: Path, force: bool, quiet: bool):
    """Copy the SQLite database to PATH, consistently, while the app keeps running.

    Uses SQLite's online backup API, checks the copy with PRAGMA integrity_check and only then
    renames it to PATH. On PostgreSQL it refuses and prints the pg_dump command to use instead.
    """
    try:
        result = backup_database(db.engine.url, path, force=force)
    except DomainError as e:
        raise click.ClickException(str(e)) from None
    click.echo(
        f"Backed up {result.source} to {result.target}: {_size(result.size_bytes)}, "
        f"{len(result.row_counts)} tables, {result.total_rows} rows, "
        f"integrity_check {result.integrity}, in {result.seconds:.2f} s."
    )
    if not quiet:
        width = max((len(name) for name in result.row_counts), default=0)
        for name, count in result.row_counts.items():
            click.echo(f"  {name:<{width}}  {count:>9}")
