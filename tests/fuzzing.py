"""Machinery of the form fuzz tests: hostile values per field type, fields read off WTForms.

`fields_of(FormClass)` turns a form into FieldSpecs (name as posted, kind, limits); each kind has
a strategy of plausible values and one of hostile values. `form_data(...)` draws a whole
submission: all fields plausible, one hostile, or chaos (any mix, some missing, extra ones).
"""

import csv
import io
import itertools
import logging
import os
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode, urlsplit

import pytest
from flask_wtf.file import FileField as FlaskFileField
from hypothesis import strategies as st
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    EmailField,
    FieldList,
    FileField,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SubmitField,
    TimeField,
)
from wtforms.fields.core import UnboundField
from wtforms.validators import Length, NumberRange

from tracker.forms import COUNTRY_CHOICES, CountryField, MoneyField, TimezoneField
from tracker.services.engineer_csv import COLUMNS, SCORE_COLUMNS

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))

# What an attacker stores; MARKERS are the parts that only exist when it was not escaped
# (escaping turns every < and > into &lt; &gt;, so none of them survives).
XSS_PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "javascript:alert(1)//<script>alert(1)</script>",
)
MARKERS = ("<script>alert(1)</script>", "onerror=alert(1)>", "<svg onload=alert(1)>")
SQLISH = (
    "' OR 1=1 --",
    "'; DROP TABLE client; --",
    '" OR ""="',
    "%",
    "_",
    "\\",
    "%_\\%",
    "' UNION SELECT password_hash FROM user_account --",
)
UNICODE = (
    "São Paulo",
    "Zürich",
    "İstanbul",
    "straße",
    "مرحبا بالعالم",
    "שלום עולם",
    "\u202eevil\u202c",
    "🚀👩🏽‍💻🇧🇷",
    "日本語のテキスト",
    "Ω≈ç√∫",
    "\u200b\u200d\ufeff",
    "Ｆｕｌｌｗｉｄｔｈ",
    "e\u0301\u0301\u0301",
    "{{ 7*7 }} {% raw %}",
)
CONTROL = ("\x01\x02\x1b[31m", "line\r\nbreak", "\t\v\f", "\x7f\x85")
NUMBER_GARBAGE = (
    "",
    " ",
    "-1",
    "0",
    "1.5",
    "1,5",
    " 7 ",
    "+5",
    "1_000",
    "0x1F",
    "٣",
    "²",
    "1e309",
    "-1e309",
    "NaN",
    "-NaN",
    "sNaN",
    "Infinity",
    "-Infinity",
    "1E+999999",
    "1e-400",
    "2147483648",
    "9223372036854775808",
    "-9223372036854775809",
    "9" * 30,
    "9" * 400,
    "0.0000000001",
    "12345678901234567890.123456789",
)
DATE_GARBAGE = (
    "",
    "2026-02-30",
    "2026-02-29",
    "2025-13-01",
    "2026-00-10",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-2026-01-01",
    "2026-1-1",
    "01/02/2026",
    "2026-01-01T00:00:00",
    "tomorrow",
    "٢٠٢٦-٠١-٠١",
    "2026-01-01\x00",
)
TIME_GARBAGE = (
    "",
    "24:00",
    "25:00",
    "23:60",
    "9",
    "9:00",
    "09:00:00",
    "-1:00",
    "9am",
    "noon",
    "٠٩:٠٠",
    "0900",
    "09:00\x00",
)
PATH_VALUES = (
    "/clients/",
    "/notifications/",
    "//evil.example/",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\\evil.example",
    "/%2F%2Fevil.example",
    "\\\\evil.example",
    "/ok\r\nSet-Cookie: x=1",
)
# Zones with odd offsets and daylight saving: +14, −11, a 30-minute DST, −3:30, +5:45.
ZONES = (
    "America/Sao_Paulo",
    "America/New_York",
    "Europe/Berlin",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Australia/Lord_Howe",
    "America/St_Johns",
    "Asia/Kathmandu",
    "UTC",
)
ZONE_GARBAGE = (
    "america/sao_paulo",
    "America/../../etc/passwd",
    "/etc/localtime",
    "Etc/GMT+14",
    "EST5EDT",
    "UTC ",
    "Mars/Olympus_Mons",
    "America/Sao_Paulo\x00",
)
ROW_INDEX_GARBAGE = ("²", "٣", "-1", "1e3", "99999999999999999999", "0x1")


class Omit:
    """A drawn value meaning "leave the field out of the submission"."""

    def __repr__(self):
        return "OMIT"


