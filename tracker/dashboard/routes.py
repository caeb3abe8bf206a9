"""Staff landing page: what needs attention today, and the agency's key figures."""

from datetime import date

from flask import current_app, render_template

from tracker.auth.access import staff_required
from tracker.dashboard import bp
from tracker.infra.links import url_if_routed
from tracker.reports import billing, charts, dashboard
from tracker.templating import render_fragment, shared_fragment


@bp.get("/")
@staff_required
def index():
    today = date.today()
    # Everything below the navigation is the same for all staff on a day: the figures and
    # charts sum up the whole agency, the lists are agency-wide too. Rendered once per change
    # of the data (tracker.infra.cache); the page around it on every view.
    content = shared_fragment("dashboard.index", (today,), lambda: _content(today))
    return render_template("dashboard/index.html", content=content)


def _content(today: date) -> str:
    """The figures, the lists of what needs attention, the money and the charts."""
    figures = dashboard.staff_figures(today)
    money = list(figures.money)  # billed, paid and margin per month: one query with the figures
    unpaid = billing.overdue(today, 5)
    return render_fragment(
        "dashboard/_content.html",
        today=today,
        figures=figures,
        attention=dashboard.placements_needing_attention(today),
        overdue=dashboard.overdue_reviews(today),
        unproposed=dashboard.urgent_requests_without_proposal(),
        ending_soon=dashboard.placements_ending_soon(today),
        waiting_timesheets=dashboard.timesheets_waiting_longest(
            today, current_app.config["TIMESHEET_AUTO_APPROVE_DAYS"]
        ),
        started_chart=charts.placements_started_per_month(today),
        pipeline_chart=charts.request_pipeline(today),
        money=money,
        money_chart=billing.money_chart(money),
        overdue_invoices=unpaid,
        invoice_links={
            o.id: url_if_routed("invoices.detail", invoice_id=o.id) for o in unpaid.longest
        },
    )
