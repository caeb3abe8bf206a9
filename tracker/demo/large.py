"""Agency-scale data for benchmarks: 100,000 engineers (about 6 skills each), 5,000 clients,
20,000 requests, 100,000 proposals, 50,000 placements and 500,000 iteration reviews; the last
26 weeks' timesheets with their invoices, credit notes and pay statements, and interviews.

    flask --app wsgi seed-demo --scale large [--seed 2026] [--reset --yes]
    python -m benchmarks.large DATABASE_URL [--seed 2026] [--fraction 0.1]

Four years of an agency's history, planned in memory as plain rows (no ORM objects), then
written table by table as Core executemany batches under a progress bar, as roster.py does.
Values come from the demo data's catalogue (profiles, rates, vetting mix, names); most
placements have ended and about 15 % are live; every finished iteration has its review except
the few a real agency misses (a recent one not written yet, some overdue, some last ones of
ended placements). Each placement's review summary is set by services.reviews.apply_summary,
as the app keeps it. Rates and hours are planned by large_hours.py, invoices and pay
statements by large_billing.py, interviews by large_interviews.py, after the placements. The
same seed and day give the same rows.
"""

import itertools
import random
import secrets
import time as clock
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple, cast

import click
import sqlalchemy as sa

from tracker.demo import catalogue as cat
from tracker.demo import roster
from tracker.demo.data import (
    ADMIN_EMAIL,
    BUDGETS,
    MIN_LEVELS,
    RATES,
    SKILL_LEVELS,
    STAFF,
    VETTING_MIX,
    YEARS,
    SeedResult,
    _existing_logins,
    _slug,
)
from tracker.demo.large_billing import Billing
from tracker.demo.large_hours import Hours, payment_terms
from tracker.demo.large_interviews import Meetings
from tracker.infra.passwords import hash_password
from tracker.models import (
    AuditEvent,
    Client,
    DocumentNumber,
    Engineer,
    EngineerSkill,
    Interview,
    Invoice,
    InvoiceLine,
    IterationReview,
    PayLine,
    PayStatement,
    Placement,
    PlacementRate,
    Proposal,
    RequestSkill,
    StaffingRequest,
    Timesheet,
    TimesheetEntry,
    User,
    db,
)
from tracker.services.reviews import apply_summary, overall

DAY = timedelta(days=1)
CENT = Decimal("0.01")
HISTORY_DAYS = 4 * 365
BATCH = 5000
# Bump when the generator changes, so benchmarks rebuild a database made by an older one.
VERSION = 2


@dataclass(frozen=True)
class Scale:
    engineers: int = 100_000
    clients: int = 5_000
    requests: int = 20_000
    proposals: int = 100_000
    placements: int = 50_000
    reviews: int = 500_000
    client_users: int = 25  # the first clients get a portal sign-in each
    account_managers: int = 12
    engineer_users: int = 200  # engineers who sign in to /me (most of running placements)
    tracked_weeks: int = 26  # how long the tracker has kept hours and interviews

    def fraction(self, f: float) -> "Scale":
        """The same shape, f times the rows (at least one of each, ten client users)."""

        def part(n: int, least: int = 1) -> int:
            return max(least, round(n * f))

        return replace(
            self,
            engineers=part(self.engineers, 50),
            clients=part(self.clients),
            requests=part(self.requests, 20),
            proposals=part(self.proposals),
            placements=part(self.placements),
            reviews=part(self.reviews),
            client_users=min(self.client_users, part(self.clients)),
            engineer_users=min(self.engineer_users, part(self.engineer_users, 10)),
        )


LARGE = Scale()

# Shares of the requests by status over four years; filled and open ones hold the live seats.
REQUEST_SHARES = {"closed": 66, "filled": 10, "open": 8, "on_hold": 5, "cancelled": 7, "draft": 4}
HEADCOUNTS = {1: 25, 2: 25, 3: 20, 4: 12, 5: 8, 6: 5, 8: 3, 10: 2}
CLOSED_WEEKS = (8, 12, 16, 20, 24, 26, 32, 39, 52)
FILLED_PHASES = {"running": 70, "ending": 10, "starting": 20}
# Proposals besides the accepted ones: statuses and how many per request, by request status.
OTHER_PROPOSALS = {
    "open": (("shortlisted", "proposed", "proposed", "interviewing", "declined", "withdrawn"),
             (3, 10)),
    "on_hold": (("shortlisted", "proposed", "withdrawn"), (1, 4)),
    "filled": (("declined", "declined", "withdrawn"), (1, 5)),
    "closed": (("declined", "declined", "withdrawn"), (0, 4)),
    "cancelled": (("withdrawn",), (0, 3)),
    "draft": ((), (0, 0)),
}  # fmt: skip
# How a live placement's reviews go: healthy, slipping (amber), falling (red), or the client
# saying they would not continue.
LIVE_MOODS = {"healthy": 82, "slipping": 10, "falling": 5, "stop": 3}
MORE_MANAGERS = [
    "Lucía Fernández", "Tom Becker", "Priya Nair", "Marcos Oliveira", "Sarah Klein",
    "Hugo Martin", "Valeria Ortiz", "Ben Carter", "Julia Costa", "Omar Haddad", "Nina Petrova",
    "Carlos Mendes", "Emma Wright", "Diego Salas", "Aisha Bello", "Paul Meyer", "Rosa Lima",
]  # fmt: skip
CLIENT_KINDS = ("Labs", "Systems", "Analytics", "Health", "Capital", "Logistics", "Media",
                "Energy", "Retail", "Software", "Insurance", "Robotics")  # fmt: skip


class NotEmpty(Exception):
    """The database already holds data the generator would collide with."""


class ReviewScores(NamedTuple):
    delivery: int
    code_quality: int
    communication: int
    collaboration: int


# services.reviews.overall, remembered: there are only 625 combinations of four ratings.
overall_of = cache(overall)


@dataclass(slots=True)
class Seat:
    """One seat of a request: its placements one after another (replacements)."""

    stagger: int  # days after the request's start
    cuts: list[float] = field(default_factory=list)  # where a replacement took over
    early: float | None = None  # the last engineer left early, at this share of the seat
    early_reason: str = "completed"
    first_reason: str = "replaced"  # why the engineer before a replacement left


