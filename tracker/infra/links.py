"""Links inside the app: which targets a redirect or a notification may point to."""

from urllib.parse import urlsplit

from flask import url_for
from werkzeug.routing import BuildError


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


def url_if_routed(endpoint: str, **values) -> str | None:
    """The URL of a page, or None while its blueprint is not registered (a link, not a 500)."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None
