"""Staffing request forms: filter bar, create/edit form with its skill rows, status moves."""

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    HiddenField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from tracker.forms import (
    DateField,
    DecimalField,
    FieldList,
    HoursField,
    IntegerField,
    MoneyField,
    SelectField,
    TimezoneField,
    VersionedForm,
    different_hours,
    optional_int,
    required,
)
from tracker.models.enums import Priority, RequestStatus, Seniority
from tracker.services.staffing_requests import (
    ALL,
    MAX_DURATION_WEEKS,
    MAX_HEADCOUNT,
    RequestFilters,
    RequestInput,
    SkillNeed,
    must_haves,
    nice_to_haves,
)

MUST, NICE = "must", "nice"


class RequestFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = StringField("Search", validators=[Optional(), Length(max=100)])
    status = SelectField(
        "Status",
        choices={"": "Active (draft, open, on hold)", ALL: "Any status", **RequestStatus.choices()},
        validators=[Optional()],
    )
    client_id = SelectField("Client", coerce=optional_int, validators=[Optional()])
    priority = SelectField(
        "Priority", choices={"": "Any priority", **Priority.choices()}, validators=[Optional()]
    )
    seniority = SelectField(
        "Seniority", choices={"": "Any seniority", **Seniority.choices()}, validators=[Optional()]
    )

    def to_filters(self) -> RequestFilters:
        return RequestFilters(
            q=(self.q.data or "").strip() or None,
            status=self.status.data or None,
            client_id=self.client_id.data,
            priority=self.priority.data or None,
            seniority=self.seniority.data or None,
        )


