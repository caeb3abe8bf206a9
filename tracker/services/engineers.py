"""The roster: engineers' profiles, the vetting pipeline, archiving, the list and its export."""

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, time
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from tracker.infra.audit import pending_changes, record_event
from tracker.infra.listing import Sort, apply_sort, icontains
from tracker.models import (
    VETTING_SCORES,
    Engineer,
    EngineerSkill,
    Placement,
    Proposal,
    Skill,
    StaffingRequest,
    User,
    db,
    utcnow,
)
from tracker.models.enums import LIVE_PLACEMENT_STATUSES, Seniority, VettingStatus
from tracker.services import DomainError, ensure_version
from tracker.services.bookings import engineer_booked, overlapping, overlaps
from tracker.services.field_rules import engineer_problems

_V = VettingStatus
# Where an engineer may go next in vetting. Re-vetting a vetted engineer sends them back to the
# technical interview; a rejected engineer can be reconsidered from the start.
VETTING_MOVES: dict[str, tuple[str, ...]] = {
    _V.SOURCED: (_V.SCREENING, _V.REJECTED),
    _V.SCREENING: (_V.TECHNICAL_INTERVIEW, _V.REJECTED),
    _V.TECHNICAL_INTERVIEW: (_V.VETTED, _V.REJECTED),
    _V.VETTED: (_V.TECHNICAL_INTERVIEW,),
    _V.REJECTED: (_V.SOURCED,),
}
SCORE_LABELS = {
    "code_quality": "Code quality",
    "system_design": "System design",
    "api_integration": "API integration",
    "communication": "Communication",
}
FIELD_LABELS = {
    "full_name": "Full name",
    "email": "Email",
    "phone": "Phone",
    "country": "Country",
    "city": "City",
    "timezone": "Time zone",
    "workday_end": "Working day ends",
    "seniority": "Seniority",
    "years_experience": "Years of experience",
    "english_level": "English level",
    "hourly_rate": "Hourly rate",
    "available_from": "Available from",
    "notes": "Internal notes",
}
VETTING_FIELDS = frozenset({"vetting_status", *VETTING_SCORES, "vetting_notes", "vetted_at"})
EXPORT_BATCH = 500
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class EngineerInput:
    """What a person enters for an engineer's profile (vetting has its own form)."""

    full_name: str
    email: str
    country: str
    timezone: str
    workday_start: time
    workday_end: time
    seniority: str
    years_experience: int
    english_level: str
    hourly_rate: Decimal
    phone: str | None = None
    city: str | None = None
    available_from: date | None = None
    notes: str | None = None


@dataclass(frozen=True)
class VettingInput:
    """A step in the vetting pipeline: where to, the scores (None clears one) and notes."""

    status: str
    scores: dict[str, int | None]
    notes: str | None = None


@dataclass(frozen=True)
class EngineerFilters:
    q: str | None = None
    country: str | None = None
    seniority: str | None = None
    vetting_status: str | None = None
    skill_id: int | None = None
    min_level: int | None = None
    available_by: date | None = None
    timezone: str | None = None
    archived: bool = False


class DuplicateEngineer(DomainError):
    """The email belongs to another engineer; says who, so the page can link to them."""

    def __init__(self, existing: Engineer):
        self.existing_id = existing.id
        self.existing_name = existing.full_name
        super().__init__(f"An engineer with this email already exists: {existing.full_name}.")


def _rank(column, order) -> sa.Case:
    return sa.case({value: i for i, value in enumerate(order)}, value=column)


SORTS = {
    "name": sa.func.lower(Engineer.full_name),
    "country": Engineer.country,
    "seniority": _rank(Engineer.seniority, Seniority.values()),
    "years": Engineer.years_experience,
    "rate": Engineer.hourly_rate,
    # No date means available now: before every date.
    "available": sa.func.coalesce(Engineer.available_from, sa.literal(date.min, sa.Date)),
    # Pipeline progress: rejected first, vetted last.
    "vetting": _rank(
        Engineer.vetting_status,
        (_V.REJECTED, _V.SOURCED, _V.SCREENING, _V.TECHNICAL_INTERVIEW, _V.VETTED),
    ),
}


