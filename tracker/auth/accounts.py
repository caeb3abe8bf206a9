"""Accounts staff give by invitation (a client's portal users, engineers), managed the same way
from the client's page and from the engineer's page: access switched off or on, a new
invitation sent. Each page finds the account and says where to go back; these do the rest.
The rules are tracker.services.invitations'."""

from flask import flash
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, SubmitField

from tracker.models import User
from tracker.services import DomainError, invitations, transaction


class AccessForm(FlaskForm):
    """Switch an invited account's access off or on (the button says which)."""

    active = HiddenField()
    submit = SubmitField("Save")


def switch_access(user: User, back: Response) -> Response:
    """The access form posted for this account: switch it as asked, say what happened."""
    form = AccessForm()
    if not form.validate_on_submit() or form.active.data not in ("on", "off"):
        flash("Choose whether to switch the access on or off.", "danger")
        return back
    active = form.active.data == "on"
    try:
        with transaction():
            changed = invitations.set_access(user, active, current_user)
    except DomainError as e:
        flash(str(e), "danger")
        return back
    if changed:
        state = "can sign in again" if active else "can no longer sign in; their sessions ended"
        flash(f"{user.name} {state}.", "success")
    else:
        flash(f"{user.name}'s access was already {'on' if active else 'off'}.", "info")
    return back


def send_new_invitation(user: User, back: Response) -> Response:
    """A new invitation for an account nobody signed in to yet; the earlier link stops working."""
    if not AccessForm().validate_on_submit():
        flash("The form expired; try again.", "danger")
        return back
    try:
        with transaction():
            invitations.resend(user, current_user)
    except DomainError as e:
        flash(str(e), "danger")
        return back
    flash(f"A new invitation is on its way to {user.email}; the earlier link no longer works.",
          "success")  # fmt: skip
    return back
