"""Engineers from a CSV file: every row checked first, then all of them written or none."""

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from tracker.infra.audit import json_safe, record_event
from tracker.models import Engineer, EngineerSkill, Skill, User, db, utcnow
from tracker.models.enums import EnglishLevel, Seniority, VettingStatus
from tracker.services import DomainError
from tracker.services.engineer_csv import COLUMNS, SCORE_COLUMNS, format_skills, parse_skills
from tracker.services.field_rules import CENTS, engineer_problems
from tracker.services.skills import NAME_MAX, all_skills, normalise_name

Progress = Callable[[int], None]
BATCH = 500  # engineers per IN (...) lookup and per flush
# A header longer than this is no engineer file (it has 19 columns at most): refused before
# anything else is read. A refusal names this many unknown columns at most.
MAX_COLUMNS = 200
NAMED_AT_MOST = 20
VETTED_NEEDS_SCORES = (
    "vetted needs the four vetting scores "
    "(columns code_quality, system_design, api_integration, communication)"
)
_LINE_END = re.compile(r"[\r\n]")
_HOURS = re.compile(r"(\d{1,2}):(\d{2})")
_AMOUNT = re.compile(r"(-?)(\d+)(?:\.(\d+))?")
# Our CSV export puts ' before a cell a spreadsheet would run as a formula; take it off again.
_SPREADSHEET_ESCAPE = re.compile(r"'(?=[=+\-@])")


class ImportFileError(DomainError):
    """The file as a whole cannot be read as an engineer CSV (encoding, header, empty)."""


@dataclass(frozen=True)
class Problem:
    """Why a row is refused: the file's line number, the column and the reason in words."""

    row: int
    column: str
    reason: str


@dataclass
class PlannedRow:
    """One valid row: what it creates, or what it changes on an existing engineer."""

    row: int
    values: dict[str, Any]  # model fields to set (for an update: only those that change)
    skills: list[tuple[str, int]]  # (lowercased skill name, level)
    engineer: Engineer | None = None  # the existing engineer, for an update
    changes: dict[str, list[Any]] = field(default_factory=dict)  # field -> [old, new]
    becomes_vetted: bool = False

    @property
    def existing(self) -> Engineer:
        """The engineer an update changes (a planned update always has one)."""
        if self.engineer is None:
            raise ValueError(f"row {self.row} creates an engineer; it updates none")
        return self.engineer

    @property
    def email(self) -> str:
        return self.engineer.email if self.engineer else self.values["email"]

    @property
    def full_name(self) -> str:
        return self.engineer.full_name if self.engineer else self.values["full_name"]


@dataclass
class CsvRows:
    """The file split into header and data rows, each with its line number."""

    columns: list[str]
    rows: list[tuple[int, list[str]]]


