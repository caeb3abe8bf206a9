"""Soak test: gunicorn on PostgreSQL under load, with a PostgreSQL restart in the middle.

    python -m scripts.soak [--duration 75] [--users 6] [--restart-at 30] [--recovery-limit 5]

`make soak` runs it (it is not part of `make test`: it restarts the machine's PostgreSQL).
It creates a fresh database (SOAK_DATABASE_URL, default tracker_soak on 127.0.0.1), migrates it
and loads the demo data, serves it with `gunicorn -w 4` on a free loopback port, and signs in
several simulated account managers who read pages and create clients, each with a unique name.
Halfway through it restarts PostgreSQL and times how long the app takes to answer again. Then
it checks the database: every client the app acknowledged (302 to its page) exists exactly once;
those answered with an error may exist (the commit can succeed while the response fails).
It prints the figures and "SOAK PASSED", or "SOAK FAILED: …" and exits with 1. Ctrl-C stops the
run and cleans up (gunicorn stopped, database dropped, PostgreSQL running).
"""

import argparse
import contextlib
import http.client
import itertools
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from tests.pg_database import drop_database, ensure_database
from tracker.models import Client, Placement, StaffingRequest, User

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tracker_soak"
AM_EMAIL = "am@agency.example"
WORKERS = 4
REQUEST_TIMEOUT = 30.0
CLIENT_PAGE = re.compile(r"^/clients/(\d+)$")
# The last line of a logged database error, e.g. "sqlalchemy.exc.OperationalError: (psycopg.
# OperationalError) consuming input failed: terminating connection due to administrator command"
DB_ERROR = re.compile(r"^sqlalchemy\.exc\.\w+: \(psycopg\.[\w.]+\) (?:.*failed: )?(.+)$", re.M)


class SoakError(Exception):
    """The soak could not run as planned; the message says why."""


def restart_command() -> list[str]:
    """The command that restarts the local PostgreSQL cluster (SOAK_PG_RESTART overrides)."""
    if custom := os.environ.get("SOAK_PG_RESTART"):
        return ["sh", "-c", custom]
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]


def start_command() -> list[str]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"]


# --- one simulated person's browser ----------------------------------------------------------


@dataclass
class Answer:
    """One HTTP exchange: what was asked, what came back, and when (seconds into the run)."""

    kind: str  # read, write, form, login, probe
    path: str
    started: float
    ended: float
    status: int | None = None  # None: no HTTP answer at all
    error: str | None = None  # connection refused, timeout, …
    location: str = ""
    body: str = ""
    ok: bool = False

    @property
    def ms(self) -> float:
        return (self.ended - self.started) * 1000

    @property
    def outcome(self) -> str:
        """A short label for the error table."""
        if self.status is None:
            return self.error or "no answer"
        if self.status == 302:
            return f"302 to {urlsplit(self.location).path}"
        return str(self.status)


