"""/api/v1/placements: engineers working in a client's team, created from accepted proposals.

Staff see everything and create and end placements through the placement pages' services. A
client user sees its company's placements as the portal shows them (no pay rate, no margin); an
engineer their own as /me/ shows them (no bill rate, no margin, no review scores). What one
audience may not see is null in the same schema, as each field's description says.
"""

import math
from datetime import date
from decimal import Decimal
from typing import NoReturn

import sqlalchemy as sa
from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.orm import selectinload

from tracker.api import fields as f
from tracker.api.core import (
    IF_MATCH_OPTIONAL,
    abort,
    api_blueprint,
    api_user,
    cross_field_rule,
    etagged,
    idempotent,
    optional_if_match,
    refusals,
    require_staff,
    sort_values,
    sorted_page,
    visibility,
)
from tracker.api.schemas import ListArgs, page_schema
from tracker.extensions import db
from tracker.models import Placement, Proposal, StaffingRequest
from tracker.models.enums import REVIEW_CADENCES, STAFF_ROLES, EndReason, PlacementStatus, Role
from tracker.services import DomainError, me, placements, portal, rates
from tracker.services.field_rules import date_in_range
from tracker.services.placements import (
    DEFAULT_HOURS_PER_WEEK,
    MAX_HOURS_PER_WEEK,
    MIN_HOURS_PER_WEEK,
    PlacementInput,
)

blp = api_blueprint(
    "api_placements",
    "/api/v1/placements",
    "Placements: an accepted proposal become an engineer working in the client's team.",
)

MAX_ID = 2**31 - 1
SORTS = {"start": Placement.start_date, "created": Placement.created_at}


# ------------------------------------------------------------------------------- output


def _role() -> str:
    return api_user().role


def _staff() -> bool:
    return api_user().is_staff


def _for(*roles: str):
    """A dump function: the attribute for these roles, null for the others."""

    def dump(attr: str, convert=lambda v: v):
        def value(placement: Placement):
            if _role() not in roles:
                return None
            raw = getattr(placement, attr)
            return None if raw is None else convert(raw)

        return value

    return dump


not_engineers = _for(*STAFF_ROLES, Role.CLIENT)
not_clients = _for(*STAFF_ROLES, Role.ENGINEER)
staff_only = _for(*STAFF_ROLES)


def _money(value) -> str:
    return f"{Decimal(value):.2f}"


def _engineer_name(placement: Placement) -> str:
    """Staff and the engineer read the full name; a client what the portal shows."""
    engineer = placement.engineer
    return engineer.client_safe_name if _role() == Role.CLIENT else engineer.full_name


def _nullable(kind: str, description: str, **extra) -> dict:
    return {"type": kind, "description": description, **extra}


MONEY_PATTERN = {"pattern": f.MONEY_PATTERN, "example": "85.00"}


class PlacementSchema(Schema):
    id = fields.Integer(required=True)
    client_id = fields.Integer(required=True)
    request_id = fields.Integer(required=True)
    engineer_id = fields.Integer(required=True)
    proposal_id = fields.Integer(required=True, allow_none=True)
    replaces_placement_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The placement ended as replaced whose seat this one took."},
    )
    engineer_name = fields.Function(
        _engineer_name,
        required=True,
        metadata={
            "type": "string",
            "description": "A client reads the first name and last initial, as in the portal.",
        },
    )
    client_name = fields.Function(
        lambda p: p.client.name, required=True, metadata={"type": "string"}
    )
    request_title = fields.Function(
        lambda p: p.request.title, required=True, metadata={"type": "string"}
    )
    status = fields.String(required=True, validate=validate.OneOf(PlacementStatus.values()))
    end_reason = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(EndReason.values()),
        metadata={"description": "Why it ended; null while it is live."},
    )
    start_date = fields.Date(required=True)
    end_date = fields.Date(
        required=True, allow_none=True, metadata={"description": "null: open-ended"}
    )
    hours_per_week = fields.Float(required=True)
    review_cadence_days = fields.Integer(required=True, validate=validate.OneOf(REVIEW_CADENCES))
    bill_rate = fields.Function(
        not_engineers("bill_rate", _money),
        required=True,
        allow_none=True,
        metadata=_nullable(
            "string", "USD/h billed to the client today; null for an engineer.", **MONEY_PATTERN
        ),
    )
    pay_rate = fields.Function(
        not_clients("pay_rate", _money),
        required=True,
        allow_none=True,
        metadata=_nullable(
            "string", "USD/h paid to the engineer today; null for a client.", **MONEY_PATTERN
        ),
    )
    margin = fields.Function(
        staff_only("margin", _money),
        required=True,
        allow_none=True,
        metadata=_nullable(
            "string", "Bill rate minus pay rate (staff only; null for others).", example="35.00"
        ),
    )
    reviews_count = fields.Function(
        not_engineers("reviews_count"),
        required=True,
        allow_none=True,
        metadata=_nullable("integer", "Iteration reviews written; null for an engineer."),
    )
    last_overall = fields.Function(
        not_engineers("last_overall", float),
        required=True,
        allow_none=True,
        metadata=_nullable("number", "The last review's overall score; null for an engineer."),
    )
    recent_average = fields.Function(
        not_engineers("recent_average", float),
        required=True,
        allow_none=True,
        metadata=_nullable(
            "number", "The average of the last three reviews; null for an engineer."
        ),
    )
    version = fields.Integer(required=True, attribute="version_id")
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


