"""Realistic, deterministic demo data: the agency a new user meets on `make run`."""

import itertools
import random
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified

from tracker.demo import catalogue as cat
from tracker.infra.audit import record_event
from tracker.infra.passwords import hash_password
from tracker.models import (
    REVIEW_DIMENSIONS,
    VETTING_SCORES,
    AuditEvent,
    Client,
    DataGeneration,
    Engineer,
    EngineerSkill,
    Interview,
    Invoice,
    IterationReview,
    Notification,
    OutboxEmail,
    OutboxStatus,
    PayStatement,
    Placement,
    Proposal,
    RequestSkill,
    Skill,
    StaffingRequest,
    TableGeneration,
    Timesheet,
    TimesheetEntry,
    User,
    db,
)
from tracker.models.base import Timestamped
from tracker.models.enums import InterviewStatus, Priority, Role, Seniority, TimesheetStatus
from tracker.services import interviews, invoices, pay_statements, rates, timesheets, users
from tracker.services.billing import month_end, month_start, previous_month
from tracker.services.health import health_of
from tracker.services.proposals import offered_rate
from tracker.services.reviews import apply_summary, overall
from tracker.services.schedule import Iteration, iterations_until

ADMIN_EMAIL = "admin@agency.example"
STAFF = [
    (Role.ADMIN.value, ADMIN_EMAIL, "Olivia Bennett"),
    (Role.ACCOUNT_MANAGER.value, "am@agency.example", "Ana Morales"),
    (Role.ACCOUNT_MANAGER.value, "daniel@agency.example", "Daniel Reyes"),
]
DAY = timedelta(days=1)
CENT = Decimal("0.01")
RANK = {s.value: s.rank for s in Seniority}
YEARS = {"junior": (1, 3), "mid": (3, 6), "senior": (6, 15)}
RATES = {"junior": (25, 40), "mid": (40, 60), "senior": (55, 90)}  # USD/h paid to the engineer
BUDGETS = {"junior": (55, 75), "mid": (75, 100), "senior": (100, 145)}  # USD/h billed, at most
RAISES = 2  # long-running placements billed more since three months ago
SKILL_LEVELS = {"junior": (2, 3), "mid": (3, 4), "senior": (4, 5)}
MIN_LEVELS = {"junior": (2, 3), "mid": (3, 4), "senior": (3, 4)}
VETTING_MIX = {"vetted": 70, "sourced": 7, "screening": 8, "technical_interview": 8, "rejected": 7}
# Shares of the requests by status (filled takes what the others leave).
REQUEST_SHARES = {"open": 0.22, "closed": 0.12, "draft": 0.1, "on_hold": 0.08, "cancelled": 0.08}
# Outcomes other than acceptance, by request status, and how many such proposals it gets.
OTHER_PROPOSALS = {
    "open": (["shortlisted", "proposed", "interviewing", "declined", "withdrawn"], (2, 5)),
    "on_hold": (["shortlisted", "proposed", "withdrawn"], (1, 2)),
    "filled": (["declined", "declined", "withdrawn"], (1, 3)),
    "closed": (["declined", "declined", "withdrawn"], (0, 2)),
    "cancelled": (["withdrawn"], (0, 2)),
    "draft": ([], (0, 0)),
}
DECIDED = ("accepted", "declined", "withdrawn")
# The stage of each filled request, in turn: most running, some starting or ending soon.
FILLED_PHASES = ("running", "starting", "ending", "running")
# How the placements of closed requests ended, in turn.
CLOSED_ENDINGS = ("completed", "client_ended", "completed", "engineer_left", "completed")
# Timesheets: each running placement has this many past weeks of them; this many engineers of
# running placements sign in to log their own hours (staff enter the others' on their behalf).
TIMESHEET_WEEKS = (6, 8)
ENGINEER_ACCOUNTS = 3
# Billing: each client's payment terms in turn (days); how many invoices of the last month
# issued a client has not paid past their due date (one when there are few); the goodwill
# credit note's share of one line.
PAYMENT_TERMS = (30, 15, 45, 15)
OVERDUE = 2
GOODWILL = Decimal("0.10")


@dataclass
class SeedResult:
    """What seeding did, and how to sign in to look at it."""

    password: str
    logins: list[tuple[str, str, str | None]]
    created: dict[str, int] = field(default_factory=dict)  # noun -> count; {} if already there

    def summary(self) -> str:
        """One line for the terminal."""
        if not self.created:
            return "The demo data is already present; nothing changed."
        counts = [f"{n} {noun if n == 1 else noun + 's'}" for noun, n in self.created.items()]
        return "Created demo data: " + ", ".join(counts) + "."


@dataclass
class _World:
    """The rows made so far, plus the planning facts the rows themselves do not hold."""

    rng: random.Random
    today: date
    password_hash: str
    users: list[User] = field(default_factory=list)
    clients: list[Client] = field(default_factory=list)
    contact: dict[Client, User] = field(default_factory=dict)
    skills: dict[str, Skill] = field(default_factory=dict)
    engineers: list[Engineer] = field(default_factory=list)
    requests: list[StaffingRequest] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)
    reviews: list[IterationReview] = field(default_factory=list)
    profile: dict[object, str] = field(default_factory=dict)  # engineer or request -> profile
    bookings: dict[Engineer, list[tuple[date, date]]] = field(default_factory=dict)
    closed_endings: Iterator[str] = field(default_factory=lambda: itertools.cycle(CLOSED_ENDINGS))
    accounts: dict[Engineer, User] = field(default_factory=dict)  # engineers who sign in
    timesheets: list[Timesheet] = field(default_factory=list)
    notices: list[tuple[Notification, Timesheet]] = field(default_factory=list)
    fresh: list = field(default_factory=list)  # rows a service call just wrote
    interviews: int = 0  # demo interviews made so far

    def instant(self, day: date, hour: int | None = None) -> datetime:
        """A UTC working-hours instant on a day, never later than yesterday."""
        hour = self.rng.randint(12, 20) if hour is None else hour
        minute = self.rng.choice((0, 10, 25, 40, 55))
        return datetime.combine(min(day, self.today - DAY), time(hour, minute), tzinfo=UTC)

    def save(self, obj, bucket: list, created: datetime, updated: datetime | None = None):
        """Add a row with explicit timestamps (the defaults would read the clock)."""
        obj.created_at = created
        obj.updated_at = max(created, updated or created)
        db.session.add(obj)
        bucket.append(obj)
        return obj


def database_has_users() -> bool:
    """Whether anyone can sign in already (then `make run` leaves the data alone)."""
    return db.session.scalar(sa.select(User.id).limit(1)) is not None


def data_tables() -> list[sa.Table]:
    """Every table but the data generations, which are bookkeeping (see tracker.infra.cache)."""
    bookkeeping = {DataGeneration.__tablename__, TableGeneration.__tablename__}
    return [t for t in db.metadata.sorted_tables if t.name not in bookkeeping]


def wipe() -> None:
    """Delete every row of every data table, children first; the caller commits.

    Issued invoices and pay statements refuse a DELETE (their database triggers): emptying the
    whole database is the one exception, made by TRUNCATE on PostgreSQL (row triggers do not
    fire) and on SQLite by setting those triggers aside for the transaction.
    """
    tables = data_tables()
    if db.session.get_bind().dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names}"))
    else:
        guards = db.session.execute(
            sa.text(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'trigger' AND name LIKE '%issued_is_final%'"
            )
        ).all()
        for name, _ in guards:
            db.session.execute(sa.text(f'DROP TRIGGER "{name}"'))
        for table in reversed(tables):
            # A row referring to another of its table (a credit note, its lines) goes first: a
            # RESTRICT reference is checked row by row, even within one DELETE.
            for fk in table.foreign_keys:
                if fk.column.table is table:
                    db.session.execute(sa.delete(table).where(fk.parent.is_not(None)))
            db.session.execute(sa.delete(table))
        for _, sql in guards:
            db.session.execute(sa.text(sql))
    # The objects the session holds are gone, and a new seed may reuse their ids.
    db.session.expunge_all()


