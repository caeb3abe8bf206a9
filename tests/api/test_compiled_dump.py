"""The API's compiled dumper (tracker.api.core.compiled_dump) answers what marshmallow's own
schema.dump does, for the API's schemas and for every kind of field they could use."""

import enum
from datetime import UTC, date, datetime, time
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import g
from marshmallow import Schema, fields, post_dump

from tracker.api.billing import InvoiceSchema, PayStatementPage
from tracker.api.core import _compiled, compiled_dump
from tracker.api.engineers import EngineerSchema


def assert_same_dump(schema_class: type[Schema], obj, **options) -> None:
    """The compiled dump equals a fresh schema's own, for one object and for a list, twice
    (the second time from the plan made on first use)."""
    assert _compiled(schema_class(**options)) is not None  # not handed back to marshmallow
    compiled = compiled_dump(schema_class(**options))
    expected = schema_class(**options).dump(obj)
    for _ in range(2):
        assert compiled(obj) == expected
        assert compiled([obj, obj], many=True) == [expected, expected]


def invoice_line(n: int, **kw) -> SimpleNamespace:
    values = dict(
        id=n,
        position=n,
        placement_id=10 + n,
        placement=SimpleNamespace(engineer_id=20 + n, client_id=30),
        credits_line_id=None,
        description=f"Ana Souza — ML engineer <{n}> & co",
        first_day=date(2026, 2, 2),
        last_day=date(2026, 2, 27),
        hours=Decimal("151.25"),
        rate=Decimal("90"),
        amount=Decimal("13612.50"),
    )
    return SimpleNamespace(**{**values, **kw})


def invoice(**kw) -> SimpleNamespace:
    values = dict(
        id=7,
        client_id=3,
        kind="invoice",
        credits_invoice_id=None,
        number=None,  # a draft
        period_start=date(2026, 2, 1),
        period_end=date(2026, 2, 28),
        status="draft",
        issued_on=None,
        due_on=None,
        paid_on=None,
        total=Decimal("27225.00"),
        currency="USD",
        note=None,
        lines=[invoice_line(1), invoice_line(2, credits_line_id=4, amount=Decimal("-12.5"))],
        version_id=1,
        created_at=datetime(2026, 3, 2, 13, 5, 7, 123456, tzinfo=UTC),
        updated_at=datetime(2026, 3, 2, 13, 5, 7, tzinfo=UTC),
    )
    return SimpleNamespace(**{**values, **kw})


@pytest.mark.parametrize(
    "obj",
    [
        invoice(),
        invoice(
            number="INV-2026-0012",
            status="paid",
            issued_on=date(2026, 3, 16),
            due_on=date(2026, 4, 15),
            paid_on=date(2026, 4, 2),
            note="Goodwill: onboarding week",
            version_id=3,
        ),
        invoice(lines=[]),
    ],
    ids=["draft", "paid", "no lines"],
)
def test_an_invoice_with_its_lines_dumps_as_marshmallow_does(obj):
    assert_same_dump(InvoiceSchema, obj)


def test_a_page_of_statements_dumps_as_marshmallow_does():
    statement = SimpleNamespace(
        id=1,
        engineer_id=5,
        number="PAY-2026-0001",
        period_start=date(2026, 1, 1),
        period_end=date(2026, 1, 31),
        status="issued",
        issued_on=date(2026, 2, 16),
        paid_on=None,
        total=Decimal("8000"),
        currency="USD",
        lines=[invoice_line(1)],
        version_id=2,
        created_at=datetime(2026, 2, 16, 13, tzinfo=UTC),
        updated_at=datetime(2026, 2, 16, 15, tzinfo=UTC),
    )
    assert_same_dump(PayStatementPage, {"data": [statement, statement], "next": None})
    assert_same_dump(PayStatementPage, {"data": [], "next": "/api/v1/pay-statements?cursor=x"})


def test_an_engineer_from_the_database_dumps_as_marshmallow_does(app, make):
    """An ORM object: its columns, a custom get_value (the ranked skills), nested skills
    read through a relationship, Money, clock times, and fields that ask who is reading."""
    engineer = make.engineer(
        skills={"PyTorch": 5, "Kubernetes": 3}, city=None, phone=None, notes="Likes Rust"
    )
    bare = make.engineer(available_from=None, vetted_at=None, vetting_status="sourced")
    for role in ("admin", "client"):
        with app.test_request_context("/api/v1/engineers"):
            g.api_user = make.user(role=role)
            assert_same_dump(EngineerSchema, engineer)
            assert_same_dump(EngineerSchema, bare)


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Tag(Schema):
    name = fields.String()
    weight = fields.Float(allow_none=True)


