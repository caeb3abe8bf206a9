"""The filter bar of the reviews list (and its export)."""

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from tracker.forms import DateField, DecimalField, IntegerField, optional_int
from tracker.reports.placement_reports import ReviewFilters

WOULD_CONTINUE = {"": "Would continue: any", "yes": "Would continue", "no": "Would not continue"}


def not_before_from(form, field):
    if field.data and form.submitted_from.data and field.data < form.submitted_from.data:
        raise ValidationError("The “to” date is before the “from” date.")


class ReviewFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    client = SelectField("Client", coerce=optional_int, validators=[Optional()])
    placement = IntegerField(
        "Placement",
        validators=[Optional(), NumberRange(min=1, message="A placement number is 1 or more.")],
    )
    engineer = StringField("Engineer", validators=[Optional(), Length(max=100)])
    # "from" is a Python keyword: the attribute says what it is, the parameter stays short.
    submitted_from = DateField("Submitted from", name="from", validators=[Optional()])
    submitted_to = DateField("to", name="to", validators=[Optional(), not_before_from])
    would_continue = SelectField("Would continue", choices=WOULD_CONTINUE, default="")
    below = DecimalField(
        "Overall below",
        places=2,
        validators=[Optional(), NumberRange(min=1, max=5, message="Give a score from 1 to 5.")],
        render_kw={"step": "0.25", "min": 1, "max": 5},
    )

    def to_filters(self) -> ReviewFilters:
        """The filters of the valid fields; a field with an error narrows nothing."""

        def valid(field):
            return None if field.errors else field.data

        below = valid(self.below)
        return ReviewFilters(
            client_id=valid(self.client),
            placement_id=valid(self.placement),
            engineer=(valid(self.engineer) or "").strip() or None,
            submitted_from=valid(self.submitted_from),
            submitted_to=valid(self.submitted_to),
            would_continue={"yes": True, "no": False}.get(valid(self.would_continue) or ""),
            overall_below=Decimal(below).quantize(Decimal("0.01")) if below is not None else None,
        )
