"""Server time and SQL queries of the main pages on the large data set, SQLite and PostgreSQL.

    python -m benchmarks.bench_pages [--backends sqlite,postgresql] [--requests 50]
        [--pages dashboard,engineers,…] [--seed 2026] [--rebuild] [--profile]

Builds the large agency (tracker/demo/large.py) once per seed and generator version and reuses
it: SQLite in benchmarks/large-s<seed>-v<version>.db (gitignored), PostgreSQL in the database
tracker_bench_large (BENCH_LARGE_DATABASE_URL), marked by a comment on the database. --rebuild
makes them afresh.

Each page is requested in-process through Flask's test client, signed in through /login like a
user (the API's lists with a read token of the staff user, made for the run and deleted after
it), a few times to warm up and then --requests times: p50 and p95 of the time the app takes
to answer, and the number of SQL statements per request (a before_cursor_execute listener, as
tests/conftest.py counts them). Written to benchmarks/results.json under "pages" → backend →
page. --profile prints, for every page over its target, the slowest statements with their
plans (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL) and a cProfile of the
request.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from benchmarks.bench_matching import percentile, time_ranking
from config import Config
from tests.pg_database import drop_database, ensure_database
from tracker import create_app
from tracker.demo import large
from tracker.extensions import db
from tracker.infra import cache
from tracker.models import (
    ApiToken,
    EngineerSkill,
    Interview,
    Invoice,
    InvoiceLine,
    IterationReview,
    Placement,
    RequestSkill,
    Skill,
    StaffingRequest,
    Timesheet,
    TimesheetEntry,
    User,
)
from tracker.services import matching
from tracker.services.api_tokens import create_token

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
PG_URL = os.environ.get(
    "BENCH_LARGE_DATABASE_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/tracker_bench_large",
)
TARGET_P95_MS = 50
TARGET_QUERIES = 12
WARMUP = 3
# The main pages the targets are about, then other lists measured alongside.
# Pages that keep agency-wide results in tracker.infra.cache: also timed right after a write.
CACHED_PAGES = ("dashboard", "matches")
# Everyday writes, as the tables each renews in tracker.infra.cache (what its commit writes):
# the cached pages are also timed right after each, beside the worst case (every table).
TYPICAL_WRITES = {
    "hours logged": (Timesheet, TimesheetEntry),
    "review saved": (IterationReview, Placement),  # the placement keeps a review summary
    "request saved": (StaffingRequest, RequestSkill),
}
MAIN_PAGES = ("dashboard", "engineers", "requests", "matches", "placement", "portal")
OTHER_PAGES = (
    "clients",
    "placements",
    "reviews",
    "portal_requests",
    "portal_proposals",
    "portal_placements",
)
# Pages of hours, money and interviews, the engineer's /me, and the API's lists (issue 18): the
# same budget as the main pages, on both databases.
MONEY_PAGES = (
    "timesheets",
    "invoices",
    "invoice",
    "pay_statements",
    "interviews",
    "interview",
    "portal_invoices",
    "portal_timesheets",
    "portal_interviews",
    "me",
    "me_placement",
    "me_timesheets",
    "me_pay",
    "me_interviews",
)
API_PAGES = (
    "api_clients",
    "api_skills",
    "api_engineers",
    "api_requests",
    "api_matches",
    "api_proposals",
    "api_placements",
    "api_reviews",
    "api_timesheets",
    "api_invoices",
    "api_pay_statements",
)
NEW_PAGES = MONEY_PAGES + API_PAGES
# API lists keep their first page until a write (tracker.api.core.first_pages_kept): each is
# timed kept, and afresh as right after a write.
KEPT_API_PAGES = API_PAGES
# Pages whose target a run checks (and flags when missed).
TARGETED_PAGES = MAIN_PAGES + NEW_PAGES


class BenchConfig(Config):
    """The app's own settings, as served, with CSRF off so the test client can post /login."""

    DEBUG = False
    TESTING = False
    SECRET_KEY = "benchmark-secret-key-not-for-production"  # noqa: S105
    WTF_CSRF_ENABLED = False
    # The limiter still counts every API request; one run makes more than the default allows.
    API_RATE_LIMIT = "100000 per minute"


def log(message: str) -> None:
    print(message, flush=True)


# --- the large databases, built once and reused ---------------------------------------------


def sqlite_path(seed: int) -> Path:
    return HERE / f"large-s{seed}-v{large.VERSION}.db"


def _marker(seed: int) -> str:
    return f"engagement-tracker large data seed={seed} version={large.VERSION}"


