"""Form pieces shared by every blueprint: fields, validators, optimistic locking, and what no
request may carry.

Forms take IntegerField, DecimalField, DateField and FieldList from here, not from WTForms:
these refuse, with a message, the values WTForms lets through to crash a validator or the
database (1e309, sNaN, a 400-digit number, 9999-12-31, a row numbered '²').
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, TypeVar, cast

import wtforms
from flask import abort, request
from flask_wtf import FlaskForm
from iso3166 import countries
from markupsafe import Markup
from werkzeug import routing
from wtforms import HiddenField, StringField, TimeField, widgets
from wtforms.fields.choices import Choice  # type: ignore[attr-defined]  # (3.3; not in its stubs)
from wtforms.validators import Optional, StopValidation, ValidationError

from tracker.infra.passwords import password_problems
from tracker.models.base import MAX_ID
from tracker.services.field_rules import (
    Rule,
    RuleError,
    date_in_range,
    known_timezone,
    money,
    working_day,
)
from tracker.text import country_name

# The ISO 3166 countries (which codes exist), named as people say them in English (text.py).
COUNTRY_CHOICES = dict(
    sorted(((c.alpha2, country_name(c.alpha2)) for c in countries), key=lambda item: item[1])
)

# Whole numbers go into PostgreSQL integer columns (counts, levels, ids): up to 2**31 - 1.
MAX_INT = MAX_ID
# No decimal input (rates, hours, scores) comes near this; past it, it is a typo or an attack.
MAX_DECIMAL = Decimal(10**9)
# A rate needs no more; PostgreSQL's numeric overflows on a value like 1E-17000.
MAX_DECIMAL_PLACES = 10
# Text with a NUL byte: PostgreSQL stores no such text, and no person types one.
NUL_MESSAGE = (
    "The request contains a NUL character (\\x00), which no field accepts. "
    "Remove it and try again; nothing was saved."
)
# Endpoints that read nothing from the request: whatever is sent, they still work.
IGNORES_INPUT = frozenset({"auth.logout"})


T = TypeVar("T")


def required(value: T | None) -> T:
    """A field's value once the form validated it as required: never None there.

    Said out loud for the type checker, and a loud failure if a form's validators and the
    input it builds ever disagree, rather than a None written to a NOT NULL column.
    """
    if value is None:
        raise ValueError("a required field has no value: validate the form first")
    return value


def add_error(field: wtforms.Field, message: str) -> None:
    """Show a message under a field after validation (a rule the service checked)."""
    field.errors = [*field.errors, message]


def optional_int(value):
    """Coerce a select's value to int, '' and None to None."""
    return int(value) if value not in (None, "", "None") else None


def parse_id(text: str | None) -> int | None:
    """The row id a query or posted value names, or None when it names none.

    Only ASCII digits, 1 to MAX_ID: int() also takes '٣', ' 7 ', '+7', '1_0' and numbers no
    id column holds, which the database refuses to compare (a 500, not a "not found").
    Usable as `request.args.get("edit", type=parse_id)`.
    """
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


class IntegerConverter(routing.IntegerConverter):
    """`<int:…>` in URLs, up to MAX_ID: /clients/2147483648 is a 404 like any missing row.

    Werkzeug's own converter has no upper bound; the database then refused the id (a 500).
    """

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def refuse_nul_bytes() -> None:
    """before_request: answer 400 when the path, a query or form value, a key or a file name
    holds a NUL byte (PostgreSQL refuses such text: every form and search box was a 500)."""
    if request.endpoint in IGNORES_INPUT:
        return
    files = [(key, upload.filename or "") for key, upload in request.files.items(multi=True)]
    pairs = [*request.args.items(multi=True), *request.form.items(multi=True), *files]
    texts = [request.path, *(text for pair in pairs for text in pair)]
    if any("\x00" in text for text in texts):
        abort(400, NUL_MESSAGE)


class StrongPassword:
    """Field validator: the password rules of tracker.infra.passwords, in words."""

    def __init__(self, email_field: str | None = None):
        self.email_field = email_field

    def __call__(self, form, field):
        email = getattr(form, self.email_field).data if self.email_field else None
        if problems := password_problems(field.data or "", email=email):
            raise ValidationError(" ".join(problems))


