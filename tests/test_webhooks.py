"""Webhooks (issue 16): events written by the services, sent by the outbox worker to a real
receiver on loopback, signed, retried with back-off; and the staff pages that register them."""

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.infra import webhook_sender
from tracker.models import WebhookDelivery, WebhookEndpoint, db, utcnow
from tracker.services import (
    DomainError,
    invoices,
    placements,
    proposals,
    reviews,
    timesheets,
    transaction,
    webhooks,
)
from tracker.services.placements import PlacementInput
from tracker.services.timesheets import EntryInput, week_of

TODAY = date.today()
README = Path(__file__).resolve().parent.parent / "README.md"


def readme_verifier():
    """verify_signature exactly as the README's "Webhooks" section prints it."""
    section = README.read_text(encoding="utf-8").split("### Webhooks", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)[1]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 (our own documentation)
    return namespace["verify_signature"]


verify_signature = readme_verifier()


# --- a receiver on loopback -----------------------------------------------------------------------


class Receiver:
    """An HTTP server that answers the statuses queued (then 200) and keeps what it got."""

    def __init__(self):
        self.answers: list[int] = []
        self.received: list[dict] = []
        self.secret: str | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                signature = self.headers.get("X-Tracker-Signature", "")
                receiver.received.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                        "verified": receiver.secret is not None
                        and verify_signature(receiver.secret, signature, body),
                    }
                )
                status = receiver.answers.pop(0) if receiver.answers else 200
                text = f"answer {status} from the receiver".encode()
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/tracker"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
        thread.join(5)


