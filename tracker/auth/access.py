"""Who may open what: sign-in everywhere, roles per view, clients kept to their own data."""

import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import NoReturn

from flask import abort, current_app, flash, request, session
from flask_login import current_user, logout_user

from tracker.api import is_api_path
from tracker.extensions import db, login_manager
from tracker.infra.audit import record_security_event
from tracker.infra.links import safe_next_path  # noqa: F401  (views import it from here)
from tracker.models import User
from tracker.models.enums import STAFF_ROLES, Role
from tracker.services import discard, transaction

# The only endpoints an anonymous visitor may reach.
# An invitation link is its own credential (signed, expiring, used once).
PUBLIC_ENDPOINTS = frozenset(
    {"auth.login", "auth.invitation", "static", "bootstrap.static", "health", "ping"}
)
ANY_ROLE = Role.values()


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


SEEN_AT_STEP = 60  # seconds between two notes of a signed-in user's last request


def require_login_everywhere():
    """before_request: every endpoint outside PUBLIC_ENDPOINTS needs a signed-in user whose
    session is neither idle too long nor too old."""
    if request.endpoint is None or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if is_api_path():  # tokens, never the session, authenticate the API (tracker.api.core)
        return None
    if current_user.is_authenticated and (reason := session_expiry()):
        logout_user()
        session.clear()
        flash(reason, "info")
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    now = int(time.time())
    # A quarter of the idle limit at most, so a short limit (1 minute) still sees activity.
    step = min(SEEN_AT_STEP, current_app.config["SESSION_IDLE_MINUTES"] * 15)
    if now - session.get("seen_at", 0) >= step:
        # Noted at most once a minute: an unchanged session is not signed and sent again
        # (SESSION_REFRESH_EACH_REQUEST is off), and the idle limit is counted in minutes.
        session["seen_at"] = now
    return None


def start_session() -> None:
    """Stamp a fresh sign-in: the absolute and idle lifetimes count from now."""
    now = int(time.time())
    session["signed_in_at"] = now
    session["seen_at"] = now


def session_expiry() -> str | None:
    """Why the signed-in session must end now, if it must: too old, or idle too long."""
    now = time.time()
    signed_in = session.get("signed_in_at", 0)
    seen = session.get("seen_at", signed_in)
    absolute = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    if now - signed_in > absolute:
        return "Your session has ended; please sign in again."
    if now - seen > idle:
        return "You were away for a while; please sign in again."
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
                refuse(403, "access.forbidden")
            return view(*args, **kwargs)

        wrapped.__dict__["allowed_roles"] = allowed  # read by the access tests walking the url map
        return wrapped

    return decorator


staff_required = role_required(*STAFF_ROLES)
client_required = role_required(Role.CLIENT)
engineer_required = role_required(Role.ENGINEER)


def own_or_404(found, model, object_id: int):
    """The object a scoped query found for the signed-in client or engineer, else 404 (never
    403: no hint that it exists). Asking for someone else's is recorded as a security event."""
    if found is None:
        other = db.session.get(model, object_id)
        if other is not None:
            refuse(404, "access.cross_tenant", other)
        abort(404)
    return found


def refuse(status: int, action: str, about=None) -> NoReturn:
    """Record a refusal as a security event (committed on its own), then answer `status`."""
    discard()  # whatever the view had started is not written
    with transaction():
        record_security_event(
            current_user if current_user.is_authenticated else None,
            action,
            about,
            {
                "path": [None, request.path],
                "method": [None, request.method],
                "status": [None, status],
            },
        )
    current_app.logger.warning(
        "%s: %s %s by %s", action, request.method, request.path,
        current_user.email if current_user.is_authenticated else "anonymous",
    )  # fmt: skip
    abort(status)
