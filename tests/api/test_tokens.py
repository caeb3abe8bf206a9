"""API tokens: each user's own, on their account page and from `flask create-token`; shown
once, revocable, and they (not the sign-in session) open the API."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, make_app, selected_values
from tracker.extensions import db
from tracker.models import ApiToken, utcnow
from tracker.services.api_tokens import MAX_TOKENS_PER_USER, create_token, hash_token

ROLES = ("admin", "account_manager", "client", "engineer")
SECRET = re.compile(r"et_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}")


def tokens_of(user) -> list[ApiToken]:
    return list(db.session.scalars(sa.select(ApiToken).where(ApiToken.user_id == user.id)))


def create_on_page(client, **data):
    return client.post("/account/tokens", data={"name": "CRM sync", "scope": "read", **data})


# ------------------------------------------------------------------------------ the page


@pytest.mark.parametrize("role", ROLES)
def test_every_role_creates_a_token_and_sees_the_secret_once(client, auth, role):
    user = auth.login_as(role)
    page = client.get("/account/tokens")
    assert page.status_code == 200
    assert "You have no API tokens yet." in page.text
    assert selected_values(page.text, "scope") == ["read"]  # write is never the default

    created = create_on_page(client, name="CRM sync", days="30")

    assert created.status_code == 200
    assert created.headers["Cache-Control"] == "no-store"
    assert "the only time the whole token is shown" in created.text
    secret = SECRET.search(created.text)[0]
    (token,) = tokens_of(user)
    assert token.token_hash == hash_token(secret)
    assert secret not in token.token_hash
    assert token.scope == "read"
    assert timedelta(days=29, hours=23) < token.expires_at - token.created_at <= timedelta(days=30)

    listed = client.get("/account/tokens")
    assert secret not in listed.text  # never again
    assert "CRM sync" in listed.text
    assert f"et_{token.prefix}_…" in listed.text
    assert "Active" in listed.text


def test_the_list_shows_scope_dates_use_and_revocation(client, auth):
    user = auth.login_as("account_manager")
    used = create_token(user, "Payroll export", "write", 90).token
    used.last_used_at = utcnow()
    revoked = create_token(user, "Old script").token
    revoked.revoked_at = utcnow()
    db.session.commit()

    page = client.get("/account/tokens").text

    rows = re.findall(r"<tr[^>]*>\s*<td>(.*?)</tr>", page, re.S)
    payroll = next(r for r in rows if "Payroll export" in r)
    old = next(r for r in rows if "Old script" in r)
    assert "Write" in payroll
    assert "Active" in payroll
    assert "Revoke" in payroll
    assert payroll.count("Never") == 0  # it expires, and it was used
    assert "Revoked" in old
    assert "/revoke" not in old
    assert page.index("Payroll export") < page.index("Old script")  # live ones first


def test_a_write_token_is_made_only_when_asked_for(client, auth):
    user = auth.login_as("client")
    create_on_page(client, scope="write")
    (token,) = tokens_of(user)
    assert token.scope == "write"
    assert token.expires_at is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Give the token a name."),
        ({"name": "x" * 81}, "Field cannot be longer than 80 characters."),
        ({"days": "0"}, "A token lasts from 1 to 3650 days."),
        ({"days": "3651"}, "A token lasts from 1 to 3650 days."),
        ({"days": "soon"}, "Not a valid integer value."),
        ({"scope": "admin"}, "Not a valid choice."),
    ],
)
def test_invalid_input_is_refused_with_a_message(client, auth, data, message):
    user = auth.login_as("engineer")
    response = create_on_page(client, **data)
    assert response.status_code == 400
    assert message in response.text
    assert tokens_of(user) == []


def test_the_limit_of_live_tokens_is_explained(client, auth):
    user = auth.login_as("account_manager")
    for n in range(MAX_TOKENS_PER_USER):
        create_token(user, f"token {n}")
    db.session.commit()
    response = create_on_page(client)
    assert response.status_code == 400
    assert f"at most {MAX_TOKENS_PER_USER} tokens; revoke one" in response.text
    assert len(tokens_of(user)) == MAX_TOKENS_PER_USER


def test_revoking_a_token_ends_its_access(client, auth, api, make):
    user = auth.login_as("account_manager")
    created = create_on_page(client, name="Dashboard")
    secret = SECRET.search(created.text)[0]
    api.secret = secret
    assert api.get("/api/v1/clients").status_code == 200  # a token from the page works
    (token,) = tokens_of(user)
    assert token.last_used_at is not None

    response = client.post(f"/account/tokens/{token.id}/revoke", follow_redirects=True)

    assert "The token Dashboard" in response.text
    assert "is revoked" in response.text
    assert tokens_of(user)[0].revoked_at is not None
    refused = api.get("/api/v1/clients")
    assert refused.status_code == 401
    assert refused.headers["Content-Type"].startswith("application/problem+json")
    again = client.post(f"/account/tokens/{token.id}/revoke", follow_redirects=True)
    assert "already revoked" in again.text


def test_another_users_token_is_not_found(client, auth, make):
    other = make.user(role="account_manager")
    theirs = create_token(other, "Theirs").token
    db.session.commit()
    auth.login_as("admin")  # not even an admin revokes someone else's token here

    assert client.post(f"/account/tokens/{theirs.id}/revoke").status_code == 404
    assert client.post("/account/tokens/999999/revoke").status_code == 404
    assert db.session.get(ApiToken, theirs.id).revoked_at is None
    assert "Theirs" not in client.get("/account/tokens").text


def test_the_page_needs_a_sign_in_and_a_token_opens_no_page(client, make):
    assert client.get("/account/tokens").status_code == 302
    user = make.user(role="admin")
    new = create_token(user, "Script")
    db.session.commit()
    page = client.get("/account/tokens", headers={"Authorization": f"Bearer {new.secret}"})
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login")


def test_revoking_needs_the_forms_csrf_token(database_uri, make):
    app = make_app(database_uri, WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make.user()
        token = create_token(user, "Kept").token
        db.session.commit()
        client = app.test_client()
        login = client.get("/login").text
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)[1]
        client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf})

        forged = client.post(f"/account/tokens/{token.id}/revoke")
        assert forged.status_code == 400
        assert db.session.get(ApiToken, token.id).revoked_at is None

        page = client.get("/account/tokens").text
        form_csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        done = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": form_csrf})
        assert done.status_code == 302
        assert db.session.get(ApiToken, token.id).revoked_at is not None


# ------------------------------------------------------------------------------ the command


def create_token_cli(runner, *args):
    return runner.invoke(args=["create-token", *args])


def test_the_command_prints_only_the_token(runner, api, make):
    user = make.user(role="account_manager", email="ops@agency.example")

    result = create_token_cli(
        runner, "--email", "Ops@Agency.example", "--name", "CRM sync", "--days", "7"
    )

    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert SECRET.fullmatch(secret)
    assert "not shown again" in result.stderr
    (token,) = tokens_of(user)
    assert token.scope == "read"
    assert token.name == "CRM sync"
    assert token.expires_at - token.created_at == timedelta(days=7)
    api.secret = secret
    assert api.get("/api/v1/clients").status_code == 200
    assert api.post("/api/v1/clients", json={}).status_code == 403  # read: no writes


def test_the_command_makes_a_write_token_when_asked(runner, make):
    user = make.user(role="client")
    result = create_token_cli(runner, "--email", user.email, "--name", "Portal", "--scope", "write")
    assert result.exit_code == 0, result.output
    assert tokens_of(user)[0].scope == "write"
    assert tokens_of(user)[0].expires_at is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "nobody@example.com", "--name", "X"], "No user has the email"),
        (["--email", "{email}", "--name", "  "], "Give the token a name"),
        (["--email", "{email}", "--name", "X", "--days", "0"], "from 1 to 3650 days"),
        (["--email", "{email}", "--name", "X", "--days", "many"], "'many' is not a valid"),
        (["--email", "{email}", "--name", "X", "--scope", "admin"], "'admin' is not one of"),
        (["--name", "X"], "Missing option '--email'"),
    ],
)
def test_the_command_refuses_bad_input_and_writes_nothing(runner, make, args, message):
    user = make.user(role="admin")
    result = create_token_cli(runner, *(a.format(email=user.email) for a in args))
    assert result.exit_code != 0
    assert message in result.output
    assert result.stdout == ""
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0


def test_the_command_refuses_a_deactivated_user(runner, make):
    user = make.user(role="engineer", is_active=False)
    result = create_token_cli(runner, "--email", user.email, "--name", "X")
    assert result.exit_code == 1
    assert "deactivated account" in result.output
    assert tokens_of(user) == []
