"""Requests per second through gunicorn, against a bare Flask app; gunicorn workers' memory.

The main pages and the API lists on the demo data, against a bare Flask app under the same
gunicorn in the same run; then the workers' memory after the large data's pages.

    python -m benchmarks.bench_throughput [--workers 2] [--threads 2] [--connections 8]
        [--duration 15] [--rss-duration 5] [--seed 2026] [--rebuild]

Both apps are served by the same command line, `gunicorn -w 2 -b 127.0.0.1:<port> <app>` (sync
workers, one per core of this 2-core machine; more workers only queue for the same cores, which
wrk shares), from the checkout (so gunicorn.conf.py applies to both), one server at a time:

- the bare app, benchmarks/bare_app.py (`Flask(__name__)` and one route returning a short
  text): `bare_flask_rps`, measured before and after the app, their mean;
- the app as deployed (APP_ENV=production, a fixed SECRET_KEY) with FORCE_HTTPS=0 (TLS ends at
  the proxy in front; here wrk talks plain HTTP to it) and API_RATE_LIMIT raised so that the
  load is not answered 429 (the limiter still counts every request), on the demo data
  (`flask --app wsgi db upgrade` and `seed-demo`, in-process, in a temporary SQLite file). The
  pages are signed in as am@agency.example through /login (its CSRF token, the session cookie);
  the API lists use a read token of the same user (tracker.services.api_tokens.create_token).

wrk (Debian's package, installed here when missing) loads each URL for --duration seconds
after a warm-up (every URL of the server for a moment, then this one); ratio = rps /
bare_flask_rps, targets 0.10 for the pages and 0.15 for the API lists (issue 18). The machine's
other work moves every rate by 10-30 % from one run to the next; the gunicorn workers' CPU time
per request, read from /proc during each run (`cpu_ms_per_request`, and `cpu_ratio`, bare
Flask's over the page's), moves much less: compare runs with it.

Then gunicorn serves the large SQLite data of bench_pages (built when missing): --rss-duration
seconds of wrk on each main page, and each worker's VmRSS is read from /proc: `worker_rss_mb`
(target <= 200 MB). Written to benchmarks/results.json: "throughput" and "worker_rss_mb".
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path

import sqlalchemy as sa

from benchmarks.bench_pages import RESULTS, BenchConfig, ensure_sqlite, log, pick_targets
from config import Config

PROJECT = Path(__file__).resolve().parent.parent
SECRET_KEY = "throughput-benchmark-secret-key-0123456789"  # noqa: S105
USER_AGENT = "engagement-tracker-bench"  # the same for sign-in and load: one session identity
STAFF_EMAIL = "am@agency.example"
BARE_APP = "benchmarks.bare_app:app"
BARE_ROUTE = "/"
APP = "wsgi:app"
APP_PROBE = "/ping"
PAGE_TARGET = 0.10  # of bare Flask's requests per second
API_TARGET = 0.15
RSS_TARGET_MB = 200
WARM_UP_SECONDS = 2  # of load on every URL of a server before any is measured
# Signed-in pages of the demo data, then the API's lists (GET of each collection).
PAGES = {
    "engineers": "/engineers/",
    "dashboard": "/dashboard/",
    "requests": "/requests/",
}
API_LISTS = {
    "api_engineers": "/api/v1/engineers",
    "api_requests": "/api/v1/requests",
    "api_placements": "/api/v1/placements",
    "api_proposals": "/api/v1/proposals",
    "api_clients": "/api/v1/clients",
    "api_skills": "/api/v1/skills",
    "api_timesheets": "/api/v1/timesheets",
    "api_invoices": "/api/v1/invoices",
    "api_pay_statements": "/api/v1/pay-statements",
    "api_reviews": "/api/v1/placements/{placement_id}/reviews",
}
# The large data's pages loaded before reading the workers' memory (bench_pages' names).
RSS_PAGES = (
    "dashboard",
    "engineers",
    "requests",
    "matches",
    "placement",
    "placements",
    "reviews",
    "portal",
)


def ensure_wrk() -> str | None:
    """wrk's path, installed from Debian's packages when missing (needs root)."""
    if path := shutil.which("wrk"):
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk (apt-get install -y wrk)")
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.STDOUT}
        if subprocess.call(["apt-get", "install", "-y", "wrk"], **quiet) != 0:  # noqa: S607
            subprocess.call(["apt-get", "update"], **quiet)  # noqa: S607
            subprocess.call(["apt-get", "install", "-y", "wrk"], **quiet)  # noqa: S607
    return shutil.which("wrk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the servers ----------------------------------------------------------------------------


def gunicorn_command(app: str, port: int, workers: int) -> list[str]:
    """The one command line both apps are served with."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", app]


