"""Security you can prove: session lifetimes, own password change, throttling shared through
Redis, security events on record, migrations one by one."""

import os
import subprocess
import sys
import textwrap
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from tests.conftest import ON_POSTGRES, PASSWORD, TEST_DATABASE_URL, make_app
from tests.pg_database import drop_database, ensure_database
from tracker.extensions import db
from tracker.models import AuditEvent, Client

NEW_PASSWORD = "a-much-better-passphrase"


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# --- session lifetimes ---------------------------------------------------------------------


def test_an_idle_session_ends(client, auth):
    start = datetime(2026, 11, 26, 9, 0)
    with time_machine.travel(start, tick=False):
        auth.login_as("account_manager")
    with time_machine.travel(start + timedelta(minutes=119), tick=False):
        assert client.get("/dashboard/").status_code == 200  # active: the clock restarts
    with time_machine.travel(start + timedelta(minutes=119 + 121), tick=False):
        response = client.get("/dashboard/", follow_redirects=True)
    assert "You were away for a while; please sign in again." in response.text
    assert "/login" in response.request.path


def test_the_session_cookie_is_sent_again_only_when_the_last_seen_minute_moves(client, auth):
    """Pages within a minute of each other do not re-sign the session: no Set-Cookie. A page
    a minute later notes the time (and sends the cookie), so idleness is still counted."""
    start = datetime(2026, 11, 26, 9, 0)
    with time_machine.travel(start, tick=False):
        auth.login_as("account_manager")
        client.get("/dashboard/")
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert "Set-Cookie" not in client.get("/dashboard/").headers
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        assert "session=" in client.get("/dashboard/").headers.get("Set-Cookie", "")
    # Idle for the limit counted from that last note, not from the sign-in.
    with time_machine.travel(start + timedelta(seconds=61, minutes=119), tick=False):
        assert client.get("/dashboard/").status_code == 200
    with time_machine.travel(start + timedelta(seconds=61, minutes=119 + 121), tick=False):
        response = client.get("/dashboard/", follow_redirects=True)
    assert "You were away for a while; please sign in again." in response.text


def test_a_session_ends_after_its_absolute_lifetime_however_active(client, auth):
    start = datetime(2026, 11, 26, 8, 0)
    with time_machine.travel(start, tick=False):
        auth.login_as("account_manager")
    for hours in range(1, 12):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            assert client.get("/dashboard/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        response = client.get("/dashboard/", follow_redirects=True)
    assert "Your session has ended; please sign in again." in response.text


def test_no_remember_me_cookie_is_ever_set(client, make):
    user = make.user()
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert "remember_token" not in response.headers.get("Set-Cookie", "")


# --- changing one's own password -----------------------------------------------------------


def password_form(current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return {"current": current, "password": new, "confirm": confirm or new}


def test_users_change_their_own_password_and_other_sessions_end(app, client, auth):
    user = auth.login_as("client")
    other_browser = app.test_client()
    other_browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert other_browser.get("/portal/").status_code == 200

    response = client.post("/account/password", data=password_form())

    assert response.status_code == 302
    assert client.get("/portal/").status_code == 200  # this browser stays signed in
    assert other_browser.get("/portal/").status_code == 302  # the other one is signed out
    fresh = app.test_client()
    assert (
        fresh.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code
        == 302
    )
    [event] = events("user.password_changed")
    assert event.actor_id == user.id
    assert PASSWORD not in str(event.changes)
    assert NEW_PASSWORD not in str(event.changes)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (password_form(current="wrong-current-pass"), "Your current password is not right."),
        (password_form(new="short"), "Use at least 12 characters."),
        (password_form(new="password1234"), "too common"),
        (password_form(new="x" * 129), "Use at most 128 characters."),
        (password_form(confirm="something-else-entirely"), "The two new passwords differ."),
        (password_form(new=PASSWORD), "different from the current one"),
    ],
)
def test_bad_password_changes_are_refused(client, auth, form, message):
    user = auth.login_as("account_manager")
    old_hash = user.password_hash
    response = client.post("/account/password", data=form)
    assert response.status_code == 400
    assert message in response.text
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_a_128_character_password_is_accepted(client, auth):
    auth.login_as("account_manager")
    long_one = "correct horse battery staple " * 4 + "x" * 12
    assert len(long_one) == 128
    assert client.post("/account/password", data=password_form(new=long_one)).status_code == 302


