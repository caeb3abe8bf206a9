"""Who may open what: sign-in everywhere, roles per view, clients kept to their own data."""

import secrets
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user
from sqlalchemy import Select

from tracker.extensions import db, login_manager
from tracker.models import User
from tracker.models.enums import Role

# The only endpoints an anonymous visitor may reach.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "bootstrap.static", "health"})
STAFF_ROLES = (Role.ADMIN.value, Role.ACCOUNT_MANAGER.value)


@login_manager.user_loader
def load_user(identity: str) -> User | None:
    """The user a session names, if the session's token is still the user's current one."""
    user_id, _, token = identity.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active:
        return None
    if not secrets.compare_digest(user.session_token, token):
        return None
    return user


login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to continue."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


def require_login_everywhere():
    """before_request: every endpoint outside PUBLIC_ENDPOINTS needs a signed-in user."""
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def role_required(*roles: str) -> Callable:
    """Allow a view to the given roles only; anyone else signed in gets 403."""
    allowed = frozenset(str(r) for r in roles)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = allowed  # read by the access tests that walk the url map
        return wrapped

    return decorator


staff_required = role_required(*STAFF_ROLES)
client_required = role_required(Role.CLIENT)


def scope_to_client(stmt: Select, client_id_column) -> Select:
    """Limit a query to the signed-in client user's company; staff see everything."""
    if current_user.is_client:
        return stmt.where(client_id_column == current_user.client_id)
    return stmt


def get_owned_or_404(model, object_id: int, *, client_id_of=lambda obj: obj.client_id):
    """Load an object; a client user asking for another company's object gets 404."""
    obj = db.get_or_404(model, object_id)
    if current_user.is_client and client_id_of(obj) != current_user.client_id:
        abort(404)
    return obj


def safe_next_path(target: str | None) -> str | None:
    """The target if it is a path inside this app, else None (no open redirects)."""
    if not target or len(target) > 2048:
        return None
    if any(c in target for c in "\\\r\n\t\x00") or not target.startswith("/"):
        return None
    if target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
