"""/api/v1/invoices and /api/v1/pay-statements: what the agency bills and pays (read only).

Invoices: staff read every one, drafts included; a client user only its company's issued and
paid invoices and credit notes, as the portal does (services.invoices' client_list and
client_invoice: a draft or another company's is a 404); engineers never (403).

Pay statements: staff read every one; an engineer only their own issued and paid statements, as
/me/pay does (services.pay_statements' engineer_list and engineer_statement); clients never
(403). Amounts are decimal strings ("1234.50"), negative on a credit note.
"""

import re

import sqlalchemy as sa
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.orm import selectinload

from tracker.api.core import (
    abort,
    api_blueprint,
    api_user,
    etagged,
    require_roles,
    sort_values,
    sorted_page,
    visibility,
)
from tracker.api.schemas import ListArgs, page_schema
from tracker.models import Invoice, InvoiceLine, PayLine, PayStatement
from tracker.models.enums import STAFF_ROLES, InvoiceKind, InvoiceStatus, Role
from tracker.services import invoices, pay_statements
from tracker.services.billing import parse_month

invoices_blp = api_blueprint(
    "api_invoices",
    "/api/v1/invoices",
    "Invoices and credit notes: a client's approved hours of a month, at the bill rate.",
)
pay_blp = api_blueprint(
    "api_pay_statements",
    "/api/v1/pay-statements",
    "Pay statements: an engineer's approved hours of a month, at the pay rate.",
)

MAX_ID = 2**31 - 1
STAFF = tuple(STAFF_ROLES)
AMOUNT_PATTERN = r"^-?\d{1,8}\.\d{2}$"
HOURS_PATTERN = r"^-?\d{1,6}\.\d{2}$"
MONTH_PATTERN = r"^2\d{3}-(0[1-9]|1[0-2])$"
INVOICE_SORTS = {"period": Invoice.period_start, "created": Invoice.created_at}
PAY_SORTS = {"period": PayStatement.period_start, "created": PayStatement.created_at}


def _own(record_id: int | None) -> int:
    """The company or roster engineer a client's or engineer's account belongs to (the
    database requires one for the role: never missing)."""
    if record_id is None:
        abort(403, message="Your account belongs to no company or engineer.")
    return record_id


# ------------------------------------------------------------------------------- fields


class Decimal2(fields.String):
    """A stored decimal as a string with two decimals ("1234.50", "-90.00")."""

    def __init__(self, pattern: str = AMOUNT_PATTERN, **kwargs):
        kwargs["metadata"] = {"pattern": pattern, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value:.2f}"


class Month(fields.String):
    """?month=2026-11: a calendar month, read as its first day (services.billing.parse_month)."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": MONTH_PATTERN, "example": "2026-11"}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        month = parse_month(text) if re.fullmatch(MONTH_PATTERN, text) else None
        if month is None:
            raise ValidationError("Enter a month as YYYY-MM, e.g. 2026-11.")
        return month


# ----------------------------------------------------------------------------- invoices


class InvoiceLineSchema(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    placement_id = fields.Integer(required=True)
    engineer_id = fields.Function(
        lambda line: line.placement.engineer_id, required=True, metadata={"type": "integer"}
    )
    credits_line_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "On a credit note: the invoice line it corrects."},
    )
    description = fields.String(required=True)
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)
    hours = Decimal2(HOURS_PATTERN, required=True)
    rate = Decimal2(required=True, metadata={"description": "USD/h billed."})
    amount = Decimal2(required=True)


class InvoiceSchema(Schema):
    id = fields.Integer(required=True)
    client_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(InvoiceKind.values()))
    credits_invoice_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "On a credit note: the invoice it corrects."},
    )
    number = fields.String(
        required=True, allow_none=True, metadata={"description": "null while a draft."}
    )
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(InvoiceStatus.values()))
    issued_on = fields.Date(required=True, allow_none=True)
    due_on = fields.Date(required=True, allow_none=True)
    paid_on = fields.Date(required=True, allow_none=True)
    total = Decimal2(required=True, metadata={"description": "Negative on a credit note."})
    currency = fields.String(required=True)
    note = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "A credit note's reason (printed on it, shown in the portal)."},
    )
    lines = fields.List(fields.Nested(InvoiceLineSchema), required=True)
    version = fields.Integer(required=True, attribute="version_id")
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


InvoicePage = page_schema(InvoiceSchema, "InvoicePage")


class InvoiceListArgs(ListArgs):
    client_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    status = fields.String(validate=validate.OneOf(InvoiceStatus.values()))
    kind = fields.String(validate=validate.OneOf(InvoiceKind.values()))
    month = Month()
    sort = fields.String(
        load_default="-period", validate=validate.OneOf(sort_values(INVOICE_SORTS))
    )


def _invoice_lines(stmt: sa.Select) -> sa.Select:
    return stmt.options(selectinload(Invoice.lines).selectinload(InvoiceLine.placement))


@visibility("invoice_id")
def visible_invoice(invoice_id: int) -> Invoice:
    user = api_user()
    require_roles(*STAFF, Role.CLIENT)
    if user.role == Role.CLIENT:
        found = invoices.client_invoice(_own(user.client_id), invoice_id)
    else:
        found = invoices.load(invoice_id)
    if found is None:
        abort(404, message="No such invoice.")
    return found


@invoices_blp.route("")
class Invoices(MethodView):
    @invoices_blp.arguments(InvoiceListArgs, location="query")
    @invoices_blp.response(200, InvoicePage)
    @invoices_blp.alt_response(401, response="UNAUTHORIZED")
    @invoices_blp.alt_response(403, response="FORBIDDEN")
    @invoices_blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """Invoices and credit notes with their lines: staff see every one (drafts included),
        a client user its company's issued and paid ones."""
        user = api_user()
        require_roles(*STAFF, Role.CLIENT)
        if user.role == Role.CLIENT:
            stmt = invoices.client_list(_own(user.client_id))
            if args.get("client_id") is not None:
                stmt = stmt.where(Invoice.client_id == args["client_id"])
            if args.get("status"):
                stmt = stmt.where(Invoice.status == args["status"])
            if args.get("kind"):
                stmt = stmt.where(Invoice.kind == args["kind"])
            if args.get("month") is not None:
                stmt = stmt.where(Invoice.period_start == args["month"])
        else:
            filters = invoices.InvoiceFilters(
                client_id=args.get("client_id"),
                status=args.get("status"),
                month=args.get("month"),
                kind=args.get("kind"),
            )
            stmt = invoices.invoice_list(filters, invoices.Sort("period", True))
        rows, next_link = sorted_page(
            _invoice_lines(stmt), args, INVOICE_SORTS, Invoice.id, "api_invoices.Invoices"
        )
        return {"data": rows, "next": next_link}