@dataclass(slots=True)
class Req:
    id: int
    client: int
    status: str
    phase: str
    profile: str
    seniority: str
    headcount: int
    base_weeks: int | None
    u: float  # where in time the request falls
    v: float  # how long a live one runs on
    lead: int  # days between creation and start
    seats: list[Seat]
    row: dict
    start: date = date.min  # start, weeks and created are set by the planning steps
    weeks: int | None = None
    created: datetime = datetime.min


@dataclass(slots=True)
class Summary:
    """A planned placement's review summary: what services.reviews.apply_summary reads
    (start_date, review_cadence_days, end_date) and sets of a placement."""

    start_date: date
    review_cadence_days: int
    end_date: date | None
    reviews_count: int = 0
    last_overall: Decimal | None = None
    previous_overall: Decimal | None = None
    recent_average: Decimal | None = None
    last_would_continue: bool | None = None
    first_gap_due_on: date | None = None
    second_gap_due_on: date | None = None


@dataclass(slots=True)
class Plan:
    """A placement before it is written."""

    req: Req
    start: date
    end: date | None
    reason: str | None
    cadence: int
    predecessor: "Plan | None" = None
    id: int = 0
    engineer: int = 0
    created: datetime = datetime.min  # set by plan_proposals()
    mood: str = "healthy"
    proposal: int = 0
    summary: Summary | None = None

    @property
    def ended_on(self) -> date:
        """The last day of an ended placement (one with a reason): it always has one."""
        if self.end is None:
            raise ValueError(f"placement {self.id} has ended but has no end date")
        return self.end


def _instant(day: date, hour: int, minute: int, today: date) -> datetime:
    """A UTC instant on a day, never later than yesterday."""
    return datetime.combine(min(day, today - DAY), time(hour, minute), tzinfo=UTC)


def _money(rng: random.Random, low: int, high: int, step_cents: int = 50) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100 + 1, step_cents)).scaleb(-2)


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


