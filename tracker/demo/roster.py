"""Bulk data for benchmarks: a roster of N engineers (about 6 skills each), written with Core.

Deterministic for a seed; fast enough for 100,000 engineers in seconds on SQLite, because rows
go in as executemany batches rather than ORM objects.
"""

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import cast

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from tracker.demo.catalogue import SKILLS
from tracker.models import Client, Engineer, EngineerSkill, Skill, StaffingRequest, db
from tracker.models import RequestSkill as RequestSkillModel

ZONES = [
    ("BR", "America/Sao_Paulo", 30),
    ("MX", "America/Mexico_City", 18),
    ("AR", "America/Argentina/Buenos_Aires", 14),
    ("CO", "America/Bogota", 14),
    ("CL", "America/Santiago", 8),
    ("PE", "America/Lima", 6),
    ("UY", "America/Montevideo", 4),
    ("CR", "America/Costa_Rica", 4),
    ("EC", "America/Guayaquil", 2),
]
HOURS = [(time(9), time(18)), (time(8), time(17)), (time(10), time(19)), (time(7), time(16)),
         (time(11), time(20)), (time(9, 30), time(18, 30)), (time(6), time(15))]  # fmt: skip
CLIENT_ZONES = [
    ("US", "America/New_York"), ("US", "America/Chicago"), ("US", "America/Los_Angeles"),
    ("GB", "Europe/London"), ("DE", "Europe/Berlin"), ("ES", "Europe/Madrid"),
]  # fmt: skip
BATCH = 5000


def table_of(model: type[DeclarativeBase]) -> sa.Table:
    """A model's table: the ORM types __table__ as any FromClause, a declared model's is a Table."""
    return cast(sa.Table, model.__table__)


def _batched(insert, rows):
    for i in range(0, len(rows), BATCH):
        db.session.execute(insert, rows[i : i + BATCH])


def skills() -> dict[str, int]:
    """The catalogue (created when missing), name -> id."""
    existing = {n.lower(): i for i, n in db.session.execute(sa.select(Skill.id, Skill.name))}
    missing = [{"name": n, "category": c} for n, c in SKILLS if n.lower() not in existing]
    if missing:
        db.session.execute(sa.insert(Skill), missing)
    return {n: i for i, n in db.session.execute(sa.select(Skill.id, Skill.name))}


def add_engineers(count: int, *, seed: int = 1, today: date | None = None) -> None:
    """Insert `count` engineers with about six skills each (most of them vetted)."""
    rng = random.Random(seed)
    today = today or date.today()
    skill_ids = list(skills().values())
    start_id = (db.session.scalar(sa.select(sa.func.max(Engineer.id))) or 0) + 1
    now = datetime.now(UTC)
    zones = [z for z in ZONES for _ in range(z[2])]
    engineers, engineer_skills = [], []
    for n in range(start_id, start_id + count):
        country, zone, _ = rng.choice(zones)
        start, end = rng.choice(HOURS)
        seniority = rng.choices(("junior", "mid", "senior"), (20, 40, 40))[0]
        vetted = rng.random() < 0.7
        engineers.append(
            {
                "id": n,
                "full_name": f"Engineer {n}",
                "email": f"engineer{n}@bench.example",
                "country": country,
                "timezone": zone,
                "workday_start": start,
                "workday_end": end,
                "seniority": seniority,
                "years_experience": {"junior": 2, "mid": 4, "senior": 8}[seniority],
                "english_level": rng.choice(("B1", "B2", "C1", "C2")),
                "hourly_rate": Decimal(rng.randrange(2500, 9000)) / 100,
                "vetting_status": "vetted" if vetted else rng.choice(("sourced", "screening")),
                "code_quality": rng.randint(3, 5) if vetted else None,
                "system_design": rng.randint(3, 5) if vetted else None,
                "api_integration": rng.randint(3, 5) if vetted else None,
                "communication": rng.randint(3, 5) if vetted else None,
                "vetted_at": now if vetted else None,
                "available_from": today + timedelta(days=rng.randint(-120, 90)),
                "is_active": rng.random() > 0.03,
                "version_id": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        for skill_id in rng.sample(skill_ids, rng.randint(4, 8)):
            engineer_skills.append(
                {"engineer_id": n, "skill_id": skill_id, "level": rng.randint(1, 5), "years": 2}
            )
    _batched(sa.insert(table_of(Engineer)), engineers)
    _batched(sa.insert(table_of(EngineerSkill)), engineer_skills)


def add_requests(count: int, *, seed: int = 2, today: date | None = None) -> list[int]:
    """Open requests for a few clients, with 2-3 must-haves and 1-2 nice-to-haves."""
    rng = random.Random(seed)
    today = today or date.today()
    skill_ids = list(skills().values())
    client_ids = []
    for i, (country, zone) in enumerate(CLIENT_ZONES):
        client = Client(
            name=f"Bench client {seed}-{i}",
            country=country,
            timezone=zone,
            workday_start=time(9),
            workday_end=time(17),
        )
        db.session.add(client)
        db.session.flush()
        client_ids.append(client.id)
    ids = []
    for _ in range(count):
        chosen = rng.sample(skill_ids, 5)
        req = StaffingRequest(
            client_id=rng.choice(client_ids),
            title="Benchmark request",
            seniority=rng.choice(("mid", "senior")),
            headcount=1,
            start_date=today + timedelta(days=rng.randint(7, 60)),
            duration_weeks=rng.choice((12, 26, 52, None)),
            min_overlap_hours=Decimal(rng.choice((3, 4, 4, 5))),
            max_bill_rate=rng.choice((None, Decimal(110), Decimal(130))),
            status="open",
            priority="normal",
        )
        musts = rng.randint(2, 3)
        for k, skill_id in enumerate(chosen[: musts + rng.randint(1, 2)]):
            req.skills.append(
                RequestSkillModel(
                    skill_id=skill_id, min_level=rng.randint(2, 3), required=k < musts
                )
            )
        db.session.add(req)
        db.session.flush()
        ids.append(req.id)
    return ids
