"""An engineer's account for their own area (/me/), given by staff from the engineer's page:
an invitation, then access switched off or on and a new invitation, as for portal users."""

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from tracker.auth.access import staff_required
from tracker.auth.accounts import send_new_invitation, switch_access
from tracker.engineers import bp
from tracker.extensions import db
from tracker.models import Engineer, User
from tracker.services import DomainError, invitations, transaction


def _back(engineer: Engineer):
    return redirect(url_for("engineers.detail", engineer_id=engineer.id) + "#account")


def _account(engineer: Engineer) -> User:
    if engineer.user is None:
        abort(404)
    return engineer.user


@bp.post("/<int:engineer_id>/account")
@staff_required
def account_invite(engineer_id: int):
    engineer = db.get_or_404(Engineer, engineer_id)
    try:
        with transaction():
            user = invitations.invite_engineer(engineer, actor=current_user)
    except DomainError as e:
        flash(str(e), "danger")
        return _back(engineer)
    flash(
        f"Invitation sent to {user.email}: they choose their password from the e-mail and then "
        "see their placements and log their hours.",
        "success",
    )
    return _back(engineer)


@bp.post("/<int:engineer_id>/account/access")
@staff_required
def account_access(engineer_id: int):
    engineer = db.get_or_404(Engineer, engineer_id)
    return switch_access(_account(engineer), _back(engineer))


@bp.post("/<int:engineer_id>/account/invitation")
@staff_required
def account_resend(engineer_id: int):
    engineer = db.get_or_404(Engineer, engineer_id)
    return send_new_invitation(_account(engineer), _back(engineer))