class Current:
    """A drawn version_id meaning "the record's current version" (the test resolves it)."""

    def __repr__(self):
        return "CURRENT_VERSION"


OMIT, CURRENT = Omit(), Current()


def _chars(nul: bool = False):
    return st.characters(
        blacklist_categories=("Cs",), blacklist_characters=() if nul else ("\x00",)
    )


def plain_text(max_size: int = 40):
    """Text a person could type: payloads, SQL-ish, unicode, RTL, emoji, control characters."""
    limit = max(max_size, 1)
    samples = XSS_PAYLOADS + SQLISH + UNICODE + CONTROL
    fitting = tuple(s for s in samples if len(s) <= limit) or ("x",)
    return st.one_of(
        st.sampled_from(fitting),
        st.text(_chars(), min_size=1, max_size=min(limit, 30)),
        st.tuples(st.sampled_from(XSS_PAYLOADS), st.sampled_from(UNICODE)).map(
            lambda p: f"{p[1]} {p[0]}"[:limit]
        ),
    )


def hostile_text():
    """Values no form field should choke on: huge, NUL bytes, blank, stray payloads."""
    return st.one_of(
        st.integers(1, 5000).map(lambda n: ("<script>alert(1)</script>ü" * 200)[:n]),
        st.integers(100, 6000).map(lambda n: "Ω" * n),
        st.text(_chars(nul=True), max_size=50),
        st.sampled_from(("", " ", "\x00", "a\x00b", "\u0000<script>alert(1)</script>")),
        st.sampled_from(XSS_PAYLOADS + SQLISH + CONTROL),
    )


def integers(lo: int, hi: int):
    return st.one_of(
        st.integers(lo, hi).map(str), st.sampled_from((str(lo), str(hi), f" {lo} ", f"+{hi}"))
    )


def hostile_numbers():
    return st.one_of(
        st.sampled_from(NUMBER_GARBAGE),
        st.integers().map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        hostile_text(),
    )


def decimals(lo, hi, places: int):
    values = st.decimals(min_value=lo, max_value=hi, places=places, allow_nan=False)
    many_places = st.decimals(min_value=lo, max_value=hi, places=9, allow_nan=False)
    whole = st.integers(int(lo), int(hi)).map(str)
    return st.one_of(whole, values.map(str), many_places.map(str))


def dates():
    return st.one_of(
        st.dates(date(2000, 1, 1), date(2100, 12, 31)).map(date.isoformat),
        st.sampled_from(("0001-01-01", "9999-12-31", "1900-02-28", "2038-01-19")),
        st.dates().map(date.isoformat),
    )


def hostile_dates():
    return st.one_of(st.sampled_from(DATE_GARBAGE), hostile_text())


def times():
    return st.one_of(
        st.times().map(lambda t: t.strftime("%H:%M")),
        st.sampled_from(("00:00", "23:59", "09:00", "17:30")),
    )


def hostile_times():
    return st.one_of(st.sampled_from(TIME_GARBAGE), hostile_text())


def emails():
    local = st.from_regex(r"\A[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]\Z")
    return local.map(lambda s: f"{s}@example.com")


def hostile_emails():
    return st.one_of(
        st.sampled_from(
            (
                "a@b",
                "no-at-sign",
                "<script>alert(1)</script>@example.com",
                "josé@exämple.com",
                "Ada@Example.COM",
                "x@" + "a" * 300 + ".com",
                "a@b.c\x00",
                "' OR 1=1 --@example.com",
            )
        ),
        hostile_text(),
    )


def passwords():
    words = st.text(st.characters(codec="utf-8", blacklist_categories=("Cs", "Cc")), max_size=12)
    return st.one_of(
        words.map(lambda w: f"correct horse battery {w}"),
        st.sampled_from(("test-password-1234", "Zx9!" * 4, "🚀" * 12, "ÄÖÜäöüß-passwort-2026")),
    )


def hostile_passwords():
    return st.one_of(
        st.sampled_from(("", "short", "password1234", "123456789012", "a" * 129, "a" * 5000)),
        hostile_text(),
    )


def versions():
    return st.sampled_from((CURRENT, CURRENT, "", "1"))


def hostile_versions():
    return st.one_of(st.sampled_from(("abc", "٣", "1.0", "0", "-1", "9" * 30)), hostile_numbers())


def paths():
    return st.sampled_from(PATH_VALUES)


def booleans():
    return st.sampled_from(("y", "on", "true", OMIT))


def hostile_booleans():
    return st.one_of(st.sampled_from(("", "false", "0", "no", "n", "off")), hostile_text())