def obeys(*rules: Rule):
    """A validator applying field rules of tracker.services.field_rules to the field's data,
    with their messages; an empty field is left to Optional / InputRequired."""

    def check(_form, field):
        if field.data is None or field.data == "":
            return
        for rule in rules:
            try:
                rule(field.data)
            except RuleError as e:
                raise ValidationError(str(e)) from None

    return check


# An IANA zone name the app offers, e.g. America/Sao_Paulo.
valid_timezone = obeys(known_timezone)


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


class _RenderedChoices:
    """One list of choices as HTML, made once: each <option> as WTForms renders it unselected
    and selected, and the value `coerce` makes of each (what the field's data is compared to)."""

    __slots__ = ("plain", "selected", "values")

    def __init__(self, field: "SelectField"):
        parsed = cast(Any, field)._choices_from_input(field.choices) or []
        if any(c.optgroup is not None for c in parsed):
            raise ValueError("option groups are rendered by WTForms")
        render: Any = widgets.Select.render_option  # WTForms 3.3's (choice), not the stubs'
        self.plain = [render(_choice(c, selected=False)) for c in parsed]
        self.selected = [render(_choice(c, selected=True)) for c in parsed]
        self.values = [field.coerce(c.value) for c in parsed]


def _choice(c, selected: bool) -> Choice:
    return Choice(value=c.value, label=c.label, selected=selected, render_kw=c.render_kw)


# Filter bars render the same dozens of options (skills, zones, countries, statuses) on every
# request; WTForms escapes and formats each one every time. Keyed by the coerce function and
# the choices themselves, so a changed catalogue gets entries of its own; bounded, since the
# catalogue can change.
_RENDERED: dict[tuple, _RenderedChoices] = {}
_RENDERED_MAX = 512


def _choices_key(field: "SelectField") -> tuple | None:
    """A hashable copy of plain choices ({value: label} or [(value, label)]), None for any
    other shape (groups, SelectChoice objects, render_kw): those go through WTForms."""
    choices = field.choices
    pairs: Iterable[tuple[Any, Any]]
    if isinstance(choices, dict):
        if not all(type(label) is str for label in choices.values()):
            return None
        pairs = choices.items()
    elif isinstance(choices, list | tuple):
        if not all(type(c) is tuple and len(c) == 2 for c in choices):
            return None
        pairs = choices
    else:
        return None
    # With the types: 1, 1.0 and True are equal keys but render differently.
    key = (field.coerce, tuple((type(v), v, type(label), label) for v, label in pairs))
    try:
        hash(key)
    except TypeError:
        return None
    return key


class _RenderedOnceSelect(widgets.Select):
    """WTForms' Select, with the options' HTML made once per list of choices."""

    def __call__(self, field, **kwargs):
        rendered = field.rendered_choices() if not self.multiple else None
        if rendered is None:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for k in dir(flags):
            if k in self.validation_attrs and k not in kwargs:
                kwargs[k] = getattr(flags, k)
        data = field.data
        options = [
            chosen if value == data else plain
            for plain, chosen, value in zip(
                rendered.plain, rendered.selected, rendered.values, strict=True
            )
        ]
        # Every piece is already Markup: the escaped attributes, the options made by WTForms.
        return Markup("<select {}>{}</select>").format(
            _select_params(field.name, kwargs), Markup("").join(options)
        )


_SELECT_PARAMS: dict[tuple, str] = {}


def _select_params(name: str, attributes: dict) -> str:
    """html_params of a select, kept: a template passes the same few attributes every time,
    and WTForms formats each one anew (tens of microseconds a select)."""
    key = (name, *sorted(attributes.items()))
    try:
        params = _SELECT_PARAMS.get(key)
    except TypeError:  # an unhashable attribute value
        return widgets.html_params(name=name, **attributes)
    if params is None:
        if len(_SELECT_PARAMS) >= _RENDERED_MAX:
            _SELECT_PARAMS.clear()
        params = _SELECT_PARAMS[key] = widgets.html_params(name=name, **attributes)
    return params


