"""Signing in and out: what a user sees, and what an attacker does not get."""

import re

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, make_app
from tracker.auth.routes import BAD_CREDENTIALS
from tracker.extensions import db
from tracker.models import AuditEvent, User


def signed_in(client) -> bool:
    """Whether the client's session opens a staff-or-client page without a redirect."""
    response = client.get("/", follow_redirects=False)
    return "/login" not in response.headers.get("Location", "")


def test_login_page_has_email_and_password_fields(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="email"' in response.text
    assert 'name="password"' in response.text
    assert "<title>Sign in · Engagement Tracker</title>" in response.text


def test_account_manager_lands_on_dashboard(client, make, auth):
    user = make.user(role="account_manager", name="Ana Morales")
    response = auth.login(user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard/"
    page = client.get("/dashboard/")
    assert "Welcome back, Ana Morales." in page.text
    db.session.refresh(user)
    assert user.last_login_at is not None
    events = db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.actor_id == user.id))
    assert "auth.sign_in" in list(events)


def test_client_user_lands_in_portal(client, make, auth):
    user = make.user(role="client")
    response = auth.login(user.email)
    assert response.headers["Location"] == "/portal/"


def test_email_is_case_insensitive(client, make, auth):
    user = make.user(email="mixed.case@example.com")
    response = auth.login("  Mixed.CASE@Example.com ")
    assert response.status_code == 302
    assert user.email == "mixed.case@example.com"


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "inactive user"])
def test_bad_credentials_all_get_the_same_answer_and_no_session(client, make, auth, case):
    user = make.user(is_active=(case != "inactive user"))
    email = "nobody@example.com" if case == "unknown email" else user.email
    password = "not-the-password" if case == "wrong password" else PASSWORD

    response = auth.login(email, password)

    assert response.status_code == 401
    assert BAD_CREDENTIALS in response.text
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert not signed_in(client)


def test_empty_form_is_refused_with_messages(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    assert "This field is required." in response.text


def test_session_is_cleared_before_login(client, make, auth):
    user = make.user()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before sign-in"
    auth.login(user.email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{user.id}:")


def test_next_inside_the_app_is_followed(client, make, auth):
    user = make.user()
    response = client.post(
        "/login?next=/dashboard/%3Fsort%3Dname",
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/dashboard/?sort=name"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "////evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/%0d%0aSet-Cookie:x=1",
    ],
)
def test_next_outside_the_app_is_ignored(client, make, target):
    user = make.user()
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    location = response.headers["Location"]
    assert location.startswith("/")
    assert not location.startswith("//")
    assert "evil" not in location


def test_anonymous_user_is_sent_to_login_with_next(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_needs_post(client, auth):
    auth.login_as("account_manager")
    assert client.get("/logout").status_code == 405
    assert signed_in(client)


def test_logout_ends_the_session_and_a_copied_cookie_is_useless(app, client, auth):
    auth.login_as("account_manager")
    stolen = client.get_cookie("session").value

    response = auth.logout()

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not signed_in(client)
    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    assert attacker.get("/dashboard/").status_code == 302


def test_deactivated_user_is_signed_out_everywhere(app, client, auth):
    user = auth.login_as("account_manager")
    user.is_active = False
    db.session.commit()
    assert client.get("/dashboard/").status_code == 302


def test_rotated_session_token_ends_old_sessions(client, auth):
    user = auth.login_as("account_manager")
    user.rotate_session_token()
    db.session.commit()
    assert client.get("/dashboard/").status_code == 302


def test_post_without_csrf_token_is_refused_when_csrf_is_on(database_uri, make):
    app = make_app(database_uri, WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make.user()
        client = app.test_client()
        response = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 400
        assert "CSRF" in response.text
        assert db.session.get(User, user.id).last_login_at is None


def test_an_expired_form_says_what_to_do(database_uri, make):
    app = make_app(database_uri, WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make.user()
        client = app.test_client()
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        response = client.post("/logout", data={"csrf_token": "from-an-old-page"})
        assert response.status_code == 400
        assert "This form has expired" in response.text
        assert "reload the page" in response.text


def test_login_with_csrf_token_works_when_csrf_is_on(database_uri, make):
    import re

    app = make_app(database_uri, WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make.user()
        client = app.test_client()
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302


def test_failed_sign_ins_are_throttled(database_uri, make):
    app = make_app(database_uri, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        user = make.user()
        client = app.test_client()
        for _ in range(3):
            assert auth_post(client, user.email, "wrong-password-123").status_code == 401
        response = auth_post(client, user.email, PASSWORD)
        assert response.status_code == 429
        assert "Too many attempts" in response.text
        assert db.session.get(User, user.id).last_login_at is None


def test_successful_sign_ins_do_not_use_up_the_limit(database_uri, make):
    app = make_app(database_uri, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="2 per minute")
    with app.app_context():
        user = make.user()
        for _ in range(4):
            assert auth_post(app.test_client(), user.email, PASSWORD).status_code == 302


def auth_post(client, email, password):
    return client.post("/login", data={"email": email, "password": password})
