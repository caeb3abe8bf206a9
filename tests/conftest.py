"""Fixtures: a migrated database per test (SQLite file or PostgreSQL), client, auth, factories."""

import contextlib
import contextvars
import itertools
import os
import re
import shutil
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from config import TestingConfig
from tests.pg_database import ensure_database
from tracker import create_app
from tracker.extensions import db
from tracker.infra.passwords import hash_password
from tracker.models import (
    Client,
    Engineer,
    EngineerSkill,
    IterationReview,
    Placement,
    Proposal,
    RequestSkill,
    Skill,
    StaffingRequest,
    User,
    utcnow,
)
from tracker.services.reviews import apply_summary, refresh_summary

PASSWORD = "test-password-1234"


def _per_worker(url: str | None) -> str | None:
    """Each pytest-xdist worker runs on a PostgreSQL database of its own (`…_gw0`, `…_gw1`)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    parsed = make_url(url)
    if parsed.database.endswith(f"_{worker}"):  # a subprocess of a worker inherits both
        return url
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(hide_password=False)


TEST_DATABASE_URL = _per_worker(os.environ.get("TEST_DATABASE_URL"))
ON_POSTGRES = bool(TEST_DATABASE_URL)


def selected_values(page: str, name: str) -> list[str]:
    """The values of the selected options of a select, as a browser would submit them."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select named {name}"
    options = re.findall(r"<option([^>]*)>", select[1])
    return [re.search(r'value="([^"]*)"', o)[1] for o in options if re.search(r"\bselected\b", o)]


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, session and `g`.

    The test itself holds an app context for its factories and checks; without this,
    requests would share it (and its database session and cached user) with the test.
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # a streamed body is read while its context lives
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()  # the test sees what the request committed
        return response


def make_app(uri: str, **overrides):
    """An app on the given database with the testing config."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=uri, **overrides)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Migrate once per run: a template SQLite file, or the PostgreSQL test database itself."""
    if ON_POSTGRES:
        ensure_database(TEST_DATABASE_URL)
        app = make_app(TEST_DATABASE_URL)
        with app.app_context():
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            upgrade()
            db.engine.dispose()
        return TEST_DATABASE_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return path


