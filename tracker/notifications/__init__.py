"""Notifications: the list, marking read, opening one; the unread count for the navbar bell."""

from flask import Blueprint, current_app
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.app_context_processor
def inject_unread() -> dict[str, int]:
    """{"unread_notifications": n} for every template: one COUNT query when signed in."""
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    from tracker.services import discard
    from tracker.services.notifications import unread_count

    try:
        return {"unread_notifications": unread_count(current_user)}
    except SQLAlchemyError:
        # A badge must never break a page, least of all the error page of a database failure.
        discard()
        current_app.logger.warning("Unread notifications could not be counted", exc_info=True)
        return {"unread_notifications": 0}


from tracker.notifications import routes  # noqa: E402, F401  (registers the views)
