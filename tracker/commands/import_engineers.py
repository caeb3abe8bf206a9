"""`flask --app wsgi import-engineers FILE.csv [--dry-run]`: the roster from a spreadsheet."""

from pathlib import Path

import click

from tracker.services import DomainError, transaction
from tracker.services.engineer_import import (
    ImportFileError,
    apply_import,
    decode_csv,
    plan_rows,
    read_rows,
)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise click.ClickException(f"Cannot read {path}: {e.strerror or e}.") from None
    try:
        return decode_csv(data)
    except ImportFileError as e:
        raise click.ClickException(f"{path}: {e}") from None


@click.command("import-engineers")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--dry-run", is_flag=True, help="Check the file and say what would change; write nothing."
)
def import_engineers_command(csv_file: Path, dry_run: bool):
    """Create or update engineers from a CSV file: all rows or none.

    A row whose email matches an engineer updates that engineer; the others are created.
    When any row is refused, every problem is listed and nothing is written (exit code 1).
    """
    try:
        csv_rows = read_rows(_read_text(csv_file))
    except ImportFileError as e:
        raise click.ClickException(f"{csv_file}: {e}") from None
    with click.progressbar(length=len(csv_rows.rows), label="Checking rows") as bar:
        plan = plan_rows(csv_rows, progress=bar.update)
    if not plan.is_clean:
        for p in plan.problems:
            click.echo(f"row {p.row}, {p.column}: {p.reason}")
        raise click.ClickException(
            f"Nothing was imported: {plan.refused_rows} of {plan.rows} rows refused "
            f"({len(plan.problems)} problem{'' if len(plan.problems) == 1 else 's'} above)."
        )
    if dry_run:
        click.echo(plan.summary(dry_run=True))
        return
    if not plan.to_import:
        click.echo(f"Nothing to import: {plan.summary()}.")
        return
    try:
        with (
            click.progressbar(length=plan.to_import, label="Importing") as bar,
            transaction(),
        ):
            result = apply_import(plan, None, progress=bar.update)
    except DomainError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"Imported: {result.summary()}.")