def _build(uri: str, seed: int) -> dict:
    """Migrate and fill an empty database; returns what was written and how long it took."""
    app = create_app(BenchConfig, SQLALCHEMY_DATABASE_URI=uri)
    with app.app_context():
        upgrade()
        began = time.perf_counter()
        result = large.seed(seed=seed)
        db.session.commit()
        seeded = time.perf_counter() - began
        large.analyze()
        total = time.perf_counter() - began
        db.session.remove()
        db.engine.dispose()
    log(f"  {result.summary()}")
    log(f"  planned and written in {seeded:.1f} s, {total:.1f} s with planner statistics")
    return {
        "seconds": round(total, 1),
        "seed_seconds": round(seeded, 1),  # planning and writing; "seconds" adds ANALYZE
        "built_on": date.today().isoformat(),
        "rows": result.created,
    }


def ensure_sqlite(seed: int, rebuild: bool) -> tuple[str, dict | None]:
    """The large SQLite database's URI, built first when missing (or asked to)."""
    path = sqlite_path(seed)
    if path.exists() and not rebuild:
        log(f"sqlite: reusing {path.name}")
        _upgrade(f"sqlite:///{path}")
        return f"sqlite:///{path}", None
    log(f"sqlite: building {path.name} (seed {seed})")
    building = path.with_name(path.stem + ".building.db")
    building.unlink(missing_ok=True)
    built = _build(f"sqlite:///{building}", seed)
    os.replace(building, path)  # only a complete database ever has the final name
    return f"sqlite:///{path}", built


def ensure_postgres(seed: int, rebuild: bool) -> tuple[str, dict | None]:
    """The large PostgreSQL database's URL, built first when missing, stale or asked to."""
    ensure_database(PG_URL)
    engine = sa.create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            comment = conn.scalar(
                sa.text(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                    "WHERE datname = current_database()"
                )
            )
    finally:
        engine.dispose()
    name = sa.engine.make_url(PG_URL).database
    if comment == _marker(seed) and not rebuild:
        log(f"postgresql: reusing {name}")
        _upgrade(PG_URL)
        return PG_URL, None
    log(f"postgresql: building {name} (seed {seed})")
    drop_database(PG_URL)
    ensure_database(PG_URL)
    built = _build(PG_URL, seed)
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:  # marks the database complete
            conn.execute(sa.text(f"COMMENT ON DATABASE \"{name}\" IS '{_marker(seed)}'"))
    finally:
        engine.dispose()
    return PG_URL, built


def _upgrade(uri: str) -> None:
    app = create_app(BenchConfig, SQLALCHEMY_DATABASE_URI=uri)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def ensure_large(backend: str, seed: int, rebuild: bool) -> tuple[str, dict | None]:
    return (ensure_sqlite if backend == "sqlite" else ensure_postgres)(seed, rebuild)


# --- what to request ------------------------------------------------------------------------


@dataclass
class Targets:
    skill_id: int
    skill_name: str
    request_id: int
    placement_id: int
    staff_email: str
    client_email: str
    notes: dict = field(default_factory=dict)
    invoice_id: int = 0
    interview_id: int = 0
    engineer_email: str = ""
    engineer_placement_id: int = 0

    def urls(self) -> dict[str, tuple[str, str]]:
        """page -> (who, path); who is staff, client, engineer (signed in through /login) or
        api (the staff user's bearer token)."""
        return {
            "dashboard": ("staff", "/dashboard/"),
            "engineers": ("staff", f"/engineers/?skill_id={self.skill_id}&min_level=3"),
            "requests": ("staff", "/requests/"),
            "matches": ("staff", f"/requests/{self.request_id}/matches"),
            "placement": ("staff", f"/placements/{self.placement_id}"),
            "portal": ("client", "/portal/"),
            "clients": ("staff", "/clients/"),
            "placements": ("staff", "/placements/"),
            "reviews": ("staff", "/reviews/"),
            "portal_requests": ("client", "/portal/requests/"),
            "portal_proposals": ("client", "/portal/proposals/"),
            "portal_placements": ("client", "/portal/placements/"),
            "timesheets": ("staff", "/timesheets/"),
            "invoices": ("staff", "/invoices/"),
            "invoice": ("staff", f"/invoices/{self.invoice_id}"),
            "pay_statements": ("staff", "/pay-statements/"),
            "interviews": ("staff", "/interviews/"),
            "interview": ("staff", f"/interviews/{self.interview_id}"),
            "portal_invoices": ("client", "/portal/invoices/"),
            "portal_timesheets": ("client", "/portal/timesheets/"),
            "portal_interviews": ("client", "/portal/interviews/"),
            "me": ("engineer", "/me/"),
            "me_placement": ("engineer", f"/me/placements/{self.engineer_placement_id}"),
            "me_timesheets": ("engineer", "/me/timesheets/"),
            "me_pay": ("engineer", "/me/pay/"),
            "me_interviews": ("engineer", "/me/interviews/"),
            "api_clients": ("api", "/api/v1/clients"),
            "api_skills": ("api", "/api/v1/skills"),
            "api_engineers": ("api", "/api/v1/engineers"),
            "api_requests": ("api", "/api/v1/requests"),
            "api_matches": ("api", f"/api/v1/requests/{self.request_id}/matches"),
            "api_proposals": ("api", "/api/v1/proposals"),
            "api_placements": ("api", "/api/v1/placements"),
            "api_reviews": ("api", f"/api/v1/placements/{self.placement_id}/reviews"),
            "api_timesheets": ("api", "/api/v1/timesheets"),
            "api_invoices": ("api", "/api/v1/invoices"),
            "api_pay_statements": ("api", "/api/v1/pay-statements"),
        }


