"""Client forms: the filter bar, the create/edit form, and portal invitations."""

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.forms import (
    CountryField,
    HoursField,
    IntegerField,
    TimezoneField,
    VersionedForm,
    different_hours,
    obeys,
    optional_int,
    required,
)
from tracker.services.clients import (
    DEFAULT_PAYMENT_TERMS_DAYS,
    MAX_PAYMENT_TERMS_DAYS,
    ClientFilters,
    ClientInput,
    payment_terms,
)
from tracker.services.field_rules import email_address


class ClientFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    q = StringField("Search", validators=[Optional(), Length(max=100)])
    country = CountryField("Country", blank="All countries", validators=[Optional()])
    account_manager_id = SelectField(
        "Account manager", coerce=optional_int, validators=[Optional()]
    )
    show = SelectField(
        "Show", choices={"active": "Active", "archived": "Archived"}, default="active"
    )

    def to_filters(self) -> ClientFilters:
        return ClientFilters(
            q=self.q.data or None,
            country=self.country.data or None,
            account_manager_id=self.account_manager_id.data,
            archived=self.show.data == "archived",
        )


class ClientForm(VersionedForm):
    name = StringField("Company name", validators=[DataRequired(), Length(max=120)])
    industry = StringField("Industry", validators=[Optional(), Length(max=80)])
    country = CountryField("Country", validators=[DataRequired()], default="US")
    timezone = TimezoneField(
        "Time zone",
        validators=[DataRequired()],
        description="The team's IANA zone, e.g. America/New_York; type to search.",
    )
    workday_start = HoursField("Working day starts", validators=[InputRequired()])
    workday_end = HoursField(
        "Working day ends",
        validators=[InputRequired(), different_hours("workday_start")],
        description="Local time. An end before the start runs past midnight.",
    )
    account_manager_id = SelectField("Account manager", coerce=optional_int)
    payment_terms_days = IntegerField(
        "Payment terms (days)",
        default=DEFAULT_PAYMENT_TERMS_DAYS,
        validators=[Optional(), obeys(payment_terms)],
        render_kw={"min": 0, "max": MAX_PAYMENT_TERMS_DAYS, "inputmode": "numeric"},
        description=(
            f"Days from an invoice's issue date to its due date "
            f"({DEFAULT_PAYMENT_TERMS_DAYS} if empty)."
        ),
    )
    notes = TextAreaField("Internal notes", validators=[Optional(), Length(max=5000)])
    submit = SubmitField("Save client")

    def to_input(self) -> ClientInput:
        return ClientInput(
            name=required(self.name.data),
            industry=self.industry.data,
            country=self.country.data,
            timezone=required(self.timezone.data),
            workday_start=required(self.workday_start.data),
            workday_end=required(self.workday_end.data),
            account_manager_id=self.account_manager_id.data,
            notes=self.notes.data,
            payment_terms_days=(
                DEFAULT_PAYMENT_TERMS_DAYS
                if self.payment_terms_days.data is None
                else self.payment_terms_days.data
            ),
        )


class InviteForm(FlaskForm):
    """A client's person to give portal access: they choose their password from the e-mail."""

    name = StringField(
        "Name", validators=[DataRequired("Enter the person's name."), Length(max=120)]
    )
    email = EmailField(
        "Email",
        validators=[DataRequired("Enter their email address."), obeys(email_address)],
        description="They receive a link to choose their password; no password is e-mailed.",
    )
    submit = SubmitField("Send invitation")
