"""The reviews list for agency staff: every placement's iteration reviews, filtered and sorted."""

from datetime import date

from flask import render_template, request
from sqlalchemy.orm import joinedload

from tracker.auth.access import staff_required
from tracker.extensions import db
from tracker.forms import parse_id
from tracker.infra.csv_export import csv_response
from tracker.infra.listing import parse_sort
from tracker.infra.pagination import paginate
from tracker.models import Placement
from tracker.reports import placement_reports as reports
from tracker.reviews import bp
from tracker.reviews.forms import ReviewFilterForm
from tracker.services import clients


def _listing():
    """The filter form, the filters of its valid fields and the sort order."""
    form = ReviewFilterForm(request.args)
    selected = request.args.get("client", type=parse_id)
    form.client.choices = [
        ("", "Any client"),
        *clients.filter_choices(selected, include_archived=True),
    ]
    form.validate()
    sort = parse_sort(request.args.get("sort"), reports.REVIEW_SORTS, reports.DEFAULT_REVIEW_SORT)
    return form, form.to_filters(), sort


@bp.get("/")
@staff_required
def index():
    form, filters, sort = _listing()
    page = paginate(reports.review_list(filters, sort))
    placement = None
    if filters.placement_id:  # named above the list
        placement = db.session.get(
            Placement,
            filters.placement_id,
            options=[joinedload(Placement.engineer), joinedload(Placement.client)],
        )
    return render_template(
        "reviews/index.html",
        page=page,
        form=form,
        filters=filters,
        sort=sort,
        placement=placement,
    )


@bp.get("/export.csv")
@staff_required
def export():
    _form, filters, sort = _listing()
    return csv_response(
        f"iteration-reviews-{date.today():%Y-%m-%d}.csv",
        reports.REVIEW_EXPORT_HEADER,
        reports.review_export_rows(filters, sort),
    )
