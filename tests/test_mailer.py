"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1): sent, retried, given up."""

import contextlib
import logging
import socket
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa
import time_machine
from aiosmtpd.controller import Controller

from tests.conftest import ON_POSTGRES, make_app
from tracker.extensions import db
from tracker.infra import mailer
from tracker.models import OutboxEmail
from tracker.services import notifications

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


class Collector:
    """An aiosmtpd handler that keeps what it receives and refuses the addresses it is told."""

    def __init__(self):
        self.received = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def smtp_server(port: int):
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ready_timeout=5)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def mail_app(app, database_uri, port):
    """An app whose SMTP server is 127.0.0.1:port (up or not, as the test decides).

    Its context is pushed over the `app` fixture's, so factories and services use it.
    """
    app = make_app(
        database_uri,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
        MAIL_USE_TLS=False,
        MAIL_TIMEOUT=2,
        MAIL_DEFAULT_SENDER="Engagement Tracker <tracker@agency.example>",
        APP_BASE_URL="https://tracker.agency.example",
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def queue_one(make, **kw) -> OutboxEmail:
    """A notification with its e-mail, committed as an event's transaction would be."""
    user = kw.pop("user", None) or make.user(name="João Silva", email="joao@client.example")
    defaults = dict(
        kind="proposal_waiting",
        title="Proposal waiting: Ana Souza",
        body="Ana Souza is proposed for ML engineer (Python 5, PyTorch 4).",
        link="/portal/proposals/7",
    )
    (notification,) = notifications.notify([user], **{**defaults, **kw})
    db.session.commit()
    return db.session.scalar(
        sa.select(OutboxEmail).where(OutboxEmail.notification_id == notification.id)
    )


def fresh(email: OutboxEmail) -> OutboxEmail:
    db.session.expire_all()
    return db.session.get(OutboxEmail, email.id)


def test_a_due_email_reaches_the_smtp_server_and_is_marked_sent(mail_app, make, port):
    email = queue_one(make)
    with smtp_server(port) as server:
        outcome = mailer.deliver_outbox()

    assert outcome == {"sent": 1, "retrying": 0, "failed": 0}
    ((mail_from, rcpt_tos, message),) = server.received
    assert mail_from == "tracker@agency.example"
    assert rcpt_tos == ["joao@client.example"]
    assert message["To"] == "João Silva <joao@client.example>"
    assert message["From"] == "Engagement Tracker <tracker@agency.example>"
    assert message["Subject"] == "[Engagement Tracker] Proposal waiting: Ana Souza"
    assert message["Message-ID"].startswith(f"<outbox-{email.id}-")
    body = message.get_content()
    assert "Ana Souza is proposed for ML engineer (Python 5, PyTorch 4)." in body
    assert "https://tracker.agency.example/portal/proposals/7" in body
    sent = fresh(email)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 0, None)
    assert sent.sent_at is not None
    # Nothing is sent twice.
    assert mailer.deliver_outbox() == {"sent": 0, "retrying": 0, "failed": 0}


def test_oldest_first_and_at_most_a_batch(mail_app, make, port):
    user = make.user()
    emails = []
    for i in range(3):
        with time_machine.travel(T0 + timedelta(minutes=i), tick=False):
            emails.append(queue_one(make, user=user, title=f"Event {i}", key=f"e{i}"))
    with time_machine.travel(T0 + timedelta(hours=1), tick=False), smtp_server(port) as server:
        assert mailer.deliver_outbox(batch=2)["sent"] == 2
        assert [m["Subject"] for _, _, m in server.received] == [
            "[Engagement Tracker] Event 0",
            "[Engagement Tracker] Event 1",
        ]
        assert mailer.deliver_outbox(batch=2)["sent"] == 1
    assert fresh(emails[2]).status == "sent"