def app_environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "APP_ENV": "production",
        "FORCE_HTTPS": "0",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
        "API_RATE_LIMIT": "1000000 per minute",
        "PROXY_FIX_HOPS": "0",
    }


@contextmanager
def served(app: str, probe: str, workers: int, env: dict | None = None) -> Iterator[tuple]:
    """(port, master process) of gunicorn serving `app`, stopped on the way out."""
    port = free_port()
    # A file, not a pipe: a pipe nobody reads fills up and stalls the server.
    errors = tempfile.TemporaryFile()  # noqa: SIM115 (open as long as the server runs)
    server = subprocess.Popen(  # noqa: S603
        gunicorn_command(app, port, workers),
        cwd=PROJECT,
        env=env or dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=errors,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                errors.seek(0)
                raise SystemExit(f"gunicorn exited: {errors.read().decode()[-2000:]}")
            try:
                if get(port, probe)[0] == 200 and len(workers_of(server.pid)) == workers:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn ({app}) did not answer within 60 s")
            time.sleep(0.2)
        yield port, server
    finally:
        stop(server)
        errors.close()


def stop(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def workers_of(master: int) -> list[int]:
    """The pids of gunicorn's workers: the master's children."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return sorted(int(pid) for pid in children)
    except OSError:  # a kernel without CONFIG_PROC_CHILDREN: look for them
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # pid (comm) state ppid …: comm may hold spaces, so split after its ")".
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == master:
                found.append(int(stat.parent.name))
        return sorted(found)


def memory_mb(pid: int) -> dict[str, float]:
    """A process's resident memory now (VmRSS) and at its highest (VmHWM), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    kb = dict(re.findall(r"^(VmRSS|VmHWM):\s+(\d+) kB", status, re.M))
    return {"rss": round(int(kb["VmRSS"]) / 1024, 1), "peak": round(int(kb["VmHWM"]) / 1024, 1)}


# --- HTTP -----------------------------------------------------------------------------------


def _request(port: int, method: str, path: str, headers: dict, body: bytes | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **headers})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read().decode(errors="replace")
    finally:
        conn.close()


def get(port: int, path: str, headers: dict | None = None) -> tuple[int, str]:
    """(status, body) of one GET, redirects not followed."""
    status, _headers, body = _request(port, "GET", path, headers or {})
    return status, body


def _cookies(jar: dict[str, str], headers: list[tuple[str, str]]) -> None:
    """Keep the cookies a response sets (Secure ones too: the proxy in front ends TLS)."""
    for name, value in headers:
        if name.lower() == "set-cookie":
            for morsel in SimpleCookie(value).values():
                jar[morsel.key] = morsel.value


def sign_in(port: int, email: str, password: str) -> dict[str, str]:
    """The Cookie header of a session signed in through the login form."""
    jar: dict[str, str] = {}
    status, headers, page = _request(port, "GET", "/login", {})
    _cookies(jar, headers)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = {"email": email, "password": password, "csrf_token": token.group(1) if token else ""}
    status, headers, _body = _request(
        port,
        "POST",
        "/login",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
        },
        urllib.parse.urlencode(form).encode(),
    )
    if status != 302:
        raise SystemExit(f"sign-in as {email} answered {status}, not 302")
    _cookies(jar, headers)
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}


