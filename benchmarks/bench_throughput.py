"""Requests per second through gunicorn on the large SQLite data: a bare route, the engineer
list and the dashboard, signed in, in one run.

    python -m benchmarks.bench_throughput [--workers 2] [--connections 8] [--duration 15]
        [--seed 2026] [--rebuild]

The app is served as it would be: `gunicorn -w 2 wsgi:app` (sync workers, one per core of this
2-core machine; more workers only queue for the same cores, which wrk shares) with
APP_ENV=development and a fixed SECRET_KEY (production would redirect plain HTTP to HTTPS), on
a free loopback port, against the large SQLite database of bench_pages. wrk (Debian's package,
installed here when missing) loads each URL for --duration seconds after a short warm-up; the
signed-in pages get the session cookie of a real sign-in through /login (with its CSRF token).
The bare route is GET /ping ("pong", no database): the ceiling of this stack on this machine.
Written to benchmarks/results.json under "throughput".
"""

import argparse
import http.client
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from benchmarks.bench_pages import ensure_sqlite, log, save
from config import Config

PROJECT = Path(__file__).resolve().parent.parent
BARE_ROUTE = "/ping"
SECRET_KEY = "throughput-benchmark-secret-key-0123456789"  # noqa: S105
USER_AGENT = "engagement-tracker-bench"  # the same for sign-in and load: one session identity
TARGET_RATIO = 0.25


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


def start_gunicorn(database_url: str, port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "APP_ENV": "development",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": database_url,
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    cmd = [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", "wsgi:app"]
    # A file, not a pipe: a pipe nobody reads fills up and stalls the server.
    errors = tempfile.TemporaryFile()  # noqa: SIM115 (open as long as the server runs)
    server = subprocess.Popen(  # noqa: S603
        cmd, cwd=PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=errors
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            errors.seek(0)
            raise SystemExit(f"gunicorn exited: {errors.read().decode()[-2000:]}")
        try:
            if get(port, BARE_ROUTE)[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def get(port: int, path: str, cookie: str | None = None) -> tuple[int, str]:
    """(status, body) of one GET, redirects not followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sign_in(port: int, email: str, password: str) -> str:
    """The Cookie header of a session signed in through the login form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    opener.addheaders = [("User-Agent", USER_AGENT)]
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = {"email": email, "password": password, "csrf_token": token.group(1) if token else ""}
    try:
        opener.open(f"{base}/login", data=urllib.parse.urlencode(form).encode())
    except urllib.error.HTTPError as e:
        if e.code != 302:
            raise SystemExit(f"sign-in as {email} answered {e.code}") from None
    cookies = [f"{c.name}={c.value}" for c in jar]
    return "; ".join(cookies)


def wrk(wrk_path: str, port: int, path: str, cookie: str | None, args) -> dict:
    """Requests per second of one URL (after a warm-up), with latency percentiles."""
    headers = ["-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        headers += ["-H", f"Cookie: {cookie}"]
    url = f"http://127.0.0.1:{port}{path}"
    # wrk gives up on a request after 2 s by default and leaves it out of the rate: slow pages
    # would look faster than they are.
    timeout = ["--timeout", "60s"]
    warm = [wrk_path, "-t2", "-c4", "-d3s", *timeout, *headers, url]
    subprocess.run(warm, capture_output=True, check=True)  # noqa: S603
    cmd = [
        wrk_path,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.duration}s",
        "--latency",
        *timeout,
        *headers,
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", out, re.M))
    return {
        "rps": round(rps, 1),
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1).strip() if errors else None,
        "latency": {f"p{k}": v for k, v in latency.items()},
    }


def run(seed: int, rebuild: bool, args) -> dict:
    """The three URLs through one gunicorn; results.json's "throughput"."""
    uri, _built = ensure_sqlite(seed, rebuild)
    wrk_path = ensure_wrk()
    if wrk_path is None:
        raise SystemExit("wrk is not installed and could not be installed (apt-get install wrk)")
    port = free_port()
    log(f"gunicorn -w {args.workers} on 127.0.0.1:{port}, APP_ENV=development, {Path(uri).name}")
    server = start_gunicorn(uri, port, args.workers)
    try:
        cookie = sign_in(port, "am@agency.example", Config.DEMO_PASSWORD)
        urls = {
            "hello": (BARE_ROUTE, None),
            "engineers": ("/engineers/", cookie),
            "dashboard": ("/dashboard/", cookie),
        }
        for path, with_cookie in urls.values():
            status, _body = get(port, path, with_cookie)
            if status != 200:  # a lost session would measure a redirect to /login
                raise SystemExit(f"{path} answered {status} before the load, not 200")
        measured = {}
        for name, (path, with_cookie) in urls.items():
            measured[name] = wrk(wrk_path, port, path, with_cookie, args)
            m = measured[name]
            log(
                f"throughput {name:<10} {path:<14} {m['rps']:>8.1f} req/s  latency {m['latency']}"
                f"{'  non-2xx: ' + str(m['non_2xx']) if m['non_2xx'] else ''}"
            )
        for path, with_cookie in urls.values():
            if get(port, path, with_cookie)[0] != 200:
                raise SystemExit(f"{path} no longer answers 200 after the load")
    finally:
        stop(server)
    hello = measured["hello"]["rps"]
    result = {
        "hello_rps": hello,
        "engineers_rps": measured["engineers"]["rps"],
        "dashboard_rps": measured["dashboard"]["rps"],
        "engineers_ratio": round(measured["engineers"]["rps"] / hello, 4),
        "dashboard_ratio": round(measured["dashboard"]["rps"] / hello, 4),
        "bare_route": BARE_ROUTE,
        "paths": {name: path for name, (path, _) in urls.items()},
        "server": f"gunicorn -w {args.workers} (sync), APP_ENV=development, SQLite large",
        "load": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s",
        "latency": {name: m["latency"] for name, m in measured.items()},
        "non_2xx": {name: m["non_2xx"] for name, m in measured.items()},
        "socket_errors": {name: m["socket_errors"] for name, m in measured.items()},
    }
    log(
        f"engineers/bare {result['engineers_ratio']:.3f}, dashboard/bare "
        f"{result['dashboard_ratio']:.3f} (target >= {TARGET_RATIO})"
    )
    save("throughput", result)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--duration", type=int, default=15, help="seconds per URL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rebuild", action="store_true", help="build the large data afresh")
    args = parser.parse_args()
    run(args.seed, args.rebuild, args)


if __name__ == "__main__":
    main()