def test_a_failed_delivery_is_retried_later_with_back_off(mail_app, make, port):
    with time_machine.travel(T0, tick=False):
        email = queue_one(make)
        # Nothing listens on the port yet: the connection is refused.
        assert mailer.deliver_outbox() == {"sent": 0, "retrying": 1, "failed": 0}
    waiting = fresh(email)
    assert waiting.status == "pending"
    assert waiting.attempts == 1
    assert "ConnectionRefusedError" in waiting.last_error
    assert waiting.next_attempt_at == T0 + timedelta(minutes=1)

    with smtp_server(port) as server:
        with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
            assert mailer.deliver_outbox()["sent"] == 0  # not due yet
        assert server.received == []
        with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
            assert mailer.deliver_outbox() == {"sent": 1, "retrying": 0, "failed": 0}

    assert len(server.received) == 1
    delivered = fresh(email)
    assert (delivered.status, delivered.attempts) == ("sent", 1)
    assert delivered.sent_at == T0 + timedelta(minutes=2)


def test_a_server_that_is_down_costs_one_attempt_per_round_not_one_per_email(mail_app, make, port):
    user = make.user()
    first = queue_one(make, user=user, key="first")
    second = queue_one(make, user=user, key="second")

    assert mailer.deliver_outbox() == {"sent": 0, "retrying": 1, "failed": 0}
    assert (fresh(first).attempts, fresh(second).attempts) == (1, 0)

    with smtp_server(port) as server:
        assert mailer.deliver_outbox()["sent"] == 1  # the second, due; the first waits
        assert len(server.received) == 1
    assert (fresh(first).status, fresh(second).status) == ("pending", "sent")


def test_back_off_grows_then_stays_at_its_longest():
    waits = [mailer.backoff(n) for n in range(1, 9)]
    assert waits[:5] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=30),
        timedelta(hours=2),
        timedelta(hours=12),
    ]
    assert waits[5:] == [timedelta(hours=24)] * 3


def test_gives_up_after_max_attempts_keeps_the_email_and_requeue_sends_it(
    mail_app, make, port, runner
):
    mail_app.config["MAIL_MAX_ATTEMPTS"] = 3
    email = queue_one(make)
    now = datetime.now(UTC)
    outcomes = [mailer.deliver_outbox(now=now + timedelta(days=day)) for day in range(4)]

    assert [o["retrying"] for o in outcomes] == [1, 1, 0, 0]
    assert [o["failed"] for o in outcomes] == [0, 0, 1, 0]
    failed = fresh(email)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert "ConnectionRefusedError" in failed.last_error

    result = mail_app.test_cli_runner().invoke(args=["requeue-mail"])
    assert result.exit_code == 0, result.output
    assert "1 e-mail put back in the queue." in result.output
    requeued = fresh(email)
    assert (requeued.status, requeued.attempts) == ("pending", 0)

    with smtp_server(port) as server:
        assert mailer.deliver_outbox()["sent"] == 1
    assert len(server.received) == 1
    assert fresh(email).status == "sent"


def test_a_recipient_refused_for_good_fails_at_once(mail_app, make, port):
    email = queue_one(make)
    with smtp_server(port) as server:
        server.refuse.add("joao@client.example")
        assert mailer.deliver_outbox() == {"sent": 0, "retrying": 0, "failed": 1}
    failed = fresh(email)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "550" in failed.last_error
    assert mailer.requeue_failed([email.id]) == 1


def test_one_bad_message_does_not_hold_up_the_others(mail_app, make, port):
    refused = queue_one(make, user=make.user(email="gone@client.example"))
    good = queue_one(make, key="good")
    with smtp_server(port) as server:
        server.refuse.add("gone@client.example")
        assert mailer.deliver_outbox() == {"sent": 1, "retrying": 0, "failed": 1}
    assert [rcpt for _, rcpt, _ in server.received] == [["joao@client.example"]]
    assert (fresh(refused).status, fresh(good).status) == ("failed", "sent")


