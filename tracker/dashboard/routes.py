"""Staff landing page: the figures and lists that need attention today."""

from datetime import date

from flask import render_template

from tracker.auth.access import staff_required
from tracker.dashboard import bp
from tracker.services import dashboard


@bp.get("/")
@staff_required
def index():
    today = date.today()
    return render_template(
        "dashboard/index.html",
        figures=dashboard.staff_figures(today),
        urgent_requests=dashboard.urgent_open_requests(),
        ending_soon=dashboard.placements_ending_soon(today),
        today=today,
    )