def _wrk_options(headers: dict) -> list[str]:
    options = ["-H", f"User-Agent: {USER_AGENT}"]
    for name, value in headers.items():
        options += ["-H", f"{name}: {value}"]
    # wrk gives up on a request after 2 s by default and leaves it out of the rate: slow pages
    # would look faster than they are.
    return [*options, "--timeout", "60s"]


def warm_up(wrk_path: str, port: int, urls: dict[str, tuple[str, dict]], seconds: int) -> None:
    """A few seconds of load on each URL, before any is measured: a fresh worker's first
    seconds (its first garbage collections, first statements compiled, first pages cached)
    would otherwise count against whichever URL comes first."""
    for path, headers in urls.values():
        url = f"http://127.0.0.1:{port}{path}"
        cmd = [wrk_path, "-t2", "-c4", f"-d{seconds}s", *_wrk_options(headers), url]
        subprocess.run(cmd, capture_output=True, check=True)  # noqa: S603


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far."""
    ticks = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / os.sysconf("SC_CLK_TCK")


def wrk(
    wrk_path: str, port: int, path: str, headers: dict, args, duration=None, workers=()
) -> dict:
    """Requests per second of one URL (after a warm-up), with latency percentiles, and the CPU
    time the given worker processes spent per request meanwhile (what the other work on the
    machine changes least: it slows the server down, but barely changes its CPU per request)."""
    options = _wrk_options(headers)
    url = f"http://127.0.0.1:{port}{path}"
    warm = [wrk_path, "-t2", "-c4", "-d3s", *options, url]
    subprocess.run(warm, capture_output=True, check=True)  # noqa: S603
    cmd = [
        wrk_path,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration or args.duration}s",
        "--latency",
        *options,
        url,
    ]
    cpu_before = cpu_seconds(list(workers))
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603
    cpu = cpu_seconds(list(workers)) - cpu_before
    done = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M))
    return {
        "rps": round(rps, 1),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1).strip() if errors else None,
        "latency": {f"p{k}": v for k, v in latency.items()},
        "cpu_ms_per_request": round(1000 * cpu / done, 3) if workers and done else None,
    }


def check_ok(port: int, urls: dict[str, tuple[str, dict]], when: str) -> None:
    """Every URL answers 200: a lost session would measure a redirect to /login."""
    for path, headers in urls.values():
        status, _body = get(port, path, headers)
        if status != 200:
            raise SystemExit(f"{path} answered {status} {when}, not 200")


# --- the demo data --------------------------------------------------------------------------


def demo_database(directory: Path) -> tuple[str, str, int]:
    """(URL, API token, a placement with reviews) of a new SQLite file holding the demo data:
    `flask --app wsgi db upgrade` then `seed-demo`, in this process."""
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.demo import data as demo_data
    from tracker.extensions import db
    from tracker.models import IterationReview, User
    from tracker.services.api_tokens import create_token

    uri = f"sqlite:///{directory / 'demo.db'}"
    app = create_app(BenchConfig, SQLALCHEMY_DATABASE_URI=uri)
    with app.app_context():
        upgrade()
        demo_data.seed()
        db.session.commit()
        staff = db.session.scalar(sa.select(User).where(User.email == STAFF_EMAIL))
        token = create_token(staff, "throughput benchmark", "read", None).secret
        db.session.commit()
        placement_id = db.session.scalar(
            sa.select(IterationReview.placement_id)
            .group_by(IterationReview.placement_id)
            .order_by(sa.func.count().desc(), IterationReview.placement_id)
            .limit(1)
        )
        db.session.remove()
        db.engine.dispose()
    return uri, token, placement_id


# --- the parts of a run ---------------------------------------------------------------------


def measure_bare(wrk_path: str, args) -> dict:
    with served(BARE_APP, BARE_ROUTE, args.workers) as (port, server):
        warm_up(wrk_path, port, {"bare": (BARE_ROUTE, {})}, WARM_UP_SECONDS)
        result = wrk(wrk_path, port, BARE_ROUTE, {}, args, workers=workers_of(server.pid))
    log(f"throughput {'bare Flask':<18} {BARE_ROUTE:<34} {result['rps']:>8.1f} req/s  "
        f"{result['cpu_ms_per_request']} ms CPU/request  latency {result['latency']}")  # fmt: skip
    return result


def measure_demo(wrk_path: str, args) -> dict[str, dict]:
    """Each page and API list of the demo data, through gunicorn."""
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as directory:
        log("demo data: db upgrade, seed-demo (a temporary SQLite file)")
        uri, token, placement_id = demo_database(Path(directory))
        with served(APP, APP_PROBE, args.workers, app_environment(uri)) as (port, server):
            cookie = sign_in(port, STAFF_EMAIL, Config.DEMO_PASSWORD)
            bearer = {"Authorization": f"Bearer {token}"}
            urls = {name: (path, cookie) for name, path in PAGES.items()}
            urls |= {
                name: (path.format(placement_id=placement_id), bearer)
                for name, path in API_LISTS.items()
            }
            check_ok(port, urls, "before the load")
            warm_up(wrk_path, port, urls, WARM_UP_SECONDS)
            measured = {}
            for name, (path, headers) in urls.items():
                m = wrk(wrk_path, port, path, headers, args, workers=workers_of(server.pid))
                measured[name] = {"path": path, **m}
                cpu = f"{m['cpu_ms_per_request']} ms CPU/request"
                bad = f"  non-2xx: {m['non_2xx']}" if m["non_2xx"] else ""
                log(f"throughput {name:<18} {path:<34} {m['rps']:>8.1f} req/s  {cpu}  latency "
                    f"{m['latency']}{bad}")  # fmt: skip
            check_ok(port, urls, "after the load")
    return measured


def measure_memory(wrk_path: str, seed: int, rebuild: bool, args) -> dict:
    """The workers' resident memory after a short load on each main page of the large data."""
    from tracker import create_app

    uri, _built = ensure_sqlite(seed, rebuild)
    targets = pick_targets(create_app(BenchConfig, SQLALCHEMY_DATABASE_URI=uri))
    with served(APP, APP_PROBE, args.workers, app_environment(uri)) as (port, server):
        staff = sign_in(port, targets.staff_email, Config.DEMO_PASSWORD)
        client = sign_in(port, targets.client_email, Config.DEMO_PASSWORD)
        urls = {
            page: (path, staff if who == "staff" else client)
            for page, (who, path) in targets.urls().items()
            if page in RSS_PAGES
        }
        check_ok(port, urls, "before the load")
        for page, (path, headers) in urls.items():
            m = wrk(wrk_path, port, path, headers, args, duration=args.rss_duration)
            log(f"large data {page:<18} {path:<34} {m['rps']:>8.1f} req/s")
        check_ok(port, urls, "after the load")
        workers = {pid: memory_mb(pid) for pid in workers_of(server.pid)}
    each = [w["rss"] for w in workers.values()]
    result = {
        "max": max(each),
        "each": each,
        "peak_each": [w["peak"] for w in workers.values()],
        "target": RSS_TARGET_MB,
        "ok": max(each) <= RSS_TARGET_MB,
        "after": (
            f"wrk -t{args.threads} -c{args.connections} -d{args.rss_duration}s on each of "
            f"{', '.join(urls)} (large SQLite data, seed {seed})"
        ),
        "server": f"gunicorn -w {args.workers} (sync) {APP}, APP_ENV=production",
        "paths": {page: path for page, (path, _) in urls.items()},
    }
    log(f"gunicorn workers' memory (VmRSS): {', '.join(f'{mb:.1f}' for mb in each)} MB "
        f"(target <= {RSS_TARGET_MB} MB)")  # fmt: skip
    return result


