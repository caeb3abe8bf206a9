"""The JSON API, /api/v1/: flask-smorest blueprints over the same services as the pages.

Tokens authenticate it (never the sign-in session); errors are RFC 9457 problem details;
the OpenAPI 3.1 document is generated from the schemas the routes validate with.
"""

import http

from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask, render_template, request
from flask_smorest import Api as SmorestApi
from flask_smorest.utils import prepare_response

from tracker.api.core import PROBLEM_JSON
from tracker.api.schemas import ProblemSchema

API_PREFIX = "/api/v1"
DOCS_ENDPOINTS = frozenset({"api-docs.openapi_json", "api_docs_page"})


class Api(SmorestApi):
    """flask-smorest's Api, minus its app-wide JSON error handler (the pages keep their HTML
    error pages; API blueprints register problem details themselves)."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem (RFC 9457)", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def schema_name(schema) -> str:
    """A component name per schema class, "…Patch" for its partial (PATCH) variant."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if not isinstance(schema, type) and schema.partial:
        name += "Patch"
    return name


api = Api(
    spec_kwargs={
        "marshmallow_plugin": MarshmallowPlugin(schema_name_resolver=schema_name),
        "info": {
            "description": (
                "The Engagement Tracker API: the same rules as its pages. Authenticate with "
                "`Authorization: Bearer <token>` (create one under *API tokens* in the user menu, "
                "/account/tokens). Errors are "
                "RFC 9457 problem details; lists use cursor pagination (`next`); PATCH needs "
                "`If-Match`; POST takes `Idempotency-Key`."
            )
        },
        "servers": [{"url": "/"}],
        "security": [{"bearerAuth": []}],
    }
)


def blueprints():
    """Every API blueprint, in the order the documentation lists them."""
    from tracker.api import (
        billing,
        clients,
        engineers,
        placements,
        proposals,
        requests,
        reviews,
        timesheets,
    )

    return [
        clients.blp,
        engineers.skills_blp,
        engineers.blp,
        requests.blp,
        proposals.blp,
        placements.blp,
        reviews.blp,
        timesheets.blp,
        billing.invoices_blp,
        billing.pay_blp,
    ]


# What the field rules say of every text and date, published so that a body valid by the schema
# is one the rules accept: no NUL character in any text (PostgreSQL cannot store one), and dates
# people enter from 2000 to 2100 (tracker.services.field_rules.date_in_range).
NO_NUL = "^[^\\x00]*$"
DATE_RANGE = "^(20[0-9]{2}|2100)-[0-9]{2}-[0-9]{2}$"


def published_rules(self, field, ret: dict, **kwargs) -> dict:
    """apispec attribute function: the rules every text and date field obeys."""
    from marshmallow import fields

    if isinstance(field, fields.Date):
        return {"pattern": DATE_RANGE}
    if isinstance(field, fields.String) and not ({"enum", "pattern", "format"} & set(ret)):
        return {"pattern": NO_NUL}
    return {}


def init_app(app: Flask) -> None:
    """Bind the API: spec and docs, token authentication, rate limits, problem details."""
    app.config.setdefault("API_TITLE", "Engagement Tracker API")
    app.config.setdefault("API_VERSION", "1.0.0")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", API_PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    api.init_app(app)
    api.ma_plugin.converter.add_attribute_function(published_rules)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "An API token."}
    )
    for blp in blueprints():
        api.register_blueprint(blp)
    _readable_tags()
    app.add_url_rule(f"{API_PREFIX}/docs", "api_docs_page", docs_page)


def _readable_tags() -> None:
    """The reference groups operations by blueprint: "Pay statements", not "api_pay_statements"."""

    def readable(name: str) -> str:
        return name.removeprefix("api_").replace("_", " ").capitalize()

    spec = api.spec
    for tag in spec._tags:
        tag["name"] = readable(tag["name"])
    for operations in spec._paths.values():
        for operation in operations.values():
            if isinstance(operation, dict) and "tags" in operation:
                operation["tags"] = [readable(t) for t in operation["tags"]]


def docs_page():
    """The API reference (Swagger UI, served from our own static files)."""
    return render_template("api/docs.html")


def is_api_path() -> bool:
    return request.path == API_PREFIX or request.path.startswith(API_PREFIX + "/")
