"""Error pages: plain words, no traceback, the transaction rolled back — even when the
database itself is what failed."""

from flask import Flask, g, render_template, request
from flask_login import AnonymousUserMixin
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from tracker.api import is_api_path
from tracker.api.core import handle_http_exception
from tracker.extensions import db

TITLES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    401: ("Sign-in required", "Please sign in to continue."),
    403: ("Not allowed", "Your account does not have access to this page."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    405: ("Not allowed", "That action is not available here."),
    409: ("Conflict", "Someone else changed this in the meantime. Reload and try again."),
    413: ("Too large", "The upload is larger than allowed."),
    429: ("Too many attempts", "Too many attempts. Wait a minute and try again."),
    500: ("Something went wrong", "The error has been logged; nothing was saved. Try again."),
    503: (
        "Back in a moment",
        "The database cannot be reached right now; nothing was saved. Try again in a minute.",
    ),
}
RETRY_AFTER_SECONDS = "30"
CSRF_MESSAGE = (
    "This form has expired or was opened before you signed in again (its CSRF security "
    "token is missing or old); nothing was saved. Go back, reload the page and submit it again."
)


def render_error(code: int, description: str | None = None):
    """The error page for a status code, with the request id to quote to support."""
    title, default = TITLES.get(code, ("Error", "Something went wrong."))
    if code >= 500:
        description = default  # never show internals
    message = description or default
    try:
        body = render_template(
            "errors/error.html",
            code=code,
            title=title,
            message=message,
            request_id=g.get("request_id"),
        )
    except Exception:  # the page itself failed (say, the database went away mid-render)
        body = _bare_page(code, title, message)
    return body, code


def _bare_page(code: int, title: str, message: str) -> str:
    """An error page that needs nothing: no template, no user, no database."""
    rid = escape(g.get("request_id") or "")
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<h1>{code} — {escape(title)}</h1><p>{escape(message)}</p>"
        f"<p>Reference: <code>{rid}</code></p></html>"
    )


def _database_unreachable(error: Exception) -> bool:
    """A lost or refused connection, or a database too busy to answer: try again later."""
    return isinstance(error, OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated
    )


def register(app: Flask) -> None:
    """Handle every HTTP error and every unexpected exception; clean up sessions safely."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if is_api_path():
            return handle_http_exception(error)
        _rollback()
        description = None
        if isinstance(error, CSRFError):
            description = CSRF_MESSAGE  # Flask-WTF's words name the mechanism, not what to do
        elif error.code in (400, 413) and error.description != type(error).description:
            description = error.description  # what the app said; werkzeug's default says less
        response = render_error(error.code, description)
        if error.code == 405 and (allowed := error.get_headers()):
            return response[0], 405, allowed
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        _rollback()
        if _database_unreachable(error):
            app.logger.error(
                "Database unreachable on %s %s: %s", request.method, request.path, error
            )
            # The page must not ask the database who is signed in: show it as anonymous.
            g._login_user = AnonymousUserMixin()
            body, code = render_error(503)
            return body, code, {"Retry-After": RETRY_AFTER_SECONDS}
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)

    @app.teardown_appcontext
    def remove_session_safely(_exc):
        # Registered after Flask-SQLAlchemy's own teardown, so it runs first: a connection
        # that died after the view finished must not turn a finished response into a 500.
        try:
            db.session.remove()
        except SQLAlchemyError:
            app.logger.warning("Discarding a database session whose connection failed")
            db.session.registry.clear()


def _rollback() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.registry.clear()  # the connection is gone; the next request starts afresh
