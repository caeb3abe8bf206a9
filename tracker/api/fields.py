"""Marshmallow fields as strict as the published schema: what the schema allows is accepted,
what it does not is refused (no "43" for an integer, no 43.5, no "yes" for a boolean)."""

import re
from decimal import Decimal, InvalidOperation

from marshmallow import ValidationError, fields, validate

from tracker.services.field_rules import RuleError

MONEY_PATTERN = r"^\d{1,8}(\.\d{1,2})?$"


class Integer(fields.Integer):
    """A JSON integer; an integral number written as 43.0 is the same integer."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("Not a valid integer.")
        if isinstance(value, float) and not value.is_integer():
            raise ValidationError("Not a valid integer.")
        return super()._deserialize(int(value), attr, data, **kwargs)


class Boolean(fields.Boolean):
    """true or false, nothing that merely looks like one."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Not a valid boolean.")
        return value


# A text that is more than spaces (Python's \s, what str.strip() removes), without NUL.
NON_BLANK = "^[^\\x00]*[^\\s\\x00][^\\x00]*$"


class Text(fields.String):
    """A string without NUL characters (PostgreSQL cannot store them), trimmed once valid.

    Lengths are checked on the text as sent (what the published maxLength means), and a
    required text (a minimum length) must be more than spaces — published as a pattern, so
    the schema and the check agree."""

    def __init__(self, *args, strip: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.strip = strip
        if any(isinstance(v, validate.Length) and (v.min or 0) >= 1 for v in self.validators):
            self.validators.append(_not_blank)
            if "pattern" not in self.metadata:
                self.metadata = {**self.metadata, "pattern": NON_BLANK}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Text cannot contain NUL characters.")
        return text

    def deserialize(self, value, attr=None, data=None, **kwargs):
        text = super().deserialize(value, attr, data, **kwargs)
        return text.strip() if self.strip and isinstance(text, str) else text


def _not_blank(text: str) -> None:
    if not text.strip():
        raise ValidationError("Enter more than spaces.")


class Money(fields.String):
    """An amount in USD as a string with up to two decimals ("85.50"), read as a Decimal."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {"pattern": MONEY_PATTERN, "example": "85.00", **kwargs["metadata"]}
        super().__init__(*args, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{Decimal(value):.2f}"

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(MONEY_PATTERN, text):
            raise ValidationError("Enter an amount like 85 or 85.50.")
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValidationError("Enter an amount like 85 or 85.50.") from None


def rule(*rules):
    """A marshmallow validator from field rules (tracker.services.field_rules): one
    definition for the forms, the import and the API."""

    def validate(value) -> None:
        for check in rules:
            try:
                check(value)
            except RuleError as e:
                raise ValidationError(str(e)) from None

    return validate


class ClockTime(fields.Time):
    """A local time of day, "HH:MM"."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {"pattern": r"^([01]\d|2[0-3]):[0-5]\d$", **kwargs["metadata"]}
        kwargs.setdefault("format", "%H:%M")
        super().__init__(*args, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValidationError("Enter a time of day as HH:MM, e.g. 09:00.")
        return super()._deserialize(value, attr, data, **kwargs)


def country() -> "Text":
    """An ISO 3166 alpha-2 code, published as the list of codes."""
    from iso3166 import countries_by_alpha2

    return Text(
        required=True,
        validate=validate.OneOf(
            sorted(countries_by_alpha2), error="Enter an ISO 3166 country code (e.g. BR, MX, AR)."
        ),
        metadata={"description": "ISO 3166 alpha-2"},
    )


def timezone() -> "Text":
    """An IANA zone the app offers, published as the list of zones."""
    from tracker.services.timezones import selectable_timezones

    return Text(
        required=True,
        validate=validate.OneOf(
            selectable_timezones(),
            error="Use an IANA time zone name, e.g. America/Sao_Paulo or Europe/Berlin.",
        ),
        metadata={"description": "IANA time zone"},
    )


def email(**kwargs) -> "Text":
    """An e-mail address as the field rules take it (email-validator): RFC 5322, and not at a
    special-use name (.test, .local, …) — both published, so the schema and the rule agree."""
    import email_validator

    from tracker.services.field_rules import email_address

    special = "|".join(email_validator.SPECIAL_USE_DOMAIN_NAMES)
    return Text(
        validate=[validate.Length(3, 254), rule(email_address)],
        metadata={"format": "email", "not": {"pattern": f"(^|[@.])({special})$"}},
        **kwargs,
    )