def pick_targets(app: Flask) -> Targets:
    """The rows the pages are about, the same for the same data on either database."""
    with app.app_context():
        # The skill most engineers hold at level 3 or more (Python, in the catalogue's data).
        skill_id, skill_name = db.session.execute(
            sa.select(Skill.id, Skill.name)
            .join(EngineerSkill, EngineerSkill.skill_id == Skill.id)
            .where(EngineerSkill.level >= 3)
            .group_by(Skill.id, Skill.name)
            .order_by(sa.func.count().desc(), Skill.id)
            .limit(1)
        ).one()
        # The busiest of the first twenty open requests: most matches, then lowest id.
        open_requests = db.session.scalars(
            sa.select(StaffingRequest)
            .where(StaffingRequest.status == "open")
            .order_by(StaffingRequest.id)
            .limit(20)
        ).all()
        found = {r.id: len(matching.rank_engineers(r)) for r in open_requests}
        request_id = max(found, key=lambda rid: (found[rid], -rid))
        # The live placement with the longest review history: the page grows with it.
        placement_id, reviews = db.session.execute(
            sa.select(Placement.id, Placement.reviews_count)
            .where(Placement.status == "active", Placement.reviews_count > 0)
            .order_by(Placement.reviews_count.desc(), Placement.id)
            .limit(1)
        ).one()
        client_email = db.session.scalar(
            sa.select(User.email).where(User.role == "client").order_by(User.id).limit(1)
        )
        # The issued invoice with the most lines, the first scheduled interview, and the
        # engineer who signs in with the longest history of hours (and that placement).
        lines = sa.func.count(InvoiceLine.id)
        invoice_id = db.session.scalar(
            sa.select(Invoice.id)
            .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
            .where(Invoice.status != "draft")
            .group_by(Invoice.id)
            .order_by(lines.desc(), Invoice.id)
            .limit(1)
        )
        interview_id = db.session.scalar(
            sa.select(sa.func.min(Interview.id)).where(Interview.status == "scheduled")
        )
        weeks = sa.func.count(Timesheet.id)
        engineer = db.session.execute(
            sa.select(User.email, Placement.id)
            .join(Placement, Placement.engineer_id == User.engineer_id)
            .join(Timesheet, Timesheet.placement_id == Placement.id)
            .where(User.role == "engineer")
            .group_by(User.email, User.id, Placement.id)
            .order_by(weeks.desc(), User.id, Placement.id)
            .limit(1)
        ).first()
        db.session.remove()
    return Targets(
        skill_id,
        skill_name,
        request_id,
        placement_id,
        "am@agency.example",
        client_email,
        {"matches": found[request_id], "placement_reviews": reviews},
        invoice_id=invoice_id or 0,
        interview_id=interview_id or 0,
        engineer_email=engineer[0] if engineer else "",
        engineer_placement_id=engineer[1] if engineer else 0,
    )


# --- measuring ------------------------------------------------------------------------------


class StatementLog:
    """Counts (and, when asked, times) the SQL statements the engine sends."""

    def __init__(self, engine: sa.Engine, timed: bool = False):
        self.engine, self.timed = engine, timed
        self.count = 0
        self.statements: list[tuple[float, str, object]] = []
        self._started = 0.0

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        ms = (time.perf_counter() - self._started) * 1000
        self.statements.append((ms, statement, parameters))

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        if self.timed:
            sa.event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        if self.timed:
            sa.event.remove(self.engine, "after_cursor_execute", self._after)


