"""Forms of the match page and of proposal moves."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.forms import IntegerField
from tracker.models.enums import ProposalStatus
from tracker.services.proposals import DECLINE_REASONS


class ShortlistForm(FlaskForm):
    engineer_id = IntegerField(validators=[InputRequired()])
    score = HiddenField()


class ProposalMoveForm(FlaskForm):
    status = SelectField("Move to", choices=ProposalStatus.choices(), validators=[DataRequired()])
    decline_reason = SelectField(
        "Reason", choices={"": "— choose —", **DECLINE_REASONS}, validators=[Optional()]
    )
    decline_note = TextAreaField("Details", validators=[Optional(), Length(max=2000)])
    version_id = HiddenField()
    next = HiddenField()


class WhyNotForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    why = StringField(
        "Why not…",
        validators=[
            Optional(),
            Length(min=2, max=100, message="Type 2 to 100 characters of a name or email."),
        ],
    )
