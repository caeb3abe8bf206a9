"""/api/v1/skills and /api/v1/engineers: the skill catalogue and the roster.

Staff read and write the roster through the engineer form's services; an engineer's token reads
its own record only (what /me/ shows); clients never see the roster.
"""

import sqlalchemy as sa
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
    expression_page,
    idempotent,
    refusals,
    require_roles,
    require_staff,
    sort_values,
    visibility,
)
from tracker.api.schemas import ListArgs, page_schema
from tracker.extensions import db
from tracker.infra.listing import Sort, icontains
from tracker.models import Engineer, Skill
from tracker.models.enums import EnglishLevel, Role, Seniority, VettingStatus
from tracker.services import engineers as service
from tracker.services import me
from tracker.services.field_rules import (
    ENGINEER_RULES,
    MAX_YEARS,
    PHONE,
    RuleError,
    date_in_range,
    working_day,
)
from tracker.services.skills import ranked_skills

# ------------------------------------------------------------------------------- skills

skills_blp = api_blueprint(
    "api_skills", "/api/v1/skills", "The skill catalogue: the ids requests and profiles use."
)

SKILL_SORTS = {"name": sa.func.lower(Skill.name)}


class SkillSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    category = fields.String(required=True, allow_none=True)


class SkillListArgs(ListArgs):
    q = fields.String(validate=validate.Length(1, 100))
    category = fields.String(validate=validate.Length(1, 40))
    sort = fields.String(load_default="name", validate=validate.OneOf(sort_values(SKILL_SORTS)))


SkillPage = page_schema(SkillSchema, "SkillPage")


@skills_blp.route("")
class Skills(MethodView):
    @skills_blp.arguments(SkillListArgs, location="query")
    @skills_blp.response(200, SkillPage)
    @skills_blp.alt_response(401, response="UNAUTHORIZED")
    @skills_blp.alt_response(403, response="FORBIDDEN")
    @skills_blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """The catalogue (staff, and client users: the portal's request form offers it)."""
        require_roles(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.CLIENT)
        stmt = sa.select(Skill)
        if args.get("q"):
            stmt = stmt.where(icontains(Skill.name, args["q"]))
        if args.get("category"):
            stmt = stmt.where(Skill.category == args["category"])
        rows, next_link = expression_page(
            stmt, args, SKILL_SORTS, "name", Skill.id, "api_skills.Skills"
        )
        return {"data": rows, "next": next_link}


# ---------------------------------------------------------------------------- engineers

blp = api_blueprint(
    "api_engineers",
    "/api/v1/engineers",
    "The roster: engineers' profiles with their skills (staff; an engineer reads their own).",
)

STAFF_ONLY = "Staff only; null for others."


def _staff_only(name: str):
    return lambda e: getattr(e, name) if api_user().is_staff else None


class EngineerSkillSchema(Schema):
    skill_id = fields.Integer(required=True)
    name = fields.Function(lambda es: es.skill.name, required=True, metadata={"type": "string"})
    category = fields.Function(
        lambda es: es.skill.category,
        required=True,
        allow_none=True,
        metadata={"type": "string"},
    )
    level = fields.Integer(required=True, metadata={"description": "1 (basic) to 5 (expert)"})
    years = fields.Integer(required=True, allow_none=True)


def _score(name: str):
    return fields.Function(
        _staff_only(name),
        required=True,
        allow_none=True,
        metadata={"type": "integer", "description": f"1 to 5. {STAFF_ONLY}"},
    )


