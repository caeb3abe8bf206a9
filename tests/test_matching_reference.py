"""The ranking is the one it was before it was made fast (issue 18), engineer for engineer.

`reference_best` below is the ranking as it stood before: the must-haves as an INTERSECT of
index ranges, every level a scalar subquery, rows read through the column types and scored one
by one with `_total`. rank_engineers must return the same engineers, in the same order, with
the same scores and reasons, on generated rosters (tracker.demo.roster, as the benchmarks use)
with bookings, archived and unvetted engineers, for requests with none to four must-haves.
"""

import heapq
import random
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.demo import roster
from tracker.extensions import db
from tracker.models import Engineer, EngineerSkill, Placement, RequestSkill, StaffingRequest
from tracker.services import matching
from tracker.services.matching import (
    HARD_FILTERS,
    Needs,
    SkillFit,
    _Candidate,
    _matches,
    allowed_seniorities,
    billable_rate,
    needs_of,
    rank_engineers,
    within_budget,
)
from tracker.services.timezones import WorkingWindow, overlap_profile

TODAY = date(2026, 12, 1)


# --- the ranking before issue 18 -----------------------------------------------------------


def _reference_prefilter(needs: Needs) -> sa.Select:
    columns = [
        Engineer.id,
        Engineer.timezone,
        Engineer.workday_start,
        Engineer.workday_end,
        Engineer.seniority,
        Engineer.hourly_rate,
        Engineer.available_from,
    ]
    for n, need in enumerate(needs.skills):
        level = (
            sa.select(EngineerSkill.level)
            .where(
                EngineerSkill.engineer_id == Engineer.id, EngineerSkill.skill_id == need.skill_id
            )
            .scalar_subquery()
        )
        columns.append(level.label(f"skill_{n}"))
    stmt = sa.select(*columns)
    if needs.musts:
        per_skill = [
            sa.select(EngineerSkill.engineer_id).where(
                EngineerSkill.skill_id == m.skill_id, EngineerSkill.level >= m.min_level
            )
            for m in needs.musts
        ]
        candidates = (per_skill[0] if len(per_skill) == 1 else sa.intersect(*per_skill)).subquery()
        stmt = stmt.select_from(candidates).join(Engineer, Engineer.id == candidates.c.engineer_id)
    for hard_filter in HARD_FILTERS:
        if hard_filter.name != "must-have skills":
            stmt = hard_filter.narrow(stmt, needs)
    return stmt


def reference_best(needs: Needs, limit: int, today: date) -> list[_Candidate]:
    from flask import current_app

    weights = current_app.config["MATCH_WEIGHTS"]
    scored = []
    for row in db.session.execute(_reference_prefilter(needs)):
        window = WorkingWindow(row.timezone, row.workday_start, row.workday_end)
        profile = overlap_profile(needs.window, window, needs.start, needs.end)
        if not matching._overlap_enough(profile, needs):
            continue
        if not within_budget(row.hourly_rate, needs.max_bill_rate):
            continue
        assert row.seniority in allowed_seniorities(needs.seniority)
        billed = billable_rate(row.hourly_rate)
        fits = tuple(
            SkillFit(need.name, row._mapping[f"skill_{n}"], need.min_level, need.required)
            for n, need in enumerate(needs.skills)
        )
        scores = (
            matching._skills_score(fits),
            matching._overlap_score(profile, needs),
            matching._rate_score(billed, needs),
            matching._seniority_score(row.seniority, needs),
            matching._availability_score(row.available_from, needs, today),
        )
        candidate = _Candidate(row.id, profile, fits, row.seniority, row.available_from, billed)
        scored.append((matching._total(scores, weights), row.id, candidate))
    return [c for _, _, c in heapq.nsmallest(limit, scored, key=lambda s: (-s[0], s[1]))]


# --- generated rosters ---------------------------------------------------------------------


