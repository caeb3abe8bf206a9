"""A client's portal users, managed by agency staff from the client page: invite, switch
access off or on, send a new invitation. Admins also have the full user management."""

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from tracker.auth.access import staff_required
from tracker.auth.accounts import send_new_invitation, switch_access
from tracker.clients import bp
from tracker.clients.forms import InviteForm
from tracker.clients.routes import detail_page
from tracker.extensions import db
from tracker.forms import add_error, required
from tracker.models import Client, User
from tracker.services import DomainError, invitations, transaction


def _portal_user(client: Client, user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.client_id != client.id:
        abort(404)
    return user


def _back(client: Client):
    return redirect(url_for("clients.detail", client_id=client.id) + "#portal-users")


@bp.post("/<int:client_id>/users")
@staff_required
def invite(client_id: int):
    client = db.get_or_404(Client, client_id)
    form = InviteForm()
    if not form.validate_on_submit():
        return detail_page(client, 400, invite_form=form)
    try:
        with transaction():
            user = invitations.invite(
                client,
                name=required(form.name.data),
                email=required(form.email.data),
                actor=current_user,
            )
    except DomainError as e:
        add_error(form.email, str(e))
        return detail_page(client, 409, invite_form=form)
    flash(
        f"Invitation sent to {user.email}: they choose their password from the e-mail "
        "and then see this client's portal.",
        "success",
    )
    return _back(client)


@bp.post("/<int:client_id>/users/<int:user_id>/access")
@staff_required
def access(client_id: int, user_id: int):
    client = db.get_or_404(Client, client_id)
    return switch_access(_portal_user(client, user_id), _back(client))


@bp.post("/<int:client_id>/users/<int:user_id>/invitation")
@staff_required
def resend(client_id: int, user_id: int):
    client = db.get_or_404(Client, client_id)
    return send_new_invitation(_portal_user(client, user_id), _back(client))