def csv_uploads():
    """(bytes, filename) pairs: engineer CSVs with hostile cells, and bytes that are no CSV."""
    cell = st.one_of(plain_text(60), hostile_text(), st.sampled_from(NUMBER_GARBAGE + DATE_GARBAGE))
    good_row = {
        "full_name": "Ana Souza",
        "email": "ana@example.com",
        "phone": "+55 11 91234-5678",
        "country": "BR",
        "city": "Recife",
        "timezone": "America/Recife",
        "workday_start": "09:00",
        "workday_end": "18:00",
        "seniority": "mid",
        "years_experience": "5",
        "english_level": "B2",
        "hourly_rate": "40.00",
        "available_from": "",
        "vetting_status": "sourced",
        "skills": "Python:4",
    }

    @st.composite
    def engineer_csv(draw):
        columns = list(COLUMNS) + (list(SCORE_COLUMNS) if draw(st.booleans()) else [])
        if draw(st.integers(0, 4)) == 0:
            columns = draw(st.permutations(columns))
        rows = []
        for i in range(draw(st.integers(0, 4))):
            row = dict(good_row, email=f"fuzz{i}@example.com")
            for name in draw(st.lists(st.sampled_from(columns), max_size=4, unique=True)):
                row[name] = draw(cell)
            rows.append([row.get(c, "") for c in columns])
        out = io.StringIO()
        csv.writer(out).writerows([columns, *rows])
        return draw(st.sampled_from(("utf-8", "utf-8-sig", "utf-16", "latin-1"))), out.getvalue()

    def encode(pair):
        encoding, text = pair
        return text.encode(encoding, errors="replace")

    raw = st.one_of(
        engineer_csv().map(encode),
        st.binary(max_size=2000),
        st.sampled_from(
            (
                b"",
                b"\xff\xfe\x00\x00",
                b"full_name,email\n" + b"x" * 200_000 + b"\n",
                b"\x00" * 100,
                ",".join(COLUMNS).encode() + b"\n" + b'"unterminated\n',
                ",".join(COLUMNS).encode() + b"\n" + b",,,,\n" * 50,
            )
        ),
    )
    names = st.sampled_from(
        ("engineers.csv", "<script>alert(1)</script>.csv", "../../x.csv", "a.txt")
    )
    return st.tuples(raw, names)


@dataclass(frozen=True)
class FieldSpec:
    """One posted field: its name (prefix included), what kind of value it takes, its limits."""

    name: str
    kind: str
    max_length: int | None = None
    low: object = None
    high: object = None
    places: int = 2
    choices: tuple[str, ...] = ()
    unique: bool = False
    same_as: str | None = None  # posted name of the field it must repeat (a confirmation)


def _validators(unbound: UnboundField) -> list:
    if "validators" in unbound.kwargs:
        return list(unbound.kwargs["validators"] or [])
    return list(unbound.args[1]) if len(unbound.args) > 1 and unbound.args[1] else []


def _choices(unbound: UnboundField, field_class) -> tuple[str, ...]:
    if issubclass(field_class, CountryField):
        return tuple(COUNTRY_CHOICES)
    choices = unbound.kwargs.get("choices")
    if isinstance(choices, Mapping):
        return tuple(str(k) for k in choices)
    if choices:
        return tuple(str(c[0] if isinstance(c, tuple) else c) for c in choices)
    return ()


def _kind(name: str, field_class) -> str:
    checks = (
        ((FileField, FlaskFileField), "file"),
        (SubmitField, "submit"),
        (BooleanField, "bool"),
        (PasswordField, "password"),
        (EmailField, "email"),
        (TimezoneField, "timezone"),
        (TimeField, "time"),
        (DateField, "date"),
        ((MoneyField, DecimalField), "decimal"),
        (IntegerField, "int"),
        (SelectField, "select"),
    )
    for classes, kind in checks:
        if issubclass(field_class, classes):
            return kind
    if issubclass(field_class, HiddenField):
        return "version" if name == "version_id" else "text"
    return "text"


def _unbound_fields(form_class) -> list[tuple[str, UnboundField]]:
    found = [
        (name, value)
        for name in dir(form_class)
        if isinstance(value := getattr(form_class, name, None), UnboundField)
    ]
    return sorted(found, key=lambda pair: pair[1].creation_counter)


