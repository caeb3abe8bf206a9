"""Charts: the figures behind each Chart.js config, their tables, partials and vendored library."""

import html
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import render_template

from scripts import vendor_assets
from tracker.extensions import db
from tracker.reports import charts

TODAY = date(2026, 3, 15)


@pytest.fixture
def app(app):
    """The chart_table template global, until tracker/templating.py registers it."""
    app.jinja_env.globals.setdefault("chart_table", charts.as_table)
    return app


def dataset(config: dict, label: str) -> list:
    return next(ds["data"] for ds in config["data"]["datasets"] if ds["label"] == label)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


# --- review scores -----------------------------------------------------------------------------


def test_review_scores_draw_a_line_per_rating_and_the_overall(make, count_queries):
    placement = make.placement(start=date(2026, 1, 5), review_cadence_days=14)
    make.review(placement, 1, delivery=4, code_quality=4, communication=5, collaboration=4)
    make.review(placement, 2, delivery=3, code_quality=2, communication=3, collaboration=3)
    make.review(placement, 4, delivery=5, code_quality=5, communication=5, collaboration=5)
    db.session.expire_all()

    with count_queries() as counter:
        config = charts.review_scores(placement)

    assert counter.count == 2  # the placement row (expired above), then its reviews
    assert config["type"] == "line"
    assert config["data"]["labels"] == ["It. 1", "It. 2", "It. 3", "It. 4"]
    assert [ds["label"] for ds in config["data"]["datasets"]] == [
        "Delivery", "Code quality", "Communication", "Collaboration", "Overall",
    ]  # fmt: skip
    assert dataset(config, "Delivery") == [4, 3, None, 5]  # iteration 3 was not reviewed
    assert dataset(config, "Code quality") == [4, 2, None, 5]
    assert dataset(config, "Communication") == [5, 3, None, 5]
    assert dataset(config, "Collaboration") == [4, 3, None, 5]
    assert dataset(config, "Overall") == [4.25, 2.75, None, 5.0]
    y = config["options"]["scales"]["y"]
    assert (y["min"], y["max"]) == (1, 5)
    json.dumps(config)  # plain JSON, nothing Decimal or date


def test_review_scores_use_reviews_the_page_loaded_already(make, count_queries):
    placement = make.placement()
    make.review(placement, 1)
    assert len(placement.reviews) == 1  # loaded, as the placement page does
    with count_queries() as counter:
        config = charts.review_scores(placement)
    assert counter.count == 0
    assert dataset(config, "Overall") == [4.0]


def test_review_scores_of_a_placement_without_reviews_are_empty(make):
    config = charts.review_scores(make.placement())
    assert config["data"]["labels"] == []
    assert all(ds["data"] == [] for ds in config["data"]["datasets"])


# --- placements started per month -------------------------------------------------------------


def test_placements_started_per_month_counts_each_month_and_shows_empty_ones(make, count_queries):
    for start in (
        date(2025, 11, 30),  # before the window
        date(2025, 12, 1),
        date(2025, 12, 31),
        date(2026, 2, 10),
        date(2026, 3, 1),
        date(2026, 3, 15),  # today counts
        date(2026, 3, 16),  # not started yet
    ):
        make.placement(start=start)
    make.placement(start=date(2026, 2, 11), status="ended", end_reason="completed")

    with count_queries() as counter:
        config = charts.placements_started_per_month(TODAY, months=4)

    assert counter.count == 1
    assert config["type"] == "bar"
    assert config["data"]["labels"] == ["Dec 2025", "Jan 2026", "Feb 2026", "Mar 2026"]
    assert config["data"]["datasets"][0]["data"] == [2, 0, 2, 2]


def test_placements_started_per_month_defaults_to_a_year_ending_this_month(app):
    config = charts.placements_started_per_month(TODAY)
    assert config["data"]["labels"][0] == "Apr 2025"
    assert config["data"]["labels"][-1] == "Mar 2026"
    assert config["data"]["datasets"][0]["data"] == [0] * 12