class Hooked(Schema):
    """A post_dump hook: compiled_dump leaves this schema to marshmallow."""

    name = fields.String()

    @post_dump
    def shout(self, data, **kwargs):
        return {**data, "name": (data.get("name") or "").upper()}


class Renamed(fields.String):
    """A field with a serialize of its own."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return f"<{super().serialize(attr, obj, accessor, **kwargs)}>"


class Everything(Schema):
    """Fields of each kind; those reading another's attribute are dump-only (marshmallow
    refuses two loads into one attribute)."""

    id = fields.Integer()
    id_text = fields.Integer(as_string=True, attribute="id", dump_only=True)
    count = fields.Integer()  # given as text: int("7")
    label = fields.String(data_key="title")
    raw_bytes = fields.String()
    client_name = fields.String(attribute="client.name")
    missing_one = fields.String()
    defaulted = fields.String(dump_default="none given")
    default_by_call = fields.List(fields.Integer(), dump_default=list)
    amount = fields.Decimal(places=2, as_string=True, allow_none=True)
    exact = fields.Decimal()
    ratio = fields.Float(allow_none=True)
    flag = fields.Boolean(allow_none=True)
    day = fields.Date(allow_none=True)
    day_text = fields.Date(format="%d/%m/%Y", attribute="day", dump_only=True)
    at = fields.DateTime(allow_none=True)
    at_epoch = fields.DateTime(format="timestamp", attribute="at", dump_only=True)
    opens = fields.Time(format="%H:%M", allow_none=True)
    colour = fields.Enum(Colour, allow_none=True)
    numbers = fields.List(fields.Integer(allow_none=True), allow_none=True)
    extra = fields.Dict(allow_none=True)
    anything = fields.Raw(allow_none=True)
    tag = fields.Nested(Tag, allow_none=True)
    tags = fields.List(fields.Nested(Tag), allow_none=True)
    tag_names = fields.Pluck(Tag, "name", many=True, attribute="tags", dump_only=True)
    many_tags = fields.Nested(Tag, many=True, only=("name",), attribute="tags", dump_only=True)
    hooked = fields.Nested(Hooked, allow_none=True)
    shown = Renamed(attribute="label", dump_only=True)
    initials = fields.Function(lambda o: "".join(w[0] for w in _read(o, "label").split()))
    upper = fields.Method("label_upper")

    def label_upper(self, obj) -> str:
        return _read(obj, "label").upper()


def _read(obj, name: str):
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def everything(**kw) -> dict:
    values = dict(
        id=12,
        count="7",
        label="Ana Souza",
        raw_bytes=b"bytes \xc3\xa9",
        client=SimpleNamespace(name="Acme & Sons"),
        amount=Decimal("1234.5"),
        exact=Decimal("0.1250"),
        ratio=0.25,
        flag=False,
        day=date(2026, 3, 4),
        at=datetime(2026, 3, 4, 9, 30, tzinfo=UTC),
        opens=time(9),
        colour=Colour.BLUE,
        numbers=[1, None, 3],
        extra={"a": 1, "b": [2]},
        anything=("x", 1),
        tag={"name": "ML", "weight": None},
        tags=[{"name": "ML", "weight": 1.5}, SimpleNamespace(name="Ops", weight=None)],
        hooked={"name": "kept"},
    )
    return {**values, **kw}


NONES = dict(
    amount=None,
    ratio=None,
    flag=None,
    day=None,
    at=None,
    opens=None,
    colour=None,
    numbers=None,
    extra=None,
    anything=None,
    tag=None,
    hooked=None,
)


@pytest.mark.parametrize(
    "obj",
    [
        everything(),
        everything(**NONES),
        SimpleNamespace(**everything()),
        SimpleNamespace(**everything(**NONES)),
    ],
    ids=["dict", "dict with nones", "object", "object with nones"],
)
def test_every_kind_of_field_dumps_as_marshmallow_does(obj):
    assert_same_dump(Everything, obj)
    assert_same_dump(Everything, obj, only=("id", "label", "tags", "client_name"))
    assert_same_dump(Everything, obj, exclude=("hooked", "upper"))


def test_a_schema_with_a_hook_is_dumped_by_marshmallow_itself():
    assert _compiled(Hooked()) is None
    dumped = compiled_dump(Hooked())({"name": "quiet"})
    assert dumped == {"name": "QUIET"}