class HiddenInputs(HTMLParser):
    """Collects <input type=hidden> values: the CSRF token of a form."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.values.setdefault(a["name"], a.get("value") or "")


def hidden_inputs(html: str) -> dict[str, str]:
    parser = HiddenInputs()
    parser.feed(html)
    return parser.values


class Browser:
    """A signed-in session over plain http.client: its own cookie jar, no redirects followed."""

    def __init__(self, port: int, clock):
        self.port = port
        self.clock = clock
        self.cookies: dict[str, str] = {}
        self.csrf_token: str | None = None

    def request(self, kind: str, method: str, path: str, form: dict | None = None) -> Answer:
        headers = {"Connection": "close", "User-Agent": "tracker-soak"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        answer = Answer(kind, path, started=self.clock(), ended=0.0)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            answer.body = response.read().decode("utf-8", "replace")
            answer.status = response.status
            answer.location = response.getheader("Location") or ""
            for header in response.msg.get_all("Set-Cookie") or []:
                self._remember(header)
        except (OSError, http.client.HTTPException) as e:
            answer.error = _describe(e)
        finally:
            conn.close()
            answer.ended = self.clock()
        return answer

    def _remember(self, header: str) -> None:
        for name, morsel in SimpleCookie(header).items():
            if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, kind: str, path: str) -> Answer:
        answer = self.request(kind, "GET", path)
        answer.ok = answer.status == 200
        return answer

    def login(self, password: str) -> Answer:
        self.cookies.clear()
        self.csrf_token = None
        page = self.get("login", "/login")
        if not page.ok:
            return page
        token = hidden_inputs(page.body).get("csrf_token", "")
        form = {"email": AM_EMAIL, "password": password, "csrf_token": token}
        answer = self.request("login", "POST", "/login", form)
        answer.ok = answer.status == 302 and "/login" not in answer.location
        return answer


def _describe(error: Exception) -> str:
    if isinstance(error, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionResetError | http.client.RemoteDisconnected):
        return "connection reset"
    return type(error).__name__


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Write:
    """One attempt to create a client with a unique name, and how the app answered."""

    name: str
    answer: Answer
    client_id: int | None = None


@dataclass
class Run:
    """Everything the load threads record, shared (list.append is atomic)."""

    run_id: str
    port: int
    password: str
    account_manager_id: int
    request_ids: list[int]
    placement_ids: list[int]
    think: float
    began: float = field(default_factory=time.monotonic)
    stop: threading.Event = field(default_factory=threading.Event)
    answers: list[Answer] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    numbers: itertools.count = field(default_factory=lambda: itertools.count(1))

    def clock(self) -> float:
        return time.monotonic() - self.began


def read_paths(run: Run, rng: random.Random) -> str:
    choices = [
        "/dashboard/",
        "/engineers/",
        "/requests/",
        f"/requests/{rng.choice(run.request_ids)}/matches",
        f"/placements/{rng.choice(run.placement_ids)}",
    ]
    return rng.choice(choices)


def create_client(run: Run, browser: Browser, rng: random.Random) -> Answer:
    """Open the new-client form, then post it with a name never used before."""
    # Half the time the form was opened earlier: its token is still good (it lives as long as
    # the session), so some posts arrive while the form page itself would have failed.
    if browser.csrf_token is None or rng.random() < 0.5:
        form_page = browser.get("form", "/clients/new")
        run.answers.append(form_page)
        if form_page.ok:
            browser.csrf_token = hidden_inputs(form_page.body).get("csrf_token")
        elif browser.csrf_token is None:
            return form_page
    name = f"Soak {run.run_id}-{next(run.numbers):05d}"
    form = {
        "csrf_token": browser.csrf_token,
        "version_id": "",
        "name": name,
        "industry": "Load testing",
        "country": rng.choice(["US", "DE", "GB", "NL"]),
        "timezone": rng.choice(["America/New_York", "Europe/Berlin", "Europe/London"]),
        "workday_start": "09:00",
        "workday_end": "17:30",
        "account_manager_id": str(run.account_manager_id),
        "notes": f"Created by the soak test run {run.run_id}.",
    }
    answer = browser.request("write", "POST", "/clients/new", form)
    match = CLIENT_PAGE.match(urlsplit(answer.location).path) if answer.status == 302 else None
    answer.ok = match is not None
    if answer.status == 400:
        browser.csrf_token = None  # refused token: open the form again next time
    run.answers.append(answer)
    run.writes.append(Write(name, answer, int(match.group(1)) if match else None))
    return answer


def simulated_user(run: Run, seed: int) -> None:
    """Sign in, then read and write until told to stop; sign in again if the session is lost."""
    rng = random.Random(seed)  # noqa: S311 (load mix, not security)
    browser = Browser(run.port, run.clock)
    signed_in = False
    while not run.stop.is_set():
        if not signed_in:
            answer = browser.login(run.password)
            run.answers.append(answer)
            signed_in = answer.ok
            if not signed_in:
                run.stop.wait(0.5)
                continue
        if rng.random() < 0.25:
            last = create_client(run, browser, rng)
        else:
            last = browser.get("read", read_paths(run, rng))
            run.answers.append(last)
        if last.status == 302 and "/login" in last.location:
            signed_in = False
        run.stop.wait(rng.uniform(0, 2 * run.think))


def probe(run: Run, start_at: float) -> None:
    """A signed-in reader every 100 ms around the outage: when do reads work again?"""
    browser = Browser(run.port, run.clock)
    run.answers.append(browser.login(run.password))
    while run.clock() < start_at and not run.stop.is_set():
        run.stop.wait(0.05)
    while not run.stop.is_set():
        run.answers.append(browser.get("probe", "/clients/"))
        run.stop.wait(0.1)


@dataclass
class Restart:
    """When PostgreSQL was restarted, when it refused connections and when it took them again."""

    began: float | None = None
    command_done: float | None = None
    first_refused: float | None = None
    back: float | None = None  # the first connection that worked after the last refusal
    returncode: int | None = None
    output: str = ""


def _connects(engine: sa.Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError:
        return False
    return True


def restart_postgres(run: Run, at: float, database_url: str, restart: Restart) -> None:
    """At `at` seconds, restart PostgreSQL, watching it with a fresh connection every 50 ms."""
    while run.clock() < at:
        if run.stop.wait(0.05):
            return
    restart.began = run.clock()
    # Its own session: a Ctrl-C must not interrupt PostgreSQL half-way through a restart.
    command = subprocess.Popen(  # noqa: S603 (a fixed command)
        restart_command(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    engine = sa.create_engine(database_url, poolclass=NullPool, connect_args={"connect_timeout": 1})
    try:
        while run.clock() - restart.began < 120:
            now = run.clock()
            if not _connects(engine):
                restart.first_refused = restart.first_refused or now
                restart.back = None
            elif restart.back is None and (restart.first_refused or restart.command_done):
                restart.back = run.clock()
            if restart.command_done is None and command.poll() is not None:
                restart.command_done = run.clock()
            if restart.command_done is not None and restart.back is not None:
                break
            time.sleep(0.05)
    finally:
        engine.dispose()
        restart.output = command.communicate()[0].strip()  # waits for the command to end
        restart.returncode = command.returncode
        restart.command_done = restart.command_done or run.clock()


# --- set-up and tear-down ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(database_url: str) -> dict[str, str]:
    """Development config on loopback, one SECRET_KEY for every worker, the soak database."""
    env = dict(os.environ)
    env.update(
        APP_ENV="development",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(48),
        PYTHONUNBUFFERED="1",
    )
    env.pop("FLASK_DEBUG", None)
    return env


def flask(env: dict, *args: str) -> None:
    """Run `flask --app wsgi ARGS` against the soak database; its output only if it fails."""
    done = subprocess.run(  # noqa: S603 (our own venv's flask)
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(done.stdout + done.stderr, file=sys.stderr)
        raise subprocess.CalledProcessError(done.returncode, ["flask", *args])


def demo_facts(database_url: str) -> tuple[int, list[int], list[int]]:
    """The demo account manager's id, request ids and placement ids."""
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            am_id = conn.scalar(sa.select(User.id).where(User.email == AM_EMAIL))
            requests = conn.scalars(sa.select(StaffingRequest.id).order_by("id")).all()
            placements = conn.scalars(sa.select(Placement.id).order_by("id")).all()
    finally:
        engine.dispose()
    if am_id is None or not requests or not placements:
        raise SoakError("the demo data lacks the account manager, requests or placements")
    return am_id, list(requests), list(placements)