def test_placements_started_per_month_is_one_query_whatever_the_rows(make, count_queries):
    for k in range(3):
        make.placement(start=TODAY - timedelta(days=40 * k))
    with count_queries() as few:
        charts.placements_started_per_month(TODAY)
    for k in range(12):
        make.placement(start=TODAY - timedelta(days=25 * k))
    with count_queries() as more:
        config = charts.placements_started_per_month(TODAY)
    assert sum(config["data"]["datasets"][0]["data"]) == 15
    assert few.count == more.count == 1


# --- request pipeline ------------------------------------------------------------------------


def test_request_pipeline_counts_opened_proposed_and_placed(make, count_queries):
    today = date(2026, 6, 30)
    acme = make.client()

    def logged(day: date, status="open", hour=12):
        return make.request(client=acme, status=status, created_at=at(day, hour))

    placed = logged(today - timedelta(days=10))
    make.proposal(request=placed, status="accepted", proposed_at=at(today - timedelta(days=8)))
    make.placement(request=placed)
    interviewing = logged(today - timedelta(days=5))
    make.proposal(request=interviewing, status="interviewing")  # proposed_at not recorded
    shortlisted_only = logged(today - timedelta(days=89), status="filled", hour=0)
    make.proposal(request=shortlisted_only, status="shortlisted")
    withdrawn_after_proposing = logged(today, status="cancelled")
    make.proposal(request=withdrawn_after_proposing, status="withdrawn", proposed_at=at(today, 13))
    two_proposals = logged(today - timedelta(days=30), status="on_hold")
    make.proposal(request=two_proposals, status="proposed", proposed_at=at(today))
    make.proposal(request=two_proposals, status="declined", decline_reason="rate")
    logged(today - timedelta(days=1), status="draft")  # never opened: left out
    too_old = logged(today - timedelta(days=90), hour=23)  # the day before the window
    make.placement(request=too_old)
    logged(today + timedelta(days=1))  # after "today": left out

    with count_queries() as counter:
        config = charts.request_pipeline(today)

    assert counter.count == 1
    assert charts.pipeline_counts(today) == (5, 4, 1)
    assert config["data"]["labels"] == ["Opened", "Proposed to the client", "Placed"]
    assert config["data"]["datasets"][0]["data"] == [5, 4, 1]
    assert config["options"]["indexAxis"] == "y"  # a horizontal funnel
    assert charts.pipeline_counts(today, days=30) == (3, 3, 1)  # two_proposals is day 31


def test_request_pipeline_of_an_empty_database_is_zeros(app):
    assert charts.request_pipeline(TODAY)["data"]["datasets"][0]["data"] == [0, 0, 0]


# --- the accessible table --------------------------------------------------------------------


def test_as_table_gives_a_header_and_a_row_per_label(make):
    placement = make.placement()
    make.review(placement, 1, delivery=5, code_quality=4, communication=4, collaboration=4)
    make.review(placement, 3, delivery=3, code_quality=3, communication=3, collaboration=3)
    table = charts.as_table(charts.review_scores(placement))
    assert table.header == (
        "Iteration", "Delivery", "Code quality", "Communication", "Collaboration", "Overall",
    )  # fmt: skip
    assert table.rows == [
        ("It. 1", "5", "4", "4", "4", "4.25"),
        ("It. 2", "—", "—", "—", "—", "—"),
        ("It. 3", "3", "3", "3", "3", "3"),
    ]

    pipeline = charts.as_table(charts.request_pipeline(TODAY))
    assert pipeline.header == ("Stage", "Requests")
    assert pipeline.rows == [("Opened", "0"), ("Proposed to the client", "0"), ("Placed", "0")]

    started = charts.as_table(charts.placements_started_per_month(TODAY, months=2))
    assert started.header == ("Month", "Placements started")
    assert started.rows == [("Feb 2026", "0"), ("Mar 2026", "0")]


# --- the partials ------------------------------------------------------------------------------


def chart_attributes(page: str) -> list[dict]:
    """The configs of every canvas, read back as the browser would."""
    return [json.loads(html.unescape(raw)) for raw in re.findall(r"data-chart='([^']*)'", page)]


