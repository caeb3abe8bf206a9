"""/api/v1/requests: staffing requests with their skills, their status moves and their matches.

Staff see and change every request, through the request form's services; a client user sees
its own company's and logs drafts for it, exactly as the portal does (no editing, no moves).
"""

import math
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import NoReturn

import sqlalchemy as sa
from flask import url_for
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from tracker.api import fields as f
from tracker.api.core import (
    IF_MATCH_OPTIONAL,
    IF_MATCH_REQUIRED,
    abort,
    api_blueprint,
    api_user,
    check_if_match,
    cross_field_error,
    cross_field_rule,
    etagged,
    expression_page,
    idempotent,
    optional_if_match,
    refusals,
    require_roles,
    require_staff,
    sort_values,
    visibility,
)
from tracker.api.schemas import ListArgs, page_schema
from tracker.infra.listing import Sort
from tracker.models import Client, StaffingRequest
from tracker.models.enums import Priority, RequestStatus, Role, Seniority
from tracker.services import events, matching, portal
from tracker.services import staffing_requests as service
from tracker.services.field_rules import date_in_range, money
from tracker.services.staffing_requests import (
    ALL,
    MAX_DURATION_WEEKS,
    MAX_HEADCOUNT,
    SkillNeed,
)
from tracker.services.timezones import selectable_timezones
from tracker.text import day

blp = api_blueprint(
    "api_requests",
    "/api/v1/requests",
    "Staffing requests: what a client asks for, their status moves and ranked matches.",
)

MAX_ID = 2**31 - 1
MAX_SKILL_ROWS = 40
MAX_MATCHES = 100
HOURS_TOGETHER = (
    "Give the time zone, start and end of the working day together, or none of them to use "
    "the client's."
)


# ------------------------------------------------------------------------------- output


class RequestSkillSchema(Schema):
    skill_id = fields.Integer(required=True)
    name = fields.Function(lambda rs: rs.skill.name, required=True, metadata={"type": "string"})
    min_level = fields.Integer(required=True, metadata={"description": "1 to 5"})
    required = fields.Boolean(
        required=True, metadata={"description": "true: a must-have; false: a nice-to-have."}
    )


class OrderedSkills(fields.List):
    """A request's skills as its pages show them: must-haves first, then by name."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return [*service.must_haves(obj), *service.nice_to_haves(obj)]


class WorkingHoursSchema(Schema):
    timezone = fields.String(required=True)
    workday_start = fields.Time(required=True, format="%H:%M", attribute="start")
    workday_end = fields.Time(required=True, format="%H:%M", attribute="end")
    from_client = fields.Boolean(
        required=True, metadata={"description": "true: the client's zone and hours apply."}
    )


class RequestSchema(Schema):
    id = fields.Integer(required=True)
    client_id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True, allow_none=True)
    seniority = fields.String(required=True, validate=validate.OneOf(Seniority.values()))
    headcount = fields.Integer(required=True)
    start_date = fields.Date(required=True)
    duration_weeks = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: open-ended"}
    )
    timezone = fields.String(
        required=True, allow_none=True, metadata={"description": "null: the client's"}
    )
    workday_start = fields.Time(required=True, allow_none=True, format="%H:%M")
    workday_end = fields.Time(required=True, allow_none=True, format="%H:%M")
    hours = fields.Function(
        lambda r: WorkingHoursSchema().dump(service.effective_hours(r)),
        required=True,
        metadata={
            "type": "object",
            "description": "The hours that apply: the request's own, or else its client's.",
            "required": ["timezone", "workday_start", "workday_end", "from_client"],
            "properties": {
                "timezone": {"type": "string"},
                "workday_start": {"type": "string"},
                "workday_end": {"type": "string"},
                "from_client": {"type": "boolean"},
            },
        },
    )
    min_overlap_hours = fields.Float(required=True)
    max_bill_rate = f.Money(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(RequestStatus.values()))
    priority = fields.String(required=True, validate=validate.OneOf(Priority.values()))
    skills = OrderedSkills(fields.Nested(RequestSkillSchema), required=True)
    moves = fields.Function(
        lambda r: list(service.allowed_moves(r)) if api_user().is_staff else [],
        required=True,
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "The statuses staff may move it to now (empty for others).",
        },
    )
    version = fields.Integer(required=True, attribute="version_id")
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


RequestPage = page_schema(RequestSchema, "RequestPage")


# -------------------------------------------------------------------------------- input


class HalfHours(fields.Number):
    """A JSON number of hours in half hours (4, 4.5), read as a Decimal."""

    num_type = float  # how the schema publishes its bounds

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("Not a valid number.")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValidationError("Not a valid number.")
        if isinstance(value, float) and not (value * 2).is_integer():
            raise ValidationError("Give the overlap in half hours, e.g. 4 or 4.5.")
        return Decimal(str(value))


class SkillNeedSchema(Schema):
    skill_id = f.Integer(required=True, validate=validate.Range(1, MAX_ID))
    min_level = f.Integer(required=True, validate=validate.Range(1, 5))
    required = f.Boolean(
        load_default=True, metadata={"description": "true: a must-have; false: a nice-to-have."}
    )


def hours_problem(values: dict) -> str | None:
    """What is wrong with a request's own hours (all three or none, the end not the start)."""
    given = [values.get(k) for k in ("timezone", "workday_start", "workday_end")]
    if all(v is None for v in given):
        return None
    if any(v is None for v in given):
        return HOURS_TOGETHER
    if values["workday_start"] == values["workday_end"]:
        return "The end of the working day must differ from its start."
    return None


