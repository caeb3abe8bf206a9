"""/api/v1/timesheets: a placement's weeks of hours, entered, submitted and answered.

The same services as the pages (tracker.services.timesheets): the engineer enters and submits
a week as /me/ does (staff may on their behalf, recorded as such, as the staff pages do); the
client's users approve or reject as the portal does (staff may on the client's behalf, with a
note). A client user sees its company's timesheets (the portal's client_timesheet); an engineer
their own (/me/'s my_timesheet); anyone else's is a 404.

What the schema cannot say is refused by the service: a day outside the week or the placement,
a week over the weekly cap (422, with the field it is about); a week or an answer the
timesheet's status no longer allows (409); a version changed since If-Match (412).
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import NoReturn

import sqlalchemy as sa
from flask import request, url_for
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.orm import joinedload, selectinload

from tracker.api import fields as f
from tracker.api.core import (
    IF_MATCH_OPTIONAL,
    abort,
    api_blueprint,
    api_user,
    cross_field_error,
    etagged,
    idempotent,
    optional_if_match,
    require_roles,
    sort_values,
    sorted_page,
    visibility,
)
from tracker.api.placements import visible_placement
from tracker.api.schemas import ListArgs, page_schema
from tracker.models import Placement, Timesheet
from tracker.models.enums import STAFF_ROLES, Role, TimesheetStatus
from tracker.services import DomainError, StaleEdit, me, transaction
from tracker.services import timesheets as service
from tracker.services.field_rules import date_in_range

blp = api_blueprint(
    "api_timesheets",
    "/api/v1",
    "Timesheets: an engineer's week of hours on a placement, submitted to the client, "
    "approved or rejected.",
)

MAX_ID = 2**31 - 1
STAFF = tuple(STAFF_ROLES)
SORTS = {"week": Timesheet.week_start, "updated": Timesheet.updated_at}
FILTERS = {
    "placement_id": Timesheet.placement_id,
    "client_id": Placement.client_id,
    "engineer_id": Placement.engineer_id,
}
# Quarter hours, more than 0 and at most 24, as the service checks them: 7, 7.5, 7.25, 0.75, 24.
HOURS_PATTERN = r"^(?:(?:[1-9]|1\d|2[0-3])(?:\.(?:00?|25|50?|75))?|0\.(?:25|50?|75)|24(?:\.00?)?)$"
TOTAL_PATTERN = r"^\d{1,3}\.\d{2}$"


# ------------------------------------------------------------------------------- fields


class Hours(fields.String):
    """A day's hours as a decimal string in quarter hours ("7.5"), read as a Decimal. The
    pattern is the whole rule; the service checks it again whoever calls it."""

    def __init__(self, *args, **kwargs):
        kwargs["metadata"] = {
            "pattern": HOURS_PATTERN,
            "example": "7.5",
            "description": "Quarter hours, more than 0 and at most 24.",
            **kwargs.get("metadata", {}),
        }
        super().__init__(*args, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value:.2f}"

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(HOURS_PATTERN, text):
            raise ValidationError(
                "Enter hours in quarter hours, more than 0 and at most 24 (7.5, 7.25)."
            )
        return Decimal(text)


# ------------------------------------------------------------------------------- output


class EntrySchema(Schema):
    work_date = fields.Date(required=True)
    hours = Hours(required=True)
    note = fields.String(required=True, allow_none=True)


class TimesheetSchema(Schema):
    id = fields.Integer(required=True)
    placement_id = fields.Integer(required=True)
    client_id = fields.Function(
        lambda t: t.placement.client_id, required=True, metadata={"type": "integer"}
    )
    engineer_id = fields.Function(
        lambda t: t.placement.engineer_id, required=True, metadata={"type": "integer"}
    )
    week_start = fields.Date(required=True, metadata={"description": "A Monday."})
    status = fields.String(required=True, validate=validate.OneOf(TimesheetStatus.values()))
    total_hours = fields.Function(
        lambda t: f"{t.total_hours:.2f}",
        required=True,
        metadata={"type": "string", "pattern": TOTAL_PATTERN, "example": "37.50"},
    )
    entries = fields.List(fields.Nested(EntrySchema), required=True)
    submitted_at = fields.DateTime(required=True, allow_none=True)
    decided_at = fields.DateTime(required=True, allow_none=True)
    approved_automatically = fields.Boolean(required=True)
    decision_note = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "The reason of a rejection, or the note of an approval."},
    )
    version = fields.Integer(required=True, attribute="version_id")
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


TimesheetPage = page_schema(TimesheetSchema, "TimesheetPage")


# -------------------------------------------------------------------------------- input


class TimesheetListArgs(ListArgs):
    placement_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    client_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    engineer_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    week_start = fields.Date(
        validate=f.rule(date_in_range),
        metadata={"description": "Any day of the week: its Monday's timesheets."},
    )
    status = fields.String(validate=validate.OneOf(TimesheetStatus.values()))
    sort = fields.String(load_default="-week", validate=validate.OneOf(sort_values(SORTS)))


class EntryInputSchema(Schema):
    work_date = fields.Date(required=True, validate=f.rule(date_in_range))
    hours = Hours(required=True)
    note = f.Text(
        load_default=None, allow_none=True, validate=validate.Length(max=service.NOTE_LENGTH)
    )


class WeekInputSchema(Schema):
    week_start = fields.Date(
        required=True,
        validate=f.rule(date_in_range),
        metadata={"description": "The Monday of the week."},
    )
    entries = fields.List(
        fields.Nested(EntryInputSchema),
        required=True,
        validate=validate.Length(max=7),
        metadata={"description": "The days worked (a day left out is a day not worked)."},
    )


class ApproveSchema(Schema):
    note = f.Text(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=service.REASON_LENGTH),
        metadata={"description": "Staff approving on the client's behalf: who confirmed it."},
    )


class RejectSchema(Schema):
    reason = f.Text(
        required=True,
        validate=validate.Length(1, service.REASON_LENGTH),
        metadata={"description": "What is wrong with the hours; the engineer reads it."},
    )


def _own(record_id: int | None) -> int:
    """The company or roster engineer a client's or engineer's account belongs to (the
    database requires one for the role: never missing)."""
    if record_id is None:
        abort(403, message="Your account belongs to no company or engineer.")
    return record_id


# ----------------------------------------------------------------------------- visibility


def _loaded(stmt: sa.Select) -> sa.Select:
    return stmt.options(selectinload(Timesheet.entries), joinedload(Timesheet.placement))


@visibility("timesheet_id")
def visible_timesheet(timesheet_id: int) -> Timesheet:
    """The timesheet, if this token's user may see it: staff any, a client user its company's
    (as the portal), an engineer their own (as /me/); another's is a 404."""
    user = api_user()
    if user.role == Role.CLIENT:
        found = service.client_timesheet(_own(user.client_id), timesheet_id)
    elif user.role == Role.ENGINEER:
        found = me.my_timesheet(_own(user.engineer_id), timesheet_id)
    else:
        found = service.load(timesheet_id)
    if found is None:
        abort(404, message="No such timesheet.")
    return found


