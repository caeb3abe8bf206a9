"""Chart.js configs built on the server: each page draws them with static/js/charts.js.

Each function returns a plain `{type, data, options}` dict ready for `|tojson`, computed in one
SQL query (counts grouped in SQL, so the cost does not follow the rows of the whole database).
`as_table` turns a config into the rows of the table that screen readers get instead.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from tracker.infra.listing import day_start
from tracker.models import (
    REVIEW_DIMENSIONS,
    IterationReview,
    Placement,
    Proposal,
    StaffingRequest,
    db,
)
from tracker.models.enums import ProposalStatus, RequestStatus
from tracker.services.reviews import overall

# Bootstrap 5's palette, so the charts sit with the rest of the page.
DIMENSION_COLOURS = {
    "delivery": "#0d6efd",
    "code_quality": "#6f42c1",
    "communication": "#20c997",
    "collaboration": "#fd7e14",
}
OVERALL_COLOUR = "#212529"
BAR_COLOUR = "#0d6efd"
PIPELINE_COLOURS = ("#0d6efd", "#ffc107", "#198754")

# Statuses a proposal only reaches after it was put in front of the client.
SHOWN_TO_CLIENT = (
    ProposalStatus.PROPOSED,
    ProposalStatus.INTERVIEWING,
    ProposalStatus.ACCEPTED,
    ProposalStatus.DECLINED,
)
PIPELINE_STAGES = ("Opened", "Proposed to the client", "Placed")


def _category_axis(title: str) -> dict:
    # The title is kept for the accessible table; the labels say enough on screen.
    return {"title": {"display": False, "text": title}, "grid": {"display": False}}


def _count_axis(title: str) -> dict:
    return {
        "beginAtZero": True,
        "ticks": {"precision": 0},
        "title": {"display": True, "text": title},
    }


def review_scores(placement: Placement) -> dict:
    """A line per rating and one for the overall score, over the placement's iterations."""
    # Every iteration up to the last one reviewed gets a label; one without a review is a gap
    # in the lines (and an em dash in the table), so a missed review shows.
    rows: Sequence[Any]  # reviews, or rows of their ratings: read by name either way
    if "reviews" not in sa.inspect(placement).unloaded:  # the page loaded them already
        rows = placement.reviews
    else:
        rows = db.session.execute(
            sa.select(
                IterationReview.iteration,
                *(getattr(IterationReview, d) for d in REVIEW_DIMENSIONS),
            )
            .where(IterationReview.placement_id == placement.id)
            .order_by(IterationReview.iteration)
        ).all()
    by_iteration = {row.iteration: row for row in rows}
    numbers = range(1, max(by_iteration, default=0) + 1)

    def line(label: str, colour: str, value_of, **style) -> dict:
        return {
            "label": label,
            "data": [value_of(by_iteration[n]) if n in by_iteration else None for n in numbers],
            "borderColor": colour,
            "backgroundColor": colour,
            "tension": 0,  # straight: ratings are whole steps, a curve would invent values
            "spanGaps": False,
            **style,
        }

    datasets = [
        line(d.replace("_", " ").capitalize(), DIMENSION_COLOURS[d], lambda r, d=d: getattr(r, d))
        for d in REVIEW_DIMENSIONS
    ]
    datasets.append(
        line("Overall", OVERALL_COLOUR, lambda r: float(overall(r)), borderWidth=4, pointRadius=4)
    )
    return {
        "type": "line",
        "data": {"labels": [f"It. {n}" for n in numbers], "datasets": datasets},
        "options": {
            "scales": {
                "x": _category_axis("Iteration"),
                "y": {
                    "min": 1,
                    "max": 5,
                    "ticks": {"stepSize": 1},
                    "title": {"display": True, "text": "Rating (1–5)"},
                },
            },
            "interaction": {"mode": "index", "intersect": False},
            "plugins": {"legend": {"position": "bottom"}},
        },
    }