def skills_problem(needs: list[dict]) -> str | None:
    rows = [n for n in needs if isinstance(n, dict) and "skill_id" in n]
    ids = [n["skill_id"] for n in rows]
    if len(ids) != len(set(ids)):
        return "A skill is listed twice; keep one row per skill."
    if len(rows) == len(needs) and not any(n.get("required", True) for n in rows):
        return "Add at least one must-have skill; nice-to-haves alone match anyone."
    return None


class RequestInputSchema(Schema):
    """A staffing request as the request form takes it."""

    client_id = f.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "Staff: required. A client user's token: its own company."},
    )
    title = f.Text(required=True, validate=validate.Length(1, 160))
    description = f.Text(load_default=None, allow_none=True, validate=validate.Length(max=5000))
    seniority = f.Text(required=True, validate=validate.OneOf(Seniority.values()))
    headcount = f.Integer(load_default=1, validate=validate.Range(1, MAX_HEADCOUNT))
    start_date = fields.Date(
        required=True,
        validate=f.rule(date_in_range),
        metadata={"description": "Today or later; 2000-01-01 to 2100-12-31."},
    )
    duration_weeks = f.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, MAX_DURATION_WEEKS),
        metadata={"description": "null: open-ended"},
    )
    timezone = f.Text(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(
            selectable_timezones(),
            error="Use an IANA time zone name, e.g. America/Sao_Paulo or Europe/Berlin.",
        ),
        metadata={"description": "With workday_start and workday_end; null: the client's."},
    )
    workday_start = f.ClockTime(load_default=None, allow_none=True)
    workday_end = f.ClockTime(load_default=None, allow_none=True)
    min_overlap_hours = HalfHours(
        load_default=lambda: Decimal(4),
        validate=validate.Range(0, 24),
        metadata={"default": 4, "multipleOf": 0.5, "description": "Hours a day, in half hours."},
    )
    max_bill_rate = f.Money(
        load_default=None,
        allow_none=True,
        validate=f.rule(money),
        metadata={"description": "USD/h at most; null: no ceiling."},
    )
    priority = f.Text(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(Priority.values()),
        metadata={"description": "Staff only (default normal)."},
    )
    open = f.Boolean(
        load_default=False,
        metadata={"description": "Staff only: create it open for matching, not as a draft."},
    )
    skills = fields.List(
        fields.Nested(SkillNeedSchema),
        required=True,
        validate=validate.Length(1, MAX_SKILL_ROWS),
    )

    @validates_schema(skip_on_field_errors=False)
    @cross_field_rule
    def _consistent(self, data, partial=None, **kwargs):
        errors = {}
        if not partial and (problem := hours_problem(data)):
            errors["workday_end" if "differ" in problem else "timezone"] = [problem]
        if data.get("skills") and (problem := skills_problem(data["skills"])):
            errors["skills"] = [problem]
        if errors:
            raise ValidationError(errors)


class RequestListArgs(ListArgs):
    q = fields.String(validate=validate.Length(1, 100), metadata={"description": "Title, client."})
    status = fields.String(
        validate=validate.OneOf([ALL, *RequestStatus.values()]),
        metadata={"description": "Absent: the active ones (draft, open, on hold); all: any."},
    )
    client_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    priority = fields.String(validate=validate.OneOf(Priority.values()))
    seniority = fields.String(validate=validate.OneOf(Seniority.values()))
    sort = fields.String(
        load_default=service.DEFAULT_SORT, validate=validate.OneOf(sort_values(service.SORTS))
    )


class MoveSchema(Schema):
    to = f.Text(required=True, validate=validate.OneOf(RequestStatus.values()))


# ------------------------------------------------------------------------------ matches


class ComponentSchema(Schema):
    name = fields.String(required=True, validate=validate.OneOf(matching.COMPONENTS))
    score = fields.Float(required=True, metadata={"description": "0 to 100 on its own."})
    weight = fields.Integer(required=True)
    points = fields.Float(required=True, metadata={"description": "score × weight / 100"})
    reason = fields.String(required=True)


