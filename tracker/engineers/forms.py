"""Engineer forms: the roster's filter bar, the profile, vetting, skills and the catalogue."""

from datetime import time

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
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
)

from tracker.forms import (
    CountryField,
    DateField,
    HoursField,
    IntegerField,
    MoneyField,
    SelectField,
    TimezoneField,
    VersionedForm,
    add_error,
    different_hours,
    obeys,
    optional_int,
    required,
)
from tracker.models import VETTING_SCORES
from tracker.models.enums import VettingStatus
from tracker.services.engineers import (
    SCORE_LABELS,
    EngineerFilters,
    EngineerInput,
    VettingInput,
)
from tracker.services.field_rules import ENGINEER_RULES, MAX_YEARS
from tracker.services.skills import CATEGORY_MAX, NAME_MAX

SENIORITY_CHOICES = {
    "junior": "Junior (1–3 years)",
    "mid": "Mid (3–6 years)",
    "senior": "Senior (6+ years)",
}
ENGLISH_CHOICES = {
    "A1": "A1 — beginner",
    "A2": "A2 — elementary",
    "B1": "B1 — intermediate",
    "B2": "B2 — upper intermediate",
    "C1": "C1 — advanced",
    "C2": "C2 — proficient",
}
SCORE_CHOICES = {
    "": "—",
    "1": "1 — poor",
    "2": "2 — weak",
    "3": "3 — solid",
    "4": "4 — strong",
    "5": "5 — outstanding",
}
MIN_LEVEL_CHOICES = {"": "Any level", **{str(n): f"Level {n} or more" for n in range(1, 5)}}
MIN_LEVEL_CHOICES["5"] = "Level 5"
LEVEL_MESSAGE = "A skill level is from 1 (basic) to 5 (expert)."


class EngineerFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = StringField("Search", validators=[Optional(), Length(max=100)])
    country = CountryField("Country", blank="All countries", validators=[Optional()])
    seniority = SelectField(
        "Seniority", choices={"": "Any seniority", **SENIORITY_CHOICES}, validators=[Optional()]
    )
    vetting_status = SelectField(
        "Vetting",
        choices={"": "Any vetting status", **VettingStatus.choices()},
        validators=[Optional()],
    )
    skill_id = SelectField("Skill", coerce=optional_int, validators=[Optional()])
    min_level = SelectField(
        "Minimum level", coerce=optional_int, choices=MIN_LEVEL_CHOICES, validators=[Optional()]
    )
    available_by = DateField("Available by", validators=[Optional()])
    timezone = SelectField("Time zone", validators=[Optional()])
    show = SelectField(
        "Show", choices={"active": "Active", "archived": "Archived"}, default="active"
    )

    def ignored(self) -> list[str]:
        """Labels of the filters that did not validate (they are left out)."""
        return [f.label.text for f in self if f.errors]

    def to_filters(self) -> EngineerFilters:
        """The valid filters; call after validate() so a bad value drops only its own filter."""

        def ok(field):
            return None if field.errors else (field.data or None)

        return EngineerFilters(
            q=ok(self.q),
            country=ok(self.country),
            seniority=ok(self.seniority),
            vetting_status=ok(self.vetting_status),
            skill_id=ok(self.skill_id),
            min_level=ok(self.min_level),
            available_by=ok(self.available_by),
            timezone=ok(self.timezone),
            archived=ok(self.show) == "archived",
        )


def _rules(name: str):
    """The field rules of an engineer's profile field, as a form validator."""
    return obeys(*ENGINEER_RULES[name])