def _month_starts(today: date, months: int) -> list[date]:
    """The first day of each of the last `months` months, the current one last."""
    index = today.year * 12 + today.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - months + 1, index + 1)]


def placements_started_per_month(today: date, months: int = 12) -> dict:
    """A bar per month: placements whose start date falls in it, up to today; empty months 0."""
    starts = _month_starts(today, months)
    year = sa.extract("year", Placement.start_date)
    month = sa.extract("month", Placement.start_date)
    counted = db.session.execute(
        sa.select(year, month, sa.func.count())
        .where(Placement.start_date >= starts[0], Placement.start_date <= today)
        .group_by(year, month)
    ).all()
    # PostgreSQL's EXTRACT gives numerics, SQLite's integers.
    per_month = {(int(y), int(m)): n for y, m, n in counted}
    return {
        "type": "bar",
        "data": {
            "labels": [f"{first:%b %Y}" for first in starts],
            "datasets": [
                {
                    "label": "Placements started",
                    "data": [per_month.get((first.year, first.month), 0) for first in starts],
                    "backgroundColor": BAR_COLOUR,
                    "borderRadius": 4,
                }
            ],
        },
        "options": {
            "scales": {"x": _category_axis("Month"), "y": _count_axis("Placements")},
            "plugins": {"legend": {"display": False}},
        },
    }


def pipeline_counts(today: date, days: int = 90) -> tuple[int, int, int]:
    """(opened, proposed to the client, placed) for requests logged in the last `days` days."""
    # The window is the `days` calendar days (UTC) ending with today. A request counts as
    # opened unless it is still a draft; as proposed when one of its proposals was put in front
    # of the client (it has a proposed_at, or a status only reached that way); as placed when
    # it has a placement, whatever became of it since.
    proposed = (
        sa.select(Proposal.id)
        .where(
            Proposal.request_id == StaffingRequest.id,
            sa.or_(Proposal.proposed_at.is_not(None), Proposal.status.in_(SHOWN_TO_CLIENT)),
        )
        .exists()
    )
    placed = sa.select(Placement.id).where(Placement.request_id == StaffingRequest.id).exists()

    def how_many(condition):
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        sa.select(sa.func.count(StaffingRequest.id), how_many(proposed), how_many(placed)).where(
            StaffingRequest.status != RequestStatus.DRAFT,
            StaffingRequest.created_at >= day_start(today - timedelta(days=days - 1)),
            StaffingRequest.created_at < day_start(today + timedelta(days=1)),
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def request_pipeline(today: date, days: int = 90) -> dict:
    """A horizontal funnel: requests opened, proposed to the client and placed (see counts)."""
    counts = pipeline_counts(today, days)
    return {
        "type": "bar",
        "data": {
            "labels": list(PIPELINE_STAGES),
            "datasets": [
                {
                    "label": "Requests",
                    "data": list(counts),
                    "backgroundColor": list(PIPELINE_COLOURS),
                    "borderRadius": 4,
                }
            ],
        },
        "options": {
            "indexAxis": "y",
            "scales": {"x": _count_axis("Requests"), "y": _category_axis("Stage")},
            "plugins": {"legend": {"display": False}},
        },
    }


@dataclass(frozen=True)
class ChartTable:
    """A chart's figures as a table: a header row, then one row per label."""

    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def as_table(config: dict) -> ChartTable:
    """The figures of a chart config, for the visually hidden table beside its canvas."""
    data, options = config["data"], config.get("options", {})
    category_axis = "y" if options.get("indexAxis") == "y" else "x"
    axis = options.get("scales", {}).get(category_axis, {})
    first = axis.get("title", {}).get("text", "")
    datasets = data["datasets"]
    header = (first, *(ds["label"] for ds in datasets))
    rows = [
        (str(label), *(_cell(ds["data"][i]) for ds in datasets))
        for i, label in enumerate(data["labels"])
    ]
    return ChartTable(header, rows)
