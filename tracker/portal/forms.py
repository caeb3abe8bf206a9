"""Portal forms: a client's own request, and their decision on a proposal."""

from dataclasses import replace

from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from tracker.models.enums import Priority
from tracker.requests.forms import RequestForm
from tracker.services.proposals import DECLINE_REASONS
from tracker.services.staffing_requests import RequestInput


class PortalRequestForm(RequestForm):
    """A client's own request: their company is the signed-in user's, never a form field."""

    # WTForms drops a parent's field that a subclass sets to None; the type checker sees the
    # parent's field type replaced.
    client_id = None  # type: ignore[assignment]
    priority = None  # type: ignore[assignment]
    submit = SubmitField("Send to the agency")

    def to_input(self, client_id: int | None = None) -> RequestInput:
        if client_id is None:
            raise ValueError("a portal request takes the client from the signed-in user")
        return replace(super().to_input(client_id), priority=Priority.NORMAL)


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
