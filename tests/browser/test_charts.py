"""Charts drawn by a real Chromium under the app's CSP: the dashboard and a placement page."""

import re

import pytest
import sqlalchemy as sa

from tests.browser.conftest import demo_login
from tests.browser.test_sign_in import sign_in
from tracker.extensions import db
from tracker.models import Placement

NOT_WIRED = "charts not wired into pages yet"

# True once Chart.js has drawn every canvas that carries a chart config.
ALL_DRAWN = """() => {
  const canvases = [...document.querySelectorAll("canvas[data-chart]")];
  return canvases.length > 0 && !!window.Chart && canvases.every((c) => window.Chart.getChart(c));
}"""


def drawn_charts(page) -> list[dict]:
    """Each drawn chart's type, how many points it holds, and its canvas's size on screen."""
    return page.evaluate(
        """() => [...document.querySelectorAll("canvas[data-chart]")].map((canvas) => {
          const chart = window.Chart.getChart(canvas);
          return {
            type: chart.config.type,
            points: chart.data.datasets.reduce((n, ds) => n + ds.data.length, 0),
            width: canvas.clientWidth,
            height: canvas.clientHeight,
            animated: chart.options.animation !== false,
          };
        })"""
    )


def open_as_account_manager(page, server, path: str) -> None:
    sign_in(page, server, demo_login(server.demo, "account_manager"), server.demo.password)
    page.wait_for_url(re.compile(r"/dashboard/$"))
    if path != "/dashboard/":
        page.goto(f"{server.url}{path}")


def assert_charts_drawn(page, expected: int) -> list[dict]:
    if "vendor/chartjs" not in page.content():
        pytest.skip(NOT_WIRED)
    page.wait_for_function(ALL_DRAWN, timeout=10_000)
    charts = drawn_charts(page)
    assert len(charts) == expected
    for chart in charts:
        assert chart["points"] > 0
        assert chart["width"] > 100
        assert chart["height"] > 100  # the .chart-box height from app.css applies
    # Every chart keeps its figures as a table for screen readers.
    assert page.locator(".visually-hidden table").count() == expected
    assert page.console_errors == []  # no CSP violation, no script error
    return charts


def test_dashboard_draws_its_charts(page, demo_server):
    open_as_account_manager(page, demo_server, "/dashboard/")
    charts = assert_charts_drawn(page, expected=3)
    assert sorted(c["type"] for c in charts) == ["bar", "bar", "bar"]
    # The money chart: billed, paid to engineers and realized margin for each of 12 months.
    assert max(c["points"] for c in charts) == 3 * 12


def test_placement_page_draws_the_review_scores(page, demo_server):
    with demo_server.app.app_context():
        placement_id = db.session.scalar(
            sa.select(Placement.id)
            .where(Placement.reviews_count >= 2)
            .order_by(Placement.reviews_count.desc(), Placement.id)
            .limit(1)
        )
    assert placement_id is not None, "the demo data has no reviewed placement"
    open_as_account_manager(page, demo_server, f"/placements/{placement_id}")
    [chart] = assert_charts_drawn(page, expected=1)
    assert chart["type"] == "line"
    assert chart["points"] >= 2 * 5  # two iterations or more, four ratings and the overall


def test_charts_do_not_animate_when_the_reader_asks_for_less_motion(browser, demo_server):
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    try:
        open_as_account_manager(page, demo_server, "/dashboard/")
        charts = assert_charts_drawn(page, expected=3)
        assert not any(c["animated"] for c in charts)
    finally:
        context.close()