@invoices_blp.route("/<int:invoice_id>")
class InvoiceItem(MethodView):
    @invoices_blp.response(200, InvoiceSchema)
    @invoices_blp.alt_response(401, response="UNAUTHORIZED")
    @invoices_blp.alt_response(403, response="FORBIDDEN")
    @invoices_blp.alt_response(404, response="NOT_FOUND")
    def get(self, invoice_id):
        """One invoice or credit note with its lines."""
        return etagged(visible_invoice(invoice_id))


# ------------------------------------------------------------------------ pay statements


class PayLineSchema(Schema):
    id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    placement_id = fields.Integer(required=True)
    client_id = fields.Function(
        lambda line: line.placement.client_id, required=True, metadata={"type": "integer"}
    )
    description = fields.String(required=True)
    first_day = fields.Date(required=True)
    last_day = fields.Date(required=True)
    hours = Decimal2(HOURS_PATTERN, required=True)
    rate = Decimal2(required=True, metadata={"description": "USD/h paid."})
    amount = Decimal2(required=True)


class PayStatementSchema(Schema):
    id = fields.Integer(required=True)
    engineer_id = fields.Integer(required=True)
    number = fields.String(
        required=True, allow_none=True, metadata={"description": "null while a draft."}
    )
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    status = fields.String(required=True, validate=validate.OneOf(InvoiceStatus.values()))
    issued_on = fields.Date(required=True, allow_none=True)
    paid_on = fields.Date(required=True, allow_none=True)
    total = Decimal2(required=True)
    currency = fields.String(required=True)
    lines = fields.List(fields.Nested(PayLineSchema), required=True)
    version = fields.Integer(required=True, attribute="version_id")
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


PayStatementPage = page_schema(PayStatementSchema, "PayStatementPage")


class PayStatementListArgs(ListArgs):
    engineer_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    status = fields.String(validate=validate.OneOf(InvoiceStatus.values()))
    month = Month()
    sort = fields.String(load_default="-period", validate=validate.OneOf(sort_values(PAY_SORTS)))


@visibility("statement_id")
def visible_statement(statement_id: int) -> PayStatement:
    user = api_user()
    require_roles(*STAFF, Role.ENGINEER)
    if user.role == Role.ENGINEER:
        found = pay_statements.engineer_statement(_own(user.engineer_id), statement_id)
    else:
        found = pay_statements.load(statement_id)
    if found is None:
        abort(404, message="No such pay statement.")
    return found


@pay_blp.route("")
class PayStatements(MethodView):
    @pay_blp.arguments(PayStatementListArgs, location="query")
    @pay_blp.response(200, PayStatementPage)
    @pay_blp.alt_response(401, response="UNAUTHORIZED")
    @pay_blp.alt_response(403, response="FORBIDDEN")
    @pay_blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """Pay statements with their lines: staff see every one (drafts included), an engineer
        their own issued and paid ones."""
        user = api_user()
        require_roles(*STAFF, Role.ENGINEER)
        if user.role == Role.ENGINEER:
            stmt = pay_statements.engineer_list(_own(user.engineer_id))
            if args.get("status"):
                stmt = stmt.where(PayStatement.status == args["status"])
            if args.get("month") is not None:
                stmt = stmt.where(PayStatement.period_start == args["month"])
        else:
            filters = pay_statements.PayFilters(status=args.get("status"), month=args.get("month"))
            stmt = pay_statements.statement_list(filters, pay_statements.Sort("period", True))
        if args.get("engineer_id") is not None:
            stmt = stmt.where(PayStatement.engineer_id == args["engineer_id"])
        stmt = stmt.options(selectinload(PayStatement.lines).selectinload(PayLine.placement))
        rows, next_link = sorted_page(
            stmt, args, PAY_SORTS, PayStatement.id, "api_pay_statements.PayStatements"
        )
        return {"data": rows, "next": next_link}


@pay_blp.route("/<int:statement_id>")
class PayStatementItem(MethodView):
    @pay_blp.response(200, PayStatementSchema)
    @pay_blp.alt_response(401, response="UNAUTHORIZED")
    @pay_blp.alt_response(403, response="FORBIDDEN")
    @pay_blp.alt_response(404, response="NOT_FOUND")
    def get(self, statement_id):
        """One pay statement with its lines."""
        return etagged(visible_statement(statement_id))