class SkillFitSchema(Schema):
    name = fields.String(required=True)
    level = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null: not held"}
    )
    min_level = fields.Integer(required=True)
    required = fields.Boolean(required=True)
    met = fields.Boolean(required=True)


class OverlapSchema(Schema):
    start = fields.Date(required=True)
    end = fields.Date(required=True)
    working_days = fields.Integer(required=True)
    minimum = fields.Float(required=True)
    maximum = fields.Float(required=True)
    average = fields.Float(required=True)
    typical = fields.Float(required=True)


class MatchSchema(Schema):
    rank = fields.Integer(required=True)
    engineer_id = fields.Integer(required=True)
    name = fields.String(required=True)
    score = fields.Float(required=True, metadata={"description": "0 to 100"})
    billable_rate = f.Money(required=True)
    components = fields.List(fields.Nested(ComponentSchema), required=True)
    skills = fields.List(fields.Nested(SkillFitSchema), required=True)
    overlap = fields.Nested(OverlapSchema, required=True)


class WhyNotSchema(Schema):
    engineer_id = fields.Integer(required=True)
    name = fields.String(required=True)
    reasons = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "The hard filters they fail; empty: none."},
    )
    rank = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Their rank, when ranked."}
    )


class MatchesSchema(Schema):
    request_id = fields.Integer(required=True)
    data = fields.List(fields.Nested(MatchSchema), required=True)
    why_not = fields.List(
        fields.Nested(WhyNotSchema),
        required=True,
        allow_none=True,
        metadata={"description": "The engineers ?why= names, with what excludes them."},
    )


class MatchArgs(Schema):
    limit = fields.Integer(
        load_default=matching.RANK_LIMIT,
        validate=validate.Range(1, MAX_MATCHES),
        metadata={"description": f"How many of the best, 1 to {MAX_MATCHES}."},
    )
    why = fields.String(
        validate=validate.Length(2, 100),
        metadata={"description": "Why not…: a part of an engineer's name or email."},
    )


# -------------------------------------------------------------------------------- views


@visibility("request_id")
def visible_request(request_id: int) -> StaffingRequest:
    """The request, if this token's user may see it: staff any, a client user its own
    company's (another company's is a 404, as in the portal); engineers never (403)."""
    user = api_user()
    require_roles(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CLIENT)
    if user.role != Role.CLIENT:
        found = service.load_request(request_id)
    elif user.client_id is not None:
        found = portal.client_request(user.client_id, request_id)
    else:
        found = None
    if found is None:
        abort(404, message="No such staffing request.")
    return found


def forbidden_field(name: str, message: str) -> NoReturn:
    abort(403, message=message, messages={"json": {name: [message]}})


def field_error(name: str, message: str):
    abort(422, messages={"json": {name: [message]}})


@contextmanager
def request_refusals():
    """One transaction; a refusal of the request rules is a 409 (what the schema cannot say and
    the view does not check first depends on stored data: an archived client, a skill that is
    gone), a stale version a 412."""
    with refusals(409):
        yield


def check_start(start: date, current: StaffingRequest | None = None) -> None:
    """A new (or moved) start date is today or later: a rule relating the field to today."""
    if (current is None or start != current.start_date) and start < date.today():
        cross_field_error(
            "start_date", f"The start date {day(start)} is in the past; pick today or a later day."
        )


def _needs(rows: list[dict]) -> tuple[SkillNeed, ...]:
    return tuple(SkillNeed(r["skill_id"], r["min_level"], r["required"]) for r in rows)


def _input(values: dict) -> service.RequestInput:
    values = {k: v for k, v in values.items() if k != "open"}
    values["skills"] = _needs(values["skills"])
    return service.RequestInput(**values)


def _location(staffing_request: StaffingRequest) -> str:
    return url_for("api_requests.RequestItem", request_id=staffing_request.id)