def status_words(status: str) -> str:
    """technical_interview -> technical interview."""
    return VettingStatus(status).label.lower()


def _clean(text: str | None) -> str | None:
    return (text or "").strip() or None


def _validate(data: EngineerInput, engineer: Engineer | None = None) -> None:
    if not data.full_name.strip():
        raise DomainError("An engineer needs a name.")
    if not data.email.strip():
        raise DomainError("An engineer needs an email address.")
    if data.hourly_rate is None:
        raise DomainError("The hourly rate is an amount of zero or more.")
    if problems := engineer_problems(asdict(data)):
        field, message = next(iter(problems.items()))
        raise DomainError(f"{FIELD_LABELS.get(field, field)}: {message}")
    clash = db.session.scalar(
        sa.select(Engineer).where(
            sa.func.lower(Engineer.email) == data.email.strip().lower(),
            Engineer.id != (engineer.id if engineer else -1),
        )
    )
    if clash is not None:
        raise DuplicateEngineer(clash)


def _assign(engineer: Engineer, data: EngineerInput) -> None:
    values = asdict(data)
    values["full_name"] = " ".join(data.full_name.split())
    values["hourly_rate"] = Decimal(data.hourly_rate).quantize(CENTS)  # "60" and "60.00" are one
    for optional in ("phone", "city", "notes"):
        values[optional] = _clean(values[optional])
    for field, value in values.items():
        setattr(engineer, field, value)


def create_engineer(data: EngineerInput, actor: User) -> Engineer:
    """A new engineer at the start of the vetting pipeline, recorded in its history."""
    _validate(data)
    engineer = Engineer(vetting_status=VettingStatus.SOURCED.value, is_active=True)
    _assign(engineer, data)
    db.session.add(engineer)
    record_event(actor, "engineer.created", engineer, pending_changes(engineer))
    return engineer


def update_engineer(engineer: Engineer, data: EngineerInput, actor: User, version=None) -> dict:
    """Apply an edit unless someone saved a newer version; returns what changed."""
    ensure_version(engineer, version, f"The profile of {engineer.full_name}")
    _validate(data, engineer)
    _assign(engineer, data)
    changes = pending_changes(engineer)
    if changes:
        record_event(actor, "engineer.updated", engineer, changes)
    return changes


def next_statuses(engineer: Engineer) -> tuple[str, ...]:
    """The vetting statuses the engineer may move to from where they are."""
    return VETTING_MOVES.get(engineer.vetting_status, ())


def move_vetting(engineer: Engineer, data: VettingInput, actor: User, version=None) -> dict:
    """One step through the vetting pipeline, with scores and notes; returns what changed."""
    ensure_version(engineer, version, f"The profile of {engineer.full_name}")
    current, target = engineer.vetting_status, data.status
    if target not in VettingStatus.values():
        raise DomainError(f"“{target}” is not a vetting status.")
    if target == current:
        raise DomainError(f"{engineer.full_name} is already {status_words(current)}.")
    allowed = next_statuses(engineer)
    if target not in allowed:
        steps = " or ".join(status_words(s) for s in allowed)
        raise DomainError(
            f"An engineer cannot go from {status_words(current)} to {status_words(target)}; "
            f"{'next steps are' if len(allowed) > 1 else 'the next step is'} {steps}."
        )
    scores = {s: data.scores.get(s, getattr(engineer, s)) for s in VETTING_SCORES}
    for name, value in scores.items():
        if value is not None and not 1 <= value <= 5:
            raise DomainError(f"{SCORE_LABELS[name]} is scored from 1 to 5.")
    if target == VettingStatus.VETTED:
        missing = [SCORE_LABELS[s].lower() for s in VETTING_SCORES if scores[s] is None]
        if missing:
            raise DomainError(
                f"To mark {engineer.full_name} vetted, give all four scores; "
                f"missing: {', '.join(missing)}."
            )
    engineer.vetting_status = target
    for name, value in scores.items():
        setattr(engineer, name, value)
    engineer.vetting_notes = _clean(data.notes)
    if target == VettingStatus.VETTED:
        engineer.vetted_at = utcnow()
    elif current == VettingStatus.VETTED:
        engineer.vetted_at = None  # being vetted again
    changes = pending_changes(engineer, VETTING_FIELDS)
    record_event(actor, "engineer.vetting_changed", engineer, changes)
    return changes