def test_password_changes_are_throttled(database_uri, make):
    app = make_app(database_uri, RATELIMIT_ENABLED=True, PASSWORD_CHANGE_RATE_LIMIT="2 per minute")
    with app.app_context():
        user = make.user()
        before = user.password_hash
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": PASSWORD})
        for _ in range(2):
            wrong = password_form(current="not-my-password-at-all")
            assert client.post("/account/password", data=wrong).status_code == 400
        assert client.post("/account/password", data=password_form()).status_code == 429
        db.session.refresh(user)
        assert user.password_hash == before  # the throttled change did not happen
        client.post("/logout")
        login = client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert login.status_code == 302


def test_passwords_are_hashed_with_scrypt(make):
    user = make.user()
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


# --- throttling across app instances, through Redis ---------------------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        return False
    return True


@pytest.mark.skipif(not redis_available(), reason=f"no Redis at {REDIS_URL}")
def test_the_login_limit_holds_across_two_app_processes_through_redis(database_uri, make):
    """Three failed sign-ins here and one in another process: the next one is refused there."""
    prefix = f"test-{uuid.uuid4().hex}"
    limits = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix,
        "LOGIN_RATE_LIMIT": "4 per minute",
    }
    app = make_app(database_uri, **limits)
    with app.app_context():
        user = make.user(email="target@example.com")
        client = app.test_client()
        for _ in range(3):
            assert (
                client.post(
                    "/login", data={"email": user.email, "password": "nope-nope-nope"}
                ).status_code
                == 401
            )
        db.session.remove()
        db.engine.dispose()

    other_process = textwrap.dedent(
        f"""
        from tests.conftest import make_app
        app = make_app({database_uri!r}, **{limits!r})
        client = app.test_client()
        data = {{"email": "target@example.com", "password": "nope-nope-nope"}}
        print(client.post("/login", data=data).status_code)
        print(client.post("/login", data={{"email": "target@example.com", "password": {PASSWORD!r}}}).status_code)
        """
    )
    result = subprocess.run(  # noqa: S603 (our own interpreter running our own code)
        [sys.executable, "-c", other_process], capture_output=True, text=True, timeout=60,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
        env={**os.environ, "TEST_DATABASE_URL": TEST_DATABASE_URL or ""},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["401", "429"]  # the 5th try, even a right one, waits


# --- security events -----------------------------------------------------------------------


def test_sign_ins_and_failures_are_recorded_with_their_origin_never_a_password(client, make):
    user = make.user(email="ana@example.com")
    client.post("/login", data={"email": "ANA@example.com", "password": "wrong-password-123"},
                environ_base={"REMOTE_ADDR": "203.0.113.7"})  # fmt: skip
    client.post("/login", data={"email": "ghost@example.com", "password": "whatever-it-is"},
                environ_base={"REMOTE_ADDR": "203.0.113.8"})  # fmt: skip
    client.post("/login", data={"email": user.email, "password": PASSWORD},
                environ_base={"REMOTE_ADDR": "203.0.113.9"})  # fmt: skip
    failed = events("auth.sign_in_failed")
    assert [(e.entity_id, e.ip_address) for e in failed] == [
        (user.id, "203.0.113.7"), (None, "203.0.113.8"),
    ]  # fmt: skip
    assert failed[1].changes["email"] == [None, "ghost@example.com"]
    [ok] = events("auth.sign_in")
    assert (ok.actor_id, ok.ip_address) == (user.id, "203.0.113.9")
    everything = " ".join(str(e.changes) for e in db.session.scalars(sa.select(AuditEvent)))
    assert "wrong-password-123" not in everything
    assert PASSWORD not in everything


def test_refusals_are_recorded(client, auth, make):
    user = auth.login_as("client")
    theirs = make.request(client=make.client(name="Other Co"))
    client.get("/dashboard/")
    client.get(f"/portal/requests/{theirs.id}")
    forbidden = events("access.forbidden")
    assert forbidden[0].actor_id == user.id
    assert forbidden[0].changes["path"] == [None, "/dashboard/"]
    [cross] = events("access.cross_tenant")
    assert (cross.entity_type, cross.entity_id) == ("StaffingRequest", theirs.id)


def test_role_and_password_changes_by_an_admin_are_recorded(client, auth, make):
    auth.login_as("admin")
    target = make.user(role="account_manager")
    client.post(f"/admin/users/{target.id}", data={"name": target.name, "role": "admin",
                                                   "client_id": "", "is_active": "y"})  # fmt: skip
    client.post(f"/admin/users/{target.id}/password",
                data={"pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD})  # fmt: skip
    assert events("user.role_changed")[0].changes["role"] == ["account_manager", "admin"]
    assert events("user.password_changed")[0].ip_address == "127.0.0.1"


# --- input no field accepts ----------------------------------------------------------------

CLIENT_FORM = {
    "name": "Acme",
    "country": "US",
    "timezone": "America/New_York",
    "workday_start": "09:00",
    "workday_end": "17:00",
    "account_manager_id": "",
}


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("POST", "/clients/new", CLIENT_FORM | {"name": "Acme\x00"}),
        ("POST", "/clients/new", CLIENT_FORM | {"notes\x00": "a key"}),
        ("GET", "/requests/", {"q": "\x00"}),
        ("GET", "/engineers/", {"q": "ana\x00<script>"}),
        ("GET", "/clients/%00", {}),
    ],
)
def test_a_nul_byte_anywhere_is_refused_with_a_reason_and_nothing_saved(
    client, auth, method, url, data
):
    """PostgreSQL stores no text with a NUL byte: every form and search box was a 500 there."""
    auth.login_as("account_manager")
    if method == "GET":
        response = client.get(url, query_string=data)
    else:
        response = client.post(url, data=data)
    assert response.status_code == 400
    assert "The request contains a NUL character" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 0


def test_the_sign_in_form_refuses_a_nul_byte_too(client, make):
    make.user(email="ana@example.com")
    response = client.post("/login", data={"email": "ana@example.com\x00", "password": PASSWORD})
    assert response.status_code == 400
    assert "NUL character" in response.text


def test_signing_out_works_whatever_is_posted(client, auth):
    auth.login_as("account_manager")
    response = client.post("/logout", data={"x": "\x00"})
    assert response.headers["Location"] == "/login"
    assert client.get("/clients/").status_code == 302


# --- migrations, one by one ----------------------------------------------------------------


@pytest.fixture
def empty_database_uri(tmp_path):
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'steps.db'}"
        return
    from sqlalchemy.engine import make_url

    url = make_url(TEST_DATABASE_URL)
    scratch = url.set(database=f"{url.database}_steps").render_as_string(hide_password=False)
    drop_database(scratch)
    ensure_database(scratch)
    yield scratch
    drop_database(scratch)


