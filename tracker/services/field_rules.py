"""Field rules: what a value must be before it is stored, one definition for every door.

A rule takes a value already read into its type (str, int, Decimal, date) and raises RuleError
with the message a person reads. The pages apply rules through WTForms (`tracker.forms.obeys`),
the CSV import after reading a cell, the API to come after decoding its JSON, and the services
check them once more, so no door accepts what another refuses and all say it the same way.

Emptiness is each door's own business (Optional / InputRequired on a form, an empty cell in a
file): a rule is only called with a value. How text becomes a value (a date input, a select, a
cell) also stays with each door; only its format errors differ between them.
"""

import re
from collections.abc import Callable, Iterable
from datetime import date, time
from decimal import Decimal
from typing import Any

from email_validator import EmailNotValidError, validate_email
from iso3166 import countries_by_alpha2

from tracker.models.base import MAX_MONEY
from tracker.models.engineer import VETTING_SCORES
from tracker.models.enums import EnglishLevel, Seniority
from tracker.services.timezones import is_valid_timezone

Rule = Callable[[Any], None]

# Dates people enter (starts, ends, availability, filters): anything outside is a typo, and
# date arithmetic near 9999-12-31 overflows.
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2100, 12, 31)
DATE_RANGE_MESSAGE = f"Enter a date between {EARLIEST_DATE.year} and {LATEST_DATE.year}."
MAX_YEARS = 60
CENTS = Decimal("0.01")
PHONE = re.compile(r"\+?[\d\s().-]{6,}")
PHONE_MESSAGE = "Digits, spaces and + ( ) - only, e.g. +55 11 91234-5678."
EMAIL_MESSAGE = "Enter an email address like ana@example.com."
SAME_HOURS_MESSAGE = "The end of the working day must differ from its start."


class RuleError(ValueError):
    """A value breaks a field rule; the message says what to enter instead."""


def max_length(limit: int) -> Rule:
    def rule(text: str) -> None:
        if len(text) > limit:
            raise RuleError(f"Field cannot be longer than {limit} characters.")

    return rule


def matches(pattern: re.Pattern, message: str) -> Rule:
    def rule(text: str) -> None:
        if not pattern.fullmatch(text):
            raise RuleError(message)

    return rule


def between(low: int, high: int, message: str) -> Rule:
    def rule(number: int) -> None:
        if not low <= number <= high:
            raise RuleError(message)

    return rule


def one_of(values: Iterable[str], message: str) -> Rule:
    allowed = frozenset(values)

    def rule(value: str) -> None:
        if value not in allowed:
            raise RuleError(message)

    return rule


def date_in_range(value: date) -> None:
    """A date people enter: EARLIEST_DATE to LATEST_DATE."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise RuleError(DATE_RANGE_MESSAGE)


def money(value: Decimal | int) -> None:
    """USD in dollars and cents: zero or more, at most what a money column holds."""
    value = Decimal(value)
    if value < 0:
        raise RuleError("Enter an amount of zero or more.")
    if value > MAX_MONEY:
        raise RuleError(f"Enter an amount up to {MAX_MONEY:,}.")
    if value != value.quantize(CENTS):
        raise RuleError("Enter an amount in dollars and cents, at most 2 decimals (e.g. 45.50).")


def email_address(text: str) -> None:
    """An address mail can be sent to, checked as WTForms' Email() checks it (no DNS)."""
    if len(text) > 254:
        raise RuleError("Field cannot be longer than 254 characters.")
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise RuleError(EMAIL_MESSAGE) from None


def known_timezone(name: str) -> None:
    if not is_valid_timezone(name):
        shown = name if len(name) <= 40 else name[:39] + "…"
        raise RuleError(
            f"“{shown}” is not a time zone we know; use an IANA zone name, "
            "e.g. America/Sao_Paulo or Europe/Berlin."
        )


def country_code(code: str) -> None:
    if code not in countries_by_alpha2:
        shown = code if len(code) <= 40 else code[:39] + "…"
        raise RuleError(f"“{shown}” is not an ISO 3166 country code (e.g. BR, MX, AR).")


def working_day(start: time, end: time) -> None:
    """A working window: any start and end but the same (an end before the start runs past
    midnight)."""
    if start == end:
        raise RuleError(SAME_HOURS_MESSAGE)


# The profile of an engineer, field by field: the engineer form, the CSV import and the
# service (hence the API) apply exactly these. workday_end is also checked against its start
# (working_day).
ENGINEER_RULES: dict[str, tuple[Rule, ...]] = {
    "full_name": (max_length(120),),
    "email": (email_address,),
    "phone": (max_length(32), matches(PHONE, PHONE_MESSAGE)),
    "country": (country_code,),
    "city": (max_length(80),),
    "timezone": (known_timezone,),
    "seniority": (one_of(Seniority.values(), "Seniority is junior, mid or senior."),),
    "years_experience": (between(0, MAX_YEARS, f"Years of experience are from 0 to {MAX_YEARS}."),),
    "english_level": (
        one_of(EnglishLevel.values(), "The English level is one of A1, A2, B1, B2, C1 or C2."),
    ),
    "hourly_rate": (money,),
    "available_from": (date_in_range,),
    "notes": (max_length(5000),),
    **{score: (between(1, 5, "A vetting score is from 1 to 5."),) for score in VETTING_SCORES},
}


def first_problem(rules: Iterable[Rule], value: Any) -> str | None:
    """The message of the first rule the value breaks, or None."""
    for rule in rules:
        try:
            rule(value)
        except RuleError as e:
            return str(e)
    return None


def engineer_problems(values: dict[str, Any]) -> dict[str, str]:
    """Field -> message for every engineer field whose value (when given) breaks a rule."""
    problems = {}
    for name, value in values.items():
        if value is None or value == "" or name not in ENGINEER_RULES:
            continue
        if message := first_problem(ENGINEER_RULES[name], value):
            problems[name] = message
    start, end = values.get("workday_start"), values.get("workday_end")
    if start is not None and end is not None:
        try:
            working_day(start, end)
        except RuleError as e:
            problems["workday_end"] = str(e)
    return problems