PlacementPage = page_schema(PlacementSchema, "PlacementPage")


class PlacementListArgs(ListArgs):
    status = fields.String(validate=validate.OneOf(PlacementStatus.values()))
    client_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    engineer_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    request_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    sort = fields.String(load_default="-start", validate=validate.OneOf(sort_values(SORTS)))


# -------------------------------------------------------------------------------- input


class HalfHours(fields.Number):
    """A JSON number of hours in half hours (40, 37.5), read as a Decimal."""

    num_type = float  # how the schema publishes its bounds

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("Not a valid number.")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError("Not a valid number.")
        if not float(value * 2).is_integer():  # before Decimal: 1e263 % 1 cannot be computed
            raise ValidationError("Give the hours in half hours, e.g. 40 or 37.5.")
        return Decimal(str(value))


class PlacementInputSchema(Schema):
    proposal_id = f.Integer(
        required=True,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "The accepted proposal the placement comes from."},
    )
    start_date = fields.Date(required=True, validate=f.rule(date_in_range))
    end_date = fields.Date(
        load_default=None,
        allow_none=True,
        validate=f.rule(date_in_range),
        metadata={"description": "null or left out: open-ended."},
    )
    bill_rate = f.Money(required=True, metadata={"description": "USD/h billed to the client."})
    pay_rate = f.Money(required=True, metadata={"description": "USD/h paid to the engineer."})
    review_cadence_days = f.Integer(
        load_default=14,
        validate=validate.OneOf(REVIEW_CADENCES),
        metadata={"description": "Iteration reviews: weekly, every two weeks or monthly."},
    )
    hours_per_week = HalfHours(
        load_default=DEFAULT_HOURS_PER_WEEK,
        validate=validate.Range(float(MIN_HOURS_PER_WEEK), float(MAX_HOURS_PER_WEEK)),
        metadata={"multipleOf": 0.5, "description": "What the client expects a week."},
    )
    replaces_placement_id = f.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "The placement ended as replaced whose seat this one takes."},
    )

    @validates_schema
    @cross_field_rule
    def _consistent(self, data, **kwargs):
        start, end = data.get("start_date"), data.get("end_date")
        if start is not None and end is not None and end < start:
            raise ValidationError("The end date is before the start date.", "end_date")
        if data.get("bill_rate") is not None and data.get("pay_rate") is not None:
            try:
                rates.check_rates(data["bill_rate"], data["pay_rate"])
            except DomainError as e:
                raise ValidationError(str(e), "bill_rate") from None


class EndSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.OneOf(EndReason.values()),
        metadata={"description": "Why the placement ends."},
    )
    last_day = fields.Date(
        load_default=None,
        allow_none=True,
        validate=f.rule(date_in_range),
        metadata={"description": "The engineer's last day; today when left out."},
    )


# -------------------------------------------------------------------------------- views


def _loaded(stmt: sa.Select) -> sa.Select:
    return stmt.options(
        selectinload(Placement.engineer),
        selectinload(Placement.client),
        selectinload(Placement.request),
    )