@dataclass
class ImportPlan:
    """What an import would do; apply_import writes it only when nothing is refused."""

    rows: int = 0
    creates: list[PlannedRow] = field(default_factory=list)
    updates: list[PlannedRow] = field(default_factory=list)
    unchanged: list[PlannedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    new_skills: list[str] = field(default_factory=list)
    catalogue: dict[str, Skill] = field(default_factory=dict, repr=False)

    @property
    def is_clean(self) -> bool:
        return not self.problems

    @property
    def refused(self) -> dict[int, list[Problem]]:
        """The refused rows by line number, each with all its problems."""
        by_row: dict[int, list[Problem]] = {}
        for problem in self.problems:
            by_row.setdefault(problem.row, []).append(problem)
        return by_row

    @property
    def refused_rows(self) -> int:
        return len(self.refused)

    @property
    def to_import(self) -> int:
        return len(self.creates) + len(self.updates)

    def summary(self, *, dry_run: bool = False) -> str:
        """'3 created, 2 updated, 1 new skill', or what a dry run would do."""
        text = _counts(len(self.creates), len(self.updates), len(self.new_skills))
        text += f", {len(self.unchanged)} unchanged" if self.unchanged else ""
        return f"Dry run, nothing written. Would be: {text}." if dry_run else text


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    new_skills: int

    def summary(self) -> str:
        text = _counts(self.created, self.updated, self.new_skills)
        return text + (f", {self.unchanged} unchanged" if self.unchanged else "")


def _counts(created: int, updated: int, skills: int) -> str:
    return f"{created} created, {updated} updated, {skills} new skill{'' if skills == 1 else 's'}"


# --- reading the file ----------------------------------------------------------------------


def decode_csv(data: bytes) -> str:
    """The uploaded bytes as text; only UTF-8 (with or without a BOM) is accepted."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ImportFileError(
            f"The file is not UTF-8 text (unreadable byte at position {e.start}). In a "
            "spreadsheet, save it as “CSV UTF-8 (comma-delimited)” and try again."
        ) from None


def read_rows(text: str) -> CsvRows:
    """Split the text into checked header and data rows; ImportFileError when unusable.

    The header is checked before any row is read, so a file refused for its header costs no
    more than reading its first line.
    """
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ImportFileError("The file is empty.")
    # Counting the first line's commas is cheaper than splitting it into 100,000 cells. A line
    # ends at \r as well (old Mac spreadsheets), and empty columns at its end do not count.
    first_line = _LINE_END.split(text, maxsplit=1)[0]
    _refuse_wide_header(first_line.rstrip(", \t").count(",") + 1)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        header = [cell.strip().lower() for cell in next(reader)]
        while header and not header[-1]:
            header.pop()  # spreadsheets sometimes add empty columns at the end
        _refuse_wide_header(len(header))  # a quoted line break may hide more columns
        _check_header(header)
        while True:
            line = reader.line_num + 1  # the record's first line, as a spreadsheet numbers it
            try:
                cells = next(reader)
            except StopIteration:
                break
            if any(cell.strip() for cell in cells):
                rows.append((line, cells))
    except csv.Error as e:
        raise ImportFileError(f"Line {reader.line_num} is not valid CSV: {e}.") from None
    if not rows:
        raise ImportFileError("The file has a header but no engineers below it.")
    return CsvRows(header, rows)


def _refuse_wide_header(columns: int) -> None:
    if columns > MAX_COLUMNS:
        raise ImportFileError(
            f"The file was refused: its header has {columns:,} columns; an engineer file has "
            f"{len(COLUMNS) + len(SCORE_COLUMNS)} at most ({', '.join(COLUMNS)}, optionally "
            f"{', '.join(SCORE_COLUMNS)})."
        )


def _named(names: list[str], shown: int = NAMED_AT_MOST) -> str:
    """'a, b, c' — or the first `shown` and how many more, so a refusal stays readable."""
    text = ", ".join(_quoted(name) if len(name) > 40 else name for name in names[:shown])
    if len(names) > shown:
        text += f" and {len(names) - shown:,} more"
    return text


def _check_header(header: list[str]) -> None:
    """Refuse a header that does not name the engineer columns; one pass over it."""
    known = {*COLUMNS, *SCORE_COLUMNS}
    counts = Counter(header)
    if not known.intersection(counts):
        hint = ""
        if any(";" in name for name in counts):
            hint = " It seems to use ';' between columns: save it with commas."
        raise ImportFileError(
            f"The first line must be the header naming the columns ({','.join(COLUMNS)}).{hint}"
        )
    problems = []
    if blank := [str(i) for i, name in enumerate(header, 1) if not name]:
        problems.append(f"Column {_named(blank)} of the header has no name.")
    if twice := sorted(name for name, n in counts.items() if name and n > 1):
        problems.append(f"These columns appear twice: {_named(twice)}.")
    if unknown := [name for name in counts if name and name not in known]:
        problems.append(
            f"Unknown column{'s' if len(unknown) > 1 else ''}: {_named(unknown)}. "
            f"The columns are {', '.join(COLUMNS)}, optionally {', '.join(SCORE_COLUMNS)}."
        )
    if missing := [name for name in COLUMNS if name not in counts]:
        problems.append(f"Missing column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}.")
    if problems:
        raise ImportFileError("The file was refused. " + " ".join(problems))


# --- checking one cell ---------------------------------------------------------------------


def _quoted(text: str) -> str:
    return f"“{text if len(text) <= 40 else text[:39] + '…'}”"


def _text(required: bool = False) -> Callable[[str], str | None]:
    def read(text: str) -> str | None:
        if not text:
            if required:
                raise ValueError("is required")
            return None
        return text

    return read


def _email(text: str) -> str:
    if not text:
        raise ValueError("is required")
    return text.lower()


def _country(text: str) -> str | None:
    if not text:
        raise ValueError("is required")
    return text.upper()


def _hours(text: str) -> time:
    match = _HOURS.fullmatch(text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"{_quoted(text)} is not a time of day (HH:MM, e.g. 09:00)")
    return time(int(match[1]), int(match[2]))


def _choice(values: Sequence[str], required: bool = True) -> Callable[[str], str | None]:
    by_key = {v.lower(): v for v in values}

    def read(text: str) -> str | None:
        if not text and not required:
            return None
        if text.lower() not in by_key:
            raise ValueError(f"{_quoted(text)} is not one of {', '.join(values)}")
        return by_key[text.lower()]

    return read


def _whole(required: bool = True) -> Callable[[str], int | None]:
    def read(text: str) -> int | None:
        if not text and not required:
            return None
        if not _whole_number(text):
            raise ValueError(f"{_quoted(text)} is not a whole number")
        return int(text)

    return read


def _amount(text: str) -> Decimal:
    if not _AMOUNT.fullmatch(text):
        raise ValueError(f"{_quoted(text)} is not an amount (e.g. 45.50)")
    return Decimal(text)


def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{_quoted(text)} is not a date (YYYY-MM-DD)") from None


def _skills(text: str) -> list[tuple[str, int]]:
    pairs = [(normalise_name(name), level) for name, level in parse_skills(text)]
    seen: set[str] = set()
    for name, _level in pairs:
        if len(name) > NAME_MAX:
            raise ValueError(f"the skill name {_quoted(name)} is longer than {NAME_MAX} characters")
        if name.lower() in seen:
            raise ValueError(f"{name} is listed twice")
        seen.add(name.lower())
    return pairs


# How each cell's text is read into a value; what the value must then be is the field rules'
# business (tracker.services.field_rules), shared with the engineer form.
READERS: dict[str, Callable[[str], Any]] = {
    "full_name": _text(required=True),
    "email": _email,
    "phone": _text(),
    "country": _country,
    "city": _text(),
    "timezone": _text(required=True),
    "workday_start": _hours,
    "workday_end": _hours,
    "seniority": _choice(Seniority.values()),
    "years_experience": _whole(),
    "english_level": _choice(EnglishLevel.values()),
    "hourly_rate": _amount,
    "available_from": _date,
    "vetting_status": _choice(VettingStatus.values(), required=False),
    "skills": _skills,
    **{score: _whole(required=False) for score in SCORE_COLUMNS},
}


def _clean(cell: str) -> str:
    cell = cell.strip()
    return cell[1:] if _SPREADSHEET_ESCAPE.match(cell) else cell


def _check_row(line: int, columns: list[str], cells: list[str]) -> tuple[dict, list[Problem]]:
    """The row's values by column, and its problems (empty scores and status are left out).

    Each cell is read, then the values are checked with the same field rules as the engineer
    form, so a row is refused exactly when the form would refuse it, with the form's words.
    """
    if len(cells) < len(columns) or any(c.strip() for c in cells[len(columns) :]):
        reason = f"has {len(cells)} cells where the header has {len(columns)} columns"
        return {}, [Problem(line, "(whole row)", reason)]
    values: dict[str, Any] = {}
    problems = []
    for column, cell in zip(columns, cells, strict=False):
        try:
            value = READERS[column](_clean(cell))
        except ValueError as e:
            problems.append(Problem(line, column, str(e)))
            continue
        if value is not None or column not in ("vetting_status", *SCORE_COLUMNS):
            values[column] = value
    for column, message in engineer_problems(values).items():
        problems.append(Problem(line, column, message))
        del values[column]
    if problems:
        order = {column: i for i, column in enumerate(columns)}
        problems.sort(key=lambda p: order.get(p.column, len(order)))
    if (rate := values.get("hourly_rate")) is not None:
        values["hourly_rate"] = abs(rate.quantize(CENTS))  # "60", "60.0" and "-0" as stored
    return values, problems


# --- the plan ------------------------------------------------------------------------------


def plan_import(text: str) -> ImportPlan:
    """Check a whole CSV text against the roster; nothing is written."""
    return plan_rows(read_rows(text))


def plan_rows(csv_rows: CsvRows, progress: Progress | None = None) -> ImportPlan:
    """Check every row, match emails to existing engineers and list what would change."""
    plan = ImportPlan(rows=len(csv_rows.rows))
    checked: list[tuple[int, dict, list[Problem]]] = []
    first_row_of: dict[str, int] = {}
    for i, (line, cells) in enumerate(csv_rows.rows, 1):
        values, problems = _check_row(line, csv_rows.columns, cells)
        email = values.get("email")
        if email in first_row_of:
            reason = f"the same email as row {first_row_of[email]} (each engineer once per file)"
            problems.append(Problem(line, "email", reason))
        elif email:
            first_row_of[email] = line
        checked.append((line, values, problems))
        if progress and i % 250 == 0:
            progress(250)
    existing = _engineers_by_email(list(first_row_of))
    plan.catalogue = {skill_key(s.name): s for s in all_skills()}
    new_skills: dict[str, str] = {}
    for line, values, problems in checked:
        engineer = existing.get(values.get("email") or "")
        if vetted_problem := _vetted_without_scores(line, values, problems, engineer):
            problems.append(vetted_problem)
        plan.problems.extend(problems)
        if not problems:
            _plan_row(plan, line, values, engineer, new_skills)
    plan.new_skills = list(new_skills.values())
    plan.problems.sort(key=lambda p: p.row)
    if progress:
        progress(len(csv_rows.rows) % 250)
    return plan


def skill_key(name: str) -> str:
    """How skill names are compared: 'pytorch ' and 'PyTorch' are one skill."""
    return normalise_name(name).lower()


def _engineers_by_email(emails: list[str]) -> dict[str, Engineer]:
    """Existing engineers with their skills, a few hundred emails per query."""
    found: dict[str, Engineer] = {}
    for start in range(0, len(emails), BATCH):
        stmt = (
            sa.select(Engineer)
            .where(Engineer.email.in_(emails[start : start + BATCH]))  # stored lowercased
            .options(selectinload(Engineer.skills))
        )
        found.update((e.email, e) for e in db.session.scalars(stmt))
    return found


def _final_status(values: dict, engineer: Engineer | None) -> str:
    """The row's status; an empty cell keeps the engineer's (a new one starts as sourced)."""
    if values.get("vetting_status"):
        return values["vetting_status"]
    return engineer.vetting_status if engineer else VettingStatus.SOURCED.value


def _vetted_without_scores(line, values, problems, engineer) -> Problem | None:
    """A vetted engineer needs all four scores, from the row or already on file."""
    if any(p.column in ("vetting_status", *SCORE_COLUMNS) for p in problems):
        return None  # already reported; this would only repeat it
    if _final_status(values, engineer) != VettingStatus.VETTED:
        return None
    if all(
        values.get(s) is not None or (engineer is not None and getattr(engineer, s) is not None)
        for s in SCORE_COLUMNS
    ):
        return None
    return Problem(line, "vetting_status", VETTED_NEEDS_SCORES)


def _plan_row(plan, line, values, engineer: Engineer | None, new_skills: dict[str, str]) -> None:
    """Add a valid row to the plan: a create, an update with its diff, or unchanged."""
    skills = values.pop("skills")
    keyed = []
    for name, level in skills:
        key = skill_key(name)
        if key not in plan.catalogue:
            new_skills.setdefault(key, name)
        keyed.append((key, level))

    def name_of(key: str) -> str:
        return plan.catalogue[key].name if key in plan.catalogue else new_skills[key]

    status = _final_status(values, engineer)
    becomes_vetted = status == VettingStatus.VETTED and (
        engineer is None or engineer.vetting_status != VettingStatus.VETTED
    )
    if engineer is None:
        values["vetting_status"] = status
        changes = {f: [None, json_safe(v)] for f, v in values.items() if v is not None}
        if keyed:
            changes["skills"] = [None, format_skills((name_of(k), lvl) for k, lvl in keyed)]
        plan.creates.append(PlannedRow(line, values, keyed, None, changes, becomes_vetted))
        return
    values.pop("email")
    diff = {f: v for f, v in values.items() if getattr(engineer, f) != v}
    changes = {f: [json_safe(getattr(engineer, f)), json_safe(v)] for f, v in diff.items()}
    old = {skill_key(es.skill.name): (es.skill.name, es.level) for es in engineer.skills}
    new = dict(old)
    for key, level in keyed:
        new[key] = (old[key][0] if key in old else name_of(key), level)
    if new != old:
        changes["skills"] = [format_skills(old.values()), format_skills(new.values())]
    planned = PlannedRow(line, diff, keyed, engineer, changes, becomes_vetted)
    (plan.updates if changes else plan.unchanged).append(planned)


# --- applying it ---------------------------------------------------------------------------


def apply_import(plan: ImportPlan, actor: User | None, progress: Progress | None = None):
    """Write a clean plan: new skills, new and updated engineers, their history.

    All or nothing: a plan with a refused row writes nothing; the caller commits (inside
    `transaction()`, so a failure half-way rolls everything back).
    """
    if not plan.is_clean:
        raise DomainError(
            f"Nothing was imported: {plan.refused_rows} of {plan.rows} rows have problems. "
            "Fix them in the file and import it again."
        )
    now = utcnow()
    catalogue = dict(plan.catalogue)
    if plan.new_skills:
        skills = [Skill(name=name) for name in plan.new_skills]
        db.session.add_all(skills)
        _flush()
        for skill in skills:
            catalogue[skill_key(skill.name)] = skill
            record_event(actor, "skill.created", skill, {"name": [None, skill.name]})
    for batch in _batches(plan.creates):
        engineers = [_new_engineer(p, now) for p in batch]
        db.session.add_all(engineers)
        _flush()
        # Skill levels of new engineers as one multi-row INSERT: nothing reads them back here.
        levels = [
            {"engineer_id": engineer.id, "skill_id": catalogue[key].id, "level": level}
            for engineer, p in zip(engineers, batch, strict=True)
            for key, level in p.skills
        ]
        if levels:
            db.session.execute(sa.insert(EngineerSkill), levels)
        for engineer, p in zip(engineers, batch, strict=True):
            record_event(actor, "engineer.created", engineer, _history(p, None, now))
        if progress:
            progress(len(batch))
    for batch in _batches(plan.updates):
        for p in batch:
            vetted_at = p.existing.vetted_at
            _update_engineer(p, catalogue, now)
            record_event(actor, "engineer.updated", p.engineer, _history(p, vetted_at, now))
        _flush()
        if progress:
            progress(len(batch))
    return ImportResult(
        len(plan.creates), len(plan.updates), len(plan.unchanged), len(plan.new_skills)
    )


def _batches(rows: list[PlannedRow]) -> Iterator[list[PlannedRow]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _flush() -> None:
    try:
        db.session.flush()
    except StaleDataError:
        raise DomainError(
            "An engineer in the file was changed by someone else during the import; nothing "
            "was imported. Import the file again."
        ) from None


def _new_engineer(p: PlannedRow, now) -> Engineer:
    engineer = Engineer(**p.values)
    if p.becomes_vetted:
        engineer.vetted_at = now
    return engineer


def _update_engineer(p: PlannedRow, catalogue: dict[str, Skill], now) -> None:
    engineer = p.existing
    for name, value in p.values.items():
        setattr(engineer, name, value)
    if p.becomes_vetted:
        engineer.vetted_at = now
    held = {skill_key(es.skill.name): es for es in engineer.skills}
    for key, level in p.skills:
        if key in held:
            if held[key].level != level:
                held[key].level = level
        else:
            engineer.skills.append(EngineerSkill(skill=catalogue[key], level=level))


def _history(p: PlannedRow, vetted_at_before, now) -> dict[str, list[Any]]:
    changes = dict(p.changes)
    if p.becomes_vetted:
        changes["vetted_at"] = [json_safe(vetted_at_before), json_safe(now)]
    changes["source"] = [None, f"CSV import, row {p.row}"]
    return changes


def _whole_number(text: str) -> bool:
    """ASCII digits only ('²' and '٣' pass str.isdigit but are no number to int()), and few."""
    return text.isascii() and text.isdigit() and len(text) <= 9