def seed(
    *, seed: int = 2026, engineers: int = 150, clients: int = 8, today: date | None = None
) -> SeedResult:
    """Create the demo agency, the same for the same seed and day, unless it is there already."""
    password = current_app.config["DEMO_PASSWORD"]
    if db.session.scalar(sa.select(User.id).where(User.email == ADMIN_EMAIL)) is not None:
        return SeedResult(password, _existing_logins())
    # Hash once: scrypt is slow on purpose, and every demo user shares the password.
    w = _World(random.Random(seed), today or date.today(), hash_password(password))
    # Rows are added as they are made (ids follow creation order) and flushed once, so no row
    # is ever updated after insert (updated_at and version_id stay as generated). Timesheets
    # come last, through the timesheets service like any week entered in the app: it updates
    # the placements' hours summaries (their updated_at is put back: bookkeeping, not an edit).
    # Billing comes after them, through the invoice and pay-statement services, dated at the
    # demo's days by _BillingClock.
    with db.session.no_autoflush:
        _add_skills(w)
        _add_staff_and_clients(w, clients)
        _add_engineers(w, engineers)
        _add_requests(w)
        _add_proposals_and_placements(w)
        _add_reviews(w)
        _summarise(w)
        _plan_timesheets(w)
    db.session.flush()
    _add_engineer_accounts(w)  # after the others, so the logins list them last by id too
    db.session.flush()
    _add_audit_trail(w)
    db.session.flush()
    _add_rates(w)
    db.session.flush()
    with _watching_new_rows(w):
        _add_timesheets(w)
    db.session.flush()
    billed = _add_billing(w)
    db.session.flush()
    met = _add_interviews(w)
    logins = [(u.role, u.email, _whose(u.client, u.engineer)) for u in w.users]
    counts = {
        "client": len(w.clients),
        "engineer": len(w.engineers),
        "staffing request": len(w.requests),
        "proposal": len(w.proposals),
        "placement": len(w.placements),
        "iteration review": len(w.reviews),
        "timesheet": len(w.timesheets),
        **billed,
        "interview": met,
    }
    return SeedResult(password, logins, counts)


def _existing_logins() -> list[tuple[str, str, str | None]]:
    """The demo sign-ins already in the database, in the order they were created."""
    rows = db.session.execute(
        sa.select(User)
        .where(User.email.like("%.example"))
        .options(joinedload(User.client), joinedload(User.engineer))
        .order_by(User.id)
    ).scalars()
    return [(u.role, u.email, _whose(u.client, u.engineer)) for u in rows]


def _whose(client: Client | None, engineer: Engineer | None) -> str | None:
    """What a login is shown with: a client user's company, an engineer's name."""
    if client is not None:
        return client.name
    return engineer.full_name if engineer is not None else None


