"""Portal access given by account managers: an invitation by e-mail, a password chosen once,
access switched off and on, and proposals that waited for someone to see them (issue 12.1–2)."""

import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from tests.conftest import PASSWORD
from tracker.extensions import db
from tracker.models import AuditEvent, Notification, OutboxEmail, User

NEW_PASSWORD = "a-password-of-my-own"


def invite(client, acme, **kw):
    data = {"name": "Carla Client", "email": "carla@acme.example", **kw}
    return client.post(f"/clients/{acme.id}/users", data=data)


def link_in_outbox(email: str) -> str:
    mail = db.session.scalars(
        sa.select(OutboxEmail).where(OutboxEmail.to_address == email).order_by(OutboxEmail.id)
    ).all()[-1]
    return re.search(r"(/invitation/\S+)", mail.body_text)[1]


def user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


@pytest.fixture
def acme(make):
    return make.client(name="Acme")


def test_an_account_manager_invites_and_the_person_chooses_a_password(app, client, auth, acme):
    am = auth.login_as("account_manager", name="Olga Manager")
    page = client.get(f"/clients/{acme.id}").text
    assert "Nobody at Acme can see its portal yet" in page
    assert "Invite a portal user" in page

    response = invite(client, acme)

    assert response.status_code == 302
    carla = user("carla@acme.example")
    assert (carla.role, carla.client_id, carla.is_active) == ("client", acme.id, True)
    mail = db.session.scalar(sa.select(OutboxEmail))
    assert "Olga Manager invites you" in mail.body_text
    assert PASSWORD not in mail.body_text
    assert "password:" not in mail.body_text.lower()
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.invited"))
    assert (event.actor_id, event.changes["client"]) == (am.id, [None, "Acme"])
    assert "Invited, not signed in yet" in client.get(f"/clients/{acme.id}").text

    browser = app.test_client()
    url = link_in_outbox("carla@acme.example")
    assert "Welcome, Carla Client" in browser.get(url).text
    done = browser.post(url, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"] == "/portal/"
    assert browser.get("/portal/").status_code == 200  # signed in

    again = app.test_client().get(url)
    assert again.status_code == 410
    assert "has been used or replaced" in again.text
    fresh = app.test_client()
    signed_in = fresh.post("/login", data={"email": carla.email, "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert "last signed in" in client.get(f"/clients/{acme.id}").text


def test_an_unknown_password_before_the_invitation_is_accepted(app, client, auth, acme):
    """Until the person chooses one, no password signs the account in."""
    auth.login_as("account_manager")
    invite(client, acme)
    for guess in ("", PASSWORD, "carla@acme.example"):
        response = app.test_client().post(
            "/login", data={"email": "carla@acme.example", "password": guess}
        )
        assert response.status_code in (400, 401)


def test_an_invitation_expires(app, client, auth, acme):
    auth.login_as("account_manager")
    invite(client, acme)
    url = link_in_outbox("carla@acme.example")
    later = datetime.now() + timedelta(days=app.config["INVITATION_DAYS"], hours=1)
    with time_machine.travel(later, tick=False):
        response = app.test_client().post(
            url, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        )
    assert response.status_code == 410
    assert "This invitation has expired" in response.text


def test_a_new_invitation_replaces_the_old_link(app, client, auth, acme):
    auth.login_as("account_manager")
    invite(client, acme)
    old = link_in_outbox("carla@acme.example")
    carla = user("carla@acme.example")
    response = client.post(f"/clients/{acme.id}/users/{carla.id}/invitation", follow_redirects=True)
    assert "the earlier link no longer works" in response.text
    new = link_in_outbox("carla@acme.example")
    assert new != old
    assert app.test_client().get(old).status_code == 410
    assert app.test_client().get(new).status_code == 200


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"email": "not-an-email"}, 400, "Enter an email address like ana@example.com."),
        ({"name": ""}, 400, "Enter the person&#39;s name."),
        ({"email": "taken@acme.example"}, 409, "taken@acme.example already has an account"),
    ],
)
def test_bad_invitations_are_refused_and_change_nothing(
    client, auth, make, acme, data, status, message
):
    make.user(role="client", client=acme, email="taken@acme.example")
    auth.login_as("account_manager")
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    response = invite(client, acme, **data)
    assert response.status_code == status
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 0


