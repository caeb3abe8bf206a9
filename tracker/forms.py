"""Form pieces shared by every blueprint: fields, validators, optimistic locking."""

from decimal import Decimal

from flask_wtf import FlaskForm
from iso3166 import countries
from wtforms import DecimalField, HiddenField, SelectField, StringField, TimeField
from wtforms.validators import NumberRange, Optional, ValidationError

from tracker.services.passwords import password_problems
from tracker.services.timezones import is_valid_timezone

COUNTRY_CHOICES = {c.alpha2: c.apolitical_name for c in sorted(countries, key=lambda c: c.name)}


def optional_int(value):
    """Coerce a select's value to int, '' and None to None."""
    return int(value) if value not in (None, "", "None") else None


class StrongPassword:
    """Field validator: the password rules of tracker.services.passwords, in words."""

    def __init__(self, email_field: str | None = None):
        self.email_field = email_field

    def __call__(self, form, field):
        email = getattr(form, self.email_field).data if self.email_field else None
        if problems := password_problems(field.data or "", email=email):
            raise ValidationError(" ".join(problems))


def valid_timezone(_form, field):
    """An IANA zone name the app offers, e.g. America/Sao_Paulo."""
    if field.data and not is_valid_timezone(field.data):
        raise ValidationError(
            f"“{field.data}” is not a time zone we know. Pick one from the list, "
            "e.g. America/New_York or Europe/Berlin."
        )


class TimezoneField(StringField):
    """A type-ahead over the IANA zones (templates include the _timezones datalist)."""

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"list": "iana-zones", "autocomplete": "off", "spellcheck": "false"}
        render_kw.update(kwargs.pop("render_kw", {}) or {})
        super().__init__(
            label, [*(validators or []), valid_timezone], render_kw=render_kw, **kwargs
        )

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip() or None


class CountryField(SelectField):
    """ISO 3166 alpha-2 countries by name."""

    def __init__(self, label=None, validators=None, blank: str | None = None, **kwargs):
        choices = {"": blank, **COUNTRY_CHOICES} if blank else COUNTRY_CHOICES
        super().__init__(label, validators, choices=choices, **kwargs)


class HoursField(TimeField):
    """A local time of day, HH:MM."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%H:%M", **kwargs)


class MoneyField(DecimalField):
    """USD with cents; never negative."""

    def __init__(self, label=None, validators=None, **kwargs):
        validators = [
            *(validators or [Optional()]),
            NumberRange(min=Decimal(0), message="Enter an amount of zero or more."),
        ]
        super().__init__(label, validators, places=2, **kwargs)


def different_hours(start_field: str):
    """Validator for an end time: not equal to the start (a window past midnight is fine)."""

    def check(form, field):
        start = getattr(form, start_field).data
        if start is not None and field.data is not None and start == field.data:
            raise ValidationError("The end of the working day must differ from its start.")

    return check


class VersionedForm(FlaskForm):
    """A form for editing a record two people may edit at once: it carries the version."""

    version_id = HiddenField()
