"""Invoice forms: the list's filters, drafting a month, and what staff do to one invoice.

Every form acting on an invoice carries the version the page showed (VersionedForm); the
service refuses it when the invoice changed since. Rules an invoice obeys (what is left to
credit, a payment date not in the future, a reason for a credit note) are the service's: the
forms only read what was typed.
"""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from tracker.forms import DateField, SelectField, VersionedForm, optional_int
from tracker.models.enums import InvoiceKind, InvoiceStatus
from tracker.services import DomainError
from tracker.services.billing import parse_month
from tracker.services.invoices import REASON_LENGTH, CreditRequest, InvoiceFilters, parse_amount

MONTH_MESSAGE = "Give the month as YYYY-MM, e.g. 2026-11."
MONTH_INPUT = {"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"}


def a_month(_form, field):
    """Validator: the text is a month as YYYY-MM (an empty one is left to Optional)."""
    if (field.data or "").strip() and parse_month(field.data) is None:
        raise ValidationError(MONTH_MESSAGE)


def typed_amount(_form, field):
    """Validator: an amount as people type it ($1,200.50); the limits are the service's."""
    try:
        parse_amount(field.data)
    except DomainError as e:
        raise ValidationError(str(e)) from None


class InvoiceFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    client = SelectField("Client", coerce=optional_int, validators=[Optional()])
    status = SelectField(
        "Status", choices={"": "Any status", **InvoiceStatus.choices()}, default=""
    )
    month = StringField(
        "Month", validators=[Optional(), Length(max=7), a_month], render_kw=MONTH_INPUT
    )
    kind = SelectField(
        "Kind", choices={"": "Invoices and credit notes", **InvoiceKind.choices()}, default=""
    )
    overdue = BooleanField("Overdue only")

    def to_filters(self, today: date) -> InvoiceFilters:
        """The filters of the valid fields; a field with an error narrows nothing."""

        def valid(field):
            return None if field.errors else field.data

        return InvoiceFilters(
            client_id=valid(self.client),
            status=valid(self.status) or None,
            month=parse_month(valid(self.month)),
            kind=valid(self.kind) or None,
            overdue_on=today if valid(self.overdue) else None,
        )


class DraftMonthForm(FlaskForm):
    """Draft (or rebuild) every client's invoice for a month."""

    month = StringField(
        "Month to bill",
        validators=[InputRequired(MONTH_MESSAGE), Length(max=7), a_month],
        render_kw=MONTH_INPUT,
    )

    @property
    def first_day(self) -> date | None:
        return parse_month(self.month.data)


class DraftClientForm(DraftMonthForm):
    """Draft (or rebuild) one client's invoice for a month."""

    client_id = SelectField(
        "Client", coerce=optional_int, validators=[InputRequired("Choose the client to bill.")]
    )


class InvoiceActionForm(VersionedForm):
    """Rebuild, issue or delete a draft: nothing but the version the page showed."""


class PayForm(VersionedForm):
    paid_on = DateField("Paid on", validators=[InputRequired("Give the day the payment arrived.")])
    submit = SubmitField("Mark paid")


class CreditForm(VersionedForm):
    """A credit note: whole lines (checked) and/or an amount, and the reason printed on it."""

    lines = SelectMultipleField("Lines to credit", coerce=int, validate_choice=False)
    amount = StringField(
        "Amount to credit (USD)",
        validators=[Optional(), Length(max=20), typed_amount],
        render_kw={"inputmode": "decimal", "autocomplete": "off", "placeholder": "0.00"},
    )
    reason = TextAreaField(
        "Reason",
        validators=[Length(max=REASON_LENGTH)],
        render_kw={"rows": 2},
        description="Printed on the credit note.",
    )
    submit = SubmitField("Issue credit note")

    def to_request(self) -> CreditRequest:
        """What the note corrects, once the form validated (the service checks the rest)."""
        return CreditRequest(
            reason=self.reason.data or "",
            line_ids=list(self.lines.data or []),
            amount=parse_amount(self.amount.data),
        )