class SkillRowForm(Form):
    """One row of the skills table; a row without a skill is ignored."""

    skill_id = SelectField("Skill", coerce=optional_int, validators=[Optional()])
    min_level = IntegerField(
        "Minimum level",
        default=3,
        validators=[
            InputRequired(message="Give a minimum level from 1 to 5."),
            NumberRange(min=1, max=5, message="A level goes from 1 to 5."),
        ],
        render_kw={"min": 1, "max": 5},
    )
    importance = SelectField("Importance", choices={MUST: "Must-have", NICE: "Nice-to-have"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The table header names the columns; the labels stay for screen readers. A fresh dict
        # per row, because render_kw is otherwise shared by every row of every form.
        for sub in self:
            sub.render_kw = {**(sub.render_kw or {}), "label_class": "visually-hidden"}

    @property
    def is_blank(self) -> bool:
        return self.skill_id.data is None

    def validate(self, extra_validators=None):
        if self.skill_id.raw_data and self.skill_id.raw_data[0] not in ("", "None"):
            return super().validate(extra_validators)
        return True  # a blank row: nothing to check, nothing saved

    def to_need(self) -> SkillNeed:
        return SkillNeed(
            skill_id=self.skill_id.data,
            min_level=required(self.min_level.data),
            required=self.importance.data == MUST,
        )


def unless_client_hours(form, field):
    """Required when the client's hours are not used; ignored (and not checked) when they are."""
    if form.use_client_hours.data:
        field.errors[:] = []
        raise StopValidation()
    if not field.raw_data or not field.raw_data[0].strip():
        raise StopValidation("Required unless you use the client's time zone and hours.")


class RequestForm(VersionedForm):
    client_id = SelectField(
        "Client",
        coerce=optional_int,
        validators=[DataRequired(message="Choose the client this request is for.")],
    )
    title = StringField(
        "Title",
        validators=[DataRequired(), Length(max=160)],
        description="What the client calls the role, e.g. “Senior ML engineer — search ranking”.",
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    # Nothing preselected: a default would ask for (and price) a seniority nobody chose.
    seniority = SelectField(
        "Seniority",
        choices={"": "— choose —", **Seniority.choices()},
        validators=[DataRequired("Choose the seniority the team needs.")],
    )
    headcount = IntegerField(
        "Headcount",
        default=1,
        validators=[
            InputRequired(message="How many engineers? At least 1."),
            NumberRange(
                min=1,
                max=MAX_HEADCOUNT,
                message=f"Headcount must be between 1 and {MAX_HEADCOUNT}.",
            ),
        ],
        render_kw={"min": 1, "max": MAX_HEADCOUNT},
    )
    start_date = DateField("Start date", validators=[DataRequired()])
    duration_weeks = IntegerField(
        "Duration (weeks)",
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=MAX_DURATION_WEEKS,
                message=f"Duration must be 1 to {MAX_DURATION_WEEKS} weeks.",
            ),
        ],
        description="Leave empty for open-ended.",
        render_kw={"min": 1},
    )
    use_client_hours = BooleanField(
        "Use the client's time zone and hours",
        default=True,
        description="Untick to give this team's own zone and working hours below.",
    )
    timezone = TimezoneField("Time zone", validators=[unless_client_hours])
    workday_start = HoursField("Working day starts", validators=[unless_client_hours])
    workday_end = HoursField(
        "Working day ends",
        validators=[unless_client_hours, different_hours("workday_start")],
        description="Local time. An end before the start runs past midnight.",
    )
    min_overlap_hours = DecimalField(
        "Minimum daily overlap (hours)",
        default=Decimal(4),
        places=1,
        validators=[
            InputRequired(message="Give the minimum overlap in hours (0 to 24)."),
            NumberRange(min=0, max=24, message="Overlap is 0 to 24 hours."),
        ],
        render_kw={"min": 0, "max": 24, "step": "0.5"},
    )
    max_bill_rate = MoneyField(
        "Maximum bill rate (USD/h)",
        description="What the client will pay per hour at most; empty for no ceiling.",
    )
    priority = SelectField("Priority", choices=Priority.choices(), default=Priority.NORMAL)
    skill_rows = FieldList(FormField(SkillRowForm), min_entries=1, max_entries=40)
    add_skill = SubmitField("Add another skill")
    submit = SubmitField("Save request")

    def validate_min_overlap_hours(self, field):
        if field.data is not None and (field.data * 2) % 1:
            raise StopValidation("Give the overlap in half hours, e.g. 4 or 4.5.")

    def prepare(self, client_choices, skill_choices, *, extra_rows: int = 0) -> None:
        """Fill the pickers (every skill row gets the catalogue) and add blank rows."""
        self.offered_client_ids = frozenset(client_id for client_id, _ in client_choices)
        if self.client_id is not None:
            self.client_id.choices = {"": "— choose a client —", **dict(client_choices)}
        for _ in range(extra_rows):
            self.skill_rows.append_entry()
        for row in self.skill_rows:
            row.skill_id.choices = {"": "— pick a skill —", **dict(skill_choices)}

    def to_input(self, client_id: int | None = None) -> RequestInput:
        """What was entered; client_id given by the caller when the form has no client field."""
        own_hours = not self.use_client_hours.data
        return RequestInput(
            client_id=self.client_id.data if client_id is None else client_id,
            title=required(self.title.data),
            description=self.description.data,
            seniority=self.seniority.data,
            headcount=required(self.headcount.data),
            start_date=required(self.start_date.data),
            duration_weeks=self.duration_weeks.data,
            timezone=self.timezone.data if own_hours else None,
            workday_start=self.workday_start.data if own_hours else None,
            workday_end=self.workday_end.data if own_hours else None,
            min_overlap_hours=required(self.min_overlap_hours.data),
            max_bill_rate=self.max_bill_rate.data,
            priority=self.priority.data if self.priority is not None else Priority.NORMAL,
            skills=tuple(row.form.to_need() for row in self.skill_rows if not row.form.is_blank),
        )


class NewRequestForm(RequestForm):
    submit = SubmitField("Create as draft")
    open_now = SubmitField("Create and open")


def skill_rows_of(staffing_request) -> list[dict]:
    """The request's skills as form rows: must-haves first, then by name."""
    return [
        {
            "skill_id": n.skill_id,
            "min_level": n.min_level,
            "importance": MUST if n.required else NICE,
        }
        for n in [*must_haves(staffing_request), *nice_to_haves(staffing_request)]
    ]


class StatusForm(VersionedForm):
    """A move to another status (one small form per allowed move on the detail page)."""

    status = HiddenField(validators=[DataRequired()])