def test_starttls_required_but_not_offered_is_a_failure_not_plain_text(mail_app, make, port):
    mail_app.config["MAIL_USE_TLS"] = True
    email = queue_one(make)
    with smtp_server(port) as server:
        assert mailer.deliver_outbox()["retrying"] == 1
    assert server.received == []
    assert "STARTTLS" in fresh(email).last_error


class CrashAfterSending:
    """Hands the message to the real server, then the process dies before marking it sent."""

    name = "smtp"

    def __init__(self, config):
        self.inner = mailer.SMTPTransport(config)

    def send(self, message):
        self.inner.send(message)
        raise KeyboardInterrupt  # like a worker killed at the worst moment

    def close(self):
        self.inner.close()


def test_a_crash_between_sending_and_marking_sends_twice_never_drops(mail_app, make, port):
    email = queue_one(make)
    with smtp_server(port) as server:
        with pytest.raises(KeyboardInterrupt):
            mailer.deliver_outbox(transport=CrashAfterSending(mail_app.config))
        assert fresh(email).status == "pending"  # not lost
        assert mailer.deliver_outbox()["sent"] == 1
    assert len(server.received) == 2  # at worst twice
    assert fresh(email).status == "sent"


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks: PostgreSQL only (SQLite has one writer)")
def test_a_row_another_worker_holds_is_skipped_not_sent_twice(mail_app, make, port, database_uri):
    user = make.user()
    taken = queue_one(make, user=user, key="taken")
    free = queue_one(make, user=user, key="free")
    other_worker = sa.create_engine(database_uri)
    try:
        with other_worker.connect() as conn, conn.begin():
            conn.execute(
                sa.text("SELECT id FROM outbox_email WHERE id = :id FOR UPDATE"), {"id": taken.id}
            )
            with smtp_server(port) as server:
                assert mailer.deliver_outbox()["sent"] == 1
            assert len(server.received) == 1
            assert (fresh(taken).status, fresh(free).status) == ("pending", "sent")
    finally:
        other_worker.dispose()


def test_without_mail_server_the_log_transport_marks_sent(database_uri, make, caplog):
    app = make_app(database_uri)  # no MAIL_SERVER
    with app.app_context():
        email = queue_one(make)
        caplog.set_level(logging.INFO, logger=app.logger.name)
        assert mailer.deliver_outbox() == {"sent": 1, "retrying": 0, "failed": 0}
        assert fresh(email).status == "sent"
        logged = "\n".join(r.getMessage() for r in caplog.records)
        assert "To: João Silva <joao@client.example>" in logged
        assert "Ana Souza is proposed for ML engineer" in logged
        assert "/portal/proposals/7" in logged
        db.session.remove()
        db.engine.dispose()


def test_deliver_refuses_to_commit_someone_elses_pending_changes(mail_app, make):
    user = make.user()
    user.name = "Changed, not committed"
    with pytest.raises(RuntimeError, match="commit or roll back first"):
        mailer.deliver_outbox()
    db.session.rollback()


def test_send_mail_command_delivers_what_is_due(mail_app, make, port):
    user = make.user()
    queue_one(make, user=user)
    queue_one(make, user=user, key="second")
    runner = mail_app.test_cli_runner()
    with smtp_server(port) as server:
        result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "2 sent, 0 to retry later, 0 given up." in result.output
    assert len(server.received) == 2


def test_send_mail_loop_runs_until_stopped(mail_app, make, port, monkeypatch):
    queue_one(make)
    naps = []

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("tracker.commands.mail.time.sleep", sleep)
    with smtp_server(port) as server:
        result = mail_app.test_cli_runner().invoke(args=["send-mail", "--loop", "--interval", "5"])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 to retry later, 0 given up." in result.output
    assert "Stopped." in result.output
    assert naps == [5, 5]
    assert len(server.received) == 1


def test_send_mail_says_when_it_only_logs(runner, make):
    queue_one(make)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "MAIL_SERVER is not set" in result.output
    assert "1 sent" in result.output
