"""Error pages: plain words, no traceback, the transaction rolled back."""

from flask import Flask, g, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

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
}


def render_error(code: int, description: str | None = None):
    """The error page for a status code, with the request id to quote to support."""
    title, default = TITLES.get(code, ("Error", "Something went wrong."))
    if code >= 500:
        description = default  # never show internals
    body = render_template(
        "errors/error.html",
        code=code,
        title=title,
        message=description or default,
        request_id=g.get("request_id"),
    )
    return body, code


def register(app: Flask) -> None:
    """Handle every HTTP error and every unexpected exception."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        db.session.rollback()
        description = None
        if error.code in (400, 413) and isinstance(error.description, str):
            description = error.description
        if error.code == 429:
            description = None
        response = render_error(error.code, description)
        if error.code == 405 and (allowed := error.get_headers()):
            return response[0], 405, allowed
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)