def test_dashboard_partial_holds_both_charts_their_tables_and_scripts(app, make):
    make.placement(start=TODAY)
    started = charts.placements_started_per_month(TODAY)
    pipeline = charts.request_pipeline(TODAY)
    with app.test_request_context():
        page = render_template(
            "dashboard/_charts.html", started_chart=started, pipeline_chart=pipeline
        )
    assert "Placements started per month" in page
    assert "Request pipeline (last 90 days)" in page
    assert chart_attributes(page) == [started, pipeline]
    assert page.count('role="img" aria-label="') == 2
    assert page.count('<div class="visually-hidden">') == 2
    assert '<th scope="row">Mar 2026</th><td>1</td>' in page
    assert '<th scope="row">Opened</th><td>0</td>' in page
    assert '<script src="/static/vendor/chartjs/chart.umd.min.js" defer></script>' in page
    assert '<script src="/static/js/charts.js" defer></script>' in page
    assert "<script>" not in page  # the CSP allows no inline script…
    assert "style=" not in page  # … nor style attribute


def test_chart_data_is_escaped_for_its_attribute(app):
    hostile = charts.request_pipeline(TODAY)
    hostile["data"]["labels"][0] = "O'Brien <script>alert(1)</script> & co"
    with app.test_request_context():
        page = render_template(
            "dashboard/_charts.html",
            started_chart=charts.placements_started_per_month(TODAY),
            pipeline_chart=hostile,
        )
    assert "<script>alert" not in page
    assert chart_attributes(page)[1]["data"]["labels"][0] == hostile["data"]["labels"][0]


def test_review_chart_partial_draws_the_scores_or_says_there_are_none(app, make):
    placement = make.placement()
    with app.test_request_context():
        empty = render_template(
            "placements/_review_chart.html", review_chart=charts.review_scores(placement)
        )
    assert "Review scores by iteration" in empty
    assert "No reviews yet" in empty
    assert "<canvas" not in empty
    assert "vendor/chartjs" not in empty  # no library loaded for nothing

    make.review(placement, 1, delivery=5, code_quality=4, communication=4, collaboration=3)
    config = charts.review_scores(placement)
    with app.test_request_context():
        page = render_template("placements/_review_chart.html", review_chart=config)
    assert chart_attributes(page) == [config]
    assert '<th scope="row">It. 1</th><td>5</td><td>4</td><td>4</td><td>3</td><td>4</td>' in page
    assert "vendor/chartjs/chart.umd.min.js" in page


# --- the vendored library --------------------------------------------------------------------


def test_vendored_chartjs_is_the_recorded_version_and_served_locally(client):
    version, digest = vendor_assets.read_version_file()
    assert version == vendor_assets.CHARTJS_VERSION
    assert version.startswith("4.")
    assert vendor_assets.check(), "chart.umd.min.js differs from the sha256 in VERSION"
    licence = (vendor_assets.VENDOR_DIR / "LICENSE.md").read_text(encoding="utf-8")
    assert "MIT License" in licence
    response = client.get("/static/vendor/chartjs/chart.umd.min.js")
    assert response.status_code == 200
    assert f"Chart.js v{version}" in response.get_data(as_text=True)[:200]
    assert client.get("/static/js/charts.js").status_code == 200


def test_vendored_axe_core_is_the_recorded_version():
    """The accessibility checker of the browser tests: pinned, checked, with its licence."""
    axe = vendor_assets.AXE
    version, _digest = vendor_assets.read_version_file(axe.directory)
    assert version == axe.version
    assert vendor_assets.check(axe.directory, axe.script), "axe.min.js differs from VERSION"
    assert "Mozilla Public License" in (axe.directory / "LICENSE").read_text(encoding="utf-8")
    assert f"axe v{version}" in (axe.directory / axe.script).read_text(encoding="utf-8")[:300]


def test_money_and_scores_reach_the_chart_as_numbers(make):
    placement = make.placement(bill_rate=Decimal("99.99"))
    make.review(placement, 1, delivery=3, code_quality=4, communication=4, collaboration=4)
    overall = dataset(charts.review_scores(placement), "Overall")
    assert overall == [3.75]
    assert isinstance(overall[0], float)