def _slug(text: str) -> str:
    """Lowercase ASCII with dashes: 'Lumière Media' -> 'lumiere-media'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _weighted(rng: random.Random, weights: dict):
    """One key of a {choice: weight} mapping."""
    return rng.choices(list(weights), list(weights.values()))[0]


def _money(rng: random.Random, low: int, high: int, step_cents: int = 50) -> Decimal:
    """A whole-cent amount between low and high dollars."""
    return Decimal(rng.randrange(low * 100, high * 100 + 1, step_cents)).scaleb(-2)


def _days(n: int) -> timedelta:
    return timedelta(days=n)


# --- clients and users ---------------------------------------------------------------------


def _add_skills(w: _World) -> None:
    """The skills catalogue, reusing a skill that already exists under the same name."""
    existing = {s.name.lower(): s for s in db.session.scalars(sa.select(Skill))}
    for name, category in cat.SKILLS:
        skill = existing.get(name.lower())
        if skill is None:
            skill = Skill(name=name, category=category)
            db.session.add(skill)
        w.skills[name] = skill


def _client_specs(rng: random.Random, count: int) -> list[cat.ClientSpec]:
    """The curated clients, then invented ones with unique names in US/European zones."""
    specs = list(cat.CLIENTS[:count])
    taken = {spec[0] for spec in specs}
    while len(specs) < count:
        name = f"{rng.choice(cat.CLIENT_ADJECTIVES)} {rng.choice(cat.CLIENT_NOUNS)} Labs"
        if name in taken:
            name = f"{name} {len(specs) + 1}"  # the suffix grows, so it never repeats
        taken.add(name)
        country, zone, start, end = rng.choice(cat.CLIENT_ZONES)
        specs.append((name, rng.choice(cat.CLIENT_INDUSTRIES), country, zone, start, end, None))
    return specs


def _add_staff_and_clients(w: _World, count: int) -> None:
    """Agency staff, the client companies and one sign-in per client."""
    rng = w.rng
    for role, email, name in STAFF:
        user = User(email=email, name=name, role=role, password_hash=w.password_hash)
        w.save(user, w.users, w.instant(w.today - _days(1000)))
    managers = w.users[1:]
    for i, spec in enumerate(_client_specs(rng, count)):
        name, industry, country, zone, start, end, notes = spec
        client = Client(
            name=name,
            industry=industry,
            country=country,
            timezone=zone,
            workday_start=start,
            workday_end=end,
            account_manager=managers[i % len(managers)],
            notes=notes,
            payment_terms_days=PAYMENT_TERMS[i % len(PAYMENT_TERMS)],
        )
        since = w.instant(w.today - _days(rng.randint(200, 900)))
        w.save(client, w.clients, since)
        person = cat.CLIENT_CONTACTS[i % len(cat.CLIENT_CONTACTS)]
        email = f"{_slug(person.split()[0])}@{_slug(name)}.example"
        user = User(email=email, name=person, role=Role.CLIENT.value, client=client)
        user.password_hash = w.password_hash
        w.contact[client] = w.save(user, w.users, since + _days(2))


# --- engineers -----------------------------------------------------------------------------


def _add_engineers(w: _World, count: int) -> None:
    """The roster: Latin-American engineers with coherent profiles, most of them vetted."""
    rng = w.rng
    country_weights = [c[-1] for c in cat.COUNTRIES]
    for n in range(1, count + 1):
        code, zone, phones, lang, _ = rng.choices(cat.COUNTRIES, country_weights)[0]
        city = rng.choice(list(phones))
        first, last = rng.choice(cat.FIRST_NAMES[lang]), rng.choice(cat.LAST_NAMES[lang])
        second = rng.choice(cat.LAST_NAMES[lang])
        full_name = f"{first} {last}" + (f" {second}" if second != last and n % 3 == 0 else "")
        seniority = rng.choices(("junior", "mid", "senior"), (20, 40, 40))[0]
        start, end = _weighted(rng, cat.ENGINEER_HOURS)
        english = (15, 45, 30, 10) if seniority == "junior" else (4, 34, 42, 20)
        engineer = Engineer(
            full_name=full_name,
            email=f"{_slug(first)}.{_slug(last)}{n}@mail.example",
            phone=re.sub("#", lambda _: str(rng.randint(0, 9)), phones[city]),
            country=code,
            city=city,
            timezone=zone,
            workday_start=start,
            workday_end=end,
            seniority=seniority,
            years_experience=rng.randint(*YEARS[seniority]),
            english_level=rng.choices(("B1", "B2", "C1", "C2"), english)[0],
            hourly_rate=_money(rng, *RATES[seniority]),
            vetting_status=_weighted(rng, VETTING_MIX),
            is_active=rng.random() >= 0.04,
            notes=rng.choice(cat.ENGINEER_NOTES) if rng.random() < 0.25 else None,
        )
        sourced = _vet(w, engineer)
        profile = _weighted(rng, cat.PROFILE_WEIGHTS)
        _give_skills(w, engineer, profile)
        w.profile[engineer] = profile
        w.save(engineer, w.engineers, w.instant(sourced), engineer.vetted_at)


def _vet(w: _World, e: Engineer) -> date:
    """Scores, notes and dates that fit the vetting status; returns when they were sourced."""
    rng, today = w.rng, w.today
    sourced = today - _days(rng.randint(5, 120))
    if e.vetting_status != "vetted" and rng.random() < 0.7:
        e.available_from = today + _days(rng.randint(-30, 90))
    if e.vetting_status == "vetted":
        for score in VETTING_SCORES:
            setattr(e, score, rng.choices((3, 4, 5), (25, 45, 30))[0])
        vetted = today - _days(rng.randint(10, 700))
        e.vetted_at = w.instant(vetted)
        sourced = vetted - _days(rng.randint(7, 40))
        e.vetting_notes = rng.choice(cat.VETTING_NOTES_GOOD) if rng.random() < 0.6 else None
        roll = rng.random()  # most are on the bench now, a third free within two months
        if roll < 0.55:
            e.available_from = today - _days(rng.randint(1, 120))
        elif roll < 0.9:
            e.available_from = today + _days(rng.randint(1, 60))
    elif e.vetting_status == "rejected":
        for score in VETTING_SCORES:
            setattr(e, score, rng.choices((1, 2, 3, 4), (20, 45, 30, 5))[0])
        e.vetting_notes = rng.choice(cat.VETTING_NOTES_BAD)
    elif e.vetting_status == "technical_interview":
        e.code_quality, e.api_integration = rng.randint(3, 5), rng.randint(2, 5)
    elif e.vetting_status == "screening":
        e.communication = rng.randint(2, 5)
    return sourced


def _give_skills(w: _World, e: Engineer, profile: str) -> None:
    """3–7 skills: the profile's core at the seniority's level, plus a few extras."""
    rng, spec = w.rng, cat.PROFILES[profile]
    low, high = SKILL_LEVELS[e.seniority]
    extras = rng.sample(spec["extra"], rng.randint(0, 7 - len(spec["core"])))
    for name in spec["core"] + extras:
        level = rng.randint(low, high) if name in spec["core"] else rng.randint(low - 1, high - 1)
        years = rng.randint(1, max(1, e.years_experience))
        e.skills.append(EngineerSkill(skill=w.skills[name], level=level, years=years))


# --- staffing requests ---------------------------------------------------------------------


def _add_requests(w: _World) -> None:
    """3–5 staffing requests per client, every status represented, dated around today."""
    rng = w.rng
    per_client = [rng.randint(3, 5) for _ in w.clients]
    n = sum(per_client)
    # Fixed shares rather than draws: every status shows (from six requests on) and the
    # number of running placements does not swing with the seed.
    quota = {status: max(1, round(n * share)) for status, share in REQUEST_SHARES.items()}
    statuses = ["filled"] * max(1, n - sum(quota.values()))
    statuses = (statuses + [status for status, k in quota.items() for _ in range(k)])[:n]
    rng.shuffle(statuses)  # so no client gets all the drafts
    filled = 0
    for client, count in zip(w.clients, per_client, strict=True):
        for _ in range(count):
            status = phase = statuses.pop()
            if status == "filled":  # in turn: running, starting soon, ending soon
                phase, filled = FILLED_PHASES[filled % len(FILLED_PHASES)], filled + 1
            _add_request(w, client, status, phase)


def _request_dates(rng: random.Random, today: date, phase: str):
    """A start date and duration in weeks that fit the request's status and stage."""
    weeks = rng.choice((12, 16, 24, 26, 39, 52, None, None))
    if phase == "closed":  # over at least two weeks ago
        start = today - _days(rng.randint(150, 560))
        return start, rng.randint(8, min(52, (today - start).days // 7 - 2))
    if phase in ("running", "ending"):
        start = today - _days(rng.randint(21, 300))
        served = (today - start).days // 7 + 1  # weeks up to and including the current one
        if phase == "ending":  # the last day falls within the next four weeks
            return start, served + rng.randint(0, 3)
        return start, None if weeks is None else served + rng.randint(5, 30)
    offsets = {
        "starting": (3, 25),
        "open": (-10, 45),
        "on_hold": (10, 60),
        "draft": (14, 75),
        "cancelled": (-45, 30),
    }
    return today + _days(rng.randint(*offsets[phase])), weeks


def _add_request(w: _World, client: Client, status: str, phase: str) -> None:
    """One request of a profile's kind, with must-have and nice-to-have skills."""
    rng = w.rng
    profile = _weighted(rng, cat.PROFILE_WEIGHTS)
    spec = cat.PROFILES[profile]
    seniority = rng.choices(("junior", "mid", "senior"), (10, 40, 50))[0]
    start, weeks = _request_dates(rng, w.today, phase)
    project = rng.choice(spec["projects"])
    nice = rng.sample(spec["extra"], rng.randint(1, 3))
    own_zone = rng.choice(cat.CLIENT_ZONES) if rng.random() < 0.2 else (None, None, None, None)
    overlap = Decimal(rng.choice(("3", "3.5", "4", "4", "4.5", "5")))
    req = StaffingRequest(
        client=client,
        title=f"{seniority.capitalize()} {spec['role']} — {project}",
        description=(
            f"Join {client.name}'s team working on {project}. Must have: "
            f"{', '.join(spec['core'])}. Nice to have: {', '.join(nice)}. "
            f"At least {overlap} hours a day overlapping the team."
        ),
        seniority=seniority,
        headcount=rng.choices((1, 2, 3), (55, 30, 15))[0],
        start_date=start,
        duration_weeks=weeks,
        timezone=own_zone[1],
        workday_start=own_zone[2],
        workday_end=own_zone[3],
        min_overlap_hours=overlap,
        max_bill_rate=_money(rng, *BUDGETS[seniority], 500) if rng.random() < 0.75 else None,
        status=status,
        priority=rng.choices(Priority.values(), (15, 50, 25, 10))[0],
        created_by=client.account_manager,
    )
    for name in spec["core"]:
        level = rng.randint(*MIN_LEVELS[seniority])
        req.skills.append(RequestSkill(skill=w.skills[name], min_level=level, required=True))
    for name in nice:
        level = rng.randint(2, 3)
        req.skills.append(RequestSkill(skill=w.skills[name], min_level=level, required=False))
    created = min(start - _days(rng.randint(30, 50)), w.today - _days(rng.randint(1, 10)))
    w.profile[req] = profile
    w.save(req, w.requests, w.instant(created, 11))


# --- proposals and placements --------------------------------------------------------------


def _add_proposals_and_placements(w: _World) -> None:
    """Candidates for every request, and a placement for each accepted one."""
    vetted = [e for e in w.engineers if e.vetting_status == "vetted"]
    chains, funnel_shown = 0, False
    for req in w.requests:
        pool = _ranked(w, req, vetted)
        chains += _fill_seats(w, req, pool, chain=chains < 2)
        statuses, (low, high) = OTHER_PROPOSALS[req.status]
        if req.status == "open" and not funnel_shown:  # one request shows every stage
            others, funnel_shown = list(statuses), True
        else:
            others = w.rng.choices(statuses, k=w.rng.randint(low, high)) if statuses else []
        for status in others:
            # Candidates still in play are free when the work starts; past ones need not be.
            live = req.status in ("open", "on_hold")
            engineer = _take(w, pool, req.start_date, req.start_date) if live else _take(w, pool)
            if engineer is not None:
                _propose(w, req, engineer, status, req.created_at.date())
    # A booked engineer is next available the day after the last booking ends (if it does).
    free_from: dict[Engineer, date | None] = {}
    for p in w.placements:
        if p.status != "ended":
            last = free_from.get(p.engineer, date.min)
            end = p.end_date
            free_from[p.engineer] = None if last is None or end is None else max(last, end)
    for engineer, last in free_from.items():
        if last is not None:
            engineer.available_from = last + DAY


def _fill_seats(w: _World, req: StaffingRequest, pool: list[Engineer], chain: bool) -> int:
    """Accepted proposals and their placements; returns 1 if it made a replacement chain."""
    rng, start = w.rng, req.start_date
    end = start + _days(req.duration_weeks * 7 - 1) if req.duration_weeks else None
    if req.status == "open":
        seats = rng.randint(0, req.headcount - 1)  # partly staffed at most
    else:
        seats = req.headcount if req.status in ("filled", "closed") else 0
    chained = 0
    for seat in range(seats):
        engineer = _take(w, pool, start, end)
        if engineer is None:
            break
        proposal = _propose(w, req, engineer, "accepted", req.created_at.date())
        if chain and req.status == "filled" and seat == 0 and start < w.today - _days(90):
            _replacement_chain(w, req, proposal, pool, end)
            chained = 1
        elif req.status == "closed":
            assert end is not None  # a closed request always has a duration (_request_dates)
            reason = next(w.closed_endings)
            early = start + _days(rng.randint(30, (end - start).days - 1))
            _place(w, proposal, start, end if reason == "completed" else early, reason)
        else:
            _place(w, proposal, start, end)
    return chained


def _ranked(w: _World, req: StaffingRequest, vetted: list[Engineer]) -> list[Engineer]:
    """Vetted engineers, the request's profile and seniority first, ties in random order."""
    pool = [e for e in vetted if e.is_active or req.status == "closed"]
    w.rng.shuffle(pool)
    want, rank = w.profile[req], RANK[req.seniority]
    pool.sort(key=lambda e: (w.profile[e] != want, abs(RANK[e.seniority] - rank)))
    return pool


def _take(w: _World, pool: list[Engineer], start=None, end=None) -> Engineer | None:
    """Remove and return the best engineer in the pool not booked during [start, end]."""
    last = end or date.max
    for i, engineer in enumerate(pool):
        booked = w.bookings.get(engineer, [])
        if start is None or all(last < s or start > e for s, e in booked):
            return pool.pop(i)
    return None


def _propose(w: _World, req, engineer, status: str, first_day: date) -> Proposal:
    """A proposal with the score, dates and answer its status implies."""
    rng = w.rng
    created = first_day + _days(rng.randint(1, 7))
    proposed = created + _days(rng.randint(1, 4))
    decided = proposed + _days(rng.randint(2, 8))
    low = {"accepted": 75, "interviewing": 72, "proposed": 65}.get(status, 50)
    proposal = Proposal(
        request=req,
        engineer=engineer,
        status=status,
        score=Decimal(rng.randint(low * 100, 9600)).scaleb(-2),
        proposed_at=w.instant(proposed, 15) if status != "shortlisted" else None,
        decided_at=w.instant(decided, 18) if status in DECIDED else None,
        created_by=req.created_by,
    )
    if proposal.proposed_at is not None:  # the rate put to the client, as the app sets it
        proposal.bill_rate = offered_rate(proposal)
    if status == "declined":
        proposal.decline_reason = rng.choice(list(cat.DECLINE_REASONS))
        proposal.decline_note = cat.DECLINE_REASONS[proposal.decline_reason]
    at = w.instant(created, 13)
    return w.save(proposal, w.proposals, at, proposal.decided_at or proposal.proposed_at)


def _place(w: _World, proposal: Proposal, start, end, end_reason=None, replaces=None):
    """A placement for an accepted proposal; ended iff it has an end reason."""
    rng, req, engineer = w.rng, proposal.request, proposal.engineer
    bill = (engineer.hourly_rate * rng.randint(140, 180) / 100).quantize(CENT)
    if req.max_bill_rate is not None and bill > req.max_bill_rate:  # within budget if it pays
        bill = max(req.max_bill_rate, (engineer.hourly_rate * Decimal("1.3")).quantize(CENT))
    status = "ended" if end_reason else "active" if start <= w.today else "pending"
    placement = Placement(
        request=req,
        client=req.client,  # the request's client: the composite foreign key insists
        engineer=engineer,
        proposal=proposal,
        start_date=start,
        end_date=end,
        bill_rate=bill,
        pay_rate=engineer.hourly_rate,
        status=status,
        end_reason=end_reason,
        review_cadence_days=rng.choices((7, 14, 30), (20, 55, 25))[0],
        replaces=replaces,
    )
    # Even ended placements never overlap for one engineer: nobody works two seats at once.
    w.bookings.setdefault(engineer, []).append((start, end or date.max))
    decided_at = proposal.decided_at
    assert decided_at is not None  # only accepted proposals are placed, and they are decided
    created = w.instant(decided_at.date() + DAY, 19)
    updated = w.instant(end + DAY, 19) if end_reason else None
    return w.save(placement, w.placements, created, updated)


def _replacement_chain(w: _World, req, proposal, pool, end) -> None:
    """The first engineer leaves part-way; a second takes over the same seat."""
    rng, start = w.rng, req.start_date
    # The first chain shows a client-requested swap, any later one an engineer who left.
    swapped_before = any(p.end_reason == "replaced" for p in w.placements)
    reason = "engineer_left" if swapped_before else "replaced"
    switch = start + _days(rng.randint(35, (w.today - start).days - 21))
    original = _place(w, proposal, start, switch, reason)
    engineer = _take(w, pool, switch + DAY, end)
    if engineer is not None:
        second = _propose(w, req, engineer, "accepted", switch - _days(rng.randint(18, 25)))
        _place(w, second, switch + DAY, end, replaces=original)


# --- iteration reviews ---------------------------------------------------------------------


def _reviewable_iterations(p: Placement, today: date) -> list[Iteration]:
    """The iterations the app takes a review of before today: the same schedule
    (services.schedule) and the same rule, a review from the day after its iteration ends."""
    yesterday = today - DAY
    schedule = iterations_until(p.start_date, p.review_cadence_days, p.end_date, yesterday)
    return [it for it in schedule if it.due_on <= yesterday]


def _add_reviews(w: _World) -> None:
    """A review per reviewable iteration: mostly healthy, two falling, two overdue."""
    rng = w.rng
    periods = {p: _reviewable_iterations(p, w.today) for p in w.placements if p.status != "pending"}
    eligible = [p for p, done in periods.items() if p.status == "active" and len(done) >= 4]
    picked = rng.sample(eligible, min(4, len(eligible)))
    falling, overdue = picked[:2], picked[2:]
    for p, done in periods.items():
        if p in overdue:  # the latest one or two missing, the older of them clearly late
            done = done[: -1 if (w.today - done[-1].end).days > 7 else -2]
        trending_down = p in falling or p.end_reason in ("client_ended", "replaced")
        for it in done:
            from_last = len(done) - it.number
            _add_review(w, p, it, from_last if trending_down else None)


def _summarise(w: _World) -> None:
    """Each placement's review summary and days to place, as the services keep them."""
    reviewed: dict[Placement, list] = {p: [] for p in w.placements}
    for r in w.reviews:
        reviewed[r.placement].append((r.iteration, overall(r), r.would_continue))
    for p in w.placements:
        apply_summary(p, sorted(reviewed[p], key=lambda item: item[0]))
        p.days_to_place = max(0, (p.created_at.date() - p.request.created_at.date()).days)


def _add_review(w: _World, p: Placement, it: Iteration, from_last: int | None) -> None:
    """One iteration's ratings; from_last counts down to the latest review of a falling one."""
    rng = w.rng
    comments: str | None
    action_items: str | None
    if from_last is not None and from_last < 3:  # ~4.4 before, then 3.9, 3.4 and 2.8
        target = 2.8 + 0.55 * from_last
        scores = [min(5, max(1, round(target + rng.uniform(-0.6, 0.6)))) for _ in range(4)]
        would_continue, comments = from_last > 0, rng.choice(cat.REVIEW_COMMENTS_BAD)
        action_items = rng.choice(cat.ACTION_ITEMS)
    else:
        scores = rng.choices((3, 4, 5), (8, 45, 47), k=4)
        would_continue = True
        comments = rng.choice(cat.REVIEW_COMMENTS_GOOD) if rng.random() < 0.7 else None
        action_items = rng.choice(cat.ACTION_ITEMS) if rng.random() < 0.15 else None
    author = w.contact[p.client] if rng.random() < 0.6 else p.client.account_manager
    review = IterationReview(
        placement=p,
        iteration=it.number,
        period_start=it.start,
        period_end=it.end,
        **dict(zip(REVIEW_DIMENSIONS, scores, strict=True)),
        would_continue=would_continue,
        comments=comments,
        action_items=action_items,
        submitted_by=author,
    )
    # Written on its due date or up to three days later, never before (instant: by yesterday).
    w.save(review, w.reviews, w.instant(it.due_on + _days(rng.randint(0, 3))))


# --- engineer accounts and timesheets -------------------------------------------------------


def _plan_timesheets(w: _World) -> None:
    """When each live placement's timesheets start: a running one's some weeks ago (the weeks
    before the tracker kept hours are not missing), and at the latest on the last whole week of
    the month before last (so that month has hours to invoice, whatever day today is); a
    pending one's on its start date."""
    this_monday = timesheets.week_of(w.today)
    invoiced_month = previous_month(previous_month(w.today))
    last_whole_week = timesheets.week_of(month_end(invoiced_month)) - _days(7)
    for p in w.placements:
        if p.status == "pending":
            p.timesheets_from = p.start_date  # as a new placement gets it
        elif p.status == "active":
            first = this_monday - _days(7 * w.rng.randint(*TIMESHEET_WEEKS))
            p.timesheets_from = max(p.start_date, min(first, last_whole_week))


def _add_engineer_accounts(w: _World) -> None:
    """Accounts for a few engineers of running placements, who log their own hours (staff
    enter the others' on their behalf): some weeks into a placement that goes on a while, at
    different clients when there are enough."""
    rng = w.rng
    running = [
        p
        for p in w.placements
        if p.status == "active"
        and p.start_date <= w.today - _days(21)
        and (p.end_date is None or p.end_date >= w.today + _days(14))
        and users.engineer_problem(Role.ENGINEER.value, p.engineer) is None
    ]
    rng.shuffle(running)
    by_client = list({p.client: p for p in reversed(running)}.values())[::-1]
    picked = (by_client + [p for p in running if p not in by_client])[:ENGINEER_ACCOUNTS]
    for p in sorted(picked, key=w.placements.index):
        e = p.engineer
        assert p.timesheets_from is not None  # set above for every active placement
        user = User(
            email=e.email,
            name=e.full_name,
            role=Role.ENGINEER.value,
            engineer=e,
            password_hash=w.password_hash,
        )
        invited = p.timesheets_from - _days(rng.randint(3, 10))
        w.accounts[e] = w.save(user, w.users, w.instant(invited))


def _add_timesheets(w: _World) -> None:
    """The running placements' past weeks of hours, entered, submitted and answered through the
    timesheets service (so they obey its rules), then dated back to when each step happened.

    Mostly approved; the last week often still waits for the client; one approved
    automatically and one by the account manager on the client's behalf; exactly one rejected
    (an engineer with an account, who has it to correct), one week missing (another one), one
    placement whose approved hours ran below half the expected two weeks in a row.
    """
    rng, today = w.rng, w.today
    kept = {p: p.updated_at for p in w.placements}
    live = [p for p in w.placements if p.status == "active"]
    ended = {p: _tracked_weeks(p, today) for p in live}
    roles = _hour_roles(w, live, ended)
    special = set(roles.values())
    plain = [p for p in live if p not in special and p.engineer not in w.accounts]
    older = [(p, m) for p in plain for m in ended[p][2:]]
    automatic = rng.choice(older) if older else None
    older = [(p, m) for p in plain for m in ended[p][1:] if automatic is None or p != automatic[0]]
    on_behalf = rng.choice(older) if older else None
    for monday in sorted({m for weeks in ended.values() for m in weeks}):
        for p in live:
            if monday not in ended[p] or (p is roles.get("missing") and monday == ended[p][0]):
                continue
            if p is roles.get("rejected") and monday == ended[p][0]:
                _rejected_week(w, p, monday)
                continue
            low = p is roles.get("low") and monday in ended[p][:3]
            answer = "client"
            if (p, monday) == automatic:
                answer = "automatic"
            elif (p, monday) == on_behalf:
                answer = "on behalf"
            elif monday == ended[p][0] and (p in special or rng.random() < 0.5):
                answer = "none yet"
            _logged_week(w, p, monday, _week_entries(w, p, monday, low=low), answer)
    waiting = roles.get("waiting")
    if waiting is not None and waiting.engineer in w.accounts:
        _draft_this_week(w, waiting)
    for notice, timesheet in w.notices:  # what was settled was read when it was
        if timesheet.status == TimesheetStatus.APPROVED and timesheet.decided_at is not None:
            seen = timesheet.decided_at - timedelta(minutes=2)
            notice.read_at = max(notice.created_at + timedelta(hours=1), seen)
    for p in live:  # with the dates the weeks were answered on (a rejection counts from it)
        timesheets.refresh_hours_summary(p, today)
    db.session.flush()
    for p, updated in kept.items():  # the summaries are bookkeeping, not an edit of the placement
        p.updated_at = updated


def _tracked_weeks(p: Placement, today: date) -> list[date]:
    """The Mondays of the placement's weeks that ended since its timesheets started, newest
    first."""
    assert p.timesheets_from is not None  # every active placement has it (_add_engineer_accounts)
    first = timesheets.week_of(p.timesheets_from)
    return [m for m in timesheets.weeks_of(p, today) if first <= m and m + _days(6) < today]


def _hour_roles(
    w: _World, live: list[Placement], ended: dict[Placement, list[date]]
) -> dict[str, Placement]:
    """Which placement shows what: a rejected week, a missing one, a week waiting beside a
    draft, low hours. The first three on engineers who sign in when there are enough of them;
    low hours on full weeks of a placement whose reviews are fine (so hours are the reason)."""
    signed_in = [p for p in live if p.engineer in w.accounts and len(ended[p]) >= 2]
    others = [p for p in live if p.engineer not in w.accounts and len(ended[p]) >= 2]
    roles = dict(zip(("rejected", "missing", "waiting"), signed_in + others, strict=False))

    def full_weeks(p: Placement) -> bool:
        weeks = ended[p]
        last_friday = weeks[0] + _days(4) if weeks else None
        return (
            len(weeks) >= 3
            and p.start_date <= weeks[2]
            and (p.end_date is None or (last_friday is not None and p.end_date >= last_friday))
        )

    low = [p for p in others if p not in roles.values() and full_weeks(p)]
    low.sort(key=lambda p: getattr(health_of(p, w.today), "level", None) != "green")
    if low:
        roles["low"] = low[0]
    return roles


def _week_entries(
    w: _World, p: Placement, monday: date, *, low: bool = False, offsite: bool = False
) -> list[timesheets.EntryInput]:
    """A week's days worked: 7–9 hours on weekdays, now and then a day with a remark and other
    hours, a day off or a Saturday incident; low: three short days; offsite: a 10-hour Thursday
    the client will dispute."""
    rng = w.rng
    days = [d for d in timesheets.placement_days(p, monday) if d < w.today]
    weekdays = [d for d in days if d.weekday() < 5]
    Entry = timesheets.EntryInput
    if low:
        worked = sorted(rng.sample(weekdays, min(3, len(weekdays))))
        return [
            Entry(
                d, Decimal(rng.choice(("3.5", "4", "4", "4.5"))), None if k else cat.LOW_HOURS_NOTE
            )
            for k, d in enumerate(worked)
        ]
    disputed = weekdays[min(3, len(weekdays) - 1)] if offsite and weekdays else None
    remark = rng.choice(weekdays) if weekdays and rng.random() < 0.3 else None
    off = rng.choice(weekdays) if len(weekdays) == 5 and rng.random() < 0.08 else None
    entries = []
    for d in weekdays:
        if d == disputed:
            entries.append(Entry(d, Decimal(10), cat.OFFSITE_NOTE))
        elif d == remark:
            note, low_hours, high_hours = rng.choice(cat.DAY_NOTES)
            entries.append(Entry(d, _quarter_hours(rng, low_hours, high_hours), note))
        elif d != off:
            entries.append(Entry(d, Decimal(rng.choice(cat.DAY_HOURS))))
    saturday = monday + _days(5)
    if saturday in days and rng.random() < 0.05:
        entries.append(Entry(saturday, _quarter_hours(rng, "2", "3"), cat.WEEKEND_NOTE))
    return entries


def _quarter_hours(rng: random.Random, low: str, high: str) -> Decimal:
    """Hours between low and high, in quarter hours."""
    return Decimal(rng.randint(int(Decimal(low) * 4), int(Decimal(high) * 4))) / 4


def _logged_week(
    w: _World, p: Placement, monday: date, entries: list[timesheets.EntryInput], answer: str
) -> None:
    """A week entered and submitted (the engineer on Friday afternoon or Monday morning, staff
    on their behalf on Monday), then answered as `answer` says: by the client within three
    business days, by the account manager on the client's behalf, automatically after
    TIMESHEET_AUTO_APPROVE_DAYS business days, or not yet."""
    rng, today = w.rng, w.today
    who = _enterer(w, p)
    friday, monday_after = monday + _days(4), monday + _days(7)
    # A week left waiting went in on Monday when it could: not yet due for automatic approval
    # by the daily job that `make run` runs after seeding, whatever day of the week it is.
    early = answer != "none yet" and who.is_engineer and rng.random() < 0.7
    if monday_after >= today or early:
        entered = _at(w, friday, rng.randint(17, 20))
    else:
        entered = _at(w, monday_after, rng.randint(12, 15))
    t = _entered(w, p, monday, entries, who, entered)
    submitted = entered + timedelta(minutes=rng.randint(2, 15))
    _dated(w, submitted, "submitted_at", t, lambda: timesheets.submit(t, who, today=today))
    if answer == "automatic":  # as the daily job does it, on the morning it is due
        due = _business_days_after(
            submitted.date(), current_app.config["TIMESHEET_AUTO_APPROVE_DAYS"]
        )
        if due < today:
            on = _at(w, due, 6)
            _dated(w, on, "decided_at", t, lambda: timesheets.approve(t, None, today=today))
            return
    answer_day = _business_days_after(submitted.date(), rng.randint(1, 3))
    if answer == "none yet" or answer_day >= today:
        return
    on = _at(w, answer_day, rng.randint(14, 18))
    client_user = w.contact[p.client]
    if answer == "on behalf":
        am, note = _enterer(w, p), cat.ON_BEHALF_NOTE.format(name=client_user.name)
        assert am.is_staff  # never None: that would be the daily job's automatic approval
        _dated(w, on, "decided_at", t, lambda: timesheets.approve(t, am, today=today, note=note))
    else:
        _dated(w, on, "decided_at", t, lambda: timesheets.approve(t, client_user, today=today))


def _enterer(w: _World, p: Placement) -> User:
    """Who logs a placement's hours: its engineer when they sign in, else the account manager."""
    who = w.accounts.get(p.engineer) or p.client.account_manager
    assert who is not None  # every demo client has an account manager
    return who


def _rejected_week(w: _World, p: Placement, monday: date) -> None:
    """The last week, submitted on Friday with a 10-hour offsite day, sent back by the client
    with the reason (on the next working day, or the same evening when that is today)."""
    rng, today = w.rng, w.today
    who = _enterer(w, p)
    entries = _week_entries(w, p, monday, offsite=True)
    t = _entered(w, p, monday, entries, who, _at(w, monday + _days(4), 17))
    submitted = t.created_at + timedelta(minutes=rng.randint(2, 15))
    _dated(w, submitted, "submitted_at", t, lambda: timesheets.submit(t, who, today=today))
    disputed = next((e.work_date for e in entries if e.note == cat.OFFSITE_NOTE), monday)
    reason = cat.OFFSITE_REASON.format(day=disputed.strftime("%A"))
    next_day = monday + _days(7)
    on = _at(w, next_day, rng.randint(15, 17)) if next_day < today else _at(w, submitted.date(), 21)
    client_user = w.contact[p.client]
    _dated(w, on, "decided_at", t, lambda: timesheets.reject(t, client_user, reason, today=today))


def _draft_this_week(w: _World, p: Placement) -> None:
    """The engineer's week in progress: the days so far, saved last night, not submitted."""
    monday, yesterday = timesheets.week_of(w.today), w.today - DAY
    entries = [e for e in _week_entries(w, p, monday) if e.work_date.weekday() < 5]
    if entries:
        _entered(w, p, monday, entries, w.accounts[p.engineer], _at(w, yesterday, 21))


def _entered(
    w: _World,
    p: Placement,
    monday: date,
    entries: list[timesheets.EntryInput],
    who: User,
    at: datetime,
) -> Timesheet:
    """A new week saved through the service (the engineer, or staff on their behalf), its
    last days left out if a lower TIMESHEET_MAX_WEEKLY_HOURS is set than the demo's weeks need."""
    cap = Decimal(current_app.config["TIMESHEET_MAX_WEEKLY_HOURS"])
    while sum(e.hours for e in entries) > cap:
        entries = entries[:-1]
    t = _dated(
        w,
        at,
        "created_at",
        None,
        lambda: timesheets.save_week(p, monday, entries, who, today=w.today),
    )
    w.timesheets.append(t)
    return t


def _dated(
    w: _World,
    at: datetime,
    stamp: str,
    timesheet: Timesheet | None,
    call: Callable[[], Timesheet | None],
) -> Timesheet:
    """Make one service call as if at `at`.

    The service stamps what it writes with the clock; the demo's past is dated instead: the
    timesheet's instant (`stamp`) and its last change, the history events, the notifications
    (whose keys carry the instant) and their e-mails, marked sent then, as they were.
    """
    w.fresh.clear()
    made = call()
    t = made if timesheet is None else timesheet
    assert t is not None  # save_week returns the timesheet; the other calls are given it
    clock = getattr(t, stamp)
    setattr(t, stamp, at)
    t.updated_at = at
    for row in w.fresh:
        row.created_at = at
        if isinstance(row, Notification):
            if row.key and clock is not None:
                row.key = row.key.replace(f"{clock:%Y%m%d%H%M%S}", f"{at:%Y%m%d%H%M%S}")
            w.notices.append((row, t))
        elif isinstance(row, OutboxEmail):
            row.next_attempt_at = row.sent_at = at
            row.status = OutboxStatus.SENT.value
    w.fresh.clear()
    return t


@contextmanager
def _watching_new_rows(w: _World) -> Iterator[None]:
    """Collect in w.fresh the history events, notifications and e-mails the services write:
    added to the session, or (notifications) inserted and returned by the database."""
    session = db.session()

    def seen(_session, row) -> None:
        if isinstance(row, AuditEvent | Notification | OutboxEmail):
            w.fresh.append(row)

    hooks = ("transient_to_pending", "loaded_as_persistent")
    for hook in hooks:
        sa.event.listen(session, hook, seen)
    try:
        yield
    finally:
        for hook in hooks:
            sa.event.remove(session, hook, seen)


def _at(w: _World, day: date, hour: int) -> datetime:
    """A UTC instant in that hour of a past day."""
    assert day < w.today, (day, w.today)
    return datetime.combine(day, time(hour, w.rng.choice((0, 10, 25, 40, 55))), tzinfo=UTC)


def _business_days_after(day: date, n: int) -> date:
    """The n-th Monday-to-Friday day after this one."""
    while n:
        day += DAY
        n -= day.weekday() < 5
    return day


# --- rates -----------------------------------------------------------------------------------


def _add_rates(w: _World) -> None:
    """Every placement's first rate, as creation writes it, and a higher bill rate from the
    first of the month three months ago for a few long-running placements (a contract renewal;
    the engineer keeps their roster rate), through the rate service (so it obeys its rules),
    dated back to when it was agreed."""
    for p in w.placements:
        rates.start_rates(p, p.client.account_manager).created_at = p.created_at
    db.session.flush()
    raised_on = (w.today - _days(90)).replace(day=1)
    long_running = [
        p
        for p in w.placements
        if p.status == "active"
        and p.start_date <= raised_on - _days(60)
        and (p.end_date is None or p.end_date > w.today)
    ]
    for p in long_running[:RAISES]:
        kept, agreed = p.updated_at, w.instant(raised_on - _days(10))
        w.fresh.clear()
        with _watching_new_rows(w):
            raise_ = rates.change_rate(
                p,
                effective_from=raised_on,
                bill_rate=(p.bill_rate * Decimal("1.05")).quantize(CENT),
                pay_rate=p.pay_rate,
                note="Contract renewed at the new year's rate.",
                actor=p.client.account_manager,
                today=w.today,
            )
        raise_.created_at = agreed
        for row in w.fresh:  # the history event
            row.created_at = agreed
        w.fresh.clear()
        p.updated_at = max(kept, agreed)


# --- invoices and pay statements -----------------------------------------------------------


class _BillingClock:
    """The demo instant the billing services run at.

    The services stamp what they write with the real clock; while listening, every row a flush
    inserts (and every timestamped row it changes) is stamped with `now` instead, so the demo's
    past is dated and the same seed and day give the same rows.
    """

    def __init__(self) -> None:
        self.now: datetime | None = None

    def _stamp(self, session, _context, _instances) -> None:
        if self.now is None:
            return
        for row in session.new:
            for column in ("created_at", "updated_at"):
                if hasattr(row, column):
                    setattr(row, column, self.now)
        for row in session.dirty:
            if isinstance(row, Timestamped) and session.is_modified(row, include_collections=False):
                row.updated_at = self.now
                flag_modified(row, "updated_at")  # even if unchanged: else the clock stamps it

    @contextmanager
    def listening(self) -> Iterator["_BillingClock"]:
        session = db.session()
        sa.event.listen(session, "before_flush", self._stamp)
        try:
            yield self
        finally:
            sa.event.remove(session, "before_flush", self._stamp)

    def at(self, instant: datetime, call: Callable):
        """Make one service call (or a few) as if at `instant`, and write what it did."""
        self.now = instant
        try:
            made = call()
            db.session.flush()
        finally:
            self.now = None
        return made


def _billed_months(w: _World) -> list[date]:
    """The first days of the months with approved hours, up to last month."""
    first = db.session.scalar(
        sa.select(sa.func.min(TimesheetEntry.work_date))
        .join(Timesheet, TimesheetEntry.timesheet_id == Timesheet.id)
        .where(Timesheet.status == TimesheetStatus.APPROVED)
    )
    months: list[date] = []
    month = month_start(first) if first is not None else w.today
    while month <= previous_month(w.today):
        months.append(month)
        month = month_end(month) + DAY
    return months


def _add_billing(w: _World) -> dict[str, int]:
    """Each past month's approved hours invoiced and paid through the billing services, as the
    agency did it: pay statements issued on the first working day after the month and paid a
    few days later; invoices issued on the 3rd of the following month by the account manager,
    most paid within their terms, one or two of the last month issued past their due date and
    unpaid, one credited with a goodwill note. Last month's invoices and statements are drafts,
    built last night. Numbers are taken in issue order, so they run without gaps."""
    admin, clock = w.users[0], _BillingClock()
    last_month = previous_month(w.today)
    issued: list[Invoice] = []
    statements: list[PayStatement] = []
    with clock.listening():
        for month in _billed_months(w)[:-1]:  # the last one is last month
            statements += _pay_month(w, clock, month)
            issued += _invoice_month(w, clock, month)
        credit_notes = _settle_invoices(w, clock, issued)
        built = _at(w, w.today - DAY, 21)
        drafts = clock.at(built, lambda: invoices.draft_month(last_month, admin).created)
        pay_drafts = clock.at(built, lambda: pay_statements.draft_month(last_month, admin).created)
    return {
        "invoice": len(issued) + len(drafts),
        "credit note": credit_notes,
        "pay statement": len(statements) + len(pay_drafts),
    }


def _pay_month(w: _World, clock: _BillingClock, month: date) -> list[PayStatement]:
    """A month's pay statements: drafted and issued on the first working day after it, paid
    two to five days later."""
    admin, rng = w.users[0], w.rng
    issued_on = _business_days_after(month_end(month), 1)
    run = clock.at(_at(w, issued_on, 13), lambda: pay_statements.draft_month(month, admin))
    made = sorted(run.created, key=lambda s: (s.engineer.full_name, s.engineer_id))
    at = _at(w, issued_on, 15)
    for statement in made:
        clock.at(at, lambda s=statement: pay_statements.issue(s, admin, today=issued_on))
    paid_on = issued_on + _days(rng.randint(2, 5))
    at = _at(w, paid_on, 16)
    for statement in made:
        clock.at(
            at,
            lambda s=statement: pay_statements.mark_paid(s, admin, paid_on=paid_on, today=w.today),
        )
    return made


def _invoice_month(w: _World, clock: _BillingClock, month: date) -> list[Invoice]:
    """A month's invoices, drafted and issued on the 3rd of the next by each client's account
    manager."""
    issued_on = month_end(month) + _days(3)
    run = clock.at(_at(w, issued_on, 13), lambda: invoices.draft_month(month, w.users[0]))
    made = sorted(run.created, key=lambda i: i.client.name)
    at = _at(w, issued_on, 15)
    for invoice in made:
        am = invoice.client.account_manager
        clock.at(at, lambda i=invoice, am=am: invoices.issue(i, am, today=issued_on))
    return made


def _settle_invoices(w: _World, clock: _BillingClock, issued: list[Invoice]) -> int:
    """Payments as they came in, within each client's terms or not yet; one or two invoices of
    the last month issued left unpaid past their due date; a goodwill credit note on another
    one a few days after it was issued (before any later number). Returns the credit notes."""
    if not issued:
        return 0
    rng, admin = w.rng, w.users[0]
    latest = [i for i in issued if i.issued_on == issued[-1].issued_on]
    late = [i for i in latest if i.due_on is not None and i.due_on < w.today]
    unpaid = rng.sample(late, min(len(late), OVERDUE if len(latest) >= 6 else 1))
    notes = 0
    if goodwill := [i for i in latest if i not in unpaid]:
        invoice = rng.choice(goodwill)
        # The newest placement's line: its first weeks were the slow ones.
        line = max(invoice.lines, key=lambda line: (line.placement.start_date, line.position))
        share = (line.amount * GOODWILL).quantize(CENT, rounding=ROUND_HALF_UP)
        assert invoice.issued_on is not None  # issued above
        credited_on = min(invoice.issued_on + _days(rng.randint(3, 6)), w.today - DAY)
        am = invoice.client.account_manager
        reason = (
            f"Goodwill: onboarding week — {GOODWILL:.0%} of line {line.position} "
            f"({line.placement.engineer.full_name}), as agreed with the client."
        )
        request = invoices.CreditRequest(reason=reason, amount=share)
        clock.at(
            _at(w, credited_on, 16),
            lambda: invoices.credit(invoice, request, am, today=credited_on),
        )
        notes = 1
    for invoice in issued:
        assert invoice.issued_on is not None  # issued above
        if invoice in unpaid:
            continue
        terms = invoice.client.payment_terms_days
        paid_on = invoice.issued_on + _days(rng.randint(7, max(8, terms - 2)))
        if paid_on < w.today:  # else not paid yet, as clients do
            clock.at(
                _at(w, paid_on, 17),
                lambda i=invoice, on=paid_on: invoices.mark_paid(
                    i, admin, paid_on=on, today=w.today
                ),
            )
    return notes


# --- history -------------------------------------------------------------------------------


def _add_audit_trail(w: _World) -> None:
    """Creation and status-change events, dated like the rows, for the history pages."""

    def event(actor, action, entity, at: datetime, **changes) -> None:
        changes = {field: list(values) for field, values in changes.items()}
        record_event(actor, action, entity, changes).created_at = at

    for user in w.users:
        event(w.users[0], "user.created", user, user.created_at, role=(None, user.role))
    filled_at = {p.request: p.decided_at for p in w.proposals if p.status == "accepted"}
    for req in w.requests:
        am, created = req.created_by, req.created_at
        event(am, "request.created", req, created, status=(None, "draft"))
        if req.status != "draft":
            event(am, "request.status_changed", req, created, status=("draft", "open"))
        if req.status == "closed":
            weeks = req.duration_weeks
            assert weeks is not None  # a closed request always has a duration (_request_dates)
            over = w.instant(req.start_date + _days(7 * weeks))
            event(am, "request.status_changed", req, over, status=("open", "closed"))
        elif req.status != "open" and req.status != "draft":
            at = filled_at.get(req) or w.instant(created.date() + _days(w.rng.randint(7, 30)))
            event(am, "request.status_changed", req, at, status=("open", req.status))
    for p in w.proposals:
        am, client_user = p.created_by, w.contact[p.request.client]
        event(am, "proposal.created", p, p.created_at, status=(None, "shortlisted"))
        if p.proposed_at:
            event(
                am, "proposal.status_changed", p, p.proposed_at, status=("shortlisted", "proposed")
            )
        if p.status not in ("shortlisted", "proposed"):
            actor = am if p.status == "withdrawn" else client_user  # the client decides
            event(actor, "proposal.status_changed", p, p.updated_at, status=("proposed", p.status))
    for pl in w.placements:
        am = pl.client.account_manager
        event(am, "placement.created", pl, pl.created_at, status=(None, "pending"))
        if pl.status != "pending":
            started = w.instant(pl.start_date, 12)
            event(am, "placement.status_changed", pl, started, status=("pending", "active"))
        if pl.status == "ended":
            ended = {"status": ("active", "ended"), "end_reason": (None, pl.end_reason)}
            event(am, "placement.status_changed", pl, pl.updated_at, **ended)
    for r in w.reviews:
        event(r.submitted_by, "review.submitted", r, r.created_at, iteration=(None, r.iteration))


# --- interviews ------------------------------------------------------------------------------

# Past interviews with outcomes: accepted proposals (the client went on) and a few declined.
MET_ACCEPTED = 6
MET_DECLINED = 2
MEETING_LINK = "https://meet.example.com/{}"


def _add_interviews(w: _World) -> int:
    """Interviews in every state a user meets: held ones with outcomes before proposals were
    decided, a no-show, one scheduled in the coming days and one requested, waiting for the
    agency. Their times are slots free_slots offers (inside both working days)."""
    rng = w.rng
    made: list[Interview] = []
    ever = datetime(2000, 1, 1, tzinfo=UTC)
    proposed = [p for p in w.proposals if p.proposed_at is not None]
    wanted = {"accepted": MET_ACCEPTED, "declined": MET_DECLINED}
    for p in reversed(proposed):  # the latest first
        if p.decided_at is None or p.proposed_at is None or not wanted.get(p.status):
            continue
        day = p.proposed_at.date() + DAY
        slots = [s for s in interviews.free_slots(p, day, days=3, now=ever) if s[1] < p.decided_at]
        if not slots:
            continue
        wanted[p.status] -= 1
        slot = rng.choice(slots[:8])
        keep = p.status == "accepted"
        low, high = (4, 5) if keep else (2, 4)
        musts = [n.skill.name for n in p.request.skills if n.required]
        held = slot[1] + timedelta(hours=2)
        made.append(
            _interview(
                w,
                p,
                InterviewStatus.COMPLETED,
                slot,
                asked=p.proposed_at + timedelta(hours=1),
                changed=held,
                confirmed_at=p.proposed_at + timedelta(hours=3),
                skill_ratings={name: rng.randint(low, high) for name in musts},
                overall_rating=rng.randint(4, 5) if keep else rng.randint(2, 3),
                would_continue=keep,
                outcome_note=None if keep else "Not the depth we need on the platform side.",
                outcome_by=w.contact.get(p.request.client),
                outcome_at=held,
            )  # fmt: skip
        )
    waiting = [p for p in proposed if p.status == "interviewing"]
    # A no-show: the engineer missed one, and the client asked again later.
    if len(waiting) > 2 and (p := waiting[-3]).proposed_at is not None:
        slots = interviews.free_slots(p, p.proposed_at.date() + DAY, days=2, now=ever)
        if slots and slots[0][1] < datetime.combine(w.today, time(0), tzinfo=UTC):
            made.append(
                _interview(
                    w,
                    p,
                    InterviewStatus.NO_SHOW,
                    slots[0],
                    asked=p.proposed_at + timedelta(hours=1),
                    changed=slots[0][1],
                    confirmed_at=p.proposed_at + timedelta(hours=2),
                    no_show_party="engineer",
                )  # fmt: skip
            )
    # One scheduled in the coming days (this week unless the week is over) and one requested
    # (three times offered, waiting for the agency), at the first client's if it can: its
    # portal login and its account manager see them.
    first_client = w.clients[0]

    def mine_first(ps):
        return sorted(ps, key=lambda p: (p.request.client is not first_client, -p.id))

    tomorrow = datetime.combine(w.today + DAY, time(0), tzinfo=UTC)
    for p in mine_first(waiting):
        if slots := interviews.free_slots(p, w.today, days=5, now=tomorrow):
            confirmed = w.instant(w.today - DAY, 16)
            made.append(
                _interview(
                    w,
                    p,
                    InterviewStatus.SCHEDULED,
                    slots[min(2, len(slots) - 1)],
                    asked=w.instant(w.today - 2 * DAY, 14),
                    changed=confirmed,
                    confirmed_at=confirmed,
                )  # fmt: skip
            )
            break
    for p in mine_first([p for p in proposed if p.status == "proposed"]):
        slots = interviews.free_slots(p, w.today + DAY, days=6, now=tomorrow)
        if len(slots) >= 3:
            picks = [slots[1], slots[len(slots) // 2], slots[-2]]
            made.append(
                _interview(
                    w,
                    p,
                    InterviewStatus.REQUESTED,
                    asked=w.instant(w.today - DAY, 15),
                    choices=[[a.isoformat(), b.isoformat()] for a, b in picks],
                )  # fmt: skip
            )
            break
    db.session.flush()
    return len(made)


def _interview(w: _World, p: Proposal, status: str, slot=None, *, asked, changed=None, **fields):
    """A demo interview the client's contact asked for; with a slot, confirmed by the client's
    account manager, with a meeting link."""
    # The same demo, the same rows (ids differ between databases): a UID from what the
    # interview is, not from chance or ids.
    w.interviews += 1  # the n-th demo interview: unique, and the same in every load
    what = f"{w.interviews}:{p.request.client.name}:{p.engineer.email}:{status}"
    uid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"engagement-tracker:demo:{what}"))
    row = Interview(
        uid=uid,
        proposal=p,
        engineer_id=p.engineer_id,
        status=status,
        choices_side="client",
        requested_by=w.contact.get(p.request.client),
        **({"choices": []} | fields),
    )
    if slot is not None:
        row.starts_at, row.ends_at = slot
        row.confirmed_by = p.request.client.account_manager
        row.meeting_url = MEETING_LINK.format(uid[:13])
    return w.save(row, [], asked, changed)
