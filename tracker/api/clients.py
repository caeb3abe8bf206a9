"""/api/v1/clients: client companies (staff read and write; a client user reads its own)."""

from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tracker.api import fields as f
from tracker.api.core import (
    IF_MATCH_REQUIRED,
    abort,
    api_blueprint,
    api_user,
    check_if_match,
    cross_field_error,
    cross_field_rule,
    etagged,
    idempotent,
    refusals,
    require_roles,
    require_staff,
    sort_values,
    sorted_page,
    visibility,
)
from tracker.api.schemas import ListArgs, page_schema
from tracker.extensions import db
from tracker.models import Client
from tracker.models.enums import Role
from tracker.services import clients as service
from tracker.services.clients import DEFAULT_PAYMENT_TERMS_DAYS, MAX_PAYMENT_TERMS_DAYS
from tracker.services.field_rules import SAME_HOURS_MESSAGE

blp = api_blueprint(
    "api_clients",
    "/api/v1/clients",
    "Client companies: who they are, their team's working hours, their terms.",
)

SORTS = {"name": Client.name, "created": Client.created_at}


class ClientSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    industry = fields.String(required=True, allow_none=True)
    country = fields.String(required=True, metadata={"description": "ISO 3166 alpha-2"})
    timezone = fields.String(required=True, metadata={"description": "IANA zone"})
    workday_start = fields.Time(required=True, format="%H:%M")
    workday_end = fields.Time(required=True, format="%H:%M")
    account_manager_id = fields.Integer(required=True, allow_none=True)
    payment_terms_days = fields.Integer(required=True)
    notes = fields.Function(
        lambda c: c.notes if api_user().is_staff else None,
        required=True,
        allow_none=True,
        metadata={"type": "string", "description": "Staff only; null for others."},
    )
    archived = fields.Function(lambda c: c.archived_at is not None, required=True)
    version = fields.Integer(required=True, attribute="version_id")
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class ClientInputSchema(Schema):
    name = f.Text(required=True, validate=validate.Length(1, 120))
    industry = f.Text(load_default=None, allow_none=True, validate=validate.Length(max=80))
    country = f.country()
    timezone = f.timezone()
    workday_start = f.ClockTime(required=True)
    workday_end = f.ClockTime(required=True)
    account_manager_id = f.Integer(load_default=None, allow_none=True)
    payment_terms_days = f.Integer(
        load_default=DEFAULT_PAYMENT_TERMS_DAYS,
        validate=validate.Range(0, MAX_PAYMENT_TERMS_DAYS),
    )
    notes = f.Text(load_default=None, allow_none=True, validate=validate.Length(max=5000))

    @validates_schema
    @cross_field_rule
    def _working_day(self, data, **kwargs):
        start, end = data.get("workday_start"), data.get("workday_end")
        if start is not None and end is not None and start == end:
            raise ValidationError(SAME_HOURS_MESSAGE, "workday_end")


class ClientListArgs(ListArgs):
    q = fields.String(validate=validate.Length(1, 100))
    country = fields.String(validate=validate.Length(2, 2))
    account_manager_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    archived = fields.Boolean(load_default=False)
    sort = fields.String(load_default="name", validate=validate.OneOf(sort_values(SORTS)))


ClientPage = page_schema(ClientSchema, "ClientPage")


@visibility("client_id")
def visible_client(client_id: int) -> Client:
    """The client, if this token's user may see it: staff any, a client user its own."""
    user = api_user()
    require_roles(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CLIENT)
    client = db.session.get(Client, client_id)
    if client is None or (user.role == Role.CLIENT and user.client_id != client.id):
        abort(404, message="No such client.")
    return client


def _input(values: dict) -> service.ClientInput:
    return service.ClientInput(**values)


@blp.route("")
class Clients(MethodView):
    @blp.arguments(ClientListArgs, location="query")
    @blp.response(200, ClientPage)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    def get(self, args):
        """Clients: staff see every one, a client user its own company."""
        user = api_user()
        require_roles(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CLIENT)
        filters = service.ClientFilters(
            q=args.get("q"),
            country=args.get("country"),
            account_manager_id=args.get("account_manager_id"),
            archived=args["archived"],
        )
        stmt = service.client_list(filters, service.Sort("name", False))
        if user.role == Role.CLIENT:
            stmt = stmt.where(Client.id == user.client_id)
        rows, next_link = sorted_page(stmt, args, SORTS, Client.id, "api_clients.Clients")
        return {"data": rows, "next": next_link}

    @idempotent
    @blp.arguments(ClientInputSchema)
    @blp.response(201, ClientSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, values):
        """Create a client (staff)."""
        require_staff()
        user = api_user()
        with refusals():
            client = service.create_client(_input(values), user)
        return etagged(client, 201, url_for("api_clients.ClientItem", client_id=client.id))


@blp.route("/<int:client_id>")
class ClientItem(MethodView):
    @blp.response(200, ClientSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, client_id):
        """One client."""
        client = visible_client(client_id)
        return etagged(client)

    @blp.arguments(
        ClientInputSchema(partial=True), description="Any fields; those left out keep their value."
    )
    @blp.response(200, ClientSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.alt_response(428, response="PRECONDITION_REQUIRED")
    @blp.doc(parameters=[IF_MATCH_REQUIRED])
    def patch(self, values, client_id):
        """Change some fields of a client (staff); needs If-Match."""
        client = visible_client(client_id)
        require_staff()
        version = check_if_match(client)
        user = api_user()
        current = {name: getattr(client, name) for name in ClientInputSchema().fields}
        if {**current, **values}["workday_start"] == {**current, **values}["workday_end"]:
            cross_field_error("workday_end", SAME_HOURS_MESSAGE)
        with refusals():
            service.update_client(client, _input({**current, **values}), user, version)
        return etagged(client)