def bench_app(uri: str) -> Flask:
    return create_app(BenchConfig, SQLALCHEMY_DATABASE_URI=uri)


def signed_in(app: Flask, email: str):
    client = app.test_client()
    password = app.config["DEMO_PASSWORD"]
    response = client.post("/login", data={"email": email, "password": password})
    if response.status_code != 302:
        raise SystemExit(f"could not sign in as {email} (status {response.status_code})")
    return client


class Bearer:
    """A test client that sends a bearer token with every request (the API's callers)."""

    def __init__(self, client, secret: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {secret}"}

    def get(self, path: str):
        return self.client.get(path, headers=self.headers)


def api_token(app: Flask, email: str) -> tuple[int, str]:
    """A read token of the staff user for this run: (its id, the secret)."""
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            raise SystemExit(f"no user {email} to make an API token for")
        new = create_token(user, "page benchmark", "read", 1)
        db.session.commit()
        token_id = new.token.id
        db.session.remove()
    return token_id, new.secret


def drop_api_token(app: Flask, token_id: int) -> None:
    with app.app_context():
        db.session.execute(sa.delete(ApiToken).where(ApiToken.id == token_id))
        db.session.commit()
        db.session.remove()


def measure(client, engine: sa.Engine, path: str, n: int, before=None) -> dict:
    """p50/p95 of n requests after a warm-up, and the statements per request; `before` runs
    untimed ahead of each timed request."""
    for _ in range(WARMUP):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}, not 200")
    timings, counts = [], []
    for _ in range(n):
        if before is not None:
            before()
        with StatementLog(engine) as statements:
            began = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}, not 200")
        counts.append(statements.count)
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 95), 2),
        "queries": max(counts),
        "queries_min": min(counts),
        "requests": n,
        "path": path,
    }


def over_target(result: dict) -> bool:
    return result["p95_ms"] >= TARGET_P95_MS or result["queries"] > TARGET_QUERIES


def profile_page(client, engine: sa.Engine, backend: str, page: str, path: str) -> None:
    """The slowest statements of one request with their plans, then a cProfile of five."""
    with StatementLog(engine, timed=True) as log_:
        began = time.perf_counter()
        client.get(path)
        total = (time.perf_counter() - began) * 1000
    spent = sum(ms for ms, _, _ in log_.statements)
    log(
        f"\n===== {backend} {page} {path}: {total:.1f} ms, {log_.count} statements, "
        f"{spent:.1f} ms in the database ====="
    )
    for rank, (ms, statement, parameters) in enumerate(sorted(log_.statements, reverse=True)):
        if rank == 3 or ms < 2:
            break
        log(f"\n--- {ms:.1f} ms ---\n{statement}\nparameters: {parameters!r}")
        log(_explain(engine, statement, parameters))
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5):
        client.get(path)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    # The app's own functions, its templates, and where SQL runs: what a reader can act on.
    stats.print_stats(r"/tracker/|/templates/|jinja2/environment|engine/base.py.*_execute_cont", 30)
    log(f"\n--- cProfile, 5 requests, by cumulative time ---\n{out.getvalue()}")


def _explain(engine: sa.Engine, statement: str, parameters) -> str:
    """The plan of a statement as it ran: EXPLAIN QUERY PLAN (SQLite), EXPLAIN ANALYZE (PG)."""
    prefix = (
        "EXPLAIN QUERY PLAN "
        if engine.dialect.name == "sqlite"
        else "EXPLAIN (ANALYZE, BUFFERS, TIMING) "
    )
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(prefix + statement, parameters)
        rows = cursor.fetchall()
        raw.rollback()
    finally:
        raw.close()
    if engine.dialect.name == "sqlite":
        return "plan:\n" + "\n".join(f"  {row[-1]}" for row in rows)
    return "plan:\n" + "\n".join(f"  {row[0]}" for row in rows)


def rank_on_large(app: Flask, count: int = 25) -> dict:
    """rank_engineers on the first open requests of the large data, as bench_matching times it
    (each once, the overlap cache cleared): realistic profiles pass many more candidates than
    bench_matching's random skills do."""
    with app.app_context():
        ids = list(
            db.session.scalars(
                sa.select(StaffingRequest.id)
                .where(StaffingRequest.status == "open")
                .order_by(StaffingRequest.id)
                .limit(count)
            )
        )
        time_ranking(ids[:3])  # warm the connection and the database's caches
        result = time_ranking(ids)
        db.session.remove()
    return result


