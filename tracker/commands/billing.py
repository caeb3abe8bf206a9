"""`flask invoices-draft` and `flask pay-statements-draft`: a month's drafts, for every client or
engineer with approved hours not yet on one. Running them twice creates nothing new."""

from datetime import date

import click

from tracker.services import DomainError, transaction
from tracker.services.billing import month_words, parse_month, previous_month


def _month(value: str | None) -> date:
    if value is None:
        return previous_month(date.today())
    month = parse_month(value)
    if month is None:
        raise click.BadParameter(f"'{value}' is not a month: write it as YYYY-MM, like 2026-11.")
    return month


@click.command("invoices-draft")
@click.option("--month", "month_text", help="The month to bill, YYYY-MM (default: last month).")
def invoices_draft_command(month_text: str | None) -> None:
    """Draft (or rebuild) every client's invoice for a month from its approved hours."""
    from tracker.services import invoices

    month = _month(month_text)
    try:
        with transaction():
            run = invoices.draft_month(month, actor=None)
    except DomainError as e:
        raise click.ClickException(str(e)) from None
    click.echo(
        f"{month_words(month)}: {len(run.created)} invoice drafts created, "
        f"{len(run.rebuilt)} drafts rebuilt with newly approved hours."
    )
    for invoice in [*run.created, *run.rebuilt]:
        click.echo(f"  {invoice.client.name}: ${invoice.total:,.2f} ({len(invoice.lines)} lines)")


@click.command("pay-statements-draft")
@click.option("--month", "month_text", help="The month to pay, YYYY-MM (default: last month).")
def pay_statements_draft_command(month_text: str | None) -> None:
    """Draft (or rebuild) every engineer's pay statement for a month from approved hours."""
    from tracker.services import pay_statements

    month = _month(month_text)
    try:
        with transaction():
            run = pay_statements.draft_month(month, actor=None)
    except DomainError as e:
        raise click.ClickException(str(e)) from None
    click.echo(
        f"{month_words(month)}: {len(run.created)} pay statement drafts created, "
        f"{len(run.rebuilt)} drafts rebuilt with newly approved hours."
    )