def test_every_migration_upgrades_and_downgrades_one_step_at_a_time(empty_database_uri):
    app = make_app(empty_database_uri)
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        script = ScriptDirectory.from_config(config)
        assert len(script.get_heads()) == 1, "more than one head: merge the branches"
        revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
        assert revisions[0] == "0001"

        def current():
            with db.engine.connect() as conn:
                return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))

        for revision in revisions:
            upgrade(revision=revision)
            assert current() == revision
        for revision in reversed(revisions[:-1]):
            downgrade(revision=revision)
            assert current() == revision
        downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


# --- the servers name no software (issue 11.8) ---------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _headers_of_a_real_server(command: list[str], port: int, tmp_path) -> dict[str, str]:
    """Start a server process from the project's root, GET /ping, stop it: the headers."""
    import time
    import urllib.request

    env = {**os.environ, "APP_ENV": "development",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}"}  # fmt: skip
    env.pop("FLASK_DEBUG", None)
    server = subprocess.Popen(  # noqa: S603 (our own interpreter and tools, our own code)
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2) as answer:  # noqa: S310
                    assert answer.read() == b"pong"
                    return {k.lower(): v for k, v in answer.getheaders()}
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stderr.read().decode()[-2000:]) from None
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_development_server_of_make_run_names_no_software(tmp_path):
    port = _free_port()
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    headers = _headers_of_a_real_server(
        [flask, "--app", "wsgi", "serve", "--port", str(port)], port, tmp_path
    )
    assert "server" not in headers, headers.get("server")
    assert "date" in headers


def test_gunicorn_with_the_projects_config_names_no_software(tmp_path):
    port = _free_port()
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    headers = _headers_of_a_real_server(
        [gunicorn, "--workers", "1", "--bind", f"127.0.0.1:{port}", "wsgi:app"], port, tmp_path
    )
    assert "server" not in headers, headers.get("server")
    assert "date" in headers


def test_a_one_minute_idle_limit_still_sees_a_user_active_every_40_seconds(database_uri, make):
    from tests.conftest import make_app

    email = make.user().email
    strict = make_app(database_uri, SESSION_IDLE_MINUTES=1)
    browser = strict.test_client()
    start = datetime(2026, 11, 26, 9, 0)
    with time_machine.travel(start, tick=False):
        browser.post("/login", data={"email": email, "password": PASSWORD})
    for seconds in range(40, 401, 40):
        with time_machine.travel(start + timedelta(seconds=seconds), tick=False):
            assert browser.get("/dashboard/").status_code == 200, seconds
    with time_machine.travel(start + timedelta(seconds=400 + 61), tick=False):
        assert browser.get("/dashboard/").status_code == 302  # idle for a minute: signed out
