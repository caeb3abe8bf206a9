"""Pay statement forms: the list's filters, drafting a month, and acting on one statement.

Every form acting on a statement carries the version the page showed: a statement rebuilt,
issued or paid by someone else in the meantime is refused with a message, not acted on blindly.
"""

from datetime import date

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from tracker.forms import DateField, VersionedForm
from tracker.models.enums import InvoiceStatus
from tracker.services.billing import parse_month, previous_month
from tracker.services.pay_statements import PayFilters

MONTH_MESSAGE = "Enter a month as YYYY-MM, for example 2026-11."


def a_month(_form, field):
    """A month as YYYY-MM (what a browser's month input sends)."""
    if parse_month(field.data) is None:
        raise ValidationError(MONTH_MESSAGE)


def month_field(label: str, validators: list) -> StringField:
    return StringField(
        label,
        validators=[*validators, Length(max=7, message=MONTH_MESSAGE), a_month],
        render_kw={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"},
    )


class PayFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    engineer = StringField("Engineer", validators=[Optional(), Length(max=100)])
    status = SelectField(
        "Status", choices={"": "Any status", **InvoiceStatus.choices()}, default=""
    )
    month = month_field("Month", [Optional()])

    def to_filters(self) -> PayFilters:
        """The filters of the valid fields; a field with an error narrows nothing."""

        def valid(field):
            return None if field.errors else field.data

        return PayFilters(
            engineer=(valid(self.engineer) or "").strip() or None,
            status=valid(self.status) or None,
            month=parse_month(valid(self.month)),
        )


class DraftMonthForm(FlaskForm):
    """Draft every engineer's pay statement of a month (the one before today's by default)."""

    month = month_field("Month", [InputRequired(message="Enter the month to draft, as YYYY-MM.")])
    submit = SubmitField("Draft pay statements")

    @classmethod
    def for_today(cls, today: date) -> "DraftMonthForm":
        form = cls(formdata=None)
        form.month.data = f"{previous_month(today):%Y-%m}"
        return form

    @property
    def first_day(self) -> date:
        """The month's first day, once the form validated."""
        month = parse_month(self.month.data)
        if month is None:
            raise ValueError("validate the form first")
        return month


class StatementForm(VersionedForm):
    """Rebuild, issue or delete a draft: the version the page showed is all it carries."""


class PayForm(VersionedForm):
    paid_on = DateField(
        "Paid on",
        default=date.today,
        validators=[InputRequired(message="Enter the day the engineer was paid.")],
    )
    submit = SubmitField("Mark paid")