def archive_engineer(engineer: Engineer, actor: User) -> None:
    """Take an engineer off the roster (lists, matching); refused while they are placed."""
    if not engineer.is_active:
        raise DomainError(f"{engineer.full_name} is already archived.")
    live = list(
        db.session.scalars(
            sa.select(Placement)
            .where(
                Placement.engineer_id == engineer.id,
                Placement.status.in_(LIVE_PLACEMENT_STATUSES),
            )
            .options(selectinload(Placement.client))
            .order_by(Placement.start_date)
        )
    )
    if live:
        clients = ", ".join(sorted({p.client.name for p in live}))
        if len(live) == 1:
            raise DomainError(
                f"{engineer.full_name} has a live placement with {clients}; "
                "end it before archiving the engineer."
            )
        raise DomainError(
            f"{engineer.full_name} has {len(live)} live placements ({clients}); "
            "end them before archiving the engineer."
        )
    engineer.is_active = False
    record_event(actor, "engineer.archived", engineer, pending_changes(engineer, {"is_active"}))


def restore_engineer(engineer: Engineer, actor: User) -> None:
    """Put an archived engineer back on the roster."""
    if engineer.is_active:
        raise DomainError(f"{engineer.full_name} is not archived.")
    engineer.is_active = True
    record_event(actor, "engineer.restored", engineer, pending_changes(engineer, {"is_active"}))


def _filtered(stmt: sa.Select, filters: EngineerFilters) -> sa.Select:
    stmt = stmt.where(Engineer.is_active.is_(not filters.archived))
    if filters.q:
        skill_named = (
            sa.select(EngineerSkill.engineer_id)
            .join(Skill, Skill.id == EngineerSkill.skill_id)
            .where(EngineerSkill.engineer_id == Engineer.id, icontains(Skill.name, filters.q))
            .exists()
        )
        stmt = stmt.where(
            sa.or_(
                icontains(Engineer.full_name, filters.q),
                icontains(Engineer.email, filters.q),
                skill_named,
            )
        )
    for column, value in (
        (Engineer.country, filters.country),
        (Engineer.seniority, filters.seniority),
        (Engineer.vetting_status, filters.vetting_status),
        (Engineer.timezone, filters.timezone),
    ):
        if value:
            stmt = stmt.where(column == value)
    if filters.skill_id:
        # EXISTS, not IN: walking the name index (ix_engineer_full_name_lower) in order, the
        # database stops once a page is full, instead of sorting every holder of the skill.
        stmt = stmt.where(
            sa.select(EngineerSkill.engineer_id)
            .where(
                EngineerSkill.engineer_id == Engineer.id,
                EngineerSkill.skill_id == filters.skill_id,
                EngineerSkill.level >= (filters.min_level or 1),
            )
            .exists()
        )
    if filters.available_by:
        day = filters.available_by
        stmt = stmt.where(
            sa.or_(Engineer.available_from.is_(None), Engineer.available_from <= day),
            ~engineer_booked(day, day),  # free that day: not in a live placement
        )
    return stmt


@dataclass(frozen=True)
class Bookings:
    """Engineers' live placements around a day, for what "available" means on a page."""

    until: dict[int, date | None]  # placed that day: its last day (None: open-ended)
    starts: dict[int, date]  # free that day but booked later: the first day of that placement


