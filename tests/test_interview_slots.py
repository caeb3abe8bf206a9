"""free_slots against a brute-force reference: generated zones and hours, clock-change weeks.

The reference walks the horizon minute by minute on each side's wall clock: a minute is the
team's when the team's local clock reads a working time of a working day of the horizon (a
window past midnight belongs to the day it began), the engineer's likewise on any weekday.
A slot is a start on the team's half hour whose every minute is both sides', in the future and
clear of the engineer's scheduled interviews. It shares no code with the service.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tracker.models import Interview, db
from tracker.services.interviews import free_slots

MINUTE = timedelta(minutes=1)
# Zones with and without clock changes, both hemispheres, half- and quarter-hour offsets,
# changes at midnight (Havana, Santiago) and a 30-minute change (Lord Howe).
ZONES = [
    "America/New_York",
    "America/Sao_Paulo",
    "America/Santiago",
    "America/Havana",
    "America/Mexico_City",
    "America/Bogota",
    "America/Argentina/Buenos_Aires",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "UTC",
]
# Mondays of weeks in which some of those zones change their clocks (2027), and plain weeks.
CHANGE_WEEKS = [
    date(2027, 3, 8),  # US spring forward (14 Mar)
    date(2027, 3, 22),  # EU spring forward (28 Mar)
    date(2027, 3, 29),  # Southern hemisphere falls back (4 Apr)
    date(2027, 9, 20),  # New Zealand springs forward (26 Sep)
    date(2027, 9, 27),  # Australia springs forward (3 Oct)
    date(2027, 10, 25),  # EU falls back (31 Oct)
    date(2027, 11, 1),  # US falls back (7 Nov)
    date(2027, 1, 18),
    date(2027, 6, 14),
]


def _local(zone: str, instant: datetime) -> datetime:
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def _working_at(zone, start, end, wall: datetime, days) -> bool:
    """Whether the wall-clock time is inside the window of one of `days` (local dates)."""
    t = wall.time()
    if start < end:
        return wall.date() in days and start <= t < end
    # Past midnight: the evening of a working day, or the early hours after one.
    return (wall.date() in days and t >= start) or (
        (wall.date() - timedelta(days=1)) in days and t < end
    )


def reference(team, engineer, start: date, days: int, minutes: int, now, busy):
    """Every slot, found by looking at each minute on both sides' clocks."""
    t_zone, t_start, t_end = team
    e_zone, e_start, e_end = engineer
    team_days, d = [], start
    while len(team_days) < days:
        if d.weekday() < 5:
            team_days.append(d)
        d += timedelta(days=1)
    team_set = set(team_days)
    eng_days = {
        team_days[0] + timedelta(days=i) for i in range(-3, (team_days[-1] - start).days + 4)
    }
    eng_days = {x for x in eng_days if x.weekday() < 5}
    length = timedelta(minutes=minutes)
    first = datetime.combine(start - timedelta(days=1), time(0), tzinfo=UTC)
    last = datetime.combine(team_days[-1] + timedelta(days=2), time(0), tzinfo=UTC)
    found = []
    t = first
    while t < last:
        wall = _local(t_zone, t)
        if wall.minute % 30 == 0 and t > now and not any(b < t + length and t < e for b, e in busy):
            ok = True
            m = t
            while m < t + length:
                if not (
                    _working_at(t_zone, t_start, t_end, _local(t_zone, m), team_set)
                    and _working_at(e_zone, e_start, e_end, _local(e_zone, m), eng_days)
                ):
                    ok = False
                    break
                m += MINUTE
            if ok:
                found.append((t, t + length))
        t += timedelta(minutes=15)
    return found


