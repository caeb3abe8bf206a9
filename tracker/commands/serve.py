"""`flask --app wsgi serve`: the development server of `make run`, which names no software.

`flask run` answers every request with `Server: Werkzeug/3.1.9 Python/3.11.7`: a free hint of
which known vulnerabilities to try. Werkzeug's request handler writes that header itself (before
the app's headers), so no after-request hook can remove it; this command serves the same way
with a handler that leaves it out. In production gunicorn serves, and gunicorn.conf.py takes its
`Server: gunicorn` out likewise.
"""

from typing import cast

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.local import LocalProxy
from werkzeug.serving import WSGIRequestHandler, run_simple


class AnonymousRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without the Server header (the Date header stays)."""

    def send_response(self, code, message=None):
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--reload", is_flag=True, help="Restart when a source file changes.")
@click.option("--debugger", is_flag=True, help="Werkzeug's in-browser debugger (never in public).")
@with_appcontext
def serve_command(host: str, port: int, reload: bool, debugger: bool) -> None:
    """Serve the app with the development server; for production use gunicorn (README)."""
    app = cast("LocalProxy[Flask]", current_app)._get_current_object()  # the app, not the proxy
    run_simple(
        host,
        port,
        app,
        use_reloader=reload,
        use_debugger=debugger,
        threaded=True,
        request_handler=AnonymousRequestHandler,
    )