class EngineerForm(VersionedForm):
    """The profile; its fields obey ENGINEER_RULES, which the CSV import applies too."""

    full_name = StringField("Full name", validators=[DataRequired(), _rules("full_name")])
    email = EmailField("Email", validators=[DataRequired(), _rules("email")])
    phone = StringField("Phone", validators=[Optional(), _rules("phone")])
    country = CountryField("Country", validators=[DataRequired()], default="BR")
    city = StringField("City", validators=[Optional(), _rules("city")])
    timezone = TimezoneField(
        "Time zone",
        validators=[DataRequired()],
        default="America/Sao_Paulo",
        description="Where the engineer works from, e.g. America/Sao_Paulo; type to search.",
    )
    workday_start = HoursField("Working day starts", validators=[InputRequired()], default=time(9))
    workday_end = HoursField(
        "Working day ends",
        validators=[InputRequired(), different_hours("workday_start")],
        default=time(18),
        description="Local time. An end before the start runs past midnight.",
    )
    seniority = SelectField("Seniority", choices=SENIORITY_CHOICES, default="mid")
    years_experience = IntegerField(
        "Years of experience", validators=[InputRequired(), _rules("years_experience")]
    )
    english_level = SelectField("English level (CEFR)", choices=ENGLISH_CHOICES, default="B2")
    hourly_rate = MoneyField(
        "Hourly rate (USD)",
        validators=[InputRequired()],
        description="What the engineer is paid per hour. Never shown to clients.",
    )
    available_from = DateField(
        "Available from",
        validators=[Optional(), _rules("available_from")],
        description="Leave empty if available now.",
    )
    notes = TextAreaField(
        "Internal notes",
        validators=[Optional(), _rules("notes")],
        description="For agency staff only.",
    )
    submit = SubmitField("Save engineer")

    def to_input(self) -> EngineerInput:
        return EngineerInput(
            full_name=required(self.full_name.data),
            email=required(self.email.data),
            phone=self.phone.data,
            country=self.country.data,
            city=self.city.data,
            timezone=required(self.timezone.data),
            workday_start=required(self.workday_start.data),
            workday_end=required(self.workday_end.data),
            seniority=self.seniority.data,
            years_experience=required(self.years_experience.data),
            english_level=self.english_level.data,
            hourly_rate=required(self.hourly_rate.data),
            available_from=self.available_from.data,
            notes=self.notes.data,
        )


def _score_field(name: str) -> SelectField:
    return SelectField(SCORE_LABELS[name], coerce=optional_int, choices=SCORE_CHOICES)


class VettingForm(VersionedForm):
    """One step through the pipeline; the view sets the status choices."""

    status = SelectField("Move to")
    code_quality = _score_field("code_quality")
    system_design = _score_field("system_design")
    api_integration = _score_field("api_integration")
    communication = _score_field("communication")
    vetting_notes = TextAreaField("Vetting notes", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Record vetting step")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.status.data == VettingStatus.VETTED:
            for name in VETTING_SCORES:
                if self[name].data is None:
                    add_error(self[name], "Needed to mark the engineer vetted.")
                    valid = False
        return valid

    def to_input(self) -> VettingInput:
        return VettingInput(
            status=self.status.data,
            scores={name: self[name].data for name in VETTING_SCORES},
            notes=self.vetting_notes.data,
        )


class EngineerSkillForm(FlaskForm):
    """Add a skill to a profile, or change its level; the view sets the catalogue choices."""

    skill_id = SelectField("Skill", coerce=optional_int, validators=[Optional()])
    new_skill = StringField(
        "…or a new skill",
        validators=[Optional(), Length(max=NAME_MAX)],
        description="Typed names are added to the catalogue.",
    )
    level = IntegerField(
        "Level", validators=[InputRequired(LEVEL_MESSAGE), NumberRange(1, 5, LEVEL_MESSAGE)]
    )
    years = IntegerField(
        "Years",
        validators=[Optional(), NumberRange(0, MAX_YEARS, f"Years are from 0 to {MAX_YEARS}.")],
    )
    submit = SubmitField("Save skill")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.skill_id.data is None and not (self.new_skill.data or "").strip():
            add_error(self.skill_id, "Choose a skill from the catalogue or type a new one.")
            valid = False
        return valid


class SkillForm(FlaskForm):
    name = StringField("Skill", validators=[DataRequired(), Length(max=NAME_MAX)])
    category = StringField(
        "Category",
        validators=[Optional(), Length(max=CATEGORY_MAX)],
        render_kw={"list": "skill-categories", "autocomplete": "off"},
        description="e.g. ML frameworks, Cloud, LLM tooling",
    )
    submit = SubmitField("Add skill")


class SkillEditForm(SkillForm):
    submit = SubmitField("Save skill")
