"""The engineer's forms: the filter of their timesheets. A week's hours are entered through
tracker.timesheets.forms.WeekForm, the one form for a week whoever enters it."""

from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import Optional

from tracker.models.enums import TimesheetStatus


class TimesheetFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(
        "Status", choices={"": "Any status", **TimesheetStatus.choices()}, validators=[Optional()]
    )

    def status_filter(self) -> str | None:
        """The chosen status, or None (any; an unknown value filters nothing)."""
        value = self.status.data
        return value if value in TimesheetStatus.values() else None
