"""Who hears about what: proposals, decisions, drafts, reviews and due reviews."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import PASSWORD
from tracker.extensions import db
from tracker.models import Notification, OutboxEmail


def notifications_of(user) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    )


def routes(app, link: str) -> bool:
    """Whether a notification's link is a page of the app."""
    try:
        app.url_map.bind("localhost").match(link, method="GET")
    except Exception:
        return False
    return True


@pytest.fixture
def setup(make):
    manager = make.user(role="account_manager", name="Ana Manager")
    company = make.client(name="Acme", account_manager=manager)
    carla = make.user(role="client", client=company, name="Carla CTO")
    gone = make.user(role="client", client=company, is_active=False)
    req = make.request(client=company, title="LLM engineer")
    engineer = make.engineer(full_name="Ana Beatriz Souza")
    return {"manager": manager, "carla": carla, "gone": gone, "request": req, "engineer": engineer}


def sign_in(client, user):
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )


def test_proposing_tells_the_clients_users(app, client, make, setup):
    proposal = make.proposal(
        request=setup["request"], engineer=setup["engineer"], status="shortlisted"
    )
    sign_in(client, setup["manager"])
    client.post(f"/proposals/{proposal.id}/status", data={"status": "proposed"})
    [note] = notifications_of(setup["carla"])
    assert note.kind == "proposal_waiting"
    assert note.link == f"/portal/proposals/{proposal.id}"
    assert routes(app, note.link)
    assert "Ana S." in note.body
    assert "Souza" not in note.title + note.body  # client-safe
    assert notifications_of(setup["gone"]) == []  # inactive users hear nothing
    mail = db.session.scalar(sa.select(OutboxEmail).where(OutboxEmail.notification_id == note.id))
    assert mail.to_address == setup["carla"].email


def test_a_clients_decision_tells_the_account_manager(app, client, make, setup):
    proposal = make.proposal(request=setup["request"], engineer=setup["engineer"],
                             status="proposed", proposed_at=db.func.now())  # fmt: skip
    sign_in(client, setup["carla"])
    client.post(f"/portal/proposals/{proposal.id}/decline",
                data={"reason": "timezone", "note": "Too little overlap"})  # fmt: skip
    [note] = notifications_of(setup["manager"])
    assert note.kind == "client_decision"
    assert "declined Ana Beatriz Souza" in note.title
    assert "Reason: timezone — Too little overlap." in note.body
    assert routes(app, note.link)


def test_a_draft_from_the_portal_tells_the_account_manager(app, client, make, setup):
    skill = make.skill("Python")
    sign_in(client, setup["carla"])
    client.post("/portal/requests/new", data={
        "title": "Data engineer", "seniority": "mid", "headcount": "2",
        "start_date": (date.today() + timedelta(days=20)).isoformat(), "use_client_hours": "y",
        "min_overlap_hours": "4", "skill_rows-0-skill_id": str(skill.id),
        "skill_rows-0-min_level": "3", "skill_rows-0-importance": "must",
    })  # fmt: skip
    [note] = notifications_of(setup["manager"])
    assert note.kind == "draft_request"
    assert note.title == "New request from Acme: Data engineer"
    assert routes(app, note.link)


def test_a_client_review_tells_the_manager_but_the_managers_own_does_not(app, client, make, setup):
    placement = make.placement(request=setup["request"], start=date(2026, 9, 7))
    form = {"delivery": "2", "code_quality": "2", "communication": "3", "collaboration": "3",
            "would_continue": "no", "comments": "", "action_items": ""}  # fmt: skip
    with time_machine.travel(date(2026, 10, 6), tick=False):
        sign_in(client, setup["manager"])
        client.post(f"/placements/{placement.id}/iterations/1/review", data=form)
        assert notifications_of(setup["manager"]) == []
        client.post("/logout")
        sign_in(client, setup["carla"])
        client.post(f"/portal/placements/{placement.id}/iterations/2/review", data=form)
    [note] = notifications_of(setup["manager"])
    assert note.kind == "client_review"
    assert "2.5 / 5" in note.title
    assert "They would not continue." in note.body
    assert routes(app, note.link)


def test_due_reviews_are_announced_once_each(app, runner, make, setup):
    placement = make.placement(request=setup["request"], start=date(2026, 9, 7))
    with time_machine.travel(date(2026, 9, 21), tick=False):
        first = runner.invoke(args=["placements-daily"])
        assert "1 due reviews announced" in first.output
        runner.invoke(args=["placements-daily"])  # again the same day: nothing new
    [note] = notifications_of(setup["carla"])
    assert note.link == f"/portal/placements/{placement.id}/iterations/1/review"
    assert routes(app, note.link)
    with time_machine.travel(date(2026, 10, 5), tick=False):
        runner.invoke(args=["placements-daily"])
    assert [n.key for n in notifications_of(setup["carla"])] == [
        f"review-due:placement:{placement.id}:iteration:1",
        f"review-due:placement:{placement.id}:iteration:2",
    ]


def test_the_bell_counts_unread_notifications(client, make, setup):
    proposal = make.proposal(request=setup["request"], status="shortlisted")
    sign_in(client, setup["manager"])
    client.post(f"/proposals/{proposal.id}/status", data={"status": "proposed"})
    client.post("/logout")
    sign_in(client, setup["carla"])
    page = client.get("/portal/").text
    assert 'data-testid="unread-count">1<' in page  # "the engineer was proposed to you"
