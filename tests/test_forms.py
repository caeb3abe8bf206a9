"""The shared form fields of tracker.forms: what they refuse, and in which words."""

from datetime import date
from decimal import Decimal

import pytest
import wtforms
from werkzeug.datastructures import MultiDict
from wtforms import Form, FormField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from tests.conftest import selected_values
from tracker.forms import (
    MAX_ID,
    DateField,
    DecimalField,
    FieldList,
    IntegerField,
    MoneyField,
    SelectField,
    optional_int,
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


# --- selects: options rendered once per list of choices (SelectField) ------------------------


def select_form(choices, coerce=str, field=SelectField):
    """A form with one select `pick` of these choices, as a filter bar builds one."""

    class Picker(Form):
        pick = field("Pick", coerce=coerce, validators=[Optional()])

    def make(**data) -> Form:
        form = Picker(MultiDict(data))
        form.pick.choices = choices
        return form

    return make


SKILLS = {"": "Any skill", "3": "PyTorch", "7": 'R&D <lab> "quoted"', "12": "Go"}


@pytest.mark.parametrize(
    ("choices", "coerce", "submitted"),
    [
        (SKILLS, optional_int, {}),
        (SKILLS, optional_int, {"pick": "7"}),
        (SKILLS, optional_int, {"pick": ""}),
        ([("a", "Ann"), ("b", "Bo & Co")], str, {"pick": "b"}),
        ([(1, "One"), (2, "Two")], int, {"pick": "2"}),
        ({"x": "Only"}, str, {"pick": "not offered"}),
    ],
)
def test_a_select_renders_as_wtforms_does(choices, coerce, submitted):
    ours = select_form(choices, coerce)(**submitted)
    theirs = select_form(choices, coerce, wtforms.SelectField)(**submitted)
    for _ in range(2):  # the second rendering comes from the kept options
        assert str(ours.pick(class_="form-select")) == str(theirs.pick(class_="form-select"))
        assert ours.validate() == theirs.validate()
        assert ours.errors == theirs.errors


def test_the_selected_option_follows_each_submitted_value():
    make = select_form(SKILLS, optional_int)
    assert selected_values(str(make(pick="3").pick()), "pick") == ["3"]
    assert selected_values(str(make(pick="12").pick()), "pick") == ["12"]
    assert selected_values(str(make().pick()), "pick") == [""]  # None: "Any skill"
    assert selected_values(str(make(pick="3").pick()), "pick") == ["3"]


def test_changed_choices_are_rendered_and_checked_not_served_from_the_old_ones():
    before = {"": "Any skill", "3": "PyTorch"}
    page = str(select_form(before, optional_int)().pick())
    assert "PyTorch" in page
    assert "Rust" not in page
    assert not select_form(before, optional_int)(pick="9").validate()

    added = {**before, "9": "Rust"}
    form = select_form(added, optional_int)(pick="9")
    assert form.validate()
    assert selected_values(str(form.pick()), "pick") == ["9"]

    renamed = {**before, "3": "PyTorch 2"}
    assert ">PyTorch 2</option>" in str(select_form(renamed, optional_int)().pick())
    assert ">PyTorch</option>" in str(select_form(before, optional_int)().pick())


def test_the_same_choices_with_another_coerce_are_kept_apart():
    """The kept options carry their coerced values: 2 for int (the data is 2), "2" for str
    (the data is "2"); options kept for one coerce would select nothing for the other."""
    choices = [(1, "One"), (2, "Two")]
    assert selected_values(str(select_form(choices, int)(pick="2").pick()), "pick") == ["2"]
    assert selected_values(str(select_form(choices, str)(pick="2").pick()), "pick") == ["2"]
    as_text = select_form(choices, str)(pick="3")
    assert not as_text.validate()


def test_a_skill_added_to_the_catalogue_is_offered_and_selected_on_the_roster(client, auth, make):
    make.engineer(skills={"PyTorch": 4})
    auth.login_as("account_manager")
    page = client.get("/engineers/").text
    assert "PyTorch" in page
    assert "Rust" not in page

    rust = make.skill("Rust")

    page = client.get(f"/engineers/?skill_id={rust.id}").text
    assert ">Rust</option>" in page
    assert selected_values(page, "skill_id") == [str(rust.id)]
    pytorch = make.skill("PyTorch")
    page = client.get(f"/engineers/?skill_id={pytorch.id}").text
    assert selected_values(page, "skill_id") == [str(pytorch.id)]
