"""The shared form fields of tracker.forms: what they refuse, and in which words."""

from datetime import date
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, FormField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from tracker.forms import (
    MAX_ID,
    DateField,
    DecimalField,
    FieldList,
    IntegerField,
    MoneyField,
    parse_id,
)


class Numbers(Form):
    count = IntegerField(validators=[Optional(), NumberRange(0, 10, "From 0 to 10.")])
    amount = DecimalField(validators=[Optional(), NumberRange(0, 24, "From 0 to 24.")])
    rate = MoneyField()
    day = DateField(validators=[Optional()])


def errors_for(**data) -> dict[str, list[str]]:
    form = Numbers(MultiDict(data))
    form.validate()
    return form.errors


@pytest.mark.parametrize(
    ("field", "value", "errors"),
    [
        ("count", "9" * 400, ["Enter a smaller number."]),  # was OverflowError in NumberRange
        ("count", str(2**31), ["Enter a smaller number."]),
        ("count", str(-(2**31)), ["Enter a larger number."]),
        ("count", "abc", ["Not a valid integer value."]),  # one message, not the range too
        ("count", "11", ["From 0 to 10."]),
        ("amount", "sNaN", ["Enter a number."]),  # was ValueError in NumberRange
        ("amount", "NaN", ["Enter a number."]),
        ("amount", "-Infinity", ["Enter a number."]),
        ("amount", "1e309", ["Enter a smaller number."]),
        ("amount", "25", ["From 0 to 24."]),
        ("rate", "100000000", ["Enter an amount up to 99,999,999.99."]),
        ("rate", "-1", ["Enter an amount of zero or more."]),
        ("day", "9999-12-31", ["Enter a date between 2000 and 2100."]),
        ("day", "1999-12-31", ["Enter a date between 2000 and 2100."]),
    ],
)
def test_numbers_and_dates_no_one_means_are_refused_in_words(field, value, errors):
    assert errors_for(**{field: value}) == {field: errors}


def test_sane_values_pass_and_blank_ones_are_left_to_optional():
    form = Numbers(MultiDict({"count": "7", "amount": "4.5", "rate": "99999999.99", "day": ""}))
    assert form.validate(), form.errors
    assert (form.count.data, form.amount.data, form.rate.data, form.day.data) == (
        7,
        Decimal("4.5"),
        Decimal("99999999.99"),
        None,
    )
    dated = Numbers(MultiDict({"day": "2100-12-31"}))
    assert dated.validate()
    assert dated.day.data == date(2100, 12, 31)


def test_a_required_number_left_blank_says_so_once():
    class Required(Form):
        count = IntegerField(validators=[InputRequired("Give a count."), NumberRange(1, 5)])

    form = Required(MultiDict({"count": ""}))
    assert not form.validate()
    assert form.errors == {"count": ["Give a count."]}


def test_decimal_places_past_what_any_column_keeps_are_rounded_away():
    """PostgreSQL's numeric overflows on 1E-17000; no rate needs more than ten places."""
    form = Numbers(MultiDict({"amount": "1E-17000"}))
    assert form.validate()
    assert form.amount.data == 0
    assert form.amount.data.as_tuple().exponent == -10


class Row(Form):
    name = StringField()


class Rows(Form):
    rows = FieldList(FormField(Row), max_entries=5)


def test_rows_are_numbered_by_ascii_digits_only():
    """'²' and '٣' pass str.isdigit(): WTForms took them for row numbers, then int() failed."""
    data = {"rows-0-name": "a", "rows-²-name": "b", "rows-٣-name": "c", "rows-1e3-name": "d"}
    form = Rows(MultiDict(data | {"rows-" + "9" * 5000 + "-name": "e", "rows-2-name": "f"}))
    assert [row.form.name.data for row in form.rows] == ["a", "f"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),
        (" 7 ", 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        ("9" * 5000, None),
        ("0", None),
        ("-1", None),
        ("+7", None),
        ("1_0", None),
        ("²", None),
        ("٣", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_id_reads_only_ids_a_row_can_have(text, expected):
    assert parse_id(text) == expected
