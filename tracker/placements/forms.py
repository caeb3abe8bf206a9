"""Placement forms."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from tracker.forms import DateField, DecimalField, MoneyField, optional_int, required
from tracker.models.enums import EndReason
from tracker.services.placements import (
    DEFAULT_HOURS_PER_WEEK,
    HOURS_PER_WEEK_STEP,
    MAX_HOURS_PER_WEEK,
    MIN_HOURS_PER_WEEK,
    PlacementInput,
)
from tracker.services.rates import MAX_NOTE
from tracker.services.reviews import ReviewInput

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
    hours_per_week = DecimalField(
        "Hours per week",
        places=1,
        default=DEFAULT_HOURS_PER_WEEK,
        validators=[
            Optional(),
            NumberRange(
                min=MIN_HOURS_PER_WEEK,
                max=MAX_HOURS_PER_WEEK,
                message="Give from 1 to 80 hours a week.",
            ),
        ],
        render_kw={"step": "0.5", "min": 1, "max": 80},
        description="What the client expects (40 if empty); timesheets are measured against it.",
    )
    review_cadence_days = SelectField(
        "Iteration reviews", choices=CADENCES, default="14", coerce=int
    )
    replaces_id = SelectField(
        "Replaces",
        coerce=optional_int,
        validators=[Optional()],
        description="When this engineer takes over the seat of a placement ended as replaced.",
    )
    submit = SubmitField("Create placement")

    def validate_hours_per_week(self, field):
        if field.data is not None and field.data % HOURS_PER_WEEK_STEP:
            raise ValidationError("Give the hours in half hours, e.g. 40 or 37.5.")

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError("The end date is before the start date.")

    def to_input(self) -> PlacementInput:
        return PlacementInput(
            start_date=required(self.start_date.data),
            end_date=self.end_date.data,
            bill_rate=required(self.bill_rate.data),
            pay_rate=required(self.pay_rate.data),
            review_cadence_days=self.review_cadence_days.data,
            hours_per_week=(
                DEFAULT_HOURS_PER_WEEK
                if self.hours_per_week.data is None
                else self.hours_per_week.data
            ),
        )


RATINGS = {"": "— choose a rating —"} | {str(n): f"{n} — {text}" for n, text in
           ((5, "excellent"), (4, "good"), (3, "fair"), (2, "poor"), (1, "very poor"))}  # fmt: skip


def _rating(label: str) -> SelectField:
    # Nothing is preselected: a default would be saved as a rating nobody gave.
    return SelectField(
        label,
        choices=RATINGS,
        coerce=optional_int,
        validators=[InputRequired(f"Rate the {label.lower()} from 1 to 5.")],
    )


class ReviewForm(FlaskForm):
    """An iteration review: the same form for account managers and the client's users.

    Every rating and "would continue" start empty and must be chosen; a correction starts
    from the saved review (fill_from).
    """

    delivery = _rating("Delivery")
    code_quality = _rating("Code quality")
    communication = _rating("Communication")
    collaboration = _rating("Collaboration")
    would_continue = SelectField(
        "Would you continue with this engineer?",
        choices={"": "— choose —", "yes": "Yes", "no": "No"},
        validators=[InputRequired("Say whether you would continue with this engineer.")],
    )
    comments = TextAreaField("Comments", validators=[Optional(), Length(max=5000)])
    action_items = TextAreaField(
        "Action items", validators=[Optional(), Length(max=5000)],
        description="What should change before the next iteration, and who does it.",
    )  # fmt: skip
    submit = SubmitField("Save review")

    def to_input(self) -> ReviewInput:
        return ReviewInput(
            delivery=self.delivery.data,
            code_quality=self.code_quality.data,
            communication=self.communication.data,
            collaboration=self.collaboration.data,
            would_continue=self.would_continue.data == "yes",
            comments=self.comments.data,
            action_items=self.action_items.data,
        )

    def fill_from(self, review) -> None:
        for name in ("delivery", "code_quality", "communication", "collaboration"):
            getattr(self, name).data = getattr(review, name)
        self.would_continue.data = "yes" if review.would_continue else "no"
        self.comments.data = review.comments
        self.action_items.data = review.action_items


class EndForm(FlaskForm):
    reason = SelectField(
        "Why does it end?",
        choices={"": "— choose —", **EndReason.choices()},
        validators=[DataRequired(message="Choose why the placement ends.")],
    )
    last_day = DateField("Last day", validators=[InputRequired()])
    version_id = HiddenField()
    submit = SubmitField("End placement")


class EndDateForm(FlaskForm):
    end_date = DateField("End date", validators=[Optional()], description="Empty: open-ended.")
    version_id = HiddenField()
    submit = SubmitField("Change end date")


class ReplaceForm(FlaskForm):
    last_day = DateField("The engineer's last day", validators=[InputRequired()])
    version_id = HiddenField()
    submit = SubmitField("Replace engineer")


class RateForm(FlaskForm):
    """New bill and pay rates from a day on (tracker.services.rates.change_rate)."""

    effective_from = DateField(
        "Effective from",
        validators=[InputRequired()],
        description="The first day billed and paid at the new rates.",
    )
    bill_rate = MoneyField("Bill rate (USD/h)", validators=[InputRequired()])
    pay_rate = MoneyField("Pay rate (USD/h)", validators=[InputRequired()])
    note = TextAreaField(
        "Note",
        validators=[Optional(), Length(max=MAX_NOTE)],
        description="Why the rates change, e.g. the yearly raise agreed with the client.",
        render_kw={"rows": 2},
    )
    version_id = HiddenField()
    submit = SubmitField("Change rates")
