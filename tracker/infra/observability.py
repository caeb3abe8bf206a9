"""Request ids and log format: every log line of a request can be traced back to it."""

import logging
import uuid

from flask import Flask, g, has_request_context, request

from tracker.infra.audit import origin

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdFilter(logging.Filter):
    """Adds the current request's id (or '-') to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure(app: Flask) -> None:
    """Log to stderr with the request id, at INFO unless testing."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    )
    handler.addFilter(RequestIdFilter())
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(logging.WARNING if app.testing else logging.INFO)
    app.after_request(_echo_request_id)


def assign_request_id() -> None:
    """Take a sane incoming X-Request-ID (from a proxy) or make a new one; note the origin."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    ok = 0 < len(incoming) <= 64 and all(c.isalnum() or c in "-_." for c in incoming)
    g.request_id = incoming if ok else uuid.uuid4().hex
    origin.set(request.remote_addr)  # the client's address (ProxyFix applied when configured)


def _echo_request_id(response):
    if rid := g.get("request_id"):
        response.headers[REQUEST_ID_HEADER] = rid
    return response
