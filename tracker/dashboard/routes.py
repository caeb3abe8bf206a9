"""Staff landing page: what needs attention today, and the agency's key figures."""

from datetime import date

from flask import render_template

from tracker.auth.access import staff_required
from tracker.dashboard import bp
from tracker.services import charts, dashboard


@bp.get("/")
@staff_required
def index():
    today = date.today()
    return render_template(
        "dashboard/index.html",
        today=today,
        figures=dashboard.staff_figures(today),
        attention=dashboard.placements_needing_attention(today),
        overdue=dashboard.overdue_reviews(today),
        unproposed=dashboard.urgent_requests_without_proposal(),
        ending_soon=dashboard.placements_ending_soon(today),
        started_chart=charts.placements_started_per_month(today),
        pipeline_chart=charts.request_pipeline(today),
    )