def closed_port_url() -> str:
    """A loopback URL where nothing listens: the connection is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/nobody"


def register(make, url, events=tuple(webhooks.EVENTS), *, active=True) -> webhooks.NewEndpoint:
    with transaction():
        new = webhooks.create_endpoint(url, events, make.user(role="admin"))
    if not active:
        with transaction():
            webhooks.update_endpoint(
                new.endpoint, events, make.user(), description=None, is_active=False
            )
    return new


def deliveries(endpoint=None) -> list[WebhookDelivery]:
    stmt = sa.select(WebhookDelivery).order_by(WebhookDelivery.id)
    if endpoint is not None:
        stmt = stmt.where(WebhookDelivery.endpoint_id == endpoint.id)
    return list(db.session.scalars(stmt))


def shortlisted(make):
    """A new proposal, committed (proposal.created emitted)."""
    with transaction():
        return proposals.shortlist(make.request(), make.engineer(), make.user())


# --- sending --------------------------------------------------------------------------------------


def test_a_failed_delivery_is_retried_after_its_backoff_and_its_signature_verifies(make, receiver):
    new = register(make, receiver.url, ["proposal.created"])
    receiver.secret = new.secret
    receiver.answers = [500]
    proposal = shortlisted(make)
    [delivery] = deliveries()
    start = utcnow()

    assert webhook_sender.deliver_webhooks(now=start) == {
        "delivered": 0,
        "retrying": 1,
        "failed": 0,
    }
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_response == "answer 500 from the receiver"
    assert "500" in delivery.last_error
    assert delivery.next_attempt_at == start + timedelta(minutes=1)

    # Not yet due: nothing is sent.
    assert webhook_sender.deliver_webhooks(now=start + timedelta(seconds=59))["retrying"] == 0
    assert len(receiver.received) == 1

    later = start + timedelta(minutes=1)
    assert webhook_sender.deliver_webhooks(now=later)["delivered"] == 1
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)
    assert delivery.delivered_at == later
    assert delivery.last_error is None

    first, second = receiver.received
    assert first["body"] == second["body"] == delivery.payload.encode()  # the same, byte for byte
    assert first["verified"]
    assert second["verified"]
    headers = second["headers"]
    body = json.loads(second["body"])
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "EngagementTracker-Webhooks/1"
    assert headers["X-Tracker-Event"] == "proposal.created"
    assert headers["X-Tracker-Delivery"] == body["id"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", headers["X-Tracker-Signature"])
    assert body["event"] == "proposal.created"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["created_at"])
    assert body["data"] == {
        "proposal_id": proposal.id,
        "request_id": proposal.request_id,
        "client_id": proposal.request.client_id,
        "engineer_id": proposal.engineer_id,
        "status": "shortlisted",
        "decline_reason": None,
        "decided_at": None,
    }

    # Delivered: never sent again.
    assert webhook_sender.deliver_webhooks(now=later + timedelta(days=1))["delivered"] == 0
    assert len(receiver.received) == 2


def test_the_signature_does_not_verify_with_another_secret_a_changed_body_or_when_old(make):
    secret = "s" * 64
    body = '{"id":"1"}'
    header = webhook_sender.signature(secret, int(utcnow().timestamp()), body)
    assert verify_signature(secret, header, body.encode())
    assert not verify_signature("x" * 64, header, body.encode())
    assert not verify_signature(secret, header, b'{"id":"2"}')
    old = webhook_sender.signature(secret, int(utcnow().timestamp()) - 301, body)
    assert not verify_signature(secret, old, body.encode())
    assert not verify_signature(secret, "nonsense", body.encode())


def test_a_delivery_is_given_up_after_the_most_attempts_and_retried_from_its_page(
    app, make, receiver, client, auth
):
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    new = register(make, receiver.url, ["proposal.created"])
    receiver.answers = [503, 503, 503]
    shortlisted(make)
    [delivery] = deliveries()
    moment = utcnow()
    waits = []
    for _ in range(3):
        webhook_sender.deliver_webhooks(now=moment)
        db.session.refresh(delivery)
        waits.append(delivery.next_attempt_at - moment)
        moment = delivery.next_attempt_at
    assert (delivery.status, delivery.attempts) == ("failed", 3)
    assert waits[:2] == [timedelta(minutes=1), timedelta(minutes=5)]
    assert webhook_sender.deliver_webhooks(now=moment + timedelta(days=30))["failed"] == 0

    auth.login_as("account_manager")
    page = client.get(f"/webhooks/{new.endpoint.id}").text
    retry_url = f"/webhooks/{new.endpoint.id}/deliveries/{delivery.id}/retry"
    assert f'action="{retry_url}"' in page
    assert "Retry now" in page
    assert "HTTP 503" in page
    assert client.post(retry_url).status_code == 302
    db.session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert webhook_sender.deliver_webhooks()["delivered"] == 1
    assert len(receiver.received) == 4


def test_no_connection_and_redirects_are_failures_and_a_failing_endpoint_waits_its_turn(
    make, receiver
):
    down = register(make, closed_port_url(), ["proposal.created"])
    moved = register(make, receiver.url + "/moved", ["proposal.created"])
    good = register(make, receiver.url, ["proposal.created"])
    receiver.answers = [302]  # the first request it gets is the "moved" endpoint's
    shortlisted(make)
    shortlisted(make)

    outcome = webhook_sender.deliver_webhooks()

    # The endpoint that is down and the one that redirects: one attempt each this round.
    assert outcome == {"delivered": 2, "retrying": 2, "failed": 0}
    refused = [d for d in deliveries(down.endpoint) if d.attempts]
    assert len(refused) == 1
    assert refused[0].last_status_code is None
    assert "refused" in refused[0].last_error.lower()
    assert [d.attempts for d in deliveries(down.endpoint)] == [1, 0]
    redirected = [d for d in deliveries(moved.endpoint) if d.attempts]
    assert [d.last_status_code for d in redirected] == [302]
    assert {d.status for d in deliveries(good.endpoint)} == {"delivered"}
    assert not any("elsewhere" in r["path"] for r in receiver.received)  # never followed


def test_an_inactive_endpoints_queued_deliveries_wait_until_it_is_active(make, receiver):
    new = register(make, receiver.url, ["proposal.created"])
    shortlisted(make)
    with transaction():
        webhooks.update_endpoint(
            new.endpoint, ["proposal.created"], make.user(), description=None, is_active=False
        )
    assert webhook_sender.deliver_webhooks()["delivered"] == 0
    assert receiver.received == []
    with transaction():
        webhooks.update_endpoint(
            new.endpoint, ["proposal.created"], make.user(), description=None, is_active=True
        )
    assert webhook_sender.deliver_webhooks()["delivered"] == 1


def test_the_outbox_command_sends_webhooks_too(make, receiver, runner):
    register(make, receiver.url, ["proposal.created"])
    shortlisted(make)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "Webhooks: 1 delivered, 0 to retry later, 0 given up." in result.output
    assert len(receiver.received) == 1


# --- events from the services ---------------------------------------------------------------------


def events_of(endpoint) -> list[str]:
    return [d.event for d in deliveries(endpoint)]


def data_of(delivery: WebhookDelivery) -> dict:
    return json.loads(delivery.payload)["data"]


def test_an_event_goes_once_to_each_active_endpoint_subscribed_to_it(make, count_queries):
    proposals_only = register(make, "http://127.0.0.1:9/a", ["proposal.created"])
    both = register(make, "http://127.0.0.1:9/b", ["proposal.created", "placement.created"])
    placements_only = register(make, "http://127.0.0.1:9/c", ["placement.created"])
    inactive = register(make, "http://127.0.0.1:9/d", ["proposal.created"], active=False)

    with count_queries() as counter:
        assert webhooks.emit("proposal.created", {"proposal_id": 1}) == 2
    assert counter.count == 1  # one SELECT of the endpoints, whatever their number
    db.session.commit()

    assert events_of(proposals_only.endpoint) == ["proposal.created"]
    assert events_of(both.endpoint) == ["proposal.created"]
    assert events_of(placements_only.endpoint) == []
    assert events_of(inactive.endpoint) == []
    ids = {json.loads(d.payload)["id"] for d in deliveries()}
    assert len(ids) == 2  # each delivery its own id
    with pytest.raises(ValueError, match="not a webhook event"):
        webhooks.emit("proposal.exploded", {})


def test_a_refused_change_emits_nothing(make):
    new = register(make, "http://127.0.0.1:9/a", ["proposal.created"])
    proposal = shortlisted(make)
    with pytest.raises(DomainError), transaction():
        proposals.shortlist(proposal.request, proposal.engineer, make.user())
    assert events_of(new.endpoint) == ["proposal.created"]


def test_proposals_and_placements_emit_their_events(make):
    new = register(make, "http://127.0.0.1:9/all")
    am = make.user()
    proposal = shortlisted(make)
    for target in ("proposed", "interviewing", "accepted"):
        with transaction():
            proposals.move_proposal(proposal, target, am)
    declined = make.proposal(request=make.request(), status="proposed")
    with transaction():
        proposals.move_proposal(declined, "declined", am, reason="rate")
    with transaction():
        placement = placements.create_placement(
            proposal,
            PlacementInput(TODAY - timedelta(days=3), None, Decimal("95.00"), Decimal("60.00"), 14),
            am,
            today=TODAY,
        )
    with transaction():
        placements.end_placement(placement, "client_ended", am, today=TODAY)

    assert events_of(new.endpoint) == [
        "proposal.created",
        "proposal.decided",
        "proposal.decided",
        "placement.created",
        "placement.ended",
    ]
    sent = deliveries(new.endpoint)
    assert [data_of(d)["status"] for d in sent[1:3]] == ["accepted", "declined"]
    assert data_of(sent[2])["decline_reason"] == "rate"
    created, ended = data_of(sent[3]), data_of(sent[4])
    assert created["placement_id"] == placement.id
    assert created["proposal_id"] == proposal.id
    assert (created["client_id"], created["engineer_id"]) == (
        placement.client_id,
        placement.engineer_id,
    )
    assert created["start_date"] == (TODAY - timedelta(days=3)).isoformat()
    assert (ended["status"], ended["end_reason"]) == ("ended", "client_ended")
    for delivery in sent:  # staff-registered, but still: no rates or margins
        assert not [key for key in data_of(delivery) if "rate" in key or "margin" in key]


def test_reviews_emit_review_submitted(make):
    new = register(make, "http://127.0.0.1:9/reviews", ["review.submitted"])
    placement = make.placement(start=TODAY - timedelta(days=30), review_cadence_days=14)
    with transaction():
        review = reviews.submit_review(
            placement, 1, reviews.ReviewInput(5, 4, 5, 4, True), make.user(), today=TODAY
        )
    [delivery] = deliveries(new.endpoint)
    assert delivery.event == "review.submitted"
    assert data_of(delivery) | {"period_start": None, "period_end": None} == {
        "review_id": review.id,
        "placement_id": placement.id,
        "client_id": placement.client_id,
        "engineer_id": placement.engineer_id,
        "iteration": 1,
        "period_start": None,
        "period_end": None,
        "overall": 4.5,
        "would_continue": True,
    }


def test_timesheets_emit_submitted_and_decided_including_automatic_approval(make):
    new = register(make, "http://127.0.0.1:9/hours", ["timesheet.submitted", "timesheet.decided"])
    placement = make.placement(start=TODAY - timedelta(weeks=10))
    engineer_user = make.user(role="engineer", engineer=placement.engineer)
    client_user = make.user(role="client", client=placement.request.client)
    weeks = [week_of(TODAY) - timedelta(days=7 * n) for n in (3, 2, 1)]
    sheets = []
    for week in weeks:
        entries = [EntryInput(week + timedelta(days=k), Decimal("8")) for k in range(5)]
        with transaction():
            sheet = timesheets.save_week(placement, week, entries, engineer_user, today=TODAY)
        with transaction():
            timesheets.submit(sheet, engineer_user, today=TODAY)
        sheets.append(sheet)
    with transaction():
        timesheets.approve(sheets[0], client_user, today=TODAY)
    with transaction():
        timesheets.reject(sheets[1], client_user, "Tuesday was a holiday", today=TODAY)
    sheets[2].submitted_at = utcnow() - timedelta(days=30)
    db.session.commit()
    with transaction():
        assert timesheets.auto_approve_due(TODAY) == 1

    sent = deliveries(new.endpoint)
    assert [d.event for d in sent] == ["timesheet.submitted"] * 3 + ["timesheet.decided"] * 3
    decided = [data_of(d) for d in sent[3:]]
    assert [(d["timesheet_id"], d["status"]) for d in decided] == [
        (sheets[0].id, "approved"),
        (sheets[1].id, "rejected"),
        (sheets[2].id, "approved"),
    ]
    assert [d["approved_automatically"] for d in decided] == [False, False, True]
    assert decided[0]["total_hours"] == "40.00"
    assert decided[0]["week_start"] == weeks[0].isoformat()


def test_issuing_an_invoice_emits_invoice_issued(make):
    from tracker.services import rates
    from tracker.services.billing import previous_month

    new = register(make, "http://127.0.0.1:9/billing", ["invoice.issued"])
    month = previous_month(previous_month(TODAY))
    manager = make.user()
    placement = make.placement(start=month - timedelta(days=40))
    rates.start_rates(placement, manager)
    db.session.commit()
    engineer_user = make.user(role="engineer", engineer=placement.engineer)
    week = week_of(month + timedelta(days=7))
    entries = [EntryInput(week + timedelta(days=k), Decimal("8")) for k in range(5)]
    with transaction():
        sheet = timesheets.save_week(placement, week, entries, engineer_user, today=TODAY)
    with transaction():
        timesheets.submit(sheet, engineer_user, today=TODAY)
    with transaction():
        timesheets.approve(
            sheet, make.user(role="client", client=placement.request.client), today=TODAY
        )
    with transaction():
        invoice, _ = invoices.draft(placement.request.client, month, manager)
    assert events_of(new.endpoint) == []  # a draft is not an issued invoice
    with transaction():
        invoices.issue(invoice, manager, today=TODAY)
    [delivery] = deliveries(new.endpoint)
    data = data_of(delivery)
    assert (data["invoice_id"], data["client_id"], data["number"]) == (
        invoice.id,
        invoice.client_id,
        invoice.number,
    )
    assert (data["status"], data["kind"], data["total"]) == (
        "issued",
        "invoice",
        str(invoice.total),
    )


# --- the staff pages ------------------------------------------------------------------------------


def form_data(url="http://127.0.0.1:9/hooks", events=("proposal.created",), **kw) -> dict:
    return {"url": url, "events": list(events), "description": "CRM", **kw}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("role", ["client", "engineer"])
def test_clients_and_engineers_may_not_see_or_register_webhooks(client, auth, role, make):
    new = register(make, "http://127.0.0.1:9/a")
    auth.login_as(role)
    assert client.get("/webhooks/").status_code == 403
    assert client.post("/webhooks/new", data=form_data()).status_code == 403
    assert client.get(f"/webhooks/{new.endpoint.id}").status_code == 403
    assert client.post(f"/webhooks/{new.endpoint.id}/delete").status_code == 403
    assert count(WebhookEndpoint) == 1
    assert 'href="/webhooks/"' not in client.get("/").text


def test_staff_register_an_endpoint_and_see_its_secret_once(client, auth):
    auth.login_as("account_manager")
    assert 'href="/webhooks/"' in client.get("/webhooks/").text  # in the navigation
    form = client.get("/webhooks/new").text
    assert form.count('name="events"') == len(webhooks.EVENTS)
    assert not re.search(r"<input[^>]*\bchecked\b", form)  # no event is preselected

    r = client.post("/webhooks/new", data=form_data(events=["proposal.created", "invoice.issued"]))

    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    endpoint = db.session.scalar(sa.select(WebhookEndpoint))
    assert re.fullmatch(r"[0-9a-f]{64}", endpoint.secret)
    assert endpoint.secret in r.text
    assert "only time it is shown" in r.text
    assert endpoint.event_list == ["proposal.created", "invoice.issued"]
    assert (endpoint.url, endpoint.description, endpoint.is_active) == (
        "http://127.0.0.1:9/hooks",
        "CRM",
        True,
    )
    for page in ("/webhooks/", f"/webhooks/{endpoint.id}", f"/webhooks/{endpoint.id}/edit"):
        answer = client.get(page)
        assert answer.status_code == 200
        assert endpoint.secret not in answer.text, page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form_data(events=[]), "Choose at least one event"),
        (form_data(events=["proposal.exploded"]), "not a valid choice"),
        (form_data(url=""), "Enter the URL"),
        (form_data(url="ftp://example.com/hooks"), "must start with https:// or http://"),
        (form_data(url="javascript:alert(1)"), "must start with https:// or http://"),
        (form_data(url="https://user:secret@example.com/h"), "no user name or password"),
        (form_data(url="https://example.com/" + "a" * 500), "longer than 500 characters"),
        (form_data(url="https:///nohost"), "needs a host name"),
        (form_data(url="https://example.com/h#x"), "Leave out the #fragment"),
    ],
)
def test_bad_registrations_are_refused_with_a_message(client, auth, data, message):
    auth.login_as("admin")
    r = client.post("/webhooks/new", data=data)
    assert r.status_code == 400
    assert message in r.text
    assert count(WebhookEndpoint) == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://crm.example.com/hooks", "must start with https://"),
        ("https://localhost/hooks", "public host"),
        ("https://127.0.0.1:8443/hooks", "public host"),
        ("https://169.254.169.254/latest", "public host"),
        ("https://[::1]/hooks", "public host"),
        ("https://10.0.0.5/hooks", "public host"),
        # Spellings of loopback that the resolver reads as an address.
        ("https://127.1/hooks", "public host"),
        ("https://2130706433/hooks", "public host"),
        ("https://0x7f000001/hooks", "public host"),
        ("https://0/hooks", "public host"),
    ],
)
def test_production_takes_only_https_urls_of_public_hosts(app, client, auth, url, message):
    app.config["FORCE_HTTPS"] = True
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    auth.login_as("admin")
    r = client.post("/webhooks/new", data=form_data(url=url))
    assert r.status_code == 400
    assert message in r.text
    assert count(WebhookEndpoint) == 0
    assert webhooks.url_problem("https://crm.example.com/hooks", https_only=True) is None


def test_staff_edit_test_and_delete_an_endpoint(client, auth, make):
    new = register(make, "http://127.0.0.1:9/a", ["proposal.created"])
    endpoint_id = new.endpoint.id
    auth.login_as("account_manager")

    edit = client.get(f"/webhooks/{endpoint_id}/edit").text
    assert re.search(
        r'value="proposal.created"[^>]*checked|checked[^>]*value="proposal.created"', edit
    )
    refused = client.post(f"/webhooks/{endpoint_id}/edit", data={"events": [], "description": ""})
    assert refused.status_code == 400
    assert "Choose at least one event" in refused.text
    r = client.post(
        f"/webhooks/{endpoint_id}/edit",
        data={"events": ["placement.ended", "review.submitted"], "description": " Ops  chat "},
    )
    assert r.status_code == 302
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    assert endpoint.event_list == ["placement.ended", "review.submitted"]
    assert (endpoint.description, endpoint.is_active) == ("Ops chat", False)  # box unchecked

    assert client.post(f"/webhooks/{endpoint_id}/ping").status_code == 302
    [ping] = deliveries(endpoint)
    assert ping.event == "ping"
    assert data_of(ping)["endpoint_id"] == endpoint_id

    page = client.get(f"/webhooks/{endpoint_id}").text
    assert "ping" in page
    assert "Pending" in page
    assert 'data-confirm="Delete this endpoint' in page
    assert client.post(f"/webhooks/{endpoint_id}/delete").status_code == 302
    assert count(WebhookEndpoint) == count(WebhookDelivery) == 0
    assert client.get(f"/webhooks/{endpoint_id}").status_code == 404


def test_an_endpoints_deliveries_are_listed_newest_first_in_pages(client, auth, make):
    new = register(make, "http://127.0.0.1:9/a", ["proposal.created"])
    other = register(make, "http://127.0.0.1:9/b", ["proposal.created"])
    start = utcnow()
    for n in range(3):
        with transaction():
            delivery = webhooks.send_ping(new.endpoint, make.user())
            delivery.created_at = start + timedelta(minutes=n)
    auth.login_as("admin")
    first = client.get(f"/webhooks/{new.endpoint.id}?per_page=2").text
    ids = [d.id for d in deliveries(new.endpoint)]
    assert first.count("<details>") == 2
    assert first.index(json.loads(deliveries(new.endpoint)[2].payload)["id"]) < first.index(
        json.loads(deliveries(new.endpoint)[1].payload)["id"]
    )
    second = client.get(f"/webhooks/{new.endpoint.id}?per_page=2&page=2").text
    assert second.count("<details>") == 1
    assert json.loads(deliveries(new.endpoint)[0].payload)["id"] in second
    assert ids
    wrong = f"/webhooks/{other.endpoint.id}/deliveries/{ids[0]}/retry"
    assert client.post(wrong).status_code == 404


def test_a_delivered_delivery_is_not_retried(make):
    new = register(make, "http://127.0.0.1:9/a")
    with transaction():
        delivery = webhooks.send_ping(new.endpoint, make.user())
    webhook_sender._record(
        delivery, webhook_sender.Answer(204), utcnow(), 8, webhook_sender.WebhookReport()
    )
    db.session.commit()
    with pytest.raises(DomainError, match="received already"), transaction():
        webhooks.retry(delivery)


def test_a_delivery_that_failed_once_reads_retrying_not_pending(client, auth, make):
    new = register(make, "http://127.0.0.1:9/a", ["proposal.created"])
    with transaction():
        waiting = webhooks.send_ping(new.endpoint, make.user())
    auth.login_as("account_manager")
    assert ">Pending</span>" in client.get(f"/webhooks/{new.endpoint.id}").text
    waiting.attempts = 1
    waiting.last_error = "URLError: [Errno 111] Connection refused"
    db.session.commit()
    page = client.get(f"/webhooks/{new.endpoint.id}").text
    assert ">Retrying</span>" in page
    assert ">Pending</span>" not in page


def test_a_name_that_resolves_to_a_private_address_is_refused_when_sent(app, make, receiver):
    """Checked at registration by its spelling, and again at each attempt by the address the
    name resolves to then (which is also the address connected to: no DNS rebinding)."""
    url = receiver.url.replace("127.0.0.1", "localhost")  # a name, not an address literal
    new = register(make, url, ["proposal.created"])
    shortlisted(make)
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    assert webhook_sender.deliver_webhooks() == {"delivered": 0, "retrying": 1, "failed": 0}
    assert receiver.received == []
    (delivery,) = deliveries(new.endpoint)
    assert "private or local address" in delivery.last_error


def test_a_receiver_that_trickles_its_answer_is_cut_off_at_the_timeout(app, make):
    """WEBHOOK_TIMEOUT bounds the whole attempt, not each read: the worker is never held."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def trickle():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.wait(0.1):  # one header byte at a time, for ever
                try:
                    conn.sendall(b"X")
                except OSError:
                    return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/slow"
        register(make, url, ["proposal.created"])
        shortlisted(make)
        app.config["WEBHOOK_TIMEOUT"] = 0.5
        started = time.monotonic()
        report = webhook_sender.deliver_webhooks()
        assert time.monotonic() - started < 5
        assert report == {"delivered": 0, "retrying": 1, "failed": 0}
        assert "No answer within 0.5 s" in deliveries()[0].last_error
    finally:
        stop.set()
        listener.close()
        thread.join(5)