class SelectField(wtforms.SelectField):
    """WTForms' SelectField, rendered and checked from choices prepared once per process
    (the same HTML, the same selected option, the same "Not a valid choice.")."""

    widget = _RenderedOnceSelect()

    def rendered_choices(self) -> _RenderedChoices | None:
        """The prepared choices, or None when they must go through WTForms."""
        key = _choices_key(self)
        if key is None:
            return None
        rendered = _RENDERED.get(key)
        if rendered is None:
            try:
                rendered = _RenderedChoices(self)
            except (ValueError, TypeError):
                return None
            if len(_RENDERED) >= _RENDERED_MAX:
                _RENDERED.clear()
            _RENDERED[key] = rendered
        return rendered

    def pre_validate(self, form):
        rendered = None
        if not self.process_errors and self.validate_choice and self.choices is not None:
            rendered = self.rendered_choices()
        if rendered is None:
            super().pre_validate(form)
        elif not any(value == self.data for value in rendered.values):
            raise ValidationError(
                getattr(self, "invalid_choice_message", None) or self.gettext("Not a valid choice.")
            )


class CountryField(SelectField):
    """ISO 3166 alpha-2 countries by name."""

    def __init__(self, label=None, validators=None, blank: str | None = None, **kwargs):
        choices = {"": blank, **COUNTRY_CHOICES} if blank else COUNTRY_CHOICES
        super().__init__(label, validators, choices=choices, **kwargs)


class HoursField(TimeField):
    """A local time of day, HH:MM."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format="%H:%M", **kwargs)


class _Parsed(wtforms.Field):
    """A field typed as text and parsed: when the text does not parse, its one message says so.

    WTForms runs the validators anyway, on no data; a NumberRange would add a second,
    misleading message. A blank value is left to Optional / InputRequired as usual.
    """

    def pre_validate(self, form):
        super().pre_validate(form)
        if self.process_errors and self.raw_data and str(self.raw_data[0]).strip():
            raise StopValidation()


class IntegerField(_Parsed, wtforms.IntegerField):
    """A whole number an integer column holds (±MAX_INT).

    WTForms takes any length: NumberRange then fails on one too big for a float (OverflowError)
    and the database on one past 2**31 - 1.
    """

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and abs(self.data) > MAX_INT:
            message = "Enter a smaller number." if self.data > 0 else "Enter a larger number."
            self.data = None
            raise ValueError(message)


class DecimalField(_Parsed, wtforms.DecimalField):
    """A finite decimal number below MAX_DECIMAL, to at most MAX_DECIMAL_PLACES places.

    Decimal() takes 'NaN', 'sNaN', 'Infinity' and '1e309': NumberRange fails on them
    (math.isnan raises on sNaN), and arithmetic on them raises (InvalidOperation).
    """

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is None:
            return
        if not self.data.is_finite():
            self.data = None
            raise ValueError("Enter a number.")
        if abs(self.data) >= MAX_DECIMAL:
            self.data = None
            raise ValueError("Enter a smaller number.")
        exponent = self.data.as_tuple().exponent  # an int for every finite number
        if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
            self.data = self.data.quantize(Decimal(1).scaleb(-MAX_DECIMAL_PLACES))


class DateField(_Parsed, wtforms.DateField):
    """A calendar date from EARLIEST_DATE to LATEST_DATE.

    WTForms takes 0001-01-01 to 9999-12-31; a placement starting 9999-12-31 had no room for
    its first iteration (OverflowError), nor a filter "to 9999-12-31" for its day after.
    """

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            try:
                date_in_range(self.data)
            except RuleError as e:
                self.data = None
                raise ValueError(str(e)) from None


class FieldList(wtforms.FieldList):
    """Rows of a sub-form, numbered by ASCII digits only.

    WTForms numbers a row by any key part passing str.isdigit(), which '²' does, then int()
    fails: a forged `skill_rows-²-skill_id` was a 500. Such keys are ignored, like any other
    key that is not a row of the list.
    """

    _field_separator: str  # set by wtforms.FieldList.__init__

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) <= len(str(MAX_INT)):
                    yield int(index)


class MoneyField(DecimalField):
    """USD with cents; never negative, and no more than a money column holds."""

    def __init__(self, label=None, validators=None, **kwargs):
        validators = [*(validators or [Optional()]), obeys(money)]
        super().__init__(label, validators, places=2, **kwargs)


def different_hours(start_field: str):
    """Validator for an end time: not equal to the start (a window past midnight is fine)."""

    def check(form, field):
        start = getattr(form, start_field).data
        if start is not None and field.data is not None:
            try:
                working_day(start, field.data)
            except RuleError as e:
                raise ValidationError(str(e)) from None

    return check


class VersionedForm(FlaskForm):
    """A form for editing a record two people may edit at once: it carries the version."""

    version_id = HiddenField()
