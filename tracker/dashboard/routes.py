"""Staff landing page: what needs attention today, and the agency's key figures."""

from collections.abc import Callable
from datetime import date
from functools import partial

from flask import current_app, render_template
from markupsafe import Markup

from tracker.auth.access import staff_required
from tracker.dashboard import bp
from tracker.infra.links import url_if_routed
from tracker.reports import billing, charts, dashboard
from tracker.templating import render_fragment, shared_fragment


@bp.get("/")
@staff_required
def index():
    today = date.today()
    # Everything below the header is the same for all staff on a day: the figures and charts
    # sum up the whole agency, the lists are agency-wide too. Each part is rendered once and
    # kept until a write to the tables it read (tracker.infra.cache), so hours logged renew
    # the timesheets card alone; the page around the parts is rendered on every view.
    parts: dict[str, Markup] = {}
    for name, render in _PARTS.items():
        html = shared_fragment(f"dashboard.{name}", (today,), partial(render, today))
        parts.update(zip(name.split("+"), html.split(_SEPARATOR), strict=True))
    return render_template("dashboard/index.html", today=today, parts=parts)


# Between the two pieces of one part (the figures and the money card read one statement).
_SEPARATOR = "\n<!-- dashboard part -->\n"


def _figures_and_money(today: date) -> str:
    figures = dashboard.staff_figures(today)
    money = list(figures.money)  # billed, paid and margin per month: one query with the figures
    unpaid = billing.overdue(today, 5)
    links = {o.id: url_if_routed("invoices.detail", invoice_id=o.id) for o in unpaid.longest}
    return _SEPARATOR.join(
        (
            render_fragment("dashboard/_figures.html", today=today, figures=figures),
            render_fragment(
                "dashboard/_money.html",
                money=money,
                money_chart=billing.money_chart(money),
                overdue_invoices=unpaid,
                invoice_links=links,
            ),
        )
    )


def _timesheets(today: date) -> str:
    waiting = dashboard.timesheets_waiting_longest(
        today, current_app.config["TIMESHEET_AUTO_APPROVE_DAYS"]
    )
    return render_fragment("dashboard/_timesheets.html", waiting_timesheets=waiting)


def _charts(today: date) -> str:
    return render_fragment(
        "dashboard/_charts.html",
        started_chart=charts.placements_started_per_month(today),
        pipeline_chart=charts.request_pipeline(today),
    )


# name ("a+b" for a part rendered as two pieces) -> its HTML for a day
_PARTS: dict[str, Callable[[date], str]] = {
    "figures+money": _figures_and_money,
    "attention": lambda today: render_fragment(
        "dashboard/_attention.html", attention=dashboard.placements_needing_attention(today)
    ),
    "overdue": lambda today: render_fragment(
        "dashboard/_overdue.html", overdue=dashboard.overdue_reviews(today)
    ),
    "unproposed": lambda _today: render_fragment(
        "dashboard/_unproposed.html", unproposed=dashboard.urgent_requests_without_proposal()
    ),
    "ending": lambda today: render_fragment(
        "dashboard/_ending.html", ending_soon=dashboard.placements_ending_soon(today)
    ),
    "timesheets": _timesheets,
    "charts": _charts,
}
