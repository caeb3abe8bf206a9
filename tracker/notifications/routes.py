"""A signed-in user's own notifications: every role has them, nobody sees another's."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.auth.access import role_required, safe_next_path
from tracker.forms import parse_id
from tracker.infra.pagination import paginate
from tracker.models.enums import Role
from tracker.notifications import bp
from tracker.services import notifications, transaction

EVERY_ROLE = Role.values()


def _back_to_list():
    return redirect(safe_next_path(request.form.get("next")) or url_for("notifications.index"))


@bp.get("/")
@role_required(*EVERY_ROLE)
def index():
    page = paginate(notifications.page(current_user))
    return render_template("notifications/index.html", page=page)


@bp.post("/read")
@role_required(*EVERY_ROLE)
def read():
    raw_id = request.form.get("id", "").strip()
    if raw_id and not (raw_id.isascii() and raw_id.isdigit()):
        abort(400, "Which notification? The id must be a number.")
    ids = None
    if raw_id:
        if (notification_id := parse_id(raw_id)) is None:
            abort(404)  # a number no notification can have
        ids = [notification_id]
    with transaction():
        changed = notifications.mark_read(current_user, ids)
    if ids is None:
        flash("All notifications marked as read." if changed else "Nothing was unread.", "info")
    return _back_to_list()


@bp.post("/<int:notification_id>/open", endpoint="open")
@role_required(*EVERY_ROLE)
def open_one(notification_id: int):
    notification = notifications.owned(current_user, notification_id)
    if notification is None:
        abort(404)
    with transaction():
        notifications.mark_read(current_user, [notification.id])
    # Only ever a path inside the app, whatever a notification row says.
    return redirect(safe_next_path(notification.link) or url_for("notifications.index"))
