"""`flask --app wsgi create-token`: an API token for a user, printed once for a script."""

import click
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import User
from tracker.models.api import TokenScope
from tracker.services import DomainError, api_tokens, transaction


@click.command("create-token")
@click.option("--email", required=True, help="The user the token acts as (case does not matter).")
@click.option("--name", required=True, help="What will use it, e.g. 'CRM sync'.")
@click.option(
    "--scope",
    type=click.Choice(TokenScope.values()),
    default=TokenScope.READ.value,
    show_default=True,
    help="read: GET only; write: everything the user may do.",
)
@click.option(
    "--days",
    type=int,
    help=f"Expire after this many days (1 to {api_tokens.MAX_TOKEN_DAYS}); default: never.",
)
def create_token_command(email: str, name: str, scope: str, days: int | None):
    """Create an API token and print it (only the token, on stdout): it is never shown again.

    TOKEN=$(flask --app wsgi create-token --email ops@agency.example --name "CRM sync")
    """
    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user has the email {email}.")
    try:
        with transaction():
            new = api_tokens.create_token(user, name, scope, days)
    except DomainError as e:
        raise click.ClickException(str(e)) from None
    click.echo(
        f"Created the {scope} token {new.token.name!r} for {user.email} "
        f"(prefix {new.token.prefix}); copy it now, it is not shown again.",
        err=True,
    )
    click.echo(new.secret)
