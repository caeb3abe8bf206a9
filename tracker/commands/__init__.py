"""Command-line tasks: `flask --app wsgi create-user`, `seed-demo`, `create-token`, …"""

import click
import sqlalchemy as sa
from flask import Flask

from tracker.commands.api import create_token_command
from tracker.commands.backup import backup_command
from tracker.commands.billing import invoices_draft_command, pay_statements_draft_command
from tracker.commands.import_engineers import import_engineers_command
from tracker.commands.mail import requeue_mail_command, send_mail_command
from tracker.commands.serve import serve_command
from tracker.extensions import db
from tracker.models import Client, Engineer
from tracker.models.enums import Role
from tracker.services import DomainError, users
from tracker.text import day


@click.command("create-user")
@click.option("--email", required=True, help="Sign-in email (case does not matter).")
@click.option("--name", required=True, help="The person's full name.")
@click.option("--role", required=True, type=click.Choice(Role.values()), help="What they may do.")
@click.option("--client", "client_name", help="The client company (required for --role client).")
@click.option(
    "--engineer",
    "engineer_email",
    help="The roster engineer's email (required for --role engineer).",
)
@click.password_option(
    "--password",
    prompt="Password (at least 12 characters)",
    help="Asked for when not given; prefer the prompt, which keeps it out of shell history.",
)
def create_user_command(
    email: str,
    name: str,
    role: str,
    client_name: str | None,
    engineer_email: str | None,
    password: str,
):
    """Create a user who can sign in."""
    client = engineer = None
    if client_name:
        client = db.session.scalar(sa.select(Client).where(Client.name == client_name))
        if client is None:
            raise click.ClickException(f"No client is named {client_name!r}.")
    if engineer_email:
        engineer = db.session.scalar(
            sa.select(Engineer).where(Engineer.email == engineer_email.strip().lower())
        )
        if engineer is None:
            raise click.ClickException(f"No engineer of the roster has the email {engineer_email}.")
    try:
        user = users.create_user(
            email=email, name=name, role=role, password=password, client=client, engineer=engineer
        )
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        raise click.ClickException(str(e)) from None
    click.echo(f"Created {user.role_label.lower()} {user.email}.")


@click.command("seed-demo")
@click.option("--seed", default=2026, show_default=True, help="Random seed: same seed, same data.")
@click.option("--engineers", default=150, show_default=True, help="How many engineers.")
@click.option("--clients", default=8, show_default=True, help="How many client companies.")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (quietly) when the database already has users."
)
@click.option(
    "--reset", is_flag=True, help="Delete every row first (asks unless --yes), then seed afresh."
)
@click.option("--yes", is_flag=True, help="Do not ask before --reset deletes data.")
@click.option(
    "--scale",
    type=click.Choice(["demo", "large"]),
    default="demo",
    show_default=True,
    help="large: 100,000 engineers, 5,000 clients, 50,000 placements, 500,000 reviews "
    "(tracker/demo/large.py; a few minutes).",
)
def seed_demo_command(
    seed: int, engineers: int, clients: int, if_empty: bool, reset: bool, yes: bool, scale: str
):
    """Load realistic, deterministic demo data (idempotent) and print the demo logins."""
    from tracker.demo import data as demo_data

    if engineers < 1 or clients < 1:
        raise click.BadParameter("--engineers and --clients must be at least 1.")
    if scale == "large":
        _refuse_sizes_with_large_scale()
    if if_empty and demo_data.database_has_users():
        click.echo("The database already has users; demo data not loaded.")
        return
    if reset:
        if not yes:
            click.confirm("Delete every row in the database before seeding?", abort=True)
        demo_data.wipe()
    if scale == "large":
        result = _seed_large(seed)
    else:
        result = demo_data.seed(seed=seed, engineers=engineers, clients=clients)
        db.session.commit()
    click.echo(result.summary())
    click.echo("")
    click.echo("Demo logins (password for all: " + result.password + ")")
    for role, email, client_name in result.logins:
        suffix = f" — {client_name}" if client_name else ""
        click.echo(f"  {role:<16} {email}{suffix}")


def _refuse_sizes_with_large_scale() -> None:
    """--engineers and --clients are the demo's sizes; the large scale has its own."""
    ctx = click.get_current_context()
    for name in ("engineers", "clients"):
        if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE:
            raise click.BadParameter(f"--{name} does not apply to --scale large.")


def _seed_large(seed: int):
    """The agency-scale data set of the benchmarks, committed, with planner statistics."""
    from tracker.demo import large

    try:
        result = large.seed(seed=seed)
    except large.NotEmpty as e:
        db.session.rollback()
        raise click.ClickException(str(e)) from None
    db.session.commit()
    large.analyze()
    return result


@click.command("placements-daily")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Run as on this day (default: today).",
)
def placements_daily_command(today):
    """Start placements on their start date, complete those past their end date, refresh health.

    Run once a day (cron); safe to run more often.
    """
    from datetime import date

    from tracker.services import placements, transaction

    run_on = today.date() if today else date.today()
    with transaction():
        outcome = placements.run_daily(run_on)
    click.echo(
        f"{day(run_on)}: {outcome['activated']} activated, {outcome['completed']} completed, "
        f"{outcome['refreshed']} live placements checked, "
        f"{outcome['rates_applied']} new rates in effect, "
        f"{outcome['reviews_announced']} due reviews announced to clients, "
        f"{outcome['timesheets_auto_approved']} timesheets approved automatically, "
        f"{outcome['timesheet_reminders']} timesheet reminders sent."
    )


def register(app: Flask) -> None:
    """Add the commands to `flask`."""
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(placements_daily_command)
    app.cli.add_command(send_mail_command)
    app.cli.add_command(requeue_mail_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(import_engineers_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(invoices_draft_command)
    app.cli.add_command(pay_statements_draft_command)
    app.cli.add_command(create_token_command)