def _empty_postgres(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


def fresh_database(template: str | Path, directory: Path) -> str:
    """The URI of a migrated, empty database: on PostgreSQL the test database itself, emptied;
    on SQLite a copy of the template file in `directory`."""
    if ON_POSTGRES:
        _empty_postgres(str(template))
        return str(template)
    path = directory / "tracker.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def database_uri(database_template, tmp_path) -> str:
    """A migrated, empty database of this test's own."""
    return fresh_database(database_template, tmp_path)


@pytest.fixture
def app(database_uri):
    """The app, with an app context pushed for the test's own database work."""
    app = make_app(database_uri)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Factory:
    """Valid rows with sensible defaults; every call commits, as a user's action would."""

    def __init__(self):
        self._n = itertools.count(1)

    def _next(self) -> int:
        return next(self._n)

    def _save(self, obj):
        db.session.add(obj)
        db.session.commit()
        return obj

    def client(self, **kw) -> Client:
        n = self._next()
        defaults = dict(
            name=f"Client {n}",
            industry="Software",
            country="US",
            timezone="America/New_York",
            workday_start=time(9),
            workday_end=time(17),
        )
        return self._save(Client(**{**defaults, **kw}))

    def user(self, role: str = "account_manager", **kw) -> User:
        n = self._next()
        password = kw.pop("password", PASSWORD)
        if role == "client" and "client" not in kw and "client_id" not in kw:
            kw["client"] = self.client()
        if role == "engineer" and "engineer" not in kw and "engineer_id" not in kw:
            kw["engineer"] = self.engineer()  # an engineer's account is a roster engineer's
        defaults = dict(email=f"user{n}@example.com", name=f"User {n}", role=role)
        return self._save(User(**{**defaults, **kw}, password_hash=hash_password(password)))

    def skill(self, name: str | None = None, category: str = "AI") -> Skill:
        name = name or f"Skill {self._next()}"
        existing = db.session.scalar(
            sa.select(Skill).where(sa.func.lower(Skill.name) == name.lower())
        )
        return existing or self._save(Skill(name=name, category=category))

    def engineer(self, skills: dict[str, int] | None = None, **kw) -> Engineer:
        n = self._next()
        defaults = dict(
            full_name=f"Dev{n} Tester{n}",
            email=f"engineer{n}@example.com",
            phone=f"+55 11 9{n:04d}-0000",
            country="BR",
            city="São Paulo",
            timezone="America/Sao_Paulo",
            workday_start=time(9),
            workday_end=time(18),
            seniority="senior",
            years_experience=8,
            english_level="C1",
            hourly_rate=Decimal("50.00"),
            vetting_status="vetted",
            code_quality=4,
            system_design=4,
            api_integration=4,
            communication=4,
            vetted_at=utcnow(),
            available_from=date.today(),
        )
        wanted = [(self.skill(name), level) for name, level in (skills or {}).items()]
        engineer = Engineer(**{**defaults, **kw})
        for skill, level in wanted:
            engineer.skills.append(EngineerSkill(skill=skill, level=level, years=3))
        return self._save(engineer)

    def request(self, client: Client | None = None, skills=None, **kw) -> StaffingRequest:
        n = self._next()
        defaults = dict(
            title=f"ML engineer {n}",
            seniority="senior",
            headcount=1,
            start_date=date.today() + timedelta(days=14),
            duration_weeks=26,
            min_overlap_hours=Decimal(4),
            status="open",
            priority="normal",
        )
        # Skills (and the client) first: they may query, and the request must not be half-built.
        wanted = [(self.skill(name), level, must) for name, (level, must) in (skills or {}).items()]
        client = client or self.client()
        req = StaffingRequest(client=client, **{**defaults, **kw})
        for skill, level, required in wanted:
            req.skills.append(RequestSkill(skill=skill, min_level=level, required=required))
        return self._save(req)

    def proposal(self, request=None, engineer=None, status="proposed", **kw) -> Proposal:
        return self._save(
            Proposal(
                request=request or self.request(),
                engineer=engineer or self.engineer(),
                status=status,
                **kw,
            )
        )

    def placement(self, engineer=None, request=None, start=None, end=None, **kw) -> Placement:
        request = request or self.request()
        start = start or date.today() - timedelta(days=30)
        defaults = dict(
            bill_rate=Decimal("90.00"),
            pay_rate=Decimal("55.00"),
            status="active",
            review_cadence_days=14,
            timesheets_from=start,  # as create_placement: hours are kept from its first day
        )
        placement = Placement(
            engineer=engineer or self.engineer(),
            request=request,
            client_id=request.client_id,
            start_date=start,
            end_date=end,
            **{**defaults, **kw},
        )
        apply_summary(placement, [])
        return self._save(placement)

    def review(self, placement: Placement, iteration: int = 1, **kw) -> IterationReview:
        cadence = placement.review_cadence_days
        period_start = placement.start_date + timedelta(days=(iteration - 1) * cadence)
        defaults = dict(
            period_start=period_start,
            period_end=period_start + timedelta(days=cadence - 1),
            delivery=4,
            code_quality=4,
            communication=4,
            collaboration=4,
            would_continue=True,
        )
        review = self._save(
            IterationReview(placement=placement, iteration=iteration, **{**defaults, **kw})
        )
        refresh_summary(placement)  # as services.reviews does on every review
        db.session.commit()
        return review


@pytest.fixture
def make(app) -> Factory:
    return Factory()


class AuthActions:
    """Sign in and out through the real login form."""

    def __init__(self, client, make: Factory):
        self._client = client
        self._make = make

    def login(self, email: str, password: str = PASSWORD, **kw):
        return self._client.post("/login", data={"email": email, "password": password}, **kw)

    def login_as(self, role: str = "account_manager", **kw) -> User:
        user = self._make.user(role=role, **kw)
        response = self.login(user.email)
        assert response.status_code == 302, response.text
        return user

    def logout(self):
        return self._client.post("/logout")

    def login_for(self, url: str, company: Client) -> User:
        """Sign in as whoever uses the page: a user of the company in the portal, else an
        account manager (for tests that run the same check on a staff and a portal page)."""
        if url.startswith("/portal"):
            return self.login_as("client", client=company)
        return self.login_as("account_manager")


@pytest.fixture
def auth(client, make) -> AuthActions:
    return AuthActions(client, make)


class QueryCounter:
    """Counts the SQL statements sent while it is active."""

    def __init__(self):
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def _on_execute(self, conn, cursor, statement, *args):
        self.statements.append(statement)


@pytest.fixture
def count_queries(app):
    """Usage: `with count_queries() as counter: …; counter.count`."""

    @contextlib.contextmanager
    def counting():
        counter = QueryCounter()
        sa.event.listen(db.engine, "before_cursor_execute", counter._on_execute)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counter._on_execute)

    return counting


class ApiActions:
    """Calls /api/v1/ with a bearer token of a user made for the test (or given)."""

    def __init__(self, client, make: Factory):
        self._client = client
        self._make = make
        self.user: User | None = None
        self.secret: str | None = None

    def as_user(self, user: User, scope: str = "write", days: int | None = None) -> "ApiActions":
        from tracker.services.api_tokens import create_token

        new = create_token(user, f"test token {user.id}", scope, days)
        db.session.commit()
        self.user, self.secret = user, new.secret
        return self

    def as_role(self, role: str = "account_manager", scope: str = "write", **kw) -> User:
        user = self._make.user(role=role, **kw)
        self.as_user(user, scope)
        return user

    def headers(self, extra: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, headers: dict | None = None, **kw):
        return self._client.get(path, headers=self.headers(headers), **kw)

    def get_afresh(self, path: str, headers: dict | None = None, **kw):
        """GET as the first request after a write would be: no list's first page kept
        (tracker.api.core.first_pages_kept), so the statements that make it are counted."""
        from tracker.api.core import API_STORE
        from tracker.infra.cache import EXTENSION

        current_app.extensions.get(EXTENSION, {}).pop(API_STORE, None)
        return self.get(path, headers, **kw)

    def post(self, path: str, json=None, headers: dict | None = None, **kw):
        return self._client.post(path, json=json, headers=self.headers(headers), **kw)

    def patch(self, path: str, json=None, headers: dict | None = None, **kw):
        return self._client.patch(path, json=json, headers=self.headers(headers), **kw)

    def delete(self, path: str, headers: dict | None = None, **kw):
        return self._client.delete(path, headers=self.headers(headers), **kw)


@pytest.fixture
def api(client, make) -> ApiActions:
    return ApiActions(client, make)