class RankedSkills(fields.List):
    """An engineer's skills in the order the profile shows them."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return ranked_skills(obj)


class EngineerSchema(Schema):
    id = fields.Integer(required=True)
    full_name = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(required=True, allow_none=True)
    country = fields.String(required=True, metadata={"description": "ISO 3166 alpha-2"})
    city = fields.String(required=True, allow_none=True)
    timezone = fields.String(required=True, metadata={"description": "IANA zone"})
    workday_start = fields.Time(required=True, format="%H:%M")
    workday_end = fields.Time(required=True, format="%H:%M")
    seniority = fields.String(required=True, validate=validate.OneOf(Seniority.values()))
    years_experience = fields.Integer(required=True)
    english_level = fields.String(required=True, validate=validate.OneOf(EnglishLevel.values()))
    hourly_rate = f.Money(
        required=True, metadata={"description": "Paid to the engineer, USD/h; never to clients."}
    )
    available_from = fields.Date(required=True, allow_none=True)
    vetting_status = fields.String(required=True, validate=validate.OneOf(VettingStatus.values()))
    code_quality = _score("code_quality")
    system_design = _score("system_design")
    api_integration = _score("api_integration")
    communication = _score("communication")
    vetting_notes = fields.Function(
        _staff_only("vetting_notes"),
        required=True,
        allow_none=True,
        metadata={"type": "string", "description": STAFF_ONLY},
    )
    vetted_at = fields.DateTime(required=True, allow_none=True)
    notes = fields.Function(
        _staff_only("notes"),
        required=True,
        allow_none=True,
        metadata={"type": "string", "description": f"Internal notes. {STAFF_ONLY}"},
    )
    archived = fields.Function(
        lambda e: not e.is_active, required=True, metadata={"type": "boolean"}
    )
    skills = RankedSkills(
        fields.Nested(EngineerSkillSchema),
        required=True,
        metadata={"description": "Strongest first, then by name."},
    )
    version = fields.Integer(required=True, attribute="version_id")
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


def _rules(name: str):
    """The engineer form's field rules for `name`, as a validator (an empty text is no value:
    the service stores it as none, like the form)."""
    check = f.rule(*ENGINEER_RULES[name])

    def validate_value(value) -> None:
        if value is not None and value != "":
            check(value)

    return validate_value


def _country():
    field = f.country()
    field.validators.append(_rules("country"))
    return field


def _timezone():
    field = f.timezone()
    field.validators.append(_rules("timezone"))
    return field


class EngineerInputSchema(Schema):
    """An engineer's profile as the engineer form takes it (vetting has its own steps)."""

    full_name = f.Text(required=True, validate=[validate.Length(1, 120), _rules("full_name")])
    email = f.email(required=True)
    phone = f.Text(
        load_default=None,
        allow_none=True,
        strip=False,  # the published pattern is the rule, applied to what is sent
        validate=[validate.Length(max=32), _rules("phone")],
        metadata={"pattern": f"^({PHONE.pattern})?$"},
    )
    country = _country()
    city = f.Text(
        load_default=None, allow_none=True, validate=[validate.Length(max=80), _rules("city")]
    )
    timezone = _timezone()
    workday_start = f.ClockTime(required=True)
    workday_end = f.ClockTime(required=True)
    seniority = f.Text(
        required=True, validate=[validate.OneOf(Seniority.values()), _rules("seniority")]
    )
    years_experience = f.Integer(
        required=True, validate=[validate.Range(0, MAX_YEARS), _rules("years_experience")]
    )
    english_level = f.Text(
        required=True, validate=[validate.OneOf(EnglishLevel.values()), _rules("english_level")]
    )
    hourly_rate = f.Money(required=True, validate=_rules("hourly_rate"))
    available_from = fields.Date(
        load_default=None,
        allow_none=True,
        validate=_rules("available_from"),
        metadata={"description": "Empty: available now. 2000-01-01 to 2100-12-31."},
    )
    notes = f.Text(
        load_default=None, allow_none=True, validate=[validate.Length(max=5000), _rules("notes")]
    )

    @validates_schema(skip_on_field_errors=False)
    @cross_field_rule
    def _working_day(self, data, **kwargs):
        start, end = data.get("workday_start"), data.get("workday_end")
        if start is not None and end is not None:
            try:
                working_day(start, end)
            except RuleError as e:
                raise ValidationError(str(e), "workday_end") from None