def other_sessions(database_url: str, own_db: str) -> list[str]:
    """Connections to other databases: someone else's work that the restart will cut."""
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT datname, count(*) FROM pg_stat_activity WHERE datname IS NOT NULL "
                    "AND datname <> :own AND pid <> pg_backend_pid() GROUP BY datname"
                ),
                {"own": own_db},
            ).all()
    finally:
        engine.dispose()
    return [f"{name} ({n})" for name, n in rows]


class Gunicorn:
    """`gunicorn -w 4` on a loopback port, its output in a log file."""

    def __init__(self, env: dict, port: int, log: Path):
        self.log = log
        self._out = log.open("w")
        self.process = subprocess.Popen(  # noqa: S603 (our own venv's gunicorn)
            [str(BIN / "gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}"]
            + ["--graceful-timeout", "5", "wsgi:app"],
            cwd=PROJECT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # stopped by us, in order, even after Ctrl-C
        )

    def wait_ready(self, port: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        browser = Browser(port, time.monotonic)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SoakError(f"gunicorn exited at start; see {self.log}")
            if browser.get("probe", "/health").ok:
                return
            time.sleep(0.2)
        raise SoakError(f"gunicorn did not answer /health within {timeout:.0f} s; see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._out.close()


def ensure_postgres_running() -> None:
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode != 0:  # noqa: S607
        print("PostgreSQL is not answering: starting it", file=sys.stderr)
        subprocess.run(start_command(), check=False)  # noqa: S603


def clients_found(database_url: str, run_id: str) -> dict[str, list[int]]:
    """This run's clients in the database: name → ids (more than one would be a duplicate)."""
    engine = sa.create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(Client.name, Client.id).where(Client.name.like(f"Soak {run_id}-%"))
            ).all()
    finally:
        engine.dispose()
    found: dict[str, list[int]] = {}
    for name, client_id in rows:
        found.setdefault(name, []).append(client_id)
    return found


# --- the verdict ------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile, nearest-rank (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def latency(answers: list[Answer]) -> str:
    ms = [a.ms for a in answers]
    return f"p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms, max {max(ms):.0f} ms"


def error_page_kind(answer: Answer) -> str:
    """What a 5xx looked like to the person: our error page, gunicorn's, or a traceback."""
    if "Traceback (most recent call last)" in answer.body or "__debugger__" in answer.body:
        return "traceback"
    if "Reference: <code>" in answer.body:
        return "the app's error page"
    return "gunicorn's bare page"


def check(run: Run, restart: Restart, found: dict, log: str, recovery_limit: float) -> list[str]:
    """Print the figures; return what failed (empty: the soak passed)."""
    failures: list[str] = []
    answers = run.answers
    errors = [a for a in answers if not a.ok]
    kinds = ", ".join(f"{kind} {n}" for kind, n in Counter(a.kind for a in answers).items())
    print(f"\nRequests      {len(answers)} ({kinds})")
    by_outcome = Counter(a.outcome for a in errors)
    listed = ", ".join(f"{label} ×{n}" for label, n in by_outcome.most_common()) or "none"
    print(f"Errors        {len(errors)}: {listed}")
    pages = Counter(error_page_kind(a) for a in errors if a.status and a.status >= 500)
    if pages:
        print("5xx pages     " + ", ".join(f"{kind} ×{n}" for kind, n in pages.items()))
    if pages["traceback"]:
        failures.append(f"{pages['traceback']} error pages showed a traceback")

    reads = [a for a in answers if a.kind == "read" and a.ok]
    posts = [a for a in answers if a.kind == "write" and a.ok]
    if reads:
        print(f"Reads (ok)    {len(reads)}: {latency(reads)}")
    if posts:
        print(f"Writes (ok)   {len(posts)}: {latency(posts)}")

    # Writes: acknowledged ones must be there exactly once, under the id the redirect named.
    acked = [w for w in run.writes if w.answer.ok]
    refused = [w for w in run.writes if not w.answer.ok]
    missing = [w.name for w in acked if not found.get(w.name)]
    doubled = [w.name for w in acked if len(found.get(w.name, [])) > 1]
    wrong_id = [w.name for w in acked if found.get(w.name) and found[w.name] != [w.client_id]]
    present = Counter(w.answer.outcome for w in refused if found.get(w.name))
    print(
        f"Writes        {len(run.writes)} sent: {len(acked)} acknowledged (302 to the client), "
        f"{len(refused)} answered with an error"
    )
    print(
        f"              acknowledged and found once: "
        f"{len(acked) - len(missing) - len(doubled)}; missing {len(missing)}; "
        f"duplicated {len(doubled)}; under another id {len(wrong_id)}"
    )
    print(
        f"              answered with an error but committed: {sum(present.values())} of "
        f"{len(refused)}" + (f" ({dict(present)})" if present else "")
    )
    if not acked:
        failures.append("no write was acknowledged: the load did not run")
    if missing:
        failures.append(f"{len(missing)} acknowledged writes are missing, e.g. {missing[0]}")
    if doubled:
        failures.append(f"{len(doubled)} acknowledged writes are in the database twice")
    if wrong_id:
        failures.append(f"{len(wrong_id)} acknowledged writes are under another id")
    # Only a failed response (5xx, no answer) may hide a commit; a form re-shown must not.
    hidden = {k: n for k, n in present.items() if not (k[0] == "5" or not k[0].isdigit())}
    if hidden:
        failures.append(f"writes answered {hidden} (nothing saved) are in the database")

    failures += check_outage(run, restart, errors, recovery_limit)

    booted = log.count("Booting worker")
    timeouts = log.count("WORKER TIMEOUT")
    logged = log.count("Unhandled error")
    print(
        f"Gunicorn      {booted} workers booted ({max(0, booted - WORKERS)} replaced), "
        f"{timeouts} worker timeouts, {logged} unhandled errors logged"
    )
    causes = Counter(
        m.group(1).strip()[:70] for m in DB_ERROR.finditer(log) if "Background on" not in m.group(1)
    )
    for cause, n in causes.most_common(4):
        print(f"              logged ×{n}: {cause}")
    if timeouts:
        failures.append(f"{timeouts} gunicorn workers timed out (stuck)")
    return failures


def check_outage(run: Run, restart: Restart, errors: list[Answer], limit: float) -> list[str]:
    """Errors only while PostgreSQL was away, and reads working again soon after it is back."""
    if restart.began is None:
        return ["PostgreSQL was never restarted (the run ended first)"]
    refused = f"{restart.first_refused:.1f} s" if restart.first_refused else "never"
    back = f"{restart.back:.1f} s" if restart.back is not None else "never"
    print(
        f"PostgreSQL    restart command from {restart.began:.1f} s to {restart.command_done:.1f} s "
        f"(exit {restart.returncode}); refused connections from {refused}, "
        f"took them again at {back}"
    )
    if restart.returncode != 0:
        return [f"the restart command failed: {restart.output[-300:]}"]
    if restart.back is None:
        return ["PostgreSQL did not accept connections within 120 s of the restart"]
    failures = []
    window_end = restart.back + limit
    during = [a for a in errors if a.ended >= restart.began and a.started <= window_end]
    outside = [a for a in errors if a not in during]
    if during:
        first, last = min(a.ended for a in during), max(a.ended for a in during)
        print(
            f"App outage    failures answered from {first:.2f} s to {last:.2f} s "
            f"({last - first:.2f} s, {len(during)} requests)"
        )
    else:
        print("App outage    no request failed")
    good = [
        a.ended
        for a in run.answers
        if a.ok and a.kind in ("read", "probe") and a.started >= restart.back
    ]
    if not good:
        failures.append("no read succeeded after PostgreSQL came back")
    else:
        first_good = min(good) - restart.back
        settled = f"last failure {last - restart.back:+.2f} s from then" if during else "no failure"
        print(
            f"Recovery      first good read {first_good:.2f} s after PostgreSQL was back; "
            f"{settled} (limit {limit:g} s)"
        )
        if first_good > limit:
            failures.append(f"reads failed for {first_good:.1f} s after PostgreSQL came back")
    if outside:
        sample = outside[0]
        failures.append(
            f"{len(outside)} requests failed outside the outage, e.g. {sample.kind} "
            f"{sample.path} → {sample.outcome} at {sample.ended:.1f} s"
        )
    return failures


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=75, help="seconds of load (75)")
    parser.add_argument("--users", type=int, default=6, help="signed-in simulated users (6)")
    parser.add_argument("--restart-at", type=float, help="restart PostgreSQL at (duration × 0.4)")
    parser.add_argument("--recovery-limit", type=float, default=5, help="seconds allowed (5)")
    parser.add_argument("--think", type=float, default=0.1, help="mean pause between requests")
    parser.add_argument("--keep-log", action="store_true", help="keep gunicorn's log when passed")
    parser.add_argument("--database-url", default=os.environ.get("SOAK_DATABASE_URL", DEFAULT_URL))
    args = parser.parse_args(argv)
    if args.restart_at is None:
        args.restart_at = args.duration * 0.4
    if not 0 < args.restart_at < args.duration - args.recovery_limit:
        parser.error("--restart-at must leave at least --recovery-limit seconds of load after it")
    return args


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url
    db_name = make_url(url).database
    run_id = secrets.token_hex(3)
    workdir = Path(tempfile.mkdtemp(prefix="tracker-soak-"))
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in background
    gunicorn: Gunicorn | None = None
    run: Run | None = None
    threads: list[threading.Thread] = []
    passed = False
    try:
        print(f"Soak {run_id}: database {db_name}, migrate and load the demo data …", flush=True)
        drop_database(url)
        ensure_database(url)
        env = app_env(url)
        flask(env, "db", "upgrade")
        flask(env, "seed-demo")
        am_id, request_ids, placement_ids = demo_facts(url)
        port = free_port()
        gunicorn = Gunicorn(env, port, workdir / "gunicorn.log")
        gunicorn.wait_ready(port)
        if others := other_sessions(url, db_name):
            print("Warning: the restart will cut connections to " + ", ".join(others))
        print(
            f"gunicorn -w {WORKERS} on 127.0.0.1:{port}; {args.users} users for "
            f"{args.duration:g} s; PostgreSQL restart at {args.restart_at:g} s "
            f"({' '.join(restart_command())})",
            flush=True,
        )
        password = env.get("DEMO_PASSWORD", "tracker-demo-2026")
        run = Run(run_id, port, password, am_id, request_ids, placement_ids, args.think)
        restart = Restart()
        threads = [
            threading.Thread(target=simulated_user, args=(run, i), daemon=True)
            for i in range(args.users)
        ]
        threads.append(threading.Thread(target=probe, args=(run, args.restart_at - 2), daemon=True))
        restarter = threading.Thread(
            target=restart_postgres, args=(run, args.restart_at, url, restart), daemon=True
        )
        threads.append(restarter)
        for t in threads:
            t.start()
        for mark in range(10, int(args.duration) + 10, 10):
            time.sleep(max(0.0, min(mark, args.duration) - run.clock()))
            failed = sum(not a.ok for a in run.answers)
            print(
                f"  {run.clock():5.1f} s: {len(run.answers)} requests, {failed} failed", flush=True
            )
        run.stop.set()
        for t in threads:
            t.join(timeout=REQUEST_TIMEOUT + 90)
        found = clients_found(url, run.run_id)
        gunicorn.stop()
        log = gunicorn.log.read_text(errors="replace")
        failures = check(run, restart, found, log, args.recovery_limit)
        passed = not failures
        print("SOAK PASSED" if passed else "SOAK FAILED: " + "; ".join(failures), flush=True)
        return 0 if passed else 1
    except KeyboardInterrupt:
        print("\nSOAK INTERRUPTED: cleaning up", file=sys.stderr)
        return 130
    except (SoakError, subprocess.CalledProcessError, sa.exc.SQLAlchemyError) as e:
        print(f"SOAK FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not skip the clean-up
        if run is not None:
            run.stop.set()
            for t in threads:
                t.join(timeout=REQUEST_TIMEOUT + 90)
        if gunicorn is not None:
            gunicorn.stop()
        ensure_postgres_running()
        with contextlib.suppress(Exception):
            drop_database(url)
        if passed and not args.keep_log:
            for f in workdir.iterdir():
                f.unlink()
            workdir.rmdir()
        else:
            print(f"gunicorn log kept in {workdir}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