def test_a_tampered_link_is_refused(app, client, auth, acme):
    auth.login_as("account_manager")
    invite(client, acme)
    url = link_in_outbox("carla@acme.example")
    response = app.test_client().post(
        url[:-3] + "xyz", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 410
    assert "not a valid invitation" in response.text


def test_switching_access_off_ends_the_sessions_and_on_again(app, client, auth, make, acme):
    carla = make.user(role="client", client=acme, name="Carla")
    carla_browser = app.test_client()
    carla_browser.post("/login", data={"email": carla.email, "password": PASSWORD})
    auth.login_as("account_manager")

    off = client.post(f"/clients/{acme.id}/users/{carla.id}/access", data={"active": "off"},
                      follow_redirects=True)  # fmt: skip

    assert "Carla can no longer sign in" in off.text
    assert "Access off" in off.text
    assert carla_browser.get("/portal/").status_code == 302
    on = client.post(f"/clients/{acme.id}/users/{carla.id}/access", data={"active": "on"},
                     follow_redirects=True)  # fmt: skip
    assert "Carla can sign in again" in on.text
    db.session.refresh(carla)
    assert carla.is_active


def test_portal_users_are_managed_only_by_staff_and_only_of_that_client(client, auth, make, acme):
    globex = make.client(name="Globex")
    other = make.user(role="client", client=globex)
    auth.login_as("account_manager")
    assert client.post(f"/clients/{acme.id}/users/{other.id}/access",
                       data={"active": "off"}).status_code == 404  # fmt: skip
    staff = make.user(role="account_manager")
    assert client.post(f"/clients/{acme.id}/users/{staff.id}/access",
                       data={"active": "off"}).status_code == 404  # fmt: skip
    auth.logout()
    auth.login_as("client", client=acme)
    assert invite(client, acme, email="x@acme.example").status_code == 403
    db.session.refresh(other)
    assert other.is_active


def test_proposals_that_waited_are_listed_once_for_the_first_portal_user(
    app, client, auth, make, acme
):
    req = make.request(client=acme, title="LLM engineer", skills={"Python": (3, True)})
    waiting = make.proposal(request=req, engineer=make.engineer(full_name="Ana Souza"),
                            status="proposed", proposed_at=db.func.now())  # fmt: skip
    auth.login_as("account_manager")
    match_page = client.get(f"/requests/{req.id}/matches").text
    assert 'data-testid="no-portal-users"' in match_page
    invite(client, acme)

    browser = app.test_client()
    url = link_in_outbox("carla@acme.example")
    landed = browser.post(url, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                          follow_redirects=True)  # fmt: skip

    assert "1 proposal waits for your decision." in landed.text
    assert "Ana S." in landed.text  # on the overview
    notes = db.session.scalars(sa.select(Notification)).all()
    assert [n.title for n in notes] == ["1 proposal waiting for your decision"]
    assert "Ana S. for “LLM engineer”" in notes[0].body
    assert waiting.id


def test_proposing_to_a_client_nobody_can_see_warns(client, auth, make, acme):
    req = make.request(client=acme, skills={"Python": (3, True)})
    proposal = make.proposal(request=req, status="shortlisted")
    auth.login_as("account_manager")
    response = client.post(
        f"/proposals/{proposal.id}/status",
        data={"status": "proposed", "version_id": proposal.version_id},
        follow_redirects=True,
    )
    assert "Nobody at Acme can see this proposal" in response.text
    make.user(role="client", client=acme)
    second = make.proposal(request=req, status="shortlisted")
    response = client.post(
        f"/proposals/{second.id}/status",
        data={"status": "proposed", "version_id": second.version_id},
        follow_redirects=True,
    )
    assert "Nobody at Acme can see this proposal" not in response.text


def test_switching_access_off_ends_a_pending_invitation_for_good(app, client, auth, acme):
    auth.login_as("account_manager")
    invite(client, acme)
    url = link_in_outbox("carla@acme.example")
    carla = user("carla@acme.example")
    client.post(f"/clients/{acme.id}/users/{carla.id}/access", data={"active": "off"})
    client.post(f"/clients/{acme.id}/users/{carla.id}/access", data={"active": "on"})
    assert app.test_client().get(url).status_code == 410  # a new invitation is needed


def test_links_sent_before_engineer_accounts_keep_working(make):
    """The fingerprint of a portal user's link is what it was before engineers had accounts:
    invitations already in people's mailboxes still open."""
    import hashlib

    from tracker.services.invitations import _fingerprint

    user = make.user(role="client")
    material = f"{user.password_hash}|{user.session_token}|{user.client_id}"
    assert _fingerprint(user) == hashlib.sha256(material.encode()).hexdigest()[:20]