class EngineerListArgs(ListArgs):
    q = fields.String(
        validate=validate.Length(1, 100), metadata={"description": "Name, email or skill."}
    )
    country = fields.String(validate=validate.Length(2, 2))
    seniority = fields.String(validate=validate.OneOf(Seniority.values()))
    vetting_status = fields.String(validate=validate.OneOf(VettingStatus.values()))
    skill_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    min_level = fields.Integer(
        validate=validate.Range(1, 5), metadata={"description": "With skill_id: at least it."}
    )
    available_by = fields.Date(
        validate=f.rule(date_in_range),
        metadata={"description": "Free that day: available from it and not placed."},
    )
    timezone = fields.String(validate=validate.Length(1, 64))
    archived = fields.Boolean(load_default=False)
    sort = fields.String(load_default="name", validate=validate.OneOf(sort_values(service.SORTS)))


EngineerPage = page_schema(EngineerSchema, "EngineerPage")


@visibility("engineer_id")
def visible_engineer(engineer_id: int) -> Engineer:
    """The engineer, if this token's user may see them: staff any, an engineer themselves
    (another engineer's id is a 404, as in /me/); client users never (403)."""
    user = api_user()
    require_roles(Role.ADMIN, Role.ACCOUNT_MANAGER, Role.ENGINEER)
    if user.role == Role.ENGINEER:
        engineer = me.my_profile(engineer_id) if user.engineer_id == engineer_id else None
    else:
        engineer = db.session.get(Engineer, engineer_id)
    if engineer is None:
        abort(404, message="No such engineer.")
    return engineer


def _input(values: dict) -> service.EngineerInput:
    return service.EngineerInput(**values)


@blp.route("")
class Engineers(MethodView):
    @blp.arguments(EngineerListArgs, location="query")
    @blp.response(200, EngineerPage)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """The roster (staff), filtered and sorted as the engineer list page does."""
        require_staff()
        filters = service.EngineerFilters(
            q=args.get("q"),
            country=args.get("country"),
            seniority=args.get("seniority"),
            vetting_status=args.get("vetting_status"),
            skill_id=args.get("skill_id"),
            min_level=args.get("min_level"),
            available_by=args.get("available_by"),
            timezone=args.get("timezone"),
            archived=args["archived"],
        )
        stmt = service.engineer_list(filters, Sort("name", False))
        rows, next_link = expression_page(
            stmt, args, service.SORTS, "name", Engineer.id, "api_engineers.Engineers"
        )
        return {"data": rows, "next": next_link}

    @idempotent
    @blp.arguments(EngineerInputSchema)
    @blp.response(201, EngineerSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, values):
        """Add an engineer to the roster, as sourced (staff); 409 when the email is taken."""
        require_staff()
        with refusals():
            engineer = service.create_engineer(_input(values), api_user())
        return etagged(
            engineer, 201, url_for("api_engineers.EngineerItem", engineer_id=engineer.id)
        )


@blp.route("/<int:engineer_id>")
class EngineerItem(MethodView):
    @blp.response(200, EngineerSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, engineer_id):
        """One engineer with their skills (staff; an engineer their own record)."""
        return etagged(visible_engineer(engineer_id))

    @blp.arguments(
        EngineerInputSchema(partial=True),
        description="Any fields; those left out keep their value.",
    )
    @blp.response(200, EngineerSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(412, response="PRECONDITION_FAILED")
    @blp.alt_response(428, response="PRECONDITION_REQUIRED")
    @blp.doc(parameters=[IF_MATCH_REQUIRED])
    def patch(self, values, engineer_id):
        """Change some fields of a profile (staff); needs If-Match."""
        engineer = visible_engineer(engineer_id)
        require_staff()
        version = check_if_match(engineer)
        current = {name: getattr(engineer, name) for name in EngineerInputSchema().fields}
        merged = {**current, **values}
        if "workday_start" in values or "workday_end" in values:
            try:
                working_day(merged["workday_start"], merged["workday_end"])
            except RuleError as e:
                cross_field_error("workday_end", str(e))
        with refusals():
            service.update_engineer(engineer, _input(merged), api_user(), version)
        return etagged(engineer)