def _roster(seed: int, engineers: int) -> list[int]:
    """A roster with bookings, and requests with none to four must-haves."""
    rng = random.Random(seed)
    roster.add_engineers(engineers, seed=seed, today=TODAY)
    ids = roster.add_requests(12, seed=seed, today=TODAY)
    db.session.flush()
    engineer_ids = list(db.session.scalars(sa.select(Engineer.id)))
    requests = db.session.scalars(sa.select(StaffingRequest).where(StaffingRequest.id.in_(ids)))
    skill_ids = list(roster.skills().values())
    for n, req in enumerate(requests):
        if n % 4 == 0:  # no must-haves: everyone vetted may pass
            for rs in req.skills:
                rs.required = False
        elif n % 4 == 1:  # four must-haves, one of them the commonest at a low level
            held = {rs.skill_id for rs in req.skills}
            for skill_id in rng.sample([s for s in skill_ids if s not in held], 2):
                req.skills.append(RequestSkill(skill_id=skill_id, min_level=2, required=True))
        if n % 3 == 0:
            req.seniority = "junior"
    # Placements that book some engineers over some requests' dates, and some that do not.
    placement_request = ids[0]
    client_id = db.session.get(StaffingRequest, placement_request).client_id
    for engineer_id in rng.sample(engineer_ids, len(engineer_ids) // 6):
        start = TODAY + timedelta(days=rng.randint(-200, 120))
        end = None if rng.random() < 0.3 else start + timedelta(days=rng.randint(20, 200))
        status = rng.choice(("active", "active", "pending", "ended"))
        db.session.add(
            Placement(
                engineer_id=engineer_id,
                request_id=placement_request,
                client_id=client_id,
                start_date=start,
                end_date=end,
                bill_rate=Decimal("90.00"),
                pay_rate=Decimal("55.00"),
                status=status,
                end_reason="completed" if status == "ended" else None,
                review_cadence_days=14,
                timesheets_from=start,
            )
        )
    db.session.commit()
    return ids


@pytest.mark.parametrize("seed", [3, 11])
def test_the_ranking_is_the_reference_ranking_engineer_for_engineer(app, seed):
    request_ids = _roster(seed, engineers=1500)
    assert request_ids
    compared = 0
    for request_id in request_ids:
        db.session.expire_all()
        req = db.session.get(StaffingRequest, request_id)
        needs = needs_of(req)
        for limit in (20, 5000):
            expected = _matches(reference_best(needs, limit, TODAY), needs, TODAY)
            got = rank_engineers(req, limit=limit, today=TODAY)
            assert [(m.engineer.id, m.score) for m in got] == [
                (m.engineer.id, m.score) for m in expected
            ], f"request {request_id}, limit {limit}"
            assert got == expected  # components, reasons, overlap, skills, rate: all of it
            compared += len(got)
    assert compared > 300  # the rosters are not so strict that nobody is compared


def test_a_must_have_nobody_holds_ranks_nobody(app, make):
    roster.add_engineers(50, seed=5, today=TODAY)
    unknown = make.skill("Nobody has this")
    req = make.request(skills={"Python": (1, True), unknown.name: (1, True)})
    assert rank_engineers(req, today=TODAY) == []


def test_the_rarest_must_have_is_where_the_ranking_starts(app, make):
    """Whatever the order of the request's must-haves, the query starts from the skill the
    fewest engineers hold at its level; the ranking is the same either way."""
    for n in range(30):
        make.engineer(skills={"Python": 4, **({"JAX": 4} if n % 10 == 0 else {})},
                      workday_start=time(9), workday_end=time(18))  # fmt: skip
    common_first = make.request(skills={"Python": (3, True), "JAX": (3, True)}, max_bill_rate=None)
    rare_first = make.request(skills={"JAX": (3, True), "Python": (3, True)}, max_bill_rate=None)
    matching._HOLDERS.clear()  # counts are per database URL; a test database reuses its URL
    for req in (common_first, rare_first):
        order = matching._rarest_first(needs_of(req).musts)
        assert [need.name for need in order] == ["JAX", "Python"]
    assert [m.engineer.id for m in rank_engineers(common_first, today=TODAY)] == [
        m.engineer.id for m in rank_engineers(rare_first, today=TODAY)
    ]
    assert len(rank_engineers(common_first, today=TODAY)) == 3


def test_windows_seen_before_are_left_out_in_sql_when_short_and_the_ranking_stays(app, make):
    """A Madrid team needing 5 h: São Paulo 09-18 falls short, Lisbon 09-17 does not. Once
    both windows are known, the query leaves São Paulo out; a window not seen yet still
    reaches the ranking, which decides it itself."""
    client = make.client(timezone="Europe/Madrid", workday_start=time(9), workday_end=time(17))
    req = make.request(client=client, min_overlap_hours=Decimal(5), max_bill_rate=None,
                       skills={"Python": (3, True)})  # fmt: skip
    far = make.engineer(skills={"Python": 4}, timezone="America/Sao_Paulo")
    near = make.engineer(skills={"Python": 4}, timezone="Europe/Lisbon", workday_end=time(17))
    matching._SEEN_WINDOWS.clear()
    assert "NOT IN" not in str(matching.prefilter(needs_of(req)).compile(db.engine))
    first = [m.engineer.id for m in rank_engineers(req, today=TODAY)]
    assert first == [near.id]
    assert "NOT IN" in str(matching.prefilter(needs_of(req)).compile(db.engine))
    assert [m.engineer.id for m in rank_engineers(req, today=TODAY)] == first
    unseen = make.engineer(skills={"Python": 4}, timezone="Europe/Dublin", workday_end=time(17))
    assert {m.engineer.id for m in rank_engineers(req, today=TODAY)} == {near.id, unseen.id}
    assert far.id not in {m.engineer.id for m in rank_engineers(req, limit=100, today=TODAY)}


def test_holders_are_counted_once_a_while_not_after_every_write(app, make, count_queries):
    """Which must-have is rarest only orders the query's joins: the counts are kept, so a
    ranking after a write sends the prefilter alone (and the engineers it shows)."""
    for _ in range(3):
        make.engineer(skills={"Python": 4, "JAX": 4})
    req = make.request(skills={"Python": (3, True), "JAX": (3, True)}, max_bill_rate=None)
    matching._HOLDERS.clear()
    with count_queries() as first:
        assert len(rank_engineers(req, today=TODAY)) == 3
    make.engineer(skills={"Python": 4, "JAX": 4})  # a write: a fourth engineer
    with count_queries() as after:
        assert len(rank_engineers(req, today=TODAY)) == 4  # ranked afresh, all of them
    assert any("count(*)" in s for s in first.statements)
    assert not any("count(*)" in s for s in after.statements)
    assert after.count == first.count - 1
