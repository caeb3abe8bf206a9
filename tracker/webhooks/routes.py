"""Webhook endpoints: list, register (the secret shown once), edit, delete, test; and each
endpoint's deliveries, with a retry for those given up on."""

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user

from tracker.auth.access import staff_required
from tracker.extensions import db
from tracker.infra.pagination import paginate
from tracker.models import WebhookDelivery, WebhookEndpoint
from tracker.services import DomainError, transaction, webhooks
from tracker.webhooks import bp
from tracker.webhooks.forms import EndpointEditForm, EndpointForm


@bp.get("/")
@staff_required
def index():
    return render_template("webhooks/index.html", rows=webhooks.endpoint_list())


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def create():
    form = EndpointForm()
    if not form.validate_on_submit():
        return render_template("webhooks/form.html", form=form, endpoint=None), (
            400 if form.errors else 200
        )
    try:
        with transaction():
            new = webhooks.create_endpoint(
                form.url.data or "",
                form.events.data or [],
                current_user,
                description=form.description.data,
            )
    except DomainError as e:
        flash(str(e), "danger")
        return render_template("webhooks/form.html", form=form, endpoint=None), 400
    response = make_response(render_template("webhooks/created.html", new=new))
    response.headers["Cache-Control"] = "no-store"  # the secret stays in no cache, ever
    return response


@bp.get("/<int:endpoint_id>")
@staff_required
def detail(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    page = paginate(webhooks.deliveries_of(endpoint))
    return render_template(
        "webhooks/detail.html", endpoint=endpoint, page=page, event_names=webhooks.EVENTS
    )


@bp.route("/<int:endpoint_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    form = EndpointEditForm(
        data={
            "events": endpoint.event_list,
            "description": endpoint.description,
            "is_active": endpoint.is_active,
        }
    )
    if not form.validate_on_submit():
        return render_template("webhooks/form.html", form=form, endpoint=endpoint), (
            400 if form.errors else 200
        )
    try:
        with transaction():
            webhooks.update_endpoint(
                endpoint,
                form.events.data or [],
                current_user,
                description=form.description.data,
                is_active=form.is_active.data,
            )
    except DomainError as e:
        flash(str(e), "danger")
        return render_template("webhooks/form.html", form=form, endpoint=endpoint), 400
    flash("Endpoint saved.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint.id))


@bp.post("/<int:endpoint_id>/delete")
@staff_required
def delete(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    url = endpoint.url
    with transaction():
        webhooks.delete_endpoint(endpoint, current_user)
    flash(f"Endpoint {url} deleted; nothing more is sent to it.", "success")
    return redirect(url_for("webhooks.index"))


@bp.post("/<int:endpoint_id>/ping")
@staff_required
def ping(endpoint_id: int):
    endpoint = db.get_or_404(WebhookEndpoint, endpoint_id)
    with transaction():
        webhooks.send_ping(endpoint, current_user)
    if endpoint.is_active:
        flash("A ping event is queued: it is sent within a minute by the outbox worker.", "info")
    else:
        flash("A ping event is queued; it is sent once the endpoint is active again.", "warning")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint.id))


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/retry")
@staff_required
def retry(endpoint_id: int, delivery_id: int):
    delivery = db.get_or_404(WebhookDelivery, delivery_id)
    if delivery.endpoint_id != endpoint_id:
        abort(404)
    try:
        with transaction():
            webhooks.retry(delivery)
    except DomainError as e:
        flash(str(e), "warning")
    else:
        flash("The delivery is queued again: the outbox worker sends it within a minute.", "info")
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint_id))
