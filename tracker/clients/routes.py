"""Client pages for agency staff."""

from datetime import date

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.auth.access import staff_required
from tracker.clients import bp
from tracker.clients.forms import ClientFilterForm, ClientForm, InviteForm
from tracker.extensions import db
from tracker.infra.audit import timeline
from tracker.infra.links import url_if_routed
from tracker.infra.listing import parse_sort
from tracker.infra.pagination import paginate
from tracker.models import Client
from tracker.reports import billing
from tracker.services import DomainError, clients, transaction


def _manager_choices(blank: str) -> dict[str, str]:
    return {"": blank, **{str(uid): name for uid, name in clients.staff_choices()}}


@bp.get("/")
@staff_required
def index():
    form = ClientFilterForm(request.args)
    form.account_manager_id.choices = _manager_choices("Any account manager")
    filters = form.to_filters() if form.validate() else ClientFilterForm().to_filters()
    sort = parse_sort(request.args.get("sort"), clients.SORTS, "name")
    page = paginate(clients.client_list(filters, sort))
    ids = [c.id for c in page.items]
    return render_template(
        "clients/index.html",
        page=page,
        form=form,
        sort=sort,
        open_requests=clients.open_request_counts(ids),
        live_placements=clients.live_placement_counts(ids),
    )


def _render_form(form: ClientForm, client: Client | None, status: int = 200):
    return render_template("clients/form.html", form=form, client=client), status


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def create():
    form = ClientForm()
    form.account_manager_id.choices = _manager_choices("— nobody yet —")
    if request.method == "GET":
        form.account_manager_id.data = current_user.id
    if not form.validate_on_submit():
        return _render_form(form, None, 400 if form.errors else 200)
    try:
        with transaction():
            client = clients.create_client(form.to_input(), current_user)
    except DomainError as e:
        flash(str(e), "danger")
        return _render_form(form, None, 409)
    flash(f"Client {client.name} created.", "success")
    return redirect(url_for("clients.detail", client_id=client.id))


@bp.get("/<int:client_id>")
@staff_required
def detail(client_id: int):
    return detail_page(db.get_or_404(Client, client_id))


def detail_page(client: Client, status: int = 200, invite_form: InviteForm | None = None):
    """The client's page; the portal users' routes show it again with their form's errors."""
    today = date.today()
    return render_template(
        "clients/detail.html",
        client=client,
        requests=clients.client_requests(client),
        placements=clients.client_placements(client),
        users=clients.client_users(client),
        invite_form=invite_form or InviteForm(formdata=None),
        events=timeline(client),
        revenue=billing.client_revenue(client.id, today),
        open_invoices=billing.open_invoices(client.id, today),
        invoices_href=url_if_routed("invoices.index", client_id=client.id),
    ), status


@bp.route("/<int:client_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(client_id: int):
    client = db.get_or_404(Client, client_id)
    form = ClientForm(obj=client)
    form.account_manager_id.choices = _manager_choices("— nobody —")
    if not form.validate_on_submit():
        return _render_form(form, client, 400 if form.errors else 200)
    try:
        with transaction():
            changes = clients.update_client(
                client, form.to_input(), current_user, form.version_id.data
            )
    except DomainError as e:
        flash(str(e), "danger")
        return _render_form(form, db.session.get(Client, client_id), 409)
    flash("Client saved." if changes else "Nothing changed.", "success" if changes else "info")
    return redirect(url_for("clients.detail", client_id=client.id))


@bp.post("/<int:client_id>/archive")
@staff_required
def archive(client_id: int):
    client = db.get_or_404(Client, client_id)
    try:
        with transaction():
            clients.archive_client(client, current_user)
    except DomainError as e:
        flash(str(e), "danger")
    else:
        flash(f"{client.name} archived. It no longer appears in lists and pickers.", "success")
    return redirect(url_for("clients.detail", client_id=client_id))


@bp.post("/<int:client_id>/restore")
@staff_required
def restore(client_id: int):
    client = db.get_or_404(Client, client_id)
    try:
        with transaction():
            clients.restore_client(client, current_user)
    except DomainError as e:
        flash(str(e), "danger")
    else:
        flash(f"{client.name} restored.", "success")
    return redirect(url_for("clients.detail", client_id=client_id))
