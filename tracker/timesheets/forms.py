"""Timesheet forms: a week's hours, the answers to a submitted week, and the list's filters.

WeekForm is the one form for entering a week, whoever enters it (the engineer in /me/, an
account manager on their behalf here): a row per day of the placement in that week, each row
carrying its own date, so a row left out or posted out of order is never read as another day.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from flask_wtf import FlaskForm
from wtforms import (
    Form,
    FormField,
    HiddenField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from tracker.forms import DateField, FieldList, SelectField, VersionedForm, optional_int
from tracker.models import Timesheet
from tracker.models.enums import TimesheetStatus
from tracker.services import DomainError
from tracker.services.timesheets import (
    NOTE_LENGTH,
    REASON_LENGTH,
    EntryInput,
    TimesheetFilters,
    hours_text,
    parse_hours,
)

# The version a week form carries when the week had no timesheet yet: any timesheet found on
# saving was then written by someone else in the meantime (versions start at 1).
NO_TIMESHEET_YET = "0"


def typed_hours(_form, field):
    """Hours as people type them (7.5, 7,5, 7:30); the range and quarter hours are the service's."""
    try:
        parse_hours(field.data)
    except DomainError as e:
        raise ValidationError(str(e)) from None


class DayForm(Form):
    """One day of the week: its date (hidden), the hours worked and an optional note."""

    work_date = DateField("Day", widget=HiddenInput(), validators=[InputRequired()])
    hours = StringField(
        "Hours",
        validators=[Optional(), Length(max=10), typed_hours],
        render_kw={"inputmode": "decimal", "autocomplete": "off", "placeholder": "0"},
    )
    note = StringField("Note", validators=[Optional(), Length(max=NOTE_LENGTH)])

    def validate_note(self, field):
        if (field.data or "").strip() and not (self.hours.data or "").strip():
            raise ValidationError("Enter the hours of this day, or clear its note.")


@dataclass(frozen=True)
class DayRow:
    """A day's values as the form shows them."""

    work_date: date
    hours: str = ""
    note: str = ""


class WeekForm(VersionedForm):
    """A week of hours: a row per day of the placement in that week (built by `of_week`)."""

    days = FieldList(FormField(DayForm), min_entries=0, max_entries=7)
    save = SubmitField("Save draft")
    submit = SubmitField("Save and submit")

    @classmethod
    def of_week(cls, days: Sequence[date], timesheet: Timesheet | None) -> "WeekForm":
        """The form of a week as it is stored: a row per day, the saved hours filled in."""
        saved = {e.work_date: e for e in timesheet.entries} if timesheet else {}
        rows = [
            DayRow(d, hours_text(saved[d].hours), saved[d].note or "") if d in saved else DayRow(d)
            for d in days
        ]
        form = cls(formdata=None, data={"days": rows})
        form.version_id.data = str(timesheet.version_id) if timesheet else NO_TIMESHEET_YET
        return form

    def entries(self) -> list[EntryInput]:
        """The days with hours (a blank day is a day not worked), once the form validated."""
        found = []
        for row in self.days:
            hours = parse_hours(row.hours.data)
            if hours is not None and row.work_date.data is not None:
                note = " ".join((row.note.data or "").split()) or None
                found.append(EntryInput(row.work_date.data, hours, note))
        return found

    @property
    def submitting(self) -> bool:
        return bool(self.submit.data)


class DecisionForm(FlaskForm):
    """What every answer to a submitted week carries: the version seen, where to return."""

    version_id = HiddenField()
    next = HiddenField()


class ApproveForm(DecisionForm):
    """The client's approval: the hours are right."""

    submit = SubmitField("Approve")


class ApproveOnBehalfForm(DecisionForm):
    """An account manager's approval for the client, with who confirmed the hours."""

    note = TextAreaField(
        "Who at the client confirmed the hours?",
        validators=[
            DataRequired(message="Say who at the client confirmed the hours, and how."),
            Length(max=REASON_LENGTH),
        ],
    )
    submit = SubmitField("Approve on the client's behalf")


class RejectForm(DecisionForm):
    reason = TextAreaField(
        "What is wrong with the hours?",
        validators=[
            DataRequired(message="Say what is wrong with the hours, so they can be corrected."),
            Length(max=REASON_LENGTH),
        ],
        description="The engineer reads this and corrects the week.",
    )
    submit = SubmitField("Reject")


class ApproveWeekForm(FlaskForm):
    """Approve every waiting timesheet of a week, as shown: `shown` lists id:version pairs."""

    shown = HiddenField(validators=[InputRequired(), Length(max=4000)])
    submit = SubmitField("Approve all")

    @staticmethod
    def listing(sheets: Sequence[Timesheet]) -> str:
        return ",".join(f"{t.id}:{t.version_id}" for t in sheets)

    def shown_versions(self) -> dict[int, int] | None:
        """{timesheet id: version} as posted; None when the field is not such a list."""
        shown: dict[int, int] = {}
        for pair in (self.shown.data or "").split(","):
            sheet, _, version = pair.partition(":")
            if not all(p.isascii() and p.isdigit() and 0 < len(p) <= 9 for p in (sheet, version)):
                return None
            shown[int(sheet)] = int(version)
        return shown or None


class TimesheetFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    client = SelectField("Client", coerce=optional_int, validators=[Optional()])
    engineer = StringField("Engineer", validators=[Optional(), Length(max=100)])
    week = DateField("Week of", validators=[Optional()])
    status = SelectField(
        "Status", choices={"": "Any status", **TimesheetStatus.choices()}, default=""
    )

    def to_filters(self) -> TimesheetFilters:
        """The filters of the valid fields; a field with an error narrows nothing."""

        def valid(field):
            return None if field.errors else field.data

        return TimesheetFilters(
            client_id=valid(self.client),
            engineer=(valid(self.engineer) or "").strip() or None,
            week_start=valid(self.week),
            status=valid(self.status) or None,
        )