def run_backend(backend: str, uri: str, pages: list[str], n: int, profile: bool) -> dict:
    app = bench_app(uri)
    targets = pick_targets(app)
    log(
        f"{backend}: skill {targets.skill_name} (#{targets.skill_id}), request "
        f"#{targets.request_id} ({targets.notes['matches']} matches), placement "
        f"#{targets.placement_id} ({targets.notes['placement_reviews']} reviews), "
        f"client user {targets.client_email}"
    )
    with app.app_context():
        engine = db.engine
    urls = targets.urls()
    needed = {urls[page][0] for page in pages}
    clients = {"staff": signed_in(app, targets.staff_email)}
    clients["client"] = signed_in(app, targets.client_email)
    if "engineer" in needed:
        if not targets.engineer_email:
            raise SystemExit("the large data has no engineer who signs in: rebuild it")
        clients["engineer"] = signed_in(app, targets.engineer_email)
    token_id = None
    if "api" in needed:
        token_id, secret = api_token(app, targets.staff_email)
        clients["api"] = Bearer(app.test_client(), secret)
    results = {}

    def write_happened(models=None):
        with app.app_context():
            cache.bump(None if models is None else [m.__table__.name for m in models])

    def after_write(who, path, label, models):
        """The page timed right after a write to the models' tables (None: every table)."""
        r = measure(clients[who], engine, path, n, before=lambda: write_happened(models))
        whom = "  (to every table)" if models is None else ""
        log(
            f"{backend:<10} {label:<18} p50 {r['p50_ms']:>7.1f} ms  "
            f"p95 {r['p95_ms']:>7.1f} ms  {r['queries']:>3} queries{whom}"
        )
        return r

    for page in pages:
        who, path = urls[page]
        r = measure(clients[who], engine, path, n)
        results[page] = r
        flag = "  over target" if page in TARGETED_PAGES and over_target(r) else ""
        log(
            f"{backend:<10} {page:<18} p50 {r['p50_ms']:>7.1f} ms  p95 {r['p95_ms']:>7.1f} ms"
            f"  {r['queries']:>3} queries{flag}"
        )
        if page in KEPT_API_PAGES or page in CACHED_PAGES:
            # The same page as the first view after someone saved something: nothing kept.
            r["first_view_after_write"] = after_write(who, path, "  after a write", None)
        if page in CACHED_PAGES:
            r["first_view_after"] = {
                write: after_write(who, path, "    " + write, models)
                for write, models in TYPICAL_WRITES.items()
            }
    rank = rank_on_large(app)
    log(f"{backend:<10} rank_engineers on 25 open requests: p50 {rank['p50']:.1f} ms  "
        f"p95 {rank['p95']:.1f} ms  (median {rank['median_matches']} matches)")  # fmt: skip
    save("rank_large_ms", {backend: rank})
    if profile:
        for page in pages:
            if over_target(results[page]):
                who, path = urls[page]
                profile_page(clients[who], engine, backend, page, path)
    if token_id is not None:
        drop_api_token(app, token_id)
    with app.app_context():
        db.engine.dispose()
    return results


def save(section: str, values: dict, *, per_page: bool = False) -> None:
    """Merge values into one section of results.json, keeping the others; per_page keeps the
    pages of a backend that this run did not measure."""
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    old = data.get(section, {})
    if per_page:
        values = {backend: {**old.get(backend, {}), **pages} for backend, pages in values.items()}
    data[section] = {**old, **values}
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def run(backends, pages, n, seed, rebuild, profile) -> dict:
    """Every page on every backend; results.json's "pages" and "large_data" sections."""
    out, built = {}, {}
    for backend in backends:
        uri, build = ensure_large(backend, seed, rebuild)
        if build:
            built[backend] = build
        out[backend] = run_backend(backend, uri, pages, n, profile)
    save("pages", out, per_page=True)
    if built:
        save("large_data", {"seed": seed, "version": large.VERSION, **built})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--pages", default=",".join(MAIN_PAGES + OTHER_PAGES + NEW_PAGES))
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rebuild", action="store_true", help="build the large data afresh")
    parser.add_argument("--profile", action="store_true", help="profile pages over target")
    args = parser.parse_args()
    run(
        args.backends.split(","),
        args.pages.split(","),
        args.requests,
        args.seed,
        args.rebuild,
        args.profile,
    )


if __name__ == "__main__":
    main()