def fields_of(
    form_class, prefix: str = "", rows: int = 3, **overrides: Mapping[str, object]
) -> tuple[FieldSpec, ...]:
    """The fields a form accepts, as posted; overrides[name] replaces attributes of a spec."""
    specs = []
    for attr, unbound in _unbound_fields(form_class):
        name = unbound.name or attr
        posted = f"{prefix}-{name}" if prefix else name
        field_class = unbound.field_class
        if issubclass(field_class, FieldList):
            inner = unbound.args[0]
            if issubclass(inner.field_class, FormField):
                for i in range(rows):
                    specs.extend(fields_of(inner.args[0], prefix=f"{posted}-{i}"))
            continue
        spec = FieldSpec(name=posted, kind=_kind(name, field_class))
        for validator in _validators(unbound):
            if isinstance(validator, Length) and validator.max and validator.max > 0:
                spec = replace(spec, max_length=validator.max)
            if isinstance(validator, NumberRange):
                spec = replace(spec, low=validator.min, high=validator.max)
        if spec.kind == "decimal":
            low = 0 if issubclass(field_class, MoneyField) and spec.low is None else spec.low
            spec = replace(spec, places=unbound.kwargs.get("places", 2), low=low)
        spec = replace(spec, choices=_choices(unbound, field_class))
        if name in overrides:
            spec = replace(spec, **overrides[name])
        if spec.same_as and prefix and not spec.same_as.startswith(f"{prefix}-"):
            spec = replace(spec, same_as=f"{prefix}-{spec.same_as}")
        specs.append(spec)
    return tuple(specs)


def spec(name: str, kind: str, **kw) -> FieldSpec:
    """An explicit field, for views that read request.form directly."""
    return FieldSpec(name=name, kind=kind, **kw)


def plausible(spec: FieldSpec, choices: Sequence[str] = ()):
    """Values a careful user could submit (text fields carry the payloads: they are valid)."""
    if choices and spec.kind not in ("select", "id"):  # known good values, e.g. a password
        return st.one_of(st.sampled_from(tuple(choices)), plausible(spec))
    options = tuple(choices) or spec.choices
    match spec.kind:
        case "text":
            return plain_text(spec.max_length or 200)
        case "email":
            return emails()
        case "password":
            return passwords()
        case "timezone":
            return st.sampled_from(ZONES)
        case "time":
            return times()
        case "date":
            return dates()
        case "int":
            return integers(
                *(b if b is not None else d for b, d in ((spec.low, -50), (spec.high, 500)))
            )
        case "decimal":
            lo = spec.low if spec.low is not None else -1000
            hi = spec.high if spec.high is not None else 10_000
            return decimals(lo, hi, spec.places)
        case "select" | "id":
            return st.sampled_from(options) if options else hostile_numbers()
        case "bool":
            return booleans()
        case "submit":  # mostly not pressed: "Add another skill" saves nothing
            return st.sampled_from((OMIT,) * 5 + ("y",))
        case "version":
            return versions()
        case "path":
            return paths()
        case "file":
            return csv_uploads()
    raise AssertionError(f"no strategy for {spec.kind}")


def hostile(spec: FieldSpec):
    """Values built to break parsing, limits or the database: each kind its own, plus text."""
    own = {
        "int": hostile_numbers(),
        "id": hostile_numbers(),
        "decimal": hostile_numbers(),
        "date": hostile_dates(),
        "time": hostile_times(),
        "email": hostile_emails(),
        "password": hostile_passwords(),
        "version": hostile_versions(),
        "bool": hostile_booleans(),
        "submit": plausible(spec),  # a button: whatever its value, it was pressed or not
        "path": st.one_of(paths(), hostile_text()),
        "timezone": st.sampled_from(ZONE_GARBAGE),
        "select": st.one_of(
            st.sampled_from(("garbage", "None", "-1", "9" * 30, "٣")), hostile_numbers()
        ),
        "file": csv_uploads(),
    }.get(spec.kind)
    return hostile_text() if own is None else st.one_of(own, hostile_text())


_EXTRA_NAMES = ("client_id", "role", "id", "user_id", "created_by_id", "is_admin", "csrf_token")


MODES = ("typical", "plausible", "one_hostile", "chaos")


