"""Take the README's screenshots: `make screenshots` (needs Chromium).

Serves the app on a temporary SQLite database with the demo data, signs in as each role in
Debian's Chromium and saves PNGs to docs/screenshots/.
"""

import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright

from config import TestingConfig
from tests.browser.conftest import CHROMIUM_FLAGS, LiveServer, demo_login, find_chromium
from tracker import create_app
from tracker.demo import data as demo_data
from tracker.extensions import db
from tracker.models import StaffingRequest
from tracker.services import matching

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def _showcase() -> tuple[int, int]:
    """An open request with the most matches, and its best engineer."""
    best = None
    for req in db.session.scalars(
        sa.select(StaffingRequest).where(StaffingRequest.status == "open")
    ):
        matches = matching.rank_engineers(req)
        if matches and (best is None or len(matches) > best[0]):
            best = (len(matches), req.id, matches[0].engineer.id)
    if best is None:
        raise SystemExit("the demo data has no open request with a match")
    return best[1], best[2]


def main() -> int:
    chromium = find_chromium()
    if chromium is None:
        print("No Chromium found: apt-get install -y chromium", file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp}/screens.db", TESTING=False
        )
        with app.app_context():
            upgrade()
            demo = demo_data.seed()
            db.session.commit()
            request_id, engineer_id = _showcase()
            db.session.remove()
        with LiveServer(app) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            shots = [
                ("login", None, "/login"),
                ("dashboard", demo_login(demo, "account_manager"), "/dashboard/"),
                ("portal", demo_login(demo, "client"), "/portal/"),
                ("users", demo_login(demo, "admin"), "/admin/users"),
                ("engineers", demo_login(demo, "account_manager"), "/engineers/"),
                ("engineer", demo_login(demo, "account_manager"), f"/engineers/{engineer_id}"),
                ("request", demo_login(demo, "account_manager"), f"/requests/{request_id}"),
                ("matches", demo_login(demo, "account_manager"), f"/requests/{request_id}/matches"),
            ]
            for name, email, path in shots:
                context = browser.new_context(
                    viewport={"width": 1366, "height": 860}, reduced_motion="reduce"
                )
                page = context.new_page()
                if email:
                    page.goto(f"{server.url}/login")
                    page.get_by_label("Email").fill(email)
                    page.get_by_label("Password").fill(demo.password)
                    page.get_by_role("button", name="Sign in").click()
                    page.wait_for_load_state()
                page.goto(f"{server.url}{path}")
                page.screenshot(path=OUT / f"{name}.png", full_page=True)
                print(f"saved {OUT / f'{name}.png'}")
                context.close()
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