def _listed() -> sa.Select:
    """The timesheets this token's user may list."""
    user = api_user()
    if user.role == Role.ENGINEER:
        return me.my_timesheets(_own(user.engineer_id))
    if user.role == Role.CLIENT:
        # What the portal lists: the company's weeks sent to it (waiting or answered).
        return (
            sa.select(Timesheet)
            .join(Timesheet.placement)
            .where(Placement.client_id == user.client_id, Timesheet.status.in_(service.SENT))
        )
    return service.timesheet_list(service.TimesheetFilters(), service.Sort("week", True))


def _today() -> date:
    """The engineer's own date for an engineer (as /me/), the server's for staff (as their
    pages)."""
    user = api_user()
    if user.role == Role.ENGINEER and user.engineer is not None:
        return me.today_for(user.engineer)
    return date.today()


def _week_is_open(placement: Placement, week_start: date, today: date) -> bool:
    """Whether hours may be entered for the week at all (the pages' check of a week's URL)."""
    return service.parse_week(week_start.isoformat()) is not None and (
        week_start <= today and bool(service.loggable_days(placement, week_start))
    )


def _stale() -> NoReturn:
    if request.headers.get("If-Match"):
        abort(412, message="The timesheet changed since you read it; GET it again and retry.")
    abort(409, message="Someone else changed this timesheet at the same moment; nothing was saved.")


