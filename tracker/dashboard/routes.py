"""Staff landing page: what needs attention today, and the agency's key figures."""

from datetime import date

from flask import current_app, render_template

from tracker.auth.access import staff_required
from tracker.dashboard import bp
from tracker.infra.cache import cached
from tracker.infra.links import url_if_routed
from tracker.reports import billing, charts, dashboard


@bp.get("/")
@staff_required
def index():
    today = date.today()
    figures = cached(("staff_figures", today), lambda: dashboard.staff_figures(today))
    money = list(figures.money)  # billed, paid and margin per month: one query with the figures
    unpaid = cached(("overdue_invoices", today), lambda: billing.overdue(today, 5))
    # The key figures and the charts sum up the whole agency and are the same for all staff:
    # computed once per data change (tracker.infra.cache), the lists below on every view.
    return render_template(
        "dashboard/index.html",
        today=today,
        figures=figures,
        attention=dashboard.placements_needing_attention(today),
        overdue=dashboard.overdue_reviews(today),
        unproposed=dashboard.urgent_requests_without_proposal(),
        ending_soon=dashboard.placements_ending_soon(today),
        waiting_timesheets=dashboard.timesheets_waiting_longest(
            today, current_app.config["TIMESHEET_AUTO_APPROVE_DAYS"]
        ),
        started_chart=cached(
            ("placements_started", today), lambda: charts.placements_started_per_month(today)
        ),
        pipeline_chart=cached(("request_pipeline", today), lambda: charts.request_pipeline(today)),
        money=money,
        money_chart=billing.money_chart(money),
        overdue_invoices=unpaid,
        invoice_links={
            o.id: url_if_routed("invoices.detail", invoice_id=o.id) for o in unpaid.longest
        },
    )
