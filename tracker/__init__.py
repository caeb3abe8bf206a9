"""Engagement Tracker: the application factory."""

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Config, ProductionConfig, config_from_env
from tracker.extensions import bootstrap, csrf, db, limiter, login_manager, migrate, talisman

PROJECT_DIR = Path(__file__).resolve().parent.parent

# Content-Security-Policy: nothing inline, nothing from another origin.
CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],  # Bootstrap draws form controls with data: SVGs
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    """Build the app: config, extensions, blueprints, error pages, hooks, CLI."""
    app = Flask(
        __name__,
        template_folder=str(PROJECT_DIR / "templates"),
        static_folder=str(PROJECT_DIR / "static"),
        instance_path=str(PROJECT_DIR / "instance"),
    )
    load_config(app, config_class or config_from_env(), overrides)
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_api(app)
    register_error_handlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_cli(app)
    return app


def load_config(app: Flask, config_class: type[Config], overrides: dict) -> None:
    """Apply the config class, then explicit overrides; production checks its secret."""
    app.config.from_object(config_class)
    app.config.update(overrides)
    if issubclass(config_class, ProductionConfig):
        config_class.validate(app.config)
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if hops := int(os.environ.get("PROXY_FIX_HOPS", app.config.get("PROXY_FIX_HOPS", 0))):
        # Behind nginx or a load balancer: trust its X-Forwarded-* headers, no one else's.
        # Flask's documented way to add WSGI middleware; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )


def configure_logging(app: Flask) -> None:
    """Log lines carry the request id, so a user's error report can be found."""
    from tracker.infra.observability import configure

    configure(app)
    if app.config.get("FORCE_HTTPS") and not app.config.get("MAIL_SERVER"):
        app.logger.warning("MAIL_SERVER is not set: e-mails will only be written to the log.")


def register_extensions(app: Flask) -> None:
    """Bind every extension created in tracker.extensions to this app."""
    from tracker.infra import cache, database

    db.init_app(app)
    database.enable_sqlite_foreign_keys()
    cache.listen()
    migrate.init_app(
        app, db, directory=str(PROJECT_DIR / "migrations"), compare_type=True, render_as_batch=True
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    limiter.init_app(app)
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["FORCE_HTTPS"],
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        frame_options="DENY",
        content_security_policy=CSP,
        referrer_policy="strict-origin-when-cross-origin",
    )


def register_blueprints(app: Flask) -> None:
    """One blueprint per area of the product."""
    from tracker.admin import bp as admin_bp
    from tracker.auth import bp as auth_bp
    from tracker.clients import bp as clients_bp
    from tracker.dashboard import bp as dashboard_bp
    from tracker.engineers import bp as engineers_bp
    from tracker.forms import IntegerConverter
    from tracker.health import health, ping
    from tracker.interviews import bp as interviews_bp
    from tracker.invoices import bp as invoices_bp
    from tracker.matching import bp as matching_bp
    from tracker.me import bp as me_bp
    from tracker.notifications import bp as notifications_bp
    from tracker.pay_statements import bp as pay_statements_bp
    from tracker.placements import bp as placements_bp
    from tracker.portal import bp as portal_bp
    from tracker.requests import bp as requests_bp
    from tracker.reviews import bp as reviews_bp
    from tracker.timesheets import bp as timesheets_bp
    from tracker.webhooks import bp as webhooks_bp

    app.url_map.converters["int"] = IntegerConverter  # before any rule: ids past MAX_ID: 404
    blueprints = (
        auth_bp,
        dashboard_bp,
        clients_bp,
        engineers_bp,
        requests_bp,
        matching_bp,
        interviews_bp,
        placements_bp,
        reviews_bp,
        timesheets_bp,
        invoices_bp,
        pay_statements_bp,
        portal_bp,
        me_bp,
        notifications_bp,
        admin_bp,
        webhooks_bp,
    )
    for bp in blueprints:
        app.register_blueprint(bp)
    app.add_url_rule("/health", "health", health)
    app.add_url_rule("/ping", "ping", ping)


def register_api(app: Flask) -> None:
    """The JSON API under /api/v1/ with its OpenAPI document and reference page."""
    from tracker import api

    api.init_app(app)


def register_error_handlers(app: Flask) -> None:
    """Plain error pages; a failure rolls the transaction back first."""
    from tracker.errors import register

    register(app)


def register_request_hooks(app: Flask) -> None:
    """Request ids, a sign-in required on every route outside the public allow-list, and no
    NUL byte in any input."""
    from tracker.auth.access import require_login_everywhere
    from tracker.forms import refuse_nul_bytes
    from tracker.infra.observability import assign_request_id

    app.before_request(assign_request_id)
    app.before_request(require_login_everywhere)
    app.before_request(refuse_nul_bytes)


def register_template_helpers(app: Flask) -> None:
    """Filters and the role-aware navigation, available to every template."""
    from tracker.templating import register

    register(app)


def register_cli(app: Flask) -> None:
    """`flask --app wsgi create-user`, `seed-demo`, …"""
    from tracker.commands import register

    register(app)