@contextmanager
def _answering(timesheet: Timesheet, field: str) -> Iterator[None]:
    """Approve or reject in one transaction: 409 when the timesheet does not wait for an
    answer (any more), 412/409 when it changed meanwhile, else a contextual-rule 422 on the
    field (staff answer for the client only with a note: a rule on the field and the caller)."""
    try:
        with transaction():
            yield
    except StaleEdit:
        _stale()
    except DomainError as e:
        if reason := service.not_waiting(timesheet):
            abort(409, message=reason)
        cross_field_error(field, str(e))


def _version(timesheet: Timesheet | None) -> int | None:
    """The version If-Match names (412 when it is not the current one), None without one."""
    if timesheet is None:
        if request.headers.get("If-Match"):
            abort(412, message="There is no timesheet for this week yet.")
        return None
    return optional_if_match(timesheet)


def _location(timesheet: Timesheet) -> str:
    return url_for("api_timesheets.TimesheetItem", timesheet_id=timesheet.id)


# --------------------------------------------------------------------------------- routes


@blp.route("/timesheets")
class Timesheets(MethodView):
    @blp.arguments(TimesheetListArgs, location="query")
    @blp.response(200, TimesheetPage)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """Timesheets with their entries: staff see every one, a client user its company's
        weeks sent to it, an engineer their own."""
        stmt = _listed()
        for name, column in FILTERS.items():
            if args.get(name) is not None:
                stmt = stmt.where(column == args[name])
        if args.get("week_start") is not None:
            stmt = stmt.where(Timesheet.week_start == service.week_of(args["week_start"]))
        if args.get("status"):
            stmt = stmt.where(Timesheet.status == args["status"])
        rows, next_link = sorted_page(
            _loaded(stmt), args, SORTS, Timesheet.id, "api_timesheets.Timesheets"
        )
        return {"data": rows, "next": next_link}


@blp.route("/timesheets/<int:timesheet_id>")
class TimesheetItem(MethodView):
    @blp.response(200, TimesheetSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, timesheet_id):
        """One timesheet with its entries."""
        return etagged(visible_timesheet(timesheet_id))


def _enter_week(values: dict, placement_id: int):
    """Save a week's entries through save_week, as the week forms do."""
    placement = visible_placement(placement_id)  # another's is a 404 before a 403
    require_roles(*STAFF, Role.ENGINEER)  # a client's own placement: its hours are not its to enter
    user = api_user()
    today, week_start = _today(), values["week_start"]
    existing = service.find(placement.id, week_start)
    version = _version(existing)
    entries = [
        service.EntryInput(e["work_date"], e["hours"], " ".join((e["note"] or "").split()) or None)
        for e in values["entries"]
    ]
    try:
        with transaction():
            timesheet = service.save_week(
                placement, week_start, entries, user, today=today, version=version
            )
    except StaleEdit:
        _stale()
    except DomainError as e:
        if not service.is_editable(existing):
            abort(409, message=str(e))
        field = "entries" if _week_is_open(placement, week_start, today) else "week_start"
        abort(422, message=str(e), messages={"json": {field: [str(e)]}})
    if existing is None:
        return etagged(timesheet, 201, _location(timesheet))
    return etagged(timesheet)


