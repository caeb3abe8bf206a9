"""`flask --app wsgi send-mail [--loop]` and `requeue-mail`: the outbox from a shell.

send-mail is the one outbox worker: each round sends the due e-mails, then the due webhook
deliveries (tracker/infra/webhook_sender.py).
"""

import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from tracker.extensions import db
from tracker.infra import mailer, webhook_sender
from tracker.services import transaction


def _summary(outcome: dict) -> str:
    return (
        f"{outcome['sent']} sent, {outcome['retrying']} to retry later, "
        f"{outcome['failed']} given up."
    )


def _webhook_summary(outcome: dict) -> str:
    return (
        f"Webhooks: {outcome['delivered']} delivered, {outcome['retrying']} to retry later, "
        f"{outcome['failed']} given up."
    )


def _round(batch: int) -> tuple[dict, dict]:
    """One round of the worker: the due e-mails, then the due webhook deliveries."""
    return mailer.deliver_outbox(batch=batch), webhook_sender.deliver_webhooks(batch=batch)


@click.command("send-mail")
@click.option("--loop", is_flag=True, help="Keep running: send what is due every --interval.")
@click.option(
    "--interval",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds between rounds with --loop.",
)
@click.option(
    "--batch", default=50, show_default=True, type=click.IntRange(min=1), help="Most per round."
)
@with_appcontext
def send_mail_command(loop: bool, interval: float, batch: int):
    """Send the e-mails and webhook deliveries that are due (once, or forever with --loop).

    Failed attempts are retried later with growing waits; after MAIL_MAX_ATTEMPTS an e-mail is
    marked failed and kept (see requeue-mail), after WEBHOOK_MAX_ATTEMPTS a webhook delivery
    (retry it from its endpoint's page). Without MAIL_SERVER, e-mails go to the log.
    """
    transport = mailer.transport_for().name
    if transport == "log":
        click.echo("MAIL_SERVER is not set: e-mails are written to the log, not sent.")
    if not loop:
        mail, hooks = _round(batch)
        click.echo(_summary(mail))
        click.echo(_webhook_summary(hooks))
        return
    click.echo(f"Sending e-mail every {interval:g} s ({transport}); Ctrl+C stops.")
    try:
        while True:
            try:
                outcome, hooks = _round(batch)
            except SQLAlchemyError:
                # The database may come back: log, and try again next round.
                db.session.rollback()
                current_app.logger.exception("send-mail: the outbox could not be read")
                outcome, hooks = {}, {}
            if any(outcome.values()):
                click.echo(_summary(outcome))
            if any(hooks.values()):
                click.echo(_webhook_summary(hooks))
            if sum(outcome.values()) >= batch or sum(hooks.values()) >= batch:
                continue  # a full round: more may be waiting
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("Stopped.")


@click.command("requeue-mail")
@click.option("--id", "ids", type=int, multiple=True, help="Only this e-mail (repeatable).")
@with_appcontext
def requeue_mail_command(ids: tuple[int, ...]):
    """Put e-mails that were given up on back in the queue, with a fresh set of attempts."""
    with transaction():
        count = mailer.requeue_failed(ids or None)
    click.echo(f"{count} e-mail{'s' if count != 1 else ''} put back in the queue.")
    counts = mailer.queue_counts()
    click.echo(
        f"Queue: {counts['pending']} pending, {counts['sent']} sent, {counts['failed']} failed."
    )