@st.composite
def form_data(
    draw,
    fields: Sequence[FieldSpec],
    choices: Mapping[str, Sequence[str]] | None = None,
    forged: Mapping[str, Sequence[str]] | None = None,
):
    """One submission in one of four moods, and sometimes fields the form does not have.

    typical: the scenario's good values where it has some (so examples reach the service);
    plausible: anything a careful user could type; one_hostile: plausible but one field;
    chaos: each field plausible, hostile or missing.
    """
    choices = choices or {}
    mode = draw(st.sampled_from(MODES))
    bad = draw(st.sampled_from([f.name for f in fields])) if fields else None
    data = {}
    for f in fields:
        how = "hostile" if mode == "one_hostile" and f.name == bad else "plausible"
        if mode == "chaos":
            how = draw(st.sampled_from(("plausible", "hostile", "missing")))
        if how == "missing":
            continue
        good = choices.get(f.name, ())
        if how == "hostile":
            value = draw(hostile(f))
            if f.kind != "file" and draw(st.integers(0, 9)) == 0:
                value = [value, draw(plausible(f, good))]  # the key twice
        elif f.same_as and f.same_as in data and mode != "chaos":
            value = data[f.same_as]  # e.g. a password's confirmation
        elif mode == "typical" and good:
            value = draw(st.sampled_from(tuple(good)))
        else:
            value = draw(plausible(f, good))
        if value is not OMIT:
            data[f.name] = value
    if fields and mode in ("one_hostile", "chaos") and draw(st.booleans()):
        lists = {f.name.split("-")[0] for f in fields if f.name.count("-") >= 2}
        names = [*_EXTRA_NAMES, *(f"{n}-{i}-skill_id" for n in lists for i in ROW_INDEX_GARBAGE)]
        for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True)):
            data.setdefault(name, draw(st.one_of(hostile_text(), st.sampled_from(("1", "admin")))))
    for name, values in (forged or {}).items():  # e.g. another company's id on a portal form
        if values and draw(st.booleans()):
            data[name] = draw(st.sampled_from(tuple(values)))
    return data


_serial = itertools.count(1)


def make_unique(data: dict, fields: Sequence[FieldSpec]) -> dict:
    """Give unique fields (names, emails) a serial number so earlier examples do not block."""
    out = dict(data)
    for f in fields:
        value = out.get(f.name)
        if not f.unique or not isinstance(value, str) or not value.strip():
            continue
        n = next(_serial)
        if f.kind == "email":
            out[f.name] = f"u{n}-{value}"
        else:
            room = (f.max_length or 200) - len(f" ~{n}")
            out[f.name] = f"{value[:room]} ~{n}"
    return out


def unescaped_markers(text: str) -> list[str]:
    """The payload markers found raw in an HTML body (each one means a stored or reflected XSS)."""
    return [m for m in MARKERS if m in text]


class ServerErrors(logging.Handler):
    """Keeps the tracebacks the app logs for unexpected exceptions (its 500 handler logs them)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record.exc_info:
            self.records.append(record)

    def last(self) -> str:
        """The formatted traceback of the latest error."""
        if not self.records:
            return "(no traceback logged)"
        return logging.Formatter().formatException(self.records[-1].exc_info)


REDIRECTS = (301, 302, 303, 307, 308)


@dataclass
class Probe:
    """Sends requests for one endpoint's fuzz and checks each answer.

    Never a 500, never a payload marker in an HTML body, never a redirect off the site.
    """

    client: object
    errors: ServerErrors
    endpoint: str

    def send(self, method: str, url: str, sent=None, **kw):
        """The checked response."""
        query = kw.get("query_string")
        what = f"{method} {url}" + (f"?{urlencode(query, doseq=True)[:300]}" if query else "")
        try:
            response = self.client.open(url, method=method, **kw)
        except Exception:  # a streamed body (a CSV export) that failed after its 200 went out
            trace = traceback.format_exc()
            pytest.fail(f"{what} failed while streaming its body\nsent: {sent!r}\n{trace}")
        if response.status_code >= 500:
            trace = self.errors.last()
            pytest.fail(f"{what} answered {response.status_code}\nsent: {sent!r}\n{trace}")
        if response.mimetype == "text/html":
            raw = unescaped_markers(response.get_data(as_text=True))
            assert not raw, f"{what}: {raw} came back unescaped\nsent: {sent!r}"
        if response.status_code in REDIRECTS:
            target = urlsplit(response.headers["Location"])
            assert not target.netloc, f"{what} redirects off the site: {target.geturl()}"
            assert not target.scheme, f"{what} redirects off the site: {target.geturl()}"
        return response

    def follow(self, response, sent=None):
        """GET the redirect target once and check that page the same way."""
        if response.status_code not in REDIRECTS:
            return None
        target = urlsplit(response.headers["Location"])
        return self.send("GET", target.path + (f"?{target.query}" if target.query else ""), sent)

    def sweep(self, pages: Sequence[str]) -> None:
        """The pages that show what the examples stored."""
        for page in pages:
            self.send("GET", page, "(pages after the examples)")