WEEK_DOC = (
    "Enter a week's hours (an engineer on their placement; staff on the engineer's behalf): "
    "the entries replace the week's. A new week is a draft (201); a draft or rejected week is "
    "rewritten (200; a rejected one becomes a draft again); a submitted or approved one is a "
    "409. 422 for days outside the week or the placement, days still to come, or a week over "
    "the weekly cap."
)


@blp.route("/placements/<int:placement_id>/timesheets")
class PlacementWeek(MethodView):
    @blp.arguments(WeekInputSchema)
    @blp.response(200, TimesheetSchema)
    @blp.alt_response(
        201, schema=TimesheetSchema, description="A new week, as a draft.", success=True
    )
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.doc(parameters=[IF_MATCH_OPTIONAL], description=WEEK_DOC)
    def put(self, values, placement_id):
        """Enter a week's hours."""
        return _enter_week(values, placement_id)

    @idempotent
    @blp.arguments(WeekInputSchema)
    @blp.response(200, TimesheetSchema)
    @blp.alt_response(
        201, schema=TimesheetSchema, description="A new week, as a draft.", success=True
    )
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.doc(parameters=[IF_MATCH_OPTIONAL], description=WEEK_DOC)
    def post(self, values, placement_id):
        """Enter a week's hours (as PUT, with Idempotency-Key)."""
        return _enter_week(values, placement_id)


@blp.route("/timesheets/<int:timesheet_id>/submit")
class TimesheetSubmit(MethodView):
    @idempotent
    @blp.response(200, TimesheetSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @blp.doc(parameters=[IF_MATCH_OPTIONAL])
    def post(self, timesheet_id):
        """Submit a draft week to the client (the engineer; staff on their behalf); 409 when
        it is not a draft."""
        timesheet = visible_timesheet(timesheet_id)  # another's is a 404 before a 403
        require_roles(*STAFF, Role.ENGINEER)
        version = _version(timesheet)
        try:
            with transaction():
                service.submit(timesheet, api_user(), today=_today(), version=version)
        except StaleEdit:
            _stale()
        except DomainError as e:
            abort(409, message=str(e))
        return etagged(timesheet)


@blp.route("/timesheets/<int:timesheet_id>/approve")
class TimesheetApprove(MethodView):
    @idempotent
    @blp.arguments(ApproveSchema)
    @blp.response(200, TimesheetSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.doc(parameters=[IF_MATCH_OPTIONAL])
    def post(self, values, timesheet_id):
        """Approve a submitted week: a client user of its company, or staff on the client's
        behalf (a note saying who confirmed the hours is then required, 422 without). 409
        when it does not wait for an answer."""
        timesheet = visible_timesheet(timesheet_id)  # another's is a 404 before a 403
        require_roles(*STAFF, Role.CLIENT)
        version = _version(timesheet)
        if reason := service.not_waiting(timesheet):
            abort(409, message=reason)
        with _answering(timesheet, "note"):
            service.approve(
                timesheet, api_user(), today=date.today(), note=values["note"], version=version
            )
        return etagged(timesheet)


@blp.route("/timesheets/<int:timesheet_id>/reject")
class TimesheetReject(MethodView):
    @idempotent
    @blp.arguments(RejectSchema)
    @blp.response(200, TimesheetSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.doc(parameters=[IF_MATCH_OPTIONAL])
    def post(self, values, timesheet_id):
        """Reject a submitted week with the reason the engineer reads: a client user of its
        company, or staff on the client's behalf. 409 when it does not wait for an answer."""
        timesheet = visible_timesheet(timesheet_id)  # another's is a 404 before a 403
        require_roles(*STAFF, Role.CLIENT)
        version = _version(timesheet)
        if reason := service.not_waiting(timesheet):
            abort(409, message=reason)
        with _answering(timesheet, "reason"):
            service.reject(
                timesheet, api_user(), values["reason"], today=date.today(), version=version
            )
        return etagged(timesheet)