@blp.route("")
class Requests(MethodView):
    @blp.arguments(RequestListArgs, location="query")
    @blp.response(200, RequestPage)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """Requests, filtered and sorted as the request list does: staff see every one, a
        client user its own company's."""
        user = api_user()
        require_roles(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CLIENT)
        filters = service.RequestFilters(
            q=args.get("q"),
            status=args.get("status"),
            client_id=args.get("client_id"),
            priority=args.get("priority"),
            seniority=args.get("seniority"),
        )
        key = args["sort"]
        stmt = service.request_list(filters, Sort(key.lstrip("-"), key.startswith("-")))
        if user.role == Role.CLIENT:
            stmt = stmt.where(StaffingRequest.client_id == user.client_id)
        rows, next_link = expression_page(
            stmt,
            args,
            service.SORTS,
            service.DEFAULT_SORT,
            StaffingRequest.id,
            "api_requests.Requests",
            select_from=sa.join(StaffingRequest, Client, StaffingRequest.client_id == Client.id),
        )
        return {"data": rows, "next": next_link}

    @idempotent
    @blp.arguments(RequestInputSchema)
    @blp.response(201, RequestSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, values):
        """Log a request: staff for any client (as a draft, or open); a client user's token
        for its own company, as a draft for its account manager (as in the portal)."""
        user = api_user()
        require_roles(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CLIENT)
        if user.role == Role.CLIENT:
            # What a client's role may not set: 403, the field named.
            if values["client_id"] not in (None, user.client_id):
                forbidden_field("client_id", "You log requests for your own company only.")
            if values["priority"] is not None:
                forbidden_field("priority", "The agency sets the priority.")
            if values["open"]:
                forbidden_field("open", "Your account manager opens the request for matching.")
            data = _input({**values, "client_id": user.client_id, "priority": Priority.NORMAL})
            check_start(data.start_date)
            with request_refusals():
                created = service.create_request(data, user)
                events.draft_request_received(created, user)
        else:
            if values["client_id"] is None:
                # Required of staff only: a rule on the field and who sends it.
                cross_field_error("client_id", "Choose the client this request is for.")
            data = _input({**values, "priority": values["priority"] or Priority.NORMAL})
            check_start(data.start_date)
            with request_refusals():
                created = service.create_request(data, user, open_now=values["open"])
        return etagged(created, 201, _location(created))


PATCHABLE = tuple(name for name in RequestInputSchema().fields if name != "open")


@blp.route("/<int:request_id>")
class RequestItem(MethodView):
    @blp.response(200, RequestSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, request_id):
        """One request with its skills."""
        return etagged(visible_request(request_id))

    @blp.arguments(
        # Partial at the top only: a skill row is given whole.
        RequestInputSchema(partial=PATCHABLE, exclude=("open",)),
        description="Any fields; those left out keep their value; skills replace the list.",
    )
    @blp.response(200, RequestSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.alt_response(428, response="PRECONDITION_REQUIRED")
    @blp.doc(parameters=[IF_MATCH_REQUIRED])
    def patch(self, values, request_id):
        """Change some fields of a request (staff; the portal does not edit requests)."""
        staffing_request = visible_request(request_id)
        require_staff()
        version = check_if_match(staffing_request)
        current = {name: getattr(staffing_request, name) for name in PATCHABLE if name != "skills"}
        current["skills"] = [
            {"skill_id": n.skill_id, "min_level": n.min_level, "required": n.required}
            for n in staffing_request.skills
        ]
        merged = {**current, **values}
        for name in ("client_id", "priority"):
            if name in values and values[name] is None:
                field_error(name, "Field may not be null.")
        if problem := hours_problem(merged):
            cross_field_error("workday_end" if "differ" in problem else "timezone", problem)
        check_start(merged["start_date"], staffing_request)
        with request_refusals():
            service.update_request(staffing_request, _input(merged), api_user(), version)
        return etagged(staffing_request)


@blp.route("/<int:request_id>/moves")
class RequestMoves(MethodView):
    @idempotent
    @blp.arguments(MoveSchema)
    @blp.response(200, RequestSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.doc(parameters=[IF_MATCH_OPTIONAL])
    def post(self, values, request_id):
        """Move a request to another status (staff), as the request page does; 409 when the
        move is not allowed from where it is."""
        staffing_request = visible_request(request_id)
        require_staff()
        version = optional_if_match(staffing_request)
        with refusals(409):
            service.move_request(staffing_request, values["to"], api_user(), version)
        return etagged(staffing_request)


@blp.route("/<int:request_id>/matches")
class RequestMatches(MethodView):
    @blp.arguments(MatchArgs, location="query")
    @blp.response(200, MatchesSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, request_id):
        """The engineers passing every hard filter, best first, each score explained; with
        ?why=, the engineers named and what keeps each of them out (staff)."""
        staffing_request = visible_request(request_id)
        require_staff()
        matches = matching.shared_ranking(staffing_request, args["limit"])
        data = [
            {
                "rank": rank,
                "engineer_id": m.engineer.id,
                "name": m.engineer.full_name,
                "score": m.score,
                "billable_rate": m.billable_rate,
                "components": m.components,
                "skills": m.skills,
                "overlap": m.overlap,
            }
            for rank, m in enumerate(matches, start=1)
        ]
        why_not = None
        if args.get("why"):
            ranked_ids = [m.engineer.id for m in matches]
            why_not = [
                {"engineer_id": e.id, "name": e.full_name, "reasons": reasons, "rank": rank}
                for e, reasons, rank in matching.why_not(staffing_request, args["why"], ranked_ids)
            ]
        return {"request_id": staffing_request.id, "data": data, "why_not": why_not}