class Generator:
    """Plans the whole agency in memory; write() sends it to the database."""

    def __init__(self, scale: Scale, seed: int, today: date):
        self.scale, self.rng, self.today = scale, random.Random(seed), today
        self.skills = roster.skills()  # name -> id, the catalogue created when missing
        self.users: list[dict] = []
        self.clients: list[dict] = []
        self.client_user: dict[int, int] = {}  # client id -> its portal user
        self.engineers: list[dict] = []
        self.engineer_skills: list[tuple[int, int, int, int]] = []
        self.pools: dict[tuple[str, str], list[int]] = defaultdict(list)  # vetted, by kind
        self.requests: list[Req] = []
        self.plans: list[Plan] = []
        self.proposals: list[dict] = []
        self.reviews: list[tuple] = []
        self.in_request: dict[int, set[int]] = defaultdict(set)  # engineers put forward
        self.factor = 1.0  # how much closed engagements were stretched to give the reviews

    # --- people ------------------------------------------------------------------------------

    def plan_users_and_clients(self) -> None:
        rng, today = self.rng, self.today
        since = _instant(today - timedelta(days=HISTORY_DAYS + 200), 9, 0, today)
        staff = list(STAFF)
        for name in MORE_MANAGERS[: max(0, self.scale.account_managers - 2)]:
            first, last = name.split()
            staff.append(("account_manager", f"{_slug(first)}.{_slug(last)}@agency.example", name))
        for role, email, name in staff:
            self._user(role, email, name, None, since)
        managers = [u["id"] for u in self.users if u["role"] == "account_manager"]
        names = self._client_names()
        for n in range(1, self.scale.clients + 1):
            if n <= len(cat.CLIENTS):
                name, industry, country, zone, start, end, notes = cat.CLIENTS[n - 1]
            else:
                country, zone, start, end = rng.choice(cat.CLIENT_ZONES)
                name, industry, notes = names[n - 1], rng.choice(cat.CLIENT_INDUSTRIES), None
            self.clients.append(
                {
                    "id": n,
                    "name": name,
                    "industry": industry,
                    "country": country,
                    "timezone": zone,
                    "workday_start": start,
                    "workday_end": end,
                    "account_manager_id": managers[(n - 1) % len(managers)],
                    "notes": notes,
                    "payment_terms_days": payment_terms(n),
                    "archived_at": None,
                    "version_id": 1,
                }
            )  # created_at is set once its first request is known

    def _client_names(self) -> list[str]:
        rng, taken, names = self.rng, {c[0] for c in cat.CLIENTS}, [c[0] for c in cat.CLIENTS]
        parts = list(itertools.product(cat.CLIENT_ADJECTIVES, cat.CLIENT_NOUNS, CLIENT_KINDS))
        rng.shuffle(parts)
        while len(names) < self.scale.clients:
            adjective, noun, kind = parts[len(names) % len(parts)]
            name = f"{adjective} {noun} {kind}"
            if name in taken:
                name = f"{name} {len(names) + 1}"  # the suffix grows, so it never repeats
            taken.add(name)
            names.append(name)
        return names

    def _user(
        self,
        role: str,
        email: str,
        name: str,
        client_id: int | None,
        at: datetime,
        engineer_id: int | None = None,
    ):
        self.users.append(
            {
                "id": len(self.users) + 1,
                "email": email,
                "name": name,
                "password_hash": "",  # set once, hashed when written
                "role": role,
                "client_id": client_id,
                "engineer_id": engineer_id,
                "is_active": True,
                "last_login_at": None,
                "session_token": secrets.token_urlsafe(24),
                "created_at": at,
                "updated_at": at,
            }
        )
        return self.users[-1]["id"]

    def plan_engineers(self) -> None:
        rng = self.rng
        countries, weights = cat.COUNTRIES, [c[-1] for c in cat.COUNTRIES]
        hours, hour_weights = list(cat.ENGINEER_HOURS), list(cat.ENGINEER_HOURS.values())
        profiles, profile_weights = list(cat.PROFILE_WEIGHTS), list(cat.PROFILE_WEIGHTS.values())
        vetting, vetting_weights = list(VETTING_MIX), list(VETTING_MIX.values())
        for n in range(1, self.scale.engineers + 1):
            code, zone, phones, lang, _ = rng.choices(countries, weights)[0]
            city = rng.choice(list(phones))
            first, last = rng.choice(cat.FIRST_NAMES[lang]), rng.choice(cat.LAST_NAMES[lang])
            second = rng.choice(cat.LAST_NAMES[lang])
            full = f"{first} {last}" + (f" {second}" if second != last and n % 3 == 0 else "")
            seniority = rng.choices(("junior", "mid", "senior"), (20, 40, 40))[0]
            start, end = rng.choices(hours, hour_weights)[0]
            english = (15, 45, 30, 10) if seniority == "junior" else (4, 34, 42, 20)
            status = rng.choices(vetting, vetting_weights)[0]
            digits = iter(f"{rng.randrange(10**10):010d}")
            phone = "".join(next(digits) if ch == "#" else ch for ch in phones[city])
            row = {
                "id": n,
                "full_name": full,
                "email": f"{_slug(first)}.{_slug(last)}{n}@mail.example",
                "phone": phone,
                "country": code,
                "city": city,
                "timezone": zone,
                "workday_start": start,
                "workday_end": end,
                "seniority": seniority,
                "years_experience": rng.randint(*YEARS[seniority]),
                "english_level": rng.choices(("B1", "B2", "C1", "C2"), english)[0],
                "hourly_rate": _money(rng, *RATES[seniority]),
                "vetting_status": status,
                "code_quality": None,
                "system_design": None,
                "api_integration": None,
                "communication": None,
                "vetting_notes": None,
                "notes": rng.choice(cat.ENGINEER_NOTES) if rng.random() < 0.25 else None,
                "vetted_at": None,
                "available_from": None,
                "is_active": rng.random() >= 0.04,
                "version_id": 1,
            }
            self._vet(row)
            self.engineers.append(row)
            profile = rng.choices(profiles, profile_weights)[0]
            self._give_skills(row, profile)
            if status == "vetted":
                self.pools[profile, seniority].append(n)

    def _vet(self, e: dict) -> None:
        """Scores, notes and dates that fit the vetting status (as demo_data._vet)."""
        rng, today = self.rng, self.today
        sourced = today - timedelta(days=rng.randint(5, 120))
        status = e["vetting_status"]
        if status != "vetted" and rng.random() < 0.7:
            e["available_from"] = today + timedelta(days=rng.randint(-30, 90))
        if status == "vetted":
            for score in ("code_quality", "system_design", "api_integration", "communication"):
                e[score] = rng.choices((3, 4, 5), (25, 45, 30))[0]
            vetted = today - timedelta(days=rng.randint(10, 700))
            e["vetted_at"] = _instant(vetted, rng.randint(12, 20), 0, today)
            sourced = vetted - timedelta(days=rng.randint(7, 40))
            e["vetting_notes"] = rng.choice(cat.VETTING_NOTES_GOOD) if rng.random() < 0.6 else None
            roll = rng.random()
            if roll < 0.55:
                e["available_from"] = today - timedelta(days=rng.randint(1, 120))
            elif roll < 0.9:
                e["available_from"] = today + timedelta(days=rng.randint(1, 60))
        elif status == "rejected":
            for score in ("code_quality", "system_design", "api_integration", "communication"):
                e[score] = rng.choices((1, 2, 3, 4), (20, 45, 30, 5))[0]
            e["vetting_notes"] = rng.choice(cat.VETTING_NOTES_BAD)
        elif status == "technical_interview":
            e["code_quality"], e["api_integration"] = rng.randint(3, 5), rng.randint(2, 5)
        elif status == "screening":
            e["communication"] = rng.randint(2, 5)
        e["created_at"] = _instant(sourced, 14, 0, today)
        e["updated_at"] = max(e["created_at"], e["vetted_at"] or e["created_at"])

    def _give_skills(self, e: dict, profile: str) -> None:
        """The profile's core at the seniority's level plus one to five extras: ~6 skills."""
        rng, spec = self.rng, cat.PROFILES[profile]
        low, high = SKILL_LEVELS[e["seniority"]]
        extras = rng.sample(spec["extra"], rng.randint(1, min(5, len(spec["extra"]))))
        for name in spec["core"]:
            self.engineer_skills.append(
                (e["id"], self.skills[name], rng.randint(low, high), e["years_experience"])
            )
        for name in extras:
            level, years = rng.randint(low - 1, high - 1), rng.randint(1, e["years_experience"])
            self.engineer_skills.append((e["id"], self.skills[name], level, years))

    # --- requests and seats ------------------------------------------------------------------

    def plan_requests(self) -> None:
        rng, n = self.rng, self.scale.requests
        statuses = [s for s, share in REQUEST_SHARES.items() for _ in range(round(n * share / 100))]
        statuses = (statuses + ["closed"] * n)[:n]
        rng.shuffle(statuses)
        # A long tail of accounts: the first clients are the biggest (Zipf-like, s = 0.6).
        cum = list(itertools.accumulate(k**-0.6 for k in range(1, self.scale.clients + 1)))
        owners = rng.choices(range(1, self.scale.clients + 1), cum_weights=cum, k=n)
        for i, (status, client) in enumerate(zip(statuses, owners, strict=True), 1):
            self.requests.append(self._request(i, client, status))
        self._fit_placements()

    def _request(self, i: int, client_id: int, status: str) -> Req:
        rng = self.rng
        client = self.clients[client_id - 1]
        profile = _weighted(rng, cat.PROFILE_WEIGHTS)
        spec = cat.PROFILES[profile]
        seniority = rng.choices(("junior", "mid", "senior"), (10, 40, 50))[0]
        phase = _weighted(rng, FILLED_PHASES) if status == "filled" else status
        headcount = _weighted(rng, HEADCOUNTS)
        base_weeks: int | None
        if status == "closed":
            base_weeks = rng.choice(CLOSED_WEEKS)
        else:
            base_weeks = rng.choice((12, 16, 24, 26, 39, 52, None, None))
        u = rng.random()
        project = rng.choice(spec["projects"])
        nice = rng.sample(spec["extra"], rng.randint(1, 3))
        own_zone = rng.choice(cat.CLIENT_ZONES) if rng.random() < 0.2 else (None, None, None, None)
        overlap = Decimal(rng.choice(("3", "3.5", "4", "4", "4.5", "5")))
        row = {
            "client_id": client_id,
            "title": f"{seniority.capitalize()} {spec['role']} — {project}",
            "description": (
                f"Join {client['name']}'s team working on {project}. Must have: "
                f"{', '.join(spec['core'])}. Nice to have: {', '.join(nice)}. "
                f"At least {overlap} hours a day overlapping the team."
            ),
            "seniority": seniority,
            "headcount": headcount,
            "timezone": own_zone[1],
            "workday_start": own_zone[2],
            "workday_end": own_zone[3],
            "min_overlap_hours": overlap,
            "max_bill_rate": _money(rng, *BUDGETS[seniority], 500) if rng.random() < 0.75 else None,
            "status": status,
            "priority": rng.choices(("low", "normal", "high", "urgent"), (15, 50, 25, 10))[0],
            "created_by_id": client["account_manager_id"],
            "version_id": 1,
            "skills": [
                (self.skills[s], rng.randint(*MIN_LEVELS[seniority]), True) for s in spec["core"]
            ]
            + [(self.skills[s], rng.randint(2, 3), False) for s in nice],
        }
        if status in ("closed", "filled"):
            seats = headcount
        elif status == "open":
            seats = rng.randint(0, headcount - 1)  # partly staffed at most
        else:
            seats = 0
        req = Req(
            i,
            client_id,
            status,
            phase,
            profile,
            seniority,
            headcount,
            base_weeks,
            u,
            rng.random(),
            rng.randint(30, 50),
            [],
            row,
        )
        # A running seat old enough may have had an engineer before the current one.
        may_replace = phase == "running" and self._running_start(u) <= self.today - 120 * DAY
        for _ in range(seats):
            seat = Seat(stagger=rng.choice((0, 0, 0, 3, 7, 14)))
            if status == "closed" and rng.random() < 0.3:
                seat.early_reason = rng.choice(("client_ended", "engineer_left"))
                seat.early = rng.uniform(0.3, 0.9)
            if may_replace and rng.random() < 0.12:
                seat.cuts.append(rng.uniform(0.2, 0.8))  # a live seat that had a predecessor
                seat.first_reason = rng.choice(("replaced", "engineer_left"))
            req.seats.append(seat)
        return req

    def _fit_placements(self) -> None:
        """Exactly scale.placements: add replacements to, or drop seats of, closed requests."""
        rng = self.rng
        closed = [r for r in self.requests if r.status == "closed"]
        count = sum(len(s.cuts) + 1 for r in self.requests for s in r.seats)
        while count > self.scale.placements:
            req = rng.choice(closed)
            if req.seats:
                count -= len(req.seats.pop().cuts) + 1
        tries = 100 * self.scale.placements
        while count < self.scale.placements and tries:
            tries -= 1
            req = rng.choice(closed)
            seat = rng.choice(req.seats) if req.seats else None
            if seat is not None and len(seat.cuts) < 2:  # at most three engineers a seat
                seat.cuts = sorted([*seat.cuts, rng.uniform(0.15, 0.85)])
                seat.first_reason = rng.choice(("replaced", "engineer_left"))
                count += 1

    def _running_start(self, u: float) -> date:
        return self.today - timedelta(days=21 + int(u * 400))

    def _dates(self, req: Req, factor: float) -> None:
        """The request's start and weeks: closed ones scaled by factor, the rest around today.

        Every random number was drawn before, so this depends on the factor alone."""
        today = self.today
        weeks: int | None
        if req.status == "closed":
            assert req.base_weeks is not None  # a closed request's base is from CLOSED_WEEKS
            weeks = max(4, min(104, round(req.base_weeks * factor)))
            room = max(0, HISTORY_DAYS - 14 - 7 * weeks)
            end = today - timedelta(days=14 + int(req.u * room))
            req.start, req.weeks = end - timedelta(days=7 * weeks - 1), weeks
            return
        offsets = {
            "starting": (3, 25),
            "open": (-10, 45),
            "on_hold": (10, 60),
            "draft": (14, 75),
            "cancelled": (-45, 30),
        }
        if req.phase in ("running", "ending"):
            start = self._running_start(req.u)
            served = (today - start).days // 7 + 1  # weeks up to and including this one
            if req.phase == "ending":  # the last day falls within the next four weeks
                weeks = served + int(req.v * 4)
            else:
                weeks = None if req.base_weeks is None else served + 5 + int(req.v * 26)
        else:
            low, high = offsets[req.phase]
            start = today + timedelta(days=low + int(req.u * (high - low)))
            weeks = req.base_weeks
        req.start, req.weeks = start, weeks

    def _placements_of(self, req: Req) -> list[tuple[date, date | None, str | None, Seat, int]]:
        """(start, end, end reason, seat, index in the seat) of every placement of a request."""
        today = self.today
        end = req.start + timedelta(days=7 * req.weeks - 1) if req.weeks else None
        out: list[tuple[date, date | None, str | None, Seat, int]] = []
        for seat in req.seats:
            first = req.start + timedelta(days=seat.stagger)
            if req.status == "closed":
                assert end is not None  # _dates() gives every closed request its weeks
                first = min(first, req.start + timedelta(days=((end - req.start).days // 4)))
                span_end = end
            else:
                first = min(first, max(req.start, today)) if req.start <= today else first
                span_end = today - timedelta(days=14)
            # The replacement points: within the seat, each at least a day after the one before.
            points, previous = [], first
            for cut in seat.cuts:
                day = first + timedelta(days=int(cut * max(0, (span_end - first).days)))
                day = min(max(day, previous), span_end - DAY)
                points.append(day)
                previous = day + DAY * 2
            starts = [first, *(p + DAY for p in points)]
            for k, seg_start in enumerate(starts):
                if k < len(points):
                    out.append((seg_start, points[k], seat.first_reason, seat, k))
                elif req.status == "closed":  # span_end: the request's (and seat's) last day
                    seg_end, reason = span_end, "completed"
                    if seat.early is not None:
                        seg_end = seg_start + timedelta(
                            days=int(seat.early * (span_end - seg_start).days)
                        )
                        reason = seat.early_reason
                    out.append((seg_start, max(seg_start, seg_end), reason, seat, k))
                else:
                    out.append((seg_start, end, None, seat, k))
        return out

    def _finished(self, start: date, end: date | None, cadence: int) -> int:
        """Iterations a review could have been written for by yesterday (due the day before)."""
        last = self.today - timedelta(days=2)
        if end is not None and end <= last:
            return -(-((end - start).days + 1) // cadence)
        return max(0, ((last - start).days + 1) // cadence)

    def plan_placements(self) -> None:
        """Dates for every request and placement, the closed ones stretched so the finished
        iterations come to just above scale.reviews (the rest are reviews not written)."""
        rng = self.rng
        seats = [s for r in self.requests for s in r.seats]
        cadences = {
            id(s): [rng.choices((7, 14, 30), (20, 55, 25))[0] for _ in range(3)] for s in seats
        }

        def written(factor: float) -> float:
            """The reviews plan_reviews() will write, expected, before ended ones lose some."""
            total, live = 0.0, 0
            for req in self.requests:
                self._dates(req, factor)
                for start, end, reason, seat, k in self._placements_of(req):
                    cadence = cadences[id(seat)][k]
                    done = self._finished(start, end, cadence)
                    total += done
                    if reason is None and done:
                        live += 1
                        last_end = start + timedelta(days=done * cadence - 1)
                        total -= 0.5 if (self.today - last_end).days <= 8 else 0
            return total - live // 20 * 1.5  # as plan_reviews() leaves them out

        wanted = self.scale.reviews * 1.004  # the rest: last reviews of ended placements
        low, high = 0.05, 4.0
        for _ in range(12):
            mid = (low + high) / 2
            low, high = (mid, high) if written(mid) < wanted else (low, mid)
        self.factor = high
        for req in self.requests:
            self._dates(req, high)
            previous = None
            for start, end, reason, seat, k in self._placements_of(req):
                plan = Plan(req, start, end, reason, cadences[id(seat)][k])
                if k > 0:
                    plan.predecessor = previous
                self.plans.append(plan)
                previous = plan
        self.plans.sort(key=lambda p: (p.start, p.req.id))
        for i, plan in enumerate(self.plans, 1):
            plan.id = i

    # --- who fills each seat, and the proposals around it --------------------------------------

    def assign_engineers(self) -> None:
        """Each placement an engineer of the request's kind who is free then (no overlaps)."""
        rng, today = self.rng, self.today
        active = {e["id"] for e in self.engineers if e["is_active"]}
        busy_until: dict[int, date] = {}
        in_request = self.in_request
        up = {"junior": "mid", "mid": "senior", "senior": "senior"}
        for plan in self.plans:  # in order of start dates
            req, live = plan.req, plan.reason is None
            kinds = [(req.profile, req.seniority), (req.profile, up[req.seniority])]
            kinds += [(p, s) for p in cat.PROFILES for s in ("mid", "senior")]
            chosen = None
            for kind in kinds:
                pool = self.pools.get(kind) or []
                for _ in range(40 if kind == kinds[0] else 10):
                    if not pool:
                        break
                    e = pool[rng.randrange(len(pool))]
                    if (
                        busy_until.get(e, date.min) < plan.start
                        and e not in in_request[req.id]
                        and (not live or e in active)
                    ):
                        chosen = e
                        break
                if chosen:
                    break
            if chosen is None:
                raise RuntimeError("no free engineer left; the roster is too small for the plan")
            plan.engineer = chosen
            busy_until[chosen] = plan.end or date.max
            in_request[req.id].add(chosen)
            if live and plan.end is not None:
                self.engineers[chosen - 1]["available_from"] = plan.end + DAY
        # A placed engineer was vetted before the first placement, and sourced before that.
        first_start: dict[int, date] = {}
        for plan in self.plans:
            first_start.setdefault(plan.engineer, plan.start)
        for e_id, start in first_start.items():
            row = self.engineers[e_id - 1]
            vetted = min(row["vetted_at"].date(), start - timedelta(days=rng.randint(10, 40)))
            row["vetted_at"] = _instant(vetted, 15, 0, today)
            row["created_at"] = min(row["created_at"], row["vetted_at"] - timedelta(days=21))
            row["updated_at"] = max(row["updated_at"], row["vetted_at"])

    def plan_proposals(self) -> None:
        """An accepted proposal per placement, then others by request status, to the total."""
        rng, today = self.rng, self.today
        by_created = sorted(self.requests, key=lambda r: r.id)
        for req in by_created:
            created_day = min(req.start - timedelta(days=req.lead), today - timedelta(days=3))
            req.created = _instant(created_day, 11, rng.choice((0, 10, 25, 40, 55)), today)
        for plan in self.plans:
            anchor = plan.req.created.date()
            if plan.predecessor is not None:
                anchor = max(anchor, plan.start - timedelta(days=rng.randint(20, 27)))
            proposal = self._proposal(plan.req, plan.engineer, "accepted", anchor)
            plan.created = _instant(proposal["decided_at"].date() + DAY, 19, 0, today)
            plan.proposal = proposal["id"]
        others = []
        for req in self.requests:
            statuses, (low, high) = OTHER_PROPOSALS[req.status]
            if statuses:
                others += [(req, rng.choice(statuses)) for _ in range(rng.randint(low, high))]
        room = self.scale.proposals - len(self.proposals)
        closed = [r for r in self.requests if r.status == "closed"]
        while len(others) < room and closed:
            others.append((rng.choice(closed), rng.choice(("declined", "withdrawn"))))
        rng.shuffle(others)
        others = sorted(others[: max(0, room)], key=lambda o: o[0].id)
        for req, status in others:
            pool = self.pools.get((req.profile, req.seniority)) or self.pools[req.profile, "senior"]
            for _ in range(20):
                e = pool[rng.randrange(len(pool))]
                if e not in self.in_request[req.id]:
                    self.in_request[req.id].add(e)
                    self._proposal(req, e, status, req.created.date())
                    break
        self.proposals.sort(key=lambda p: (p["created_at"], p["id"]))
        renumber = {p["id"]: i for i, p in enumerate(self.proposals, 1)}
        for p in self.proposals:
            p["id"] = renumber[p["id"]]
        for plan in self.plans:
            plan.proposal = renumber[plan.proposal]

    def _proposal(self, req: Req, engineer: int, status: str, first_day: date) -> dict:
        rng, today = self.rng, self.today
        created = first_day + timedelta(days=rng.randint(1, 7))
        proposed = created + timedelta(days=rng.randint(1, 4))
        decided = proposed + timedelta(days=rng.randint(2, 8))
        low = {"accepted": 75, "interviewing": 72, "proposed": 65}.get(status, 50)
        rate = self.engineers[engineer - 1]["hourly_rate"]
        bill = (rate * Decimal("1.35")).quantize(CENT)
        row = {
            "id": len(self.proposals) + 1,
            "request_id": req.id,
            "engineer_id": engineer,
            "status": status,
            "score": Decimal(rng.randint(low * 100, 9600)).scaleb(-2),
            "bill_rate": bill if status != "shortlisted" else None,
            "decline_reason": None,
            "decline_note": None,
            "proposed_at": _instant(proposed, 15, 0, today) if status != "shortlisted" else None,
            "decided_at": (
                _instant(decided, 18, 0, today)
                if status in ("accepted", "declined", "withdrawn")
                else None
            ),
            "created_by_id": req.row["created_by_id"],
            "version_id": 1,
            "created_at": _instant(created, 13, 0, today),
        }
        if status == "declined":
            row["decline_reason"] = rng.choice(list(cat.DECLINE_REASONS))
            row["decline_note"] = cat.DECLINE_REASONS[row["decline_reason"]]
        row["updated_at"] = row["decided_at"] or row["proposed_at"] or row["created_at"]
        self.proposals.append(row)
        return row

    # --- reviews -------------------------------------------------------------------------------

    def plan_reviews(self) -> None:
        """A review per finished iteration but the missing ones; each placement's summary."""
        rng, today = self.rng, self.today
        periods: dict[int, list[tuple[int, date, date]]] = {}
        for plan in self.plans:
            done, k, start = [], 1, plan.start
            for _ in range(self._finished(plan.start, plan.end, plan.cadence)):
                end = start + timedelta(days=plan.cadence - 1)
                if plan.end is not None and end > plan.end:
                    end = plan.end
                done.append((k, start, end))
                k, start = k + 1, start + timedelta(days=plan.cadence)
            periods[plan.id] = done
            if plan.reason is None:
                plan.mood = _weighted(rng, LIVE_MOODS) if len(done) >= 3 else "healthy"
            elif plan.reason in ("client_ended", "replaced"):
                plan.mood = "falling"
        live = [p for p in self.plans if p.reason is None and periods[p.id]]
        for plan in live:  # not written yet: the latest when it fell due this week
            done = periods[plan.id]
            if (today - done[-1][2]).days <= 8 and rng.random() < 0.5:
                done.pop()
        for plan in rng.sample(live, len(live) // 20):  # overdue: one or two missing
            del periods[plan.id][-rng.randint(1, 2) :]
        total = sum(len(d) for d in periods.values())
        ended = [p for p in self.plans if p.reason is not None and len(periods[p.id]) > 1]
        for plan in rng.sample(ended, min(len(ended), max(0, total - self.scale.reviews))):
            periods[plan.id].pop()  # the last review of an ended placement never written
        author_of = self._review_authors()
        for plan in self.plans:
            done, reviewed = periods[plan.id], []
            for index, (k, start, end) in enumerate(done):
                from_last = len(done) - 1 - index
                scores, would_continue, comments, actions = self._scores(plan.mood, from_last)
                written = min(end + timedelta(days=rng.randint(1, 4)), today - DAY)
                at = _instant(written, rng.randint(12, 20), rng.choice((0, 10, 25, 40, 55)), today)
                author = author_of(plan)
                self.reviews.append(
                    (at, plan.id, k, start, end, *scores, would_continue, comments, actions, author)
                )
                reviewed.append((k, overall_of(scores), would_continue))
            summary = Summary(
                start_date=plan.start, review_cadence_days=plan.cadence, end_date=plan.end
            )
            # apply_summary is typed for a Placement but reads and sets only what Summary has.
            apply_summary(cast(Placement, summary), reviewed)
            plan.summary = summary
        self.reviews.sort(key=lambda r: (r[0], r[1]))

    def _review_authors(self):
        rng, managers = self.rng, {c["id"]: c["account_manager_id"] for c in self.clients}

        def author(plan: Plan) -> int:
            contact = self.client_user.get(plan.req.client)
            return contact if contact and rng.random() < 0.6 else managers[plan.req.client]

        return author

    def _scores(self, mood: str, from_last: int):
        """(ratings, would continue, comments, action items) of one review."""
        rng = self.rng
        target = None
        if mood == "falling" and from_last < 3:  # ~4.4 before, then 3.9, 3.4 and 2.8
            target = 2.8 + 0.55 * from_last
        elif mood == "slipping" and from_last < 2:
            target = 3.4 + 0.1 * from_last
        if target is not None:
            drawn = [min(5, max(1, round(target + rng.uniform(-0.6, 0.6)))) for _ in range(4)]
            return (
                ReviewScores(*drawn),
                not (mood == "falling" and from_last == 0),
                rng.choice(cat.REVIEW_COMMENTS_BAD),
                rng.choice(cat.ACTION_ITEMS),
            )
        ratings = ReviewScores(*rng.choices((3, 4, 5), (8, 45, 47), k=4))
        comments = rng.choice(cat.REVIEW_COMMENTS_GOOD) if rng.random() < 0.7 else None
        actions = rng.choice(cat.ACTION_ITEMS) if rng.random() < 0.15 else None
        return ratings, not (mood == "stop" and from_last == 0), comments, actions

    # --- the rows as they are written ----------------------------------------------------------

    def finish_clients_and_users(self, password_hash: str) -> None:
        """Client creation dates before their first request; a sign-in for the first clients."""
        rng, today = self.rng, self.today
        first: dict[int, datetime] = {}
        for req in self.requests:
            if req.client not in first or req.created < first[req.client]:
                first[req.client] = req.created
        for c in self.clients:
            since = first.get(c["id"]) or _instant(
                today - timedelta(days=rng.randint(30, HISTORY_DAYS)), 10, 0, today
            )
            c["created_at"] = c["updated_at"] = since - timedelta(days=rng.randint(3, 60))
        for c in self.clients[: self.scale.client_users]:
            person = cat.CLIENT_CONTACTS[(c["id"] - 1) % len(cat.CLIENT_CONTACTS)]
            email = f"{_slug(person.split()[0])}@{_slug(c['name'])}.example"
            at = c["created_at"] + timedelta(days=2)
            self.client_user[c["id"]] = self._user("client", email, person, c["id"], at)
        for u in self.users:
            u["password_hash"] = password_hash

    def request_rows(self):
        for req in self.requests:
            row = {k: v for k, v in req.row.items() if k != "skills"}
            row.update(
                id=req.id,
                start_date=req.start,
                duration_weeks=req.weeks,
                created_at=req.created,
                updated_at=req.created,
            )
            yield row

    def request_skill_rows(self):
        for req in self.requests:
            for skill_id, level, required in req.row["skills"]:
                yield {
                    "request_id": req.id,
                    "skill_id": skill_id,
                    "min_level": level,
                    "required": required,
                }

    def placement_rows(self, hours: Hours):
        today = self.today
        for plan in self.plans:
            req = plan.req
            status = "ended" if plan.reason else "active" if plan.start <= today else "pending"
            s = plan.summary
            assert s is not None  # plan_reviews() summarised every plan
            updated = _instant(plan.ended_on + DAY, 19, 0, today) if plan.reason else plan.created
            yield {
                "id": plan.id,
                "request_id": req.id,
                "engineer_id": plan.engineer,
                "client_id": req.client,
                "proposal_id": plan.proposal,
                "start_date": plan.start,
                "end_date": plan.end,
                **hours.placement_fields(plan),  # rates in effect, the hours summary
                "status": status,
                "end_reason": plan.reason,
                "review_cadence_days": plan.cadence,
                "replaces_placement_id": plan.predecessor.id if plan.predecessor else None,
                "days_to_place": max(0, (plan.created.date() - req.created.date()).days),
                "reviews_count": s.reviews_count,
                "last_overall": s.last_overall,
                "previous_overall": s.previous_overall,
                "recent_average": s.recent_average,
                "last_would_continue": s.last_would_continue,
                "first_gap_due_on": s.first_gap_due_on,
                "second_gap_due_on": s.second_gap_due_on,
                "version_id": 1,
                "created_at": plan.created,
                "updated_at": max(plan.created, updated),
            }

    def review_rows(self):
        for i, r in enumerate(self.reviews, 1):
            at, placement, k, start, end, d, q, c, col, cont, comments, actions, author = r
            yield {
                "id": i,
                "placement_id": placement,
                "iteration": k,
                "period_start": start,
                "period_end": end,
                "delivery": d,
                "code_quality": q,
                "communication": c,
                "collaboration": col,
                "would_continue": cont,
                "comments": comments,
                "action_items": actions,
                "submitted_by_id": author,
                "created_at": at,
                "updated_at": at,
            }

    def event_rows(self):
        """Sparse history: requests and placements created, placements started and ended, and
        the reviews of live placements (what the placement page's timeline shows)."""
        today, manager = self.today, {c["id"]: c["account_manager_id"] for c in self.clients}
        events: list[tuple[datetime, int, str, str, int, dict[str, list[Any]]]] = []
        for req in self.requests:
            events.append(
                (
                    req.created,
                    req.row["created_by_id"],
                    "request.created",
                    "StaffingRequest",
                    req.id,
                    {"status": [None, "draft"]},
                )
            )
        live = set()
        for plan in self.plans:
            am = manager[plan.req.client]
            events.append(
                (
                    plan.created,
                    am,
                    "placement.created",
                    "Placement",
                    plan.id,
                    {"status": [None, "pending"]},
                )
            )
            if plan.start <= today:
                events.append(
                    (
                        _instant(plan.start, 12, 0, today),
                        am,
                        "placement.status_changed",
                        "Placement",
                        plan.id,
                        {"status": ["pending", "active"]},
                    )
                )
            if plan.reason:
                changes: dict[str, list[Any]] = {
                    "status": ["active", "ended"],
                    "end_reason": [None, plan.reason],
                }
                events.append(
                    (
                        _instant(plan.ended_on + DAY, 19, 0, today),
                        am,
                        "placement.status_changed",
                        "Placement",
                        plan.id,
                        changes,
                    )
                )
            else:
                live.add(plan.id)
        for i, r in enumerate(self.reviews, 1):
            if r[1] in live:
                events.append(
                    (
                        r[0],
                        r[-1],
                        "review.submitted",
                        "IterationReview",
                        i,
                        {"iteration": [None, r[2]]},
                    )
                )
        events.sort(key=lambda e: e[0])
        return [
            {
                "id": i,
                "actor_id": actor,
                "action": action,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "changes": changes,
                "ip_address": None,
                "created_at": at,
            }
            for i, (at, actor, action, entity_type, entity_id, changes) in enumerate(events, 1)
        ]


def database_is_empty() -> bool:
    """No client, engineer, request or user yet (the skills catalogue may be there)."""
    models = (User, Client, Engineer, StaffingRequest, Placement)
    return all(db.session.scalar(sa.select(m.id).limit(1)) is None for m in models)


def seed(
    *,
    seed: int = 2026,
    scale: Scale = LARGE,
    today: date | None = None,
    password: str | None = None,
    progress: bool = True,
) -> SeedResult:
    """Write the large agency into an empty database (the caller commits), or report the demo
    logins already there. Raises NotEmpty when other data is in the way."""
    from flask import current_app

    password = password or current_app.config["DEMO_PASSWORD"]
    if db.session.scalar(sa.select(User.id).where(User.email == ADMIN_EMAIL)) is not None:
        return SeedResult(password, _existing_logins())
    if not database_is_empty():
        raise NotEmpty("The database already has data; use --reset to replace it.")
    began = clock.perf_counter()
    say = click.echo if progress else (lambda *_a, **_k: None)
    say("Planning the agency (people, requests, placements, reviews)…")
    g = Generator(scale, seed, today or date.today())
    g.plan_users_and_clients()
    g.plan_engineers()
    g.plan_requests()
    g.plan_placements()
    g.assign_engineers()
    g.plan_proposals()
    password_hash = hash_password(password)
    g.finish_clients_and_users(password_hash)
    g.plan_reviews()
    say("Planning rates, hours, invoices, pay statements and interviews…")
    hours = Hours(g, g.rng)
    hours.plan_rates()
    hours.plan_accounts(scale.engineer_users, password_hash)
    hours.plan_timesheets()
    money = Billing(hours, g.rng)
    money.plan()
    meetings = Meetings(g, g.rng)
    meetings.plan(hours.accounts)
    say(f"Planned in {clock.perf_counter() - began:.1f} s; writing…")
    events = g.event_rows()
    write(g, hours, money, meetings, events, progress)
    names = {c["id"]: c["name"] for c in g.clients}
    logins = [
        (
            u["role"],
            u["email"],
            names.get(u["client_id"]) or (u["name"] if u["engineer_id"] else None),
        )
        for u in g.users
    ]
    counts = {
        "client": len(g.clients),
        "engineer": len(g.engineers),
        "engineer skill": len(g.engineer_skills),
        "staffing request": len(g.requests),
        "proposal": len(g.proposals),
        "placement": len(g.plans),
        "placement rate": len(hours.rates),
        "iteration review": len(g.reviews),
        "timesheet": len(hours.sheets),
        "logged day": len(hours.entries),
        "invoice": sum(d.credits is None for d in money.invoices),
        "credit note": sum(d.credits is not None for d in money.invoices),
        "invoice line": sum(len(d.lines) for d in money.invoices),
        "pay statement": len(money.statements),
        "pay line": sum(len(d.lines) for d in money.statements),
        "interview": len(meetings.rows),
        "audit event": len(events),
        "user": len(g.users),
    }
    return SeedResult(password, logins, counts)


def write(
    g: Generator,
    hours: Hours,
    money: Billing,
    meetings: Meetings,
    events: list[dict],
    progress: bool,
) -> None:
    """Every table in foreign-key order, BATCH rows per executemany; then the issued invoices
    and pay statements are issued (written as drafts first: an issued one takes no line)."""
    engine_name = db.session.get_bind().dialect.name
    if engine_name == "sqlite":
        # A big page cache for this connection: index pages stay in memory while loading.
        db.session.execute(sa.text("PRAGMA cache_size=-400000"))
    else:
        db.session.execute(sa.text("SET LOCAL synchronous_commit = off"))
    staff = [u for u in g.users if u["client_id"] is None and u["engineer_id"] is None]
    client_users = [u for u in g.users if u["client_id"] is not None]
    engineer_users = [u for u in g.users if u["engineer_id"] is not None]
    es_rows = (
        {"engineer_id": e, "skill_id": s, "level": lvl, "years": y}
        for e, s, lvl, y in g.engineer_skills
    )
    invoice_lines = sum(len(d.lines) for d in money.invoices)
    pay_lines = sum(len(d.lines) for d in money.statements)
    issued_invoices = money.final_rows(money.invoices)
    issued_statements = money.final_rows(money.statements)
    tables = [
        (User, staff, len(staff)),
        (Client, g.clients, len(g.clients)),
        (User, client_users, len(client_users)),
        (Engineer, g.engineers, len(g.engineers)),
        (User, engineer_users, len(engineer_users)),
        (EngineerSkill, es_rows, len(g.engineer_skills)),
        (StaffingRequest, g.request_rows(), len(g.requests)),
        (RequestSkill, g.request_skill_rows(), sum(len(r.row["skills"]) for r in g.requests)),
        (Proposal, g.proposals, len(g.proposals)),
        (Placement, g.placement_rows(hours), len(g.plans)),
        (PlacementRate, hours.rates, len(hours.rates)),
        (IterationReview, g.review_rows(), len(g.reviews)),
        (Timesheet, hours.timesheet_rows(), len(hours.sheets)),
        (Invoice, money.invoice_rows(), len(money.invoices)),
        (InvoiceLine, money.invoice_line_rows(), invoice_lines),
        (PayStatement, money.statement_rows(), len(money.statements)),
        (PayLine, money.pay_line_rows(), pay_lines),
        (TimesheetEntry, hours.entry_rows(), len(hours.entries)),
        (DocumentNumber, money.document_number_rows(), len(money.numbers)),
        (Interview, meetings.rows, len(meetings.rows)),
        (AuditEvent, events, len(events)),
    ]
    total = sum(n for _, _, n in tables) + len(issued_invoices) + len(issued_statements)
    with click.progressbar(length=total, label="Writing rows", hidden=not progress) as bar:
        for model, rows, _n in tables:
            _in_batches(sa.insert(roster.table_of(model)), rows, bar)
        for model, rows in ((Invoice, issued_invoices), (PayStatement, issued_statements)):
            table = roster.table_of(model)
            # The rows' other keys are the columns set (status, number, paid_on, version_id,
            # updated_at): from draft, the one change the database allows.
            issue = sa.update(table).where(table.c.id == sa.bindparam("doc_id"))
            _in_batches(issue, rows, bar)
    if engine_name == "postgresql":  # ids were given: move each sequence past them
        for model in (
            User,
            Client,
            Engineer,
            StaffingRequest,
            Proposal,
            Placement,
            PlacementRate,
            IterationReview,
            Timesheet,
            TimesheetEntry,
            Invoice,
            InvoiceLine,
            PayStatement,
            PayLine,
            Interview,
            AuditEvent,
        ):
            name = roster.table_of(model).name
            db.session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "  # noqa: S608
                    f"(SELECT coalesce(max(id), 1) FROM {name}))"
                )
            )


def _in_batches(statement, rows, bar) -> None:
    """Execute a statement for every row, BATCH rows per executemany."""
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            db.session.execute(statement, batch)
            bar.update(len(batch))
            batch = []
    if batch:
        db.session.execute(statement, batch)
        bar.update(len(batch))


def analyze() -> None:
    """Fresh planner statistics (and, on PostgreSQL, the visibility map) after a bulk load."""
    engine = db.engine
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.execute(sa.text("VACUUM ANALYZE"))
        else:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
