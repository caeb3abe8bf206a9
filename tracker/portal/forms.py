"""Portal forms: a client's decision on a proposal."""

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from tracker.services.proposals import DECLINE_REASONS


class AcceptForm(FlaskForm):
    submit = SubmitField("Accept")


class DeclineForm(FlaskForm):
    reason = SelectField(
        "Why not?",
        choices={"": "— choose —", **DECLINE_REASONS},
        validators=[DataRequired(message="Tell us why, so we can propose someone better.")],
    )
    note = TextAreaField("Anything else we should know?", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("Decline")
