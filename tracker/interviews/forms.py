"""Interview forms: picking slots, confirming one, cancelling, the outcome, a no-show.

Slots travel as their UTC start ('2027-03-15T13:00Z'); the service checks each against the
slots offered at that moment, so a forged or stale one is refused with a message there.
"""

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from tracker.forms import VersionedForm, optional_int
from tracker.models.interview import NO_SHOW_PARTIES
from tracker.services.interviews import MAX_CHOICES, NO_SHOW_WORDS, meeting_url_problem

RATINGS = {"": "— choose —"} | {str(n): str(n) for n in range(1, 6)}


class SlotsForm(VersionedForm):
    """Up to three times, and a note for the other side."""

    slots = SelectMultipleField("Times", validate_choice=False)
    note = TextAreaField("Note for the other side", validators=[Optional(), Length(max=500)])

    def validate_slots(self, field):
        if not field.data:
            raise ValidationError("Pick at least one time.")
        if len(set(field.data)) > MAX_CHOICES:
            raise ValidationError(f"Pick at most {MAX_CHOICES} times.")


def _meeting_url(form, field):
    if field.data and (problem := meeting_url_problem(field.data)):
        raise ValidationError(problem)


class ConfirmForm(VersionedForm):
    slot = StringField("Time", validators=[DataRequired(message="Pick one of the times.")])
    meeting_url = StringField(
        "Meeting link",
        validators=[Optional(), Length(max=500), _meeting_url],
        description="Video call link sent with the invite (optional).",
    )


class RescheduleForm(ConfirmForm):
    pass


class CancelForm(VersionedForm):
    reason = TextAreaField("Why? (optional)", validators=[Optional(), Length(max=500)])


class NoShowForm(VersionedForm):
    party = RadioField(
        "Who did not come?",
        choices={p: NO_SHOW_WORDS[p] for p in NO_SHOW_PARTIES},
        validators=[InputRequired(message="Say who did not come.")],
    )


class OutcomeForm(VersionedForm):
    """The outcome; a rating field per must-have skill is added by outcome_form()."""

    overall = SelectField(
        "Overall",
        choices=RATINGS,
        coerce=optional_int,
        validators=[InputRequired(message="Rate the interview from 1 to 5.")],
    )
    would_continue = SelectField(
        "Continue with this engineer?",
        choices={"": "— choose —", "yes": "Yes, accept the proposal", "no": "No"},
        validators=[DataRequired(message="Say whether you want to continue.")],
    )
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])

    skill_fields: list[tuple[str, str]] = []  # (field name, skill name)

    def validate_overall(self, field):
        if field.data is None:
            raise ValidationError("Rate the interview from 1 to 5.")

    def skill_ratings(self) -> dict[str, int]:
        return {skill: getattr(self, name).data for name, skill in self.skill_fields}


def outcome_form(skills: list[str], **kwargs) -> OutcomeForm:
    """An outcome form with a 1–5 rating, empty at first, for each must-have skill."""

    class Form(OutcomeForm):
        pass

    fields = []
    for i, skill in enumerate(skills):
        name = f"skill_{i}"
        setattr(
            Form,
            name,
            SelectField(
                skill,
                choices=RATINGS,
                coerce=optional_int,
                validators=[InputRequired(message=f"Rate {skill} from 1 to 5."), _rated],
            ),
        )
        fields.append((name, skill))
    Form.skill_fields = fields
    return Form(**kwargs)


def _rated(form, field):
    if field.data is None:
        raise ValidationError(f"Rate {field.label.text} from 1 to 5.")


__all__ = [
    "CancelForm",
    "ConfirmForm",
    "FlaskForm",
    "NoShowForm",
    "OutcomeForm",
    "RescheduleForm",
    "SlotsForm",
    "outcome_form",
]
