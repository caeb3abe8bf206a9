"""A real Chromium (Debian's, driven by Playwright) against the app served on a free port."""

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import make_app
from tracker.extensions import db

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def find_chromium() -> str | None:
    """CHROMIUM_PATH, else Debian's chromium on PATH or in /usr/bin."""
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
    ):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The browser to drive; skip (or fail, with REQUIRE_BROWSER=1) when there is none."""
    required = os.environ.get("REQUIRE_BROWSER") == "1"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "Playwright for Python is not installed (pip install -e '.[dev]')"
        pytest.fail(reason) if required else pytest.skip(reason)
    path = find_chromium()
    if path is None:
        reason = "no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)"
        pytest.fail(reason) if required else pytest.skip(reason)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class LiveServer:
    """The app in a background thread on 127.0.0.1 and a free port."""

    def __init__(self, app):
        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The app on a migrated SQLite file of its own, loaded with a small demo data set."""
    from flask_migrate import upgrade

    from tracker.demo import data as demo_data

    path = tmp_path_factory.mktemp("browser") / "tracker.db"
    app = make_app(f"sqlite:///{path}")
    with app.app_context():
        upgrade()
        result = demo_data.seed(seed=7, engineers=40, clients=3)
        db.session.commit()
        db.session.remove()
    with LiveServer(app) as server:
        server.demo = result
        yield server


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies) and page; console errors are collected."""
    context = browser.new_context()
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    yield page
    context.close()


def demo_login(demo, role: str) -> str:
    """The email of the first demo login with this role."""
    return next(email for r, email, _client in demo.logins if r == role)
