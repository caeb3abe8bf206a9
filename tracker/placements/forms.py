"""Placement forms."""

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SubmitField
from wtforms.validators import InputRequired, Optional, ValidationError

from tracker.forms import MoneyField
from tracker.services.placements import PlacementInput

CADENCES = {"7": "Weekly", "14": "Every two weeks", "30": "Monthly"}


class PlacementForm(FlaskForm):
    start_date = DateField("Start date", validators=[InputRequired()])
    end_date = DateField(
        "End date", validators=[Optional()], description="Leave empty for an open-ended placement."
    )
    pay_rate = MoneyField(
        "Pay rate (USD/h)",
        validators=[InputRequired()],
        description="What the engineer is paid; their roster rate by default.",
    )
    bill_rate = MoneyField(
        "Bill rate (USD/h)", validators=[InputRequired()], description="What the client is billed."
    )
    review_cadence_days = SelectField(
        "Iteration reviews", choices=CADENCES, default="14", coerce=int
    )
    submit = SubmitField("Create placement")

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError("The end date is before the start date.")

    def to_input(self) -> PlacementInput:
        return PlacementInput(
            start_date=self.start_date.data,
            end_date=self.end_date.data,
            bill_rate=self.bill_rate.data,
            pay_rate=self.pay_rate.data,
            review_cadence_days=self.review_cadence_days.data,
        )