def bookings_on(engineer_ids: list[int], day: date) -> Bookings:
    """Which of these engineers a live placement holds on `day`, and until when; which are
    booked from a later day. "Available from" is what the engineer told us; a placement makes
    them busy whatever it says. One query for a page of engineers."""
    until: dict[int, date | None] = {}
    starts: dict[int, date] = {}
    if engineer_ids:
        rows = db.session.execute(
            sa.select(Placement.engineer_id, Placement.start_date, Placement.end_date).where(
                Placement.engineer_id.in_(engineer_ids),
                overlapping(day, None),  # booked on `day` or later
            )
        )
        for row in rows:
            if overlaps(row.start_date, row.end_date, day, day):
                until[row.engineer_id] = row.end_date
            elif row.engineer_id not in starts or row.start_date < starts[row.engineer_id]:
                starts[row.engineer_id] = row.start_date
    return Bookings(until, {e: d for e, d in starts.items() if e not in until})


def engineer_list(filters: EngineerFilters, sort: Sort) -> sa.Select:
    """Engineers matching the filters, with their skills loaded."""
    stmt = _filtered(sa.select(Engineer), filters).options(selectinload(Engineer.skills))
    return apply_sort(stmt, sort, SORTS, Engineer.id)


def engineers_for_export(
    filters: EngineerFilters, sort: Sort, batch: int = EXPORT_BATCH
) -> Iterator[Engineer]:
    """Every matching engineer in list order, loaded a batch at a time to bound memory."""
    ids = list(
        db.session.scalars(
            apply_sort(_filtered(sa.select(Engineer.id), filters), sort, SORTS, Engineer.id)
        )
    )
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        loaded = {
            e.id: e
            for e in db.session.scalars(
                sa.select(Engineer)
                .where(Engineer.id.in_(chunk))
                .options(selectinload(Engineer.skills))
            )
        }
        yield from (loaded[i] for i in chunk if i in loaded)
        for engineer in loaded.values():
            db.session.expunge(engineer)  # the session would otherwise keep every row


# The distinct zones by hopping along the timezone index (a "loose index scan"): one seek per
# zone instead of reading every engineer, on SQLite and PostgreSQL alike.
_DISTINCT_ZONES = sa.text(
    "WITH RECURSIVE zones(tz) AS ("
    " SELECT min(timezone) FROM engineer"
    " UNION ALL"
    " SELECT (SELECT min(timezone) FROM engineer WHERE timezone > zones.tz)"
    " FROM zones WHERE zones.tz IS NOT NULL"
    ") SELECT tz FROM zones WHERE tz IS NOT NULL"
).execution_options(reads_tables=("engineer",))  # for tracker.infra.cache: plain SQL


def roster_timezones() -> list[str]:
    """The time zones engineers on the roster work in, for the filter."""
    return list(db.session.scalars(_DISTINCT_ZONES))


_DISTINCT_COUNTRIES = sa.text(
    "WITH RECURSIVE countries(code) AS ("
    " SELECT min(country) FROM engineer"
    " UNION ALL"
    " SELECT (SELECT min(country) FROM engineer WHERE country > countries.code)"
    " FROM countries WHERE countries.code IS NOT NULL"
    ") SELECT code FROM countries WHERE code IS NOT NULL"
).execution_options(reads_tables=("engineer",))  # one index probe per country, not a scan


def roster_countries() -> list[str]:
    """The countries engineers on the roster live in, for the filter."""
    return list(db.session.scalars(_DISTINCT_COUNTRIES))


def roster_is_empty() -> bool:
    """No engineer at all, archived or not."""
    return db.session.scalar(sa.select(Engineer.id).limit(1)) is None


def engineer_placements(engineer: Engineer, limit: int = 20) -> list[Placement]:
    """The engineer's placements, live first then newest, with client and request loaded."""
    live_first = sa.case((Placement.status.in_(LIVE_PLACEMENT_STATUSES), 0), else_=1)
    stmt = (
        sa.select(Placement)
        .where(Placement.engineer_id == engineer.id)
        .options(selectinload(Placement.client), selectinload(Placement.request))
        .order_by(live_first, Placement.start_date.desc(), Placement.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def engineer_proposals(engineer: Engineer, limit: int = 20) -> list[Proposal]:
    """The engineer's latest proposals, with each request and its client loaded."""
    stmt = (
        sa.select(Proposal)
        .where(Proposal.engineer_id == engineer.id)
        .options(selectinload(Proposal.request).selectinload(StaffingRequest.client))
        .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))
