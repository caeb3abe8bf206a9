"""rank_engineers and explain_exclusion: each hard filter alone, scores, order, a property."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.extensions import db
from tracker.models import Engineer, EngineerSkill, Placement, Proposal, StaffingRequest
from tracker.services.matching import explain_exclusion, rank_engineers

START = date(2027, 1, 11)  # a Monday; 26 weeks run past the US change on 14 Mar 2027
TODAY = date(2026, 12, 1)


@pytest.fixture
def request_(make):
    """Mid ML engineer for a New York team 09:00-17:00, Python 4+ and PyTorch 3+, Docker nice."""
    client = make.client(timezone="America/New_York", workday_start=time(9), workday_end=time(17))
    return make.request(
        client=client,
        seniority="mid",
        start_date=START,
        duration_weeks=26,
        min_overlap_hours=Decimal(4),
        max_bill_rate=Decimal(100),
        skills={"Python": (4, True), "PyTorch": (3, True), "Docker": (2, False)},
    )


def fit_engineer(make, **kw):
    """An engineer who passes every hard filter of request_ unless kw says otherwise."""
    defaults = dict(
        seniority="mid",
        years_experience=5,
        hourly_rate=Decimal("60.00"),  # x 1.35 = 81.00 billed, within 100
        timezone="America/Sao_Paulo",  # 09-18 at -03: 7-8 h with New York
        workday_start=time(9),
        workday_end=time(18),
        available_from=START - timedelta(days=30),
        skills={"Python": 4, "PyTorch": 3},
    )
    return make.engineer(**{**defaults, **kw})


def ranked_ids(req):
    return [m.engineer.id for m in rank_engineers(req, limit=100, today=TODAY)]


def test_a_fitting_engineer_is_ranked_with_an_explained_score(request_, make):
    engineer = fit_engineer(make, skills={"Python": 5, "PyTorch": 3, "Docker": 3})
    [match] = rank_engineers(request_, today=TODAY)
    assert match.engineer.id == engineer.id
    assert 0 <= match.score <= 100
    parts = {c.name: c for c in match.components}
    assert set(parts) == {"skills", "overlap", "rate", "seniority", "availability"}
    assert sum(c.weight for c in parts.values()) == 100
    assert match.score == pytest.approx(round(sum(c.points for c in parts.values()), 1))
    assert "all 2 must-haves, above the level asked: Python +1" in parts["skills"].reason
    assert "1 of 1 nice-to-have (Docker)" in parts["skills"].reason
    assert "7 h a day at least (needs 4 h)" in parts["overlap"].reason
    assert "$81.00/h billed of a $100.00/h budget" in parts["rate"].reason
    assert explain_exclusion(request_, engineer) == []


EXCLUSIONS = [
    ("not vetted", dict(vetting_status="screening", vetted_at=None), "not vetted (vetting status: screening)"),
    ("inactive", dict(is_active=False), "archived (inactive)"),
    ("missing skill", dict(skills={"Python": 5}), "missing must-have skill PyTorch (level 3 or more)"),
    ("low level", dict(skills={"Python": 3, "PyTorch": 5}), "Python at level 3; the request needs 4"),
    ("too junior", dict(seniority="junior"), "seniority junior; the request needs mid"),
    ("too late", dict(available_from=START + timedelta(days=1)), "available from 12 Jan 2027, after the start on 11 Jan 2027"),
    ("no overlap", dict(timezone="Asia/Tokyo"), "overlap is 0.0 h a day; minimum 4 h"),
    ("over budget", dict(hourly_rate=Decimal("80.00")), "rate $80.00/h x 1.35 = $108.00/h is over the $100.00/h budget"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "overrides", "reason"), EXCLUSIONS, ids=[e[0] for e in EXCLUSIONS]
)
def test_each_hard_filter_alone_excludes(request_, make, case, overrides, reason):
    kept = fit_engineer(make)
    excluded = fit_engineer(make, **overrides)
    assert ranked_ids(request_) == [kept.id]
    assert explain_exclusion(request_, excluded) == [reason]


def test_a_senior_may_fill_a_mid_request_but_not_a_junior_one(request_, make):
    senior = fit_engineer(make, seniority="senior", years_experience=9)
    assert ranked_ids(request_) == [senior.id]
    request_.seniority = "junior"
    db.session.commit()
    assert ranked_ids(request_) == []
    assert explain_exclusion(request_, senior) == [
        "seniority senior is more than one level above the junior asked for"
    ]


def test_a_vetting_status_is_named_as_people_read_it(request_, make):
    engineer = fit_engineer(make, vetting_status="technical_interview", vetted_at=None)
    assert explain_exclusion(request_, engineer) == [
        "not vetted (vetting status: technical interview)"
    ]


def test_the_seniority_words_state_the_configured_steps(app, request_, make, monkeypatch):
    """MATCH_SENIORITY_STEPS_ABOVE decides the filter and its explanation alike."""
    senior = fit_engineer(make, seniority="senior", years_experience=9)
    request_.seniority = "junior"
    db.session.commit()
    monkeypatch.setitem(app.config, "MATCH_SENIORITY_STEPS_ABOVE", 2)
    assert ranked_ids(request_) == [senior.id]
    assert explain_exclusion(request_, senior) == []
    monkeypatch.setitem(app.config, "MATCH_SENIORITY_STEPS_ABOVE", 0)
    request_.seniority = "mid"
    db.session.commit()
    assert ranked_ids(request_) == []
    assert explain_exclusion(request_, senior) == ["seniority senior is above the mid asked for"]


def test_a_live_placement_on_overlapping_dates_excludes(request_, make):
    booked = fit_engineer(make)
    other = make.request(client=make.client(name="Initech"))
    make.placement(engineer=booked, request=other, start=date(2026, 6, 1), end=START)
    assert ranked_ids(request_) == []
    assert explain_exclusion(request_, booked) == [
        "already placed at Initech from 1 Jun 2026 until 11 Jan 2027"
    ]


def test_a_placement_ending_before_the_start_or_ended_does_not_exclude(request_, make):
    free_in_time = fit_engineer(make)
    make.placement(engineer=free_in_time, start=date(2026, 6, 1), end=START - timedelta(days=1))
    was_booked = fit_engineer(make)
    make.placement(
        engineer=was_booked, start=date(2026, 6, 1), end=None, status="ended",
        end_reason="client_ended",
    )  # fmt: skip
    assert set(ranked_ids(request_)) == {free_in_time.id, was_booked.id}


def test_overlap_that_drops_after_the_us_clock_change_excludes_and_says_when(request_, make):
    # Bogota (-05, no DST) 12:00-20:00 is 17:00-01:00 UTC. New York 09-17 is 14-22 UTC in
    # winter (5 h together), 13-21 UTC from 14 Mar 2027 (4 h).
    request_.min_overlap_hours = Decimal("4.5")
    db.session.commit()
    late = fit_engineer(
        make, timezone="America/Bogota", workday_start=time(12), workday_end=time(20)
    )
    assert ranked_ids(request_) == []
    assert explain_exclusion(request_, late) == [
        "overlap drops to 4.0 h from 15 Mar 2027; minimum 4.5 h"
    ]
    request_.min_overlap_hours = Decimal(4)
    db.session.commit()
    [match] = rank_engineers(request_, today=TODAY)
    overlap = next(c for c in match.components if c.name == "overlap")
    assert "4 h from 15 Mar 2027, 5 h before" in overlap.reason


def test_open_ended_request_checks_a_year_of_overlap(request_, make):
    request_.duration_weeks = None
    db.session.commit()
    engineer = fit_engineer(make)
    make.placement(engineer=engineer, start=START + timedelta(days=300), end=None, status="pending")
    assert ranked_ids(request_) == []  # booked within the year after the start


def test_request_hours_override_the_clients(request_, make):
    tokyo = fit_engineer(make, timezone="Asia/Tokyo")
    assert ranked_ids(request_) == []
    request_.timezone, request_.workday_start, request_.workday_end = (
        "Asia/Tokyo", time(9), time(18),
    )  # fmt: skip
    db.session.commit()
    assert ranked_ids(request_) == [tokyo.id]


def test_no_budget_means_no_rate_filter(request_, make):
    request_.max_bill_rate = None
    db.session.commit()
    pricey = fit_engineer(make, hourly_rate=Decimal("150.00"))
    [match] = rank_engineers(request_, today=TODAY)
    assert match.engineer.id == pricey.id
    assert "no budget set" in next(c.reason for c in match.components if c.name == "rate")


def test_order_is_best_first_and_ties_go_to_the_lower_id(request_, make):
    twins = [fit_engineer(make) for _ in range(3)]
    star = fit_engineer(make, skills={"Python": 5, "PyTorch": 5, "Docker": 5})
    matches = rank_engineers(request_, today=TODAY)
    assert [m.engineer.id for m in matches] == [star.id, *(t.id for t in twins)]
    assert matches[1].score == matches[2].score == matches[3].score
    assert rank_engineers(request_, limit=2, today=TODAY)[1].engineer.id == twins[0].id


def test_request_without_skills_ranks_on_the_rest(make):
    req = make.request(start_date=START, seniority="mid", skills={}, max_bill_rate=None)
    engineer = fit_engineer(make, skills={})
    assert [m.engineer.id for m in rank_engineers(req, today=TODAY)] == [engineer.id]


def test_ranking_runs_a_bounded_number_of_queries(request_, make, count_queries):
    for _ in range(30):
        fit_engineer(make)
    request_ = db.session.get(StaffingRequest, request_.id)
    _ = request_.skills, request_.client
    with count_queries() as counter:
        assert len(rank_engineers(request_, limit=20, today=TODAY)) == 20
    assert counter.count <= 5


# --- property: the ranking is exactly the engineers explain_exclusion lets through -------

ZONES = ["America/Sao_Paulo", "America/Santiago", "America/Bogota", "America/Mexico_City",
         "Europe/Lisbon", "Asia/Manila"]  # fmt: skip

engineer_specs = st.fixed_dictionaries(
    {
        "vetted": st.booleans(),
        "active": st.sampled_from([True, True, True, False]),
        "seniority": st.sampled_from(["junior", "mid", "senior"]),
        "rate": st.integers(30, 90),
        "zone": st.sampled_from(ZONES),
        "start_hour": st.integers(5, 13),
        "hours": st.integers(6, 10),
        "available_offset": st.one_of(st.none(), st.integers(-60, 30)),
        "python": st.one_of(st.none(), st.integers(1, 5)),
        "pytorch": st.one_of(st.none(), st.integers(1, 5)),
        "booked": st.sampled_from([None, None, "before", "overlapping", "ended"]),
    }
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(engineer_specs, min_size=1, max_size=8),
    seniority=st.sampled_from(["junior", "mid", "senior"]),
    min_overlap=st.sampled_from([0, 2, 4, 5.5, 7]),
    budget=st.one_of(st.none(), st.integers(50, 130)),
    weeks=st.one_of(st.none(), st.integers(4, 40)),
)
def test_ranking_is_exactly_the_engineers_passing_every_filter(
    app, make, specs, seniority, min_overlap, budget, weeks
):
    for model in (Placement, Proposal, EngineerSkill, Engineer):
        db.session.execute(sa.delete(model))
    db.session.commit()
    req = make.request(
        seniority=seniority, start_date=START, duration_weeks=weeks,
        min_overlap_hours=Decimal(str(min_overlap)),
        max_bill_rate=None if budget is None else Decimal(budget),
        skills={"Python": (3, True), "PyTorch": (2, True), "Docker": (2, False)},
    )  # fmt: skip
    engineers = []
    for spec in specs:
        skills = {k: v for k, v in (("Python", spec["python"]), ("PyTorch", spec["pytorch"])) if v}
        start = time(spec["start_hour"])
        offset = spec["available_offset"]
        not_vetted = {} if spec["vetted"] else {"vetting_status": "screening", "vetted_at": None}
        engineer = make.engineer(
            **not_vetted,
            is_active=spec["active"],
            seniority=spec["seniority"],
            hourly_rate=Decimal(spec["rate"]),
            timezone=spec["zone"],
            workday_start=start,
            workday_end=time((spec["start_hour"] + spec["hours"]) % 24),
            available_from=None if offset is None else START + timedelta(days=offset),
            skills=skills,
        )
        if spec["booked"] == "before":
            make.placement(
                engineer=engineer, start=START - timedelta(days=90), end=START - timedelta(days=1)
            )
        elif spec["booked"] == "overlapping":
            make.placement(
                engineer=engineer, start=START + timedelta(days=20), end=None, status="pending"
            )
        elif spec["booked"] == "ended":
            make.placement(engineer=engineer, start=START - timedelta(days=10), end=None,
                           status="ended", end_reason="engineer_left")  # fmt: skip
        engineers.append(engineer)

    matches = rank_engineers(req, limit=100, today=TODAY)

    passing = {e.id for e in engineers if not explain_exclusion(req, e)}
    assert {m.engineer.id for m in matches} == passing
    keys = [(-m.score, m.engineer.id) for m in matches]
    assert keys == sorted(keys)
    assert all(0 <= m.score <= 100 for m in matches)