def replace_section(section: str, values) -> None:
    """Write one section of results.json afresh (nothing kept of its old keys), keeping the
    other sections."""
    data = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    data[section] = values
    RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def command_line() -> str:
    """The command this run was started with, as a reader would type it."""
    main = sys.modules["__main__"]
    module = getattr(main.__spec__, "name", None) if getattr(main, "__spec__", None) else None
    started = ["python", "-m", module] if module else ["python", Path(sys.argv[0]).name]
    return " ".join([*started, *sys.argv[1:]])


def run(seed: int, rebuild: bool, args) -> dict:
    """Bare Flask, the demo data's pages and API lists, then the workers' memory on the large
    data: results.json's "throughput" and "worker_rss_mb"."""
    wrk_path = ensure_wrk()
    if wrk_path is None:
        raise SystemExit("wrk is not installed and could not be installed (apt-get install wrk)")
    log(f"throughput: gunicorn -w {args.workers}, wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s per URL")  # fmt: skip
    bare = [measure_bare(wrk_path, args)]
    measured = measure_demo(wrk_path, args)
    bare.append(measure_bare(wrk_path, args))  # before and after: how steady the machine was
    bare_rps = round(statistics.mean(b["rps"] for b in bare), 1)
    bare_cpu = statistics.mean(b["cpu_ms_per_request"] for b in bare)
    pages = {}
    for name, m in measured.items():
        target = API_TARGET if name.startswith("api_") else PAGE_TARGET
        ratio = round(m["rps"] / bare_rps, 4)
        # The same comparison in server CPU per request: steadier from run to run.
        cpu_ratio = round(bare_cpu / m["cpu_ms_per_request"], 4)
        pages[name] = {
            **m,
            "ratio": ratio,
            "cpu_ratio": cpu_ratio,
            "target": target,
            "ok": ratio >= target,
        }
        log(f"  {name:<18} {ratio:.3f} of bare Flask (target >= {target})"
            f"{'' if ratio >= target else '  MISSED'}")  # fmt: skip
    command = f"-w {args.workers} -b 127.0.0.1:<port> <app>"
    result = {
        "bare_flask_rps": bare_rps,
        "bare_flask": {
            "app": f"{BARE_APP} ({BARE_ROUTE}: Flask(__name__), one route returning text)",
            "runs_rps": [b["rps"] for b in bare],
            "cpu_ms_per_request": [b["cpu_ms_per_request"] for b in bare],
            "latency": [b["latency"] for b in bare],
        },
        "pages": pages,
        "targets": {"pages": PAGE_TARGET, "api_lists": API_TARGET},
        "command": command_line(),
        "server": (
            f"gunicorn {command} (sync workers, gunicorn.conf.py of the checkout), the bare app "
            f"and {APP} one after the other; {APP} with APP_ENV=production FORCE_HTTPS=0 and "
            f"API_RATE_LIMIT raised, on the demo data (seed-demo) in SQLite, signed in as "
            f"{STAFF_EMAIL}; the API with a read token of that user"
        ),
        "load": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s per URL, after "
        f"{WARM_UP_SECONDS} s of load on every URL of the server and 3 s on this one; bare "
        f"Flask measured before and after the app, the mean",
        "measured": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    replace_section("throughput", result)
    memory = measure_memory(wrk_path, seed, rebuild, args)
    replace_section("worker_rss_mb", memory)
    return {"throughput": result, "worker_rss_mb": memory}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--duration", type=int, default=15, help="seconds per URL")
    parser.add_argument(
        "--rss-duration", type=int, default=5, help="seconds per large-data page before memory"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--seed", type=int, default=2026, help="of the large data set")
    parser.add_argument("--rebuild", action="store_true", help="build the large data afresh")
    args = parser.parse_args()
    run(args.seed, args.rebuild, args)


if __name__ == "__main__":
    main()