def _hours(draw_hour, draw_minute, length):
    start = time(draw_hour, draw_minute)
    end_minutes = (draw_hour * 60 + draw_minute + length * 60) % (24 * 60)
    return start, time(end_minutes // 60, end_minutes % 60)


# Every clock change of these zones happens between 00:00 and 04:30 local time. A window that
# begins or ends inside a skipped or repeated hour is made an instant by zoneinfo's rule (fold=0,
# DESIGN.md), which a wall-clock walk cannot see; such windows are left out here. Windows that
# span a change (say 22:00–06:00) are generated, and so are days on which one happens.
windows = st.builds(
    lambda zone, hour, minute, length: (zone, *_hours(hour, minute, length)),
    st.sampled_from(ZONES),
    st.integers(5, 23),
    st.sampled_from([0, 30]),
    st.integers(4, 12),
).filter(lambda w: not time(0) <= w[2] < time(4, 30))


def _set_up(proposal, team, engineer):
    client = proposal.request.client
    client.timezone, client.workday_start, client.workday_end = team
    e = proposal.engineer
    e.timezone, e.workday_start, e.workday_end = engineer
    db.session.flush()


@pytest.fixture
def proposal(make):
    return make.proposal(status="proposed")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    team=windows,
    engineer=windows,
    monday=st.sampled_from(CHANGE_WEEKS),
    offset=st.integers(0, 6),
    minutes=st.sampled_from([30, 45, 60]),
    days=st.integers(1, 10),
)
@example(
    team=("America/New_York", time(9), time(17)),
    engineer=("America/Sao_Paulo", time(9), time(18)),
    monday=date(2027, 3, 8),
    offset=0,
    minutes=45,
    days=10,
)
@example(
    team=("Europe/Berlin", time(9), time(17)),
    engineer=("America/Mexico_City", time(7), time(15)),
    monday=date(2027, 10, 25),
    offset=0,
    minutes=45,
    days=10,
)
@example(
    team=("Australia/Sydney", time(22), time(6)),
    engineer=("America/Santiago", time(9), time(17)),
    monday=date(2027, 3, 29),
    offset=2,
    minutes=60,
    days=5,
)
def test_free_slots_match_the_reference(proposal, team, engineer, monday, offset, minutes, days):
    _set_up(proposal, team, engineer)
    start = monday + timedelta(days=offset)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    got = free_slots(proposal, start, days=days, minutes=minutes, now=now)
    assert got == reference(team, engineer, start, days, minutes, now, [])
    assert got == sorted(set(got))
    assert all(s.tzinfo is not None and s.utcoffset() == timedelta(0) for s, _ in got)
    db.session.rollback()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    team=windows,
    engineer=windows,
    monday=st.sampled_from(CHANGE_WEEKS),
    data=st.data(),
)
def test_the_engineers_interviews_and_the_past_are_left_out(proposal, team, engineer, monday, data):
    _set_up(proposal, team, engineer)
    everything = free_slots(proposal, monday, minutes=45, now=datetime(2026, 12, 1, tzinfo=UTC))
    if not everything:
        db.session.rollback()
        return
    # Now is somewhere in the horizon; two other interviews of the engineer are scheduled.
    now = data.draw(st.sampled_from(everything))[0] + timedelta(
        minutes=data.draw(st.integers(-20, 20))
    )
    taken = [data.draw(st.sampled_from(everything)) for _ in range(2)]
    taken = [taken[0], (taken[1][0] + timedelta(minutes=10), taken[1][1] + timedelta(minutes=10))]
    if taken[0][0] < taken[1][1] and taken[1][0] < taken[0][1]:
        taken = taken[:1]
    for begins, ends in taken:
        other = _other_proposal(proposal)  # one open interview per proposal
        db.session.add(
            Interview(
                proposal=other,
                engineer_id=other.engineer_id,
                status="scheduled",
                starts_at=begins,
                ends_at=ends,
                choices=[],
            )
        )
    db.session.flush()
    got = free_slots(proposal, monday, minutes=45, now=now)
    assert got == reference(team, engineer, monday, 10, 45, now, taken)
    assert all(s > now for s, _ in got)
    db.session.rollback()


def _other_proposal(proposal):
    from tracker.models import Proposal, StaffingRequest

    req = StaffingRequest(
        client=proposal.request.client,
        title="Another team",
        seniority="senior",
        headcount=1,
        start_date=proposal.request.start_date,
        duration_weeks=10,
        min_overlap_hours=2,
        status="open",
        priority="normal",
    )
    other = Proposal(request=req, engineer=proposal.engineer, status="proposed")
    db.session.add(other)
    db.session.flush()
    return other


def test_a_known_week_new_york_and_sao_paulo_across_the_us_clock_change(proposal):
    """New York 9–17 and São Paulo 9–18 (UTC−3, 12:00–21:00 UTC, no clock change there):
    before 14 Mar 2027 New York is UTC−5 and the overlap is 14:00–21:00 UTC (9:00–16:00 in New
    York, 7 h); after it, UTC−4, it is 13:00–21:00 UTC (9:00–17:00 in New York, 8 h)."""
    _set_up(
        proposal, ("America/New_York", time(9), time(17)), ("America/Sao_Paulo", time(9), time(18))
    )
    got = free_slots(
        proposal, date(2027, 3, 12), days=2, minutes=45, now=datetime(2027, 1, 1, tzinfo=UTC)
    )
    friday = [s for s, _ in got if s.date() == date(2027, 3, 12)]
    monday = [s for s, _ in got if s.date() == date(2027, 3, 15)]
    assert friday[0] == datetime(2027, 3, 12, 14, 0, tzinfo=UTC)
    assert friday[-1] == datetime(2027, 3, 12, 20, 0, tzinfo=UTC)  # 20:00–20:45, before 21:00
    assert len(friday) == 13  # 14:00 … 20:00, every half hour
    assert monday[0] == datetime(2027, 3, 15, 13, 0, tzinfo=UTC)
    assert monday[-1] == datetime(2027, 3, 15, 20, 0, tzinfo=UTC)
    assert len(monday) == 15
    # Nothing on the weekend between them.
    assert {s.date() for s, _ in got} == {date(2027, 3, 12), date(2027, 3, 15)}


def test_no_common_hours_no_slots(proposal):
    _set_up(
        proposal, ("Asia/Kolkata", time(9), time(13)), ("America/Los_Angeles", time(9), time(13))
    )
    assert free_slots(proposal, date(2027, 6, 14), now=datetime(2027, 1, 1, tzinfo=UTC)) == []