@visibility("placement_id")
def visible_placement(placement_id: int) -> Placement:
    """The placement, if this token's user may see it: staff any, a client user its company's
    (as the portal), an engineer their own (as /me/); any other is a 404."""
    user = api_user()
    if user.role == Role.CLIENT:
        found = portal.client_placement(user.client_id, placement_id) if user.client_id else None
    elif user.role == Role.ENGINEER:
        found = me.my_placement(user.engineer_id, placement_id) if user.engineer_id else None
    else:
        # The row alone: the guard runs on every request, a kept list under the placement
        # needs nothing more, and a view that shows its engineer, client or request loads
        # each by its key (the same statements the eager loads would send).
        found = db.session.get(Placement, placement_id)
    if found is None:
        abort(404, message="No such placement.")
    return found


def _missing(name: str, message: str) -> NoReturn:
    """A record the body names does not exist (or is not this user's): the stored data refuses
    it — 409, with the field named (its form was right)."""
    abort(409, message=message, messages={"json": {name: [message]}})


def _location(placement: Placement) -> str:
    return url_for("api_placements.PlacementItem", placement_id=placement.id)


@blp.route("")
class Placements(MethodView):
    @blp.arguments(PlacementListArgs, location="query")
    @blp.response(200, PlacementPage)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """Placements: staff see every one, a client user its company's, an engineer their
        own."""
        user = api_user()
        stmt = sa.select(Placement)
        if user.role == Role.CLIENT:
            stmt = stmt.where(Placement.client_id == user.client_id)
        elif user.role == Role.ENGINEER:
            stmt = stmt.where(Placement.engineer_id == user.engineer_id)
        for name in ("status", "client_id", "engineer_id", "request_id"):
            if args.get(name) is not None:
                stmt = stmt.where(getattr(Placement, name) == args[name])
        rows, next_link = sorted_page(
            _loaded(stmt), args, SORTS, Placement.id, "api_placements.Placements"
        )
        return {"data": rows, "next": next_link}

    @idempotent
    @blp.arguments(PlacementInputSchema)
    @blp.response(201, PlacementSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, values):
        """Place the engineer of an accepted proposal (staff), as the placement form does; 409
        when the proposal is not accepted or already placed, or the engineer is booked."""
        require_staff()
        proposal = db.session.scalar(
            sa.select(Proposal)
            .where(Proposal.id == values["proposal_id"])
            .options(
                selectinload(Proposal.engineer),
                selectinload(Proposal.request).selectinload(StaffingRequest.client),
            )
        )
        if proposal is None:
            _missing("proposal_id", "No such proposal.")
        replaces = None
        if values["replaces_placement_id"] is not None:
            replaces = db.session.get(Placement, values["replaces_placement_id"])
            if replaces is None:
                _missing("replaces_placement_id", "No such placement.")
        data = PlacementInput(
            start_date=values["start_date"],
            end_date=values["end_date"],
            bill_rate=values["bill_rate"],
            pay_rate=values["pay_rate"],
            review_cadence_days=values["review_cadence_days"],
            hours_per_week=values["hours_per_week"],
        )
        with refusals():
            placement = placements.create_placement(proposal, data, api_user(), replaces=replaces)
        return etagged(placement, 201, _location(placement))


@blp.route("/<int:placement_id>")
class PlacementItem(MethodView):
    @blp.response(200, PlacementSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, placement_id):
        """One placement."""
        return etagged(visible_placement(placement_id))


@blp.route("/<int:placement_id>/end")
class PlacementEnd(MethodView):
    @idempotent
    @blp.arguments(EndSchema)
    @blp.response(200, PlacementSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.doc(parameters=[IF_MATCH_OPTIONAL])
    def post(self, values, placement_id):
        """End a placement for a reason (staff), as the placement page does; 409 when it has
        already ended or the last day is after its planned end."""
        placement = visible_placement(placement_id)
        require_staff()
        optional_if_match(placement)
        with refusals():
            placements.end_placement(
                placement,
                values["reason"],
                api_user(),
                today=date.today(),
                end_date=values["last_day"],
            )
        return etagged(placement)
