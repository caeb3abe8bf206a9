"""gunicorn's settings for this app; gunicorn reads ./gunicorn.conf.py from the directory it
starts in (or `gunicorn -c gunicorn.conf.py`). Command-line options override them.

gunicorn answers every request with `Server: gunicorn`: a free hint of what to attack. It has no
setting to leave the header out, so this file gives it a response class that writes every
default header but that one (tests/test_security.py starts gunicorn and checks the answer).
"""

from gunicorn.http import wsgi as _wsgi


class _AnonymousResponse(_wsgi.Response):
    """gunicorn's response without the Server header (Date and Connection stay)."""

    def default_headers(self):
        return [h for h in super().default_headers() if not h.lower().startswith("server:")]


_wsgi.Response = _AnonymousResponse
