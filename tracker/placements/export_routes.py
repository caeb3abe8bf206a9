"""The placements list as a CSV download: the list's filters and order, plus health."""

from datetime import date

from flask import request

from tracker.auth.access import staff_required
from tracker.infra.csv_export import csv_response
from tracker.infra.listing import parse_sort
from tracker.placements import bp
from tracker.reports import placement_reports as reports


@bp.get("/placements/export.csv")
@staff_required
def export():
    today = date.today()
    sort = parse_sort(request.args.get("sort"), reports.SORTS, reports.DEFAULT_SORT)
    return csv_response(
        f"placements-{today:%Y-%m-%d}.csv",
        reports.PLACEMENT_EXPORT_HEADER,
        reports.placement_export_rows(
            request.args.get("q"),
            request.args.get("status"),
            sort,
            health=request.args.get("health"),
            today=today,
        ),
    )
