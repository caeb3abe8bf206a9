"""Pay statements for agency staff: the list, a month's drafts, one statement, payroll CSV.

Every change goes through tracker.services.pay_statements with the version the page showed: a
statement changed in the meantime is refused with a message, and a refusal of the service is
shown on the statement's page, never a 500.
"""

from collections.abc import Callable
from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.routing import BuildError

from tracker.auth.access import staff_required
from tracker.forms import required
from tracker.infra.audit import timeline
from tracker.infra.csv_export import csv_response
from tracker.infra.listing import parse_sort
from tracker.infra.pagination import paginate
from tracker.models import PayStatement
from tracker.pay_statements import bp
from tracker.pay_statements.forms import DraftMonthForm, PayFilterForm, PayForm, StatementForm
from tracker.services import DomainError, pay_statements, transaction
from tracker.services.billing import days_words, month_words
from tracker.text import day

DEFAULT_SORT = "-period"


# --- the list, and drafting a month ------------------------------------------------------------


def _listing():
    """The filter form, the filters of its valid fields and the sort order."""
    form = PayFilterForm(request.args)
    form.validate()
    sort = parse_sort(request.args.get("sort"), pay_statements.SORTS, DEFAULT_SORT)
    return form, form.to_filters(), sort


def _invoices_url() -> str | None:
    """The invoices' list, once its blueprint is there."""
    try:
        return url_for("invoices.index")
    except BuildError:
        return None


def _index_page(draft_form: DraftMonthForm, status: int = 200):
    form, filters, sort = _listing()
    # Both forms have a "month" field: the draft's keeps its name but not the filter's id.
    draft_form.month.id = draft_form.month.label.field_id = "draft-month"
    page = paginate(
        pay_statements.statement_list(filters, sort).options(selectinload(PayStatement.lines))
    )
    return render_template(
        "pay_statements/index.html",
        page=page,
        form=form,
        filtered=filters != pay_statements.PayFilters(),
        sort=sort,
        # Only drafts can be out of date; a month's drafts are a page or two at most.
        stale=pay_statements.out_of_date_ids(page.items),
        draft_form=draft_form,
        invoices_url=_invoices_url(),
    ), status


@bp.get("/")
@staff_required
def index():
    return _index_page(DraftMonthForm.for_today(date.today()))


@bp.get("/export.csv")
@staff_required
def export():
    _form, filters, sort = _listing()
    rows = pay_statements.export_rows(filters, sort)
    header = next(rows)
    return csv_response(f"payroll-{date.today():%Y-%m-%d}.csv", header, rows)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


@bp.post("/draft-month")
@staff_required
def draft_month():
    """Draft every engineer's statement of a month; running it again creates nothing new."""
    form = DraftMonthForm()
    if not form.validate_on_submit():
        return _index_page(form, 400)
    month = form.first_day
    try:
        with transaction():
            run = pay_statements.draft_month(month, current_user)
    except DomainError as e:
        flash(str(e), "danger")
        return _index_page(form, 409)
    created, rebuilt = len(run.created), len(run.rebuilt)
    words = month_words(month)
    if created or rebuilt:
        done = [_count(created, "new draft")] + ([f"{rebuilt} rebuilt"] if rebuilt else [])
        message = f"Pay statements for {words}: {', '.join(done)}. Check them, then issue them."
        flash(message, "success")
    else:
        flash(
            f"Nothing new to draft for {words}: every approved hour of the month is on a pay "
            "statement already.",
            "info",
        )
    return redirect(url_for("pay_statements.index", month=f"{month:%Y-%m}"))


# --- one statement, and what staff do with it --------------------------------------------------


def _load(statement_id: int) -> PayStatement:
    statement = pay_statements.load(statement_id)
    if statement is None:
        abort(404)
    return statement


def _detail_page(statement: PayStatement, status: int = 200, pay_form: PayForm | None = None):
    return render_template(
        "pay_statements/detail.html",
        statement=statement,
        stale=pay_statements.out_of_date(statement),
        hours=sum(line.hours for line in statement.lines),
        days_words=days_words,
        events=timeline(statement),
        pay_form=pay_form or PayForm(formdata=None, version_id=statement.version_id),
    ), status


@bp.get("/<int:statement_id>")
@staff_required
def detail(statement_id: int):
    return _detail_page(_load(statement_id))


def _whose(statement: PayStatement) -> str:
    return f"{statement.engineer.full_name}'s pay for {month_words(statement.period_start)}"


def _act(
    statement_id: int,
    form: StatementForm | PayForm,
    change: Callable[[PayStatement], None],
    done: Callable[[PayStatement], str],
    *,
    pay_form: PayForm | None = None,
):
    """Validate, change through the service, commit, tell, go back to the statement."""
    statement = _load(statement_id)
    if not form.validate_on_submit():
        return _detail_page(statement, 400, pay_form=pay_form)
    try:
        with transaction():
            change(statement)
    except DomainError as e:
        flash(str(e), "danger")
        statement = _load(statement_id)
        if pay_form is not None:  # what was typed stays; a retry acts on the statement shown
            pay_form.version_id.data = str(statement.version_id)
        return _detail_page(statement, 409, pay_form=pay_form)
    flash(done(statement), "success")
    return redirect(url_for("pay_statements.detail", statement_id=statement_id))


@bp.post("/<int:statement_id>/rebuild")
@staff_required
def rebuild(statement_id: int):
    form = StatementForm()
    return _act(
        statement_id,
        form,
        lambda s: pay_statements.rebuild(s, current_user, version=form.version_id.data),
        lambda s: f"Rebuilt {_whose(s)} from the approved hours: ${s.total:,.2f}.",
    )


@bp.post("/<int:statement_id>/issue")
@staff_required
def issue(statement_id: int):
    form = StatementForm()
    return _act(
        statement_id,
        form,
        lambda s: pay_statements.issue(
            s, current_user, today=date.today(), version=form.version_id.data
        ),
        lambda s: f"Issued {s.number}: {_whose(s)}, ${s.total:,.2f}. It no longer changes.",
    )


@bp.post("/<int:statement_id>/pay")
@staff_required
def pay(statement_id: int):
    form = PayForm()
    return _act(
        statement_id,
        form,
        lambda s: pay_statements.mark_paid(
            s,
            current_user,
            paid_on=required(form.paid_on.data),
            today=date.today(),
            version=form.version_id.data,
        ),
        lambda s: f"{s.number} is marked paid on {day(s.paid_on)}.",
        pay_form=form,
    )


@bp.post("/<int:statement_id>/delete")
@staff_required
def delete(statement_id: int):
    statement = _load(statement_id)
    form = StatementForm()
    if not form.validate_on_submit():
        return _detail_page(statement, 400)
    words, month = _whose(statement), f"{statement.period_start:%Y-%m}"
    try:
        with transaction():
            pay_statements.delete_draft(statement, current_user, version=form.version_id.data)
    except DomainError as e:
        flash(str(e), "danger")
        return _detail_page(_load(statement_id), 409)
    flash(f"Deleted the draft of {words}; its hours may be drafted again.", "success")
    return redirect(url_for("pay_statements.index", month=month))
