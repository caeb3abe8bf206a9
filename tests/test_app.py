"""The factory, configuration, security headers and error pages."""

from datetime import time

import pytest
import sqlalchemy as sa

from config import ProductionConfig
from tests.conftest import make_app
from tracker import create_app
from tracker.extensions import db
from tracker.models import Client

STRONG_KEY = "k" * 48


def test_production_refuses_to_start_without_a_real_secret_key(database_uri):
    for key in ("", "dev-only-not-secret", "short-key"):
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(ProductionConfig, SECRET_KEY=key, SQLALCHEMY_DATABASE_URI=database_uri)


def test_production_cookies_are_secure_host_only_and_lax(database_uri):
    app = create_app(ProductionConfig, SECRET_KEY=STRONG_KEY, SQLALCHEMY_DATABASE_URI=database_uri)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    response = app.test_client().get("/login", base_url="https://tracker.example")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_production_redirects_plain_http_to_https(database_uri):
    app = create_app(ProductionConfig, SECRET_KEY=STRONG_KEY, SQLALCHEMY_DATABASE_URI=database_uri)
    response = app.test_client().get("/login", base_url="http://tracker.example")
    assert response.status_code in (301, 302)
    assert response.headers["Location"].startswith("https://")


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Request-ID"]


def test_no_inline_script_in_pages(client, auth):
    auth.login_as("admin")
    for path in ("/login", "/dashboard/", "/admin/users"):
        html = client.get(path).text
        assert "<script>" not in html
        assert "onclick=" not in html


def test_unknown_page_is_a_plain_404(client, auth):
    auth.login_as("account_manager")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Not found" in response.text
    assert "Traceback" not in response.text


@pytest.mark.parametrize("row_id", [2**31, 2**63, 10**30])
def test_an_id_no_row_can_have_is_a_plain_404(client, auth, row_id):
    """Ids are PostgreSQL integers: a larger one is not looked up (the database refused it)."""
    auth.login_as("account_manager")
    for url in (f"/clients/{row_id}", f"/engineers/{row_id}", f"/requests/{row_id}"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Not found" in response.text


def test_a_failure_mid_write_rolls_back_and_shows_a_plain_500(database_uri, caplog):
    app = make_app(database_uri)

    @app.get("/explode")
    def explode():
        db.session.add(
            Client(
                name="Half-written",
                country="US",
                timezone="UTC",
                workday_start=time(9),
                workday_end=time(17),
            )
        )
        db.session.flush()
        raise RuntimeError("boom in the middle of a write")

    explode.allowed_roles = frozenset({"account_manager"})
    with app.app_context():
        from tests.conftest import Factory

        user = Factory().user(role="account_manager")
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": "test-password-1234"})

        response = client.get("/explode", headers={"X-Request-ID": "req-123"})

        assert response.status_code == 500
        assert "Something went wrong" in response.text
        assert "boom" not in response.text
        assert "Traceback" not in response.text
        assert "req-123" in response.text
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 0
    assert any("req-123" in r.request_id for r in caplog.records if hasattr(r, "request_id"))


def test_health_reports_the_database(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json["database"] == "ok"


def test_sqlite_foreign_keys_are_on(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_a_database_outage_gets_a_plain_503_page_not_a_crash(database_uri, caplog):
    """Even the error page must not need the database (it would ask who is signed in)."""
    app = make_app(database_uri)

    @app.get("/needs-database")
    def needs_database():
        raise sa.exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("server is down"))

    needs_database.allowed_roles = frozenset({"account_manager"})
    with app.app_context():
        from tests.conftest import Factory

        user = Factory().user(role="account_manager")
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": "test-password-1234"})
        response = client.get("/needs-database")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Back in a moment" in response.text
    assert "server is down" not in response.text
    assert response.headers["X-Request-ID"]
    assert "Content-Security-Policy" in response.headers


def test_an_error_page_that_cannot_render_falls_back_to_plain_html(app, monkeypatch):
    from tracker import errors

    def broken(*args, **kwargs):
        raise RuntimeError("template failed")

    monkeypatch.setattr(errors, "render_template", broken)
    with app.test_request_context("/x"):
        body, code = errors.render_error(500)
    assert code == 500
    assert "Something went wrong" in body
    assert "template failed" not in body
