"""Working-window overlap, checked against a minute-by-minute reference and by hand."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.services.timezones import (
    WorkingWindow,
    is_valid_timezone,
    overlap_hours,
    overlap_profile,
)

# Zones with daylight saving both ways, odd offsets, the date line and no DST at all.
ZONES = [
    "America/New_York",
    "America/Los_Angeles",
    "America/Santiago",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/Argentina/Buenos_Aires",
    "America/Bogota",
    "America/St_Johns",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kathmandu",
    "Asia/Tokyo",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Apia",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "UTC",
]


def reference_hours(a: WorkingWindow, b: WorkingWindow, on: date) -> float:
    """The contract, literally: walk a's interval minute by minute, count minutes b works."""
    if on.weekday() not in a.weekdays:
        return 0.0
    tz_a, tz_b = ZoneInfo(a.zone), ZoneInfo(b.zone)
    begins = datetime.combine(on, a.start, tzinfo=tz_a).astimezone(UTC)
    end_day = on + timedelta(days=1) if a.end <= a.start else on
    ends = datetime.combine(end_day, a.end, tzinfo=tz_a).astimezone(UTC)
    theirs = []
    for offset in (-1, 0, 1):
        d = on + timedelta(days=offset)
        if d.weekday() not in b.weekdays:
            continue
        b_begins = datetime.combine(d, b.start, tzinfo=tz_b).astimezone(UTC)
        b_end_day = d + timedelta(days=1) if b.end <= b.start else d
        b_ends = datetime.combine(b_end_day, b.end, tzinfo=tz_b).astimezone(UTC)
        theirs.append((b_begins, b_ends))
    minutes = 0
    moment = begins
    while moment < ends:
        if any(s <= moment < e for s, e in theirs):
            minutes += 1
        moment += timedelta(minutes=1)
    return minutes / 60


times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45, 7, 59]))
weekday_sets = st.one_of(
    st.just(frozenset(range(5))),
    st.frozensets(st.integers(0, 6), min_size=1, max_size=7),
)


@st.composite
def windows(draw):
    start = draw(times)
    end = draw(times.filter(lambda t: t != start))
    return WorkingWindow(draw(st.sampled_from(ZONES)), start, end, draw(weekday_sets))


# Days around the 2026/2027 clock changes of the zones above, and ordinary days.
TRANSITION_DAYS = [
    date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 4, 6),
    date(2026, 9, 6), date(2026, 9, 27), date(2026, 10, 4), date(2026, 10, 25),
    date(2026, 11, 1), date(2026, 11, 2), date(2027, 3, 14), date(2027, 4, 4),
]  # fmt: skip
days = st.one_of(
    st.sampled_from(TRANSITION_DAYS).flatmap(
        lambda d: st.integers(-2, 2).map(lambda k: d + timedelta(days=k))
    ),
    st.dates(date(2024, 1, 1), date(2028, 12, 31)),
)


@settings(max_examples=2500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=windows(), b=windows(), on=days)
def test_overlap_matches_the_minute_by_minute_reference(a, b, on):
    assert overlap_hours(a, b, on) == pytest.approx(reference_hours(a, b, on), abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(a=windows(), on=days)
def test_a_window_overlaps_itself_by_its_own_length(a, on):
    interval = a.interval(on)
    expected = (interval[1] - interval[0]).total_seconds() / 3600 if interval else 0
    same_days_every_day = WorkingWindow(a.zone, a.start, a.end, frozenset(range(7)))
    assert overlap_hours(a, same_days_every_day, on) == pytest.approx(expected)


@settings(max_examples=150, deadline=None)
@given(
    a=windows(),
    b=windows(),
    start=st.dates(date(2025, 1, 1), date(2027, 12, 1)),
    length=st.integers(0, 420),
)
def test_profile_agrees_with_the_daily_values(a, b, start, length):
    """The profile's shortcut (one computation per weekday between clock changes) is exact."""
    end = start + timedelta(days=length)
    profile = overlap_profile(a, b, start, end)
    working = [
        start + timedelta(days=k)
        for k in range(length + 1)
        if (start + timedelta(days=k)).weekday() in a.weekdays
    ]
    daily = [overlap_hours(a, b, d) for d in working]
    assert profile.working_days == len(daily)
    if daily:
        assert profile.minimum == pytest.approx(min(daily))
        assert profile.maximum == pytest.approx(max(daily))
        assert profile.average == pytest.approx(sum(daily) / len(daily))
    expected = [
        (day, value)
        for (value, day), previous in zip(
            zip(daily[1:], working[1:], strict=True), daily, strict=False
        )
        if value != previous
    ]
    assert [(c.day, c.hours) for c in profile.changes] == expected


def window(zone, start, end, weekdays=frozenset(range(5))):
    return WorkingWindow(zone, time(*start), time(*end), weekdays)


NEW_YORK = window("America/New_York", (9, 0), (17, 0))
SANTIAGO = window("America/Santiago", (8, 0), (17, 0))


def test_new_york_and_santiago_across_both_countries_changes():
    """US: EDT from 8 Mar, EST from 1 Nov 2026. Chile: -04 from 5 Apr, -03 from 6 Sep."""
    profile = overlap_profile(NEW_YORK, SANTIAGO, date(2026, 1, 1), date(2026, 12, 31))
    assert [c.describe() for c in profile.changes] == [
        "from 9 Mar 2026: 7 h instead of 6 h",  # New York springs forward
        "from 6 Apr 2026: 8 h instead of 7 h",  # Santiago falls back
        "from 7 Sep 2026: 7 h instead of 8 h",  # Santiago springs forward
        "from 2 Nov 2026: 6 h instead of 7 h",  # New York falls back
    ]
    assert (profile.minimum, profile.maximum) == (6, 8)


BERLIN = window("Europe/Berlin", (9, 0), (17, 0))  # CET/CEST, 29 Mar–25 Oct 2026
SAO_PAULO = window("America/Sao_Paulo", (9, 0), (18, 0))  # -03 all year
LOS_ANGELES = window("America/Los_Angeles", (9, 0), (17, 0))  # PST/PDT
BUENOS_AIRES = window("America/Argentina/Buenos_Aires", (9, 0), (18, 0))  # -03 all year
LONDON = window("Europe/London", (9, 0), (17, 0))  # GMT/BST
MEXICO_CITY = window("America/Mexico_City", (9, 0), (18, 0))  # -06 all year since 2022


@pytest.mark.parametrize(
    ("a", "b", "winter", "summer"),
    [(BERLIN, SAO_PAULO, 4, 3), (LOS_ANGELES, BUENOS_AIRES, 4, 5), (LONDON, MEXICO_CITY, 2, 1)],
)
def test_named_pairs_in_winter_and_summer(a, b, winter, summer):
    assert overlap_hours(a, b, date(2026, 1, 14)) == winter
    assert overlap_hours(a, b, date(2026, 7, 15)) == summer


def test_weekend_is_not_a_working_day():
    saturday = date(2026, 1, 17)
    assert overlap_hours(NEW_YORK, SANTIAGO, saturday) == 0


def test_the_day_a_clock_changes_counts_the_real_hours():
    # A Saturday night shift in New York runs into the spring-forward night: 7 real hours.
    night = window("America/New_York", (22, 0), (6, 0), frozenset(range(7)))
    always = window("UTC", (0, 0), (0, 1), frozenset(range(7)))
    utc_all_day = WorkingWindow("UTC", time(0), time(23, 59, 59), frozenset(range(7)))
    assert night.interval(date(2026, 3, 7))[1] - night.interval(date(2026, 3, 7))[0] == timedelta(
        hours=7
    )
    assert overlap_hours(night, utc_all_day, date(2026, 3, 7)) == pytest.approx(7, abs=0.01)
    assert always.interval(date(2026, 3, 7)) is not None


def test_window_past_midnight_overlaps_the_next_local_day():
    # Manila 22:00–06:00 is 14:00–22:00 UTC: fully inside London's 09:00–17:00? No: 14–17.
    manila = window("Asia/Manila", (22, 0), (6, 0))
    london = window("Europe/London", (9, 0), (17, 0))
    assert overlap_hours(london, manila, date(2026, 1, 14)) == 3


def test_zones_more_than_twelve_hours_apart_use_the_neighbouring_day():
    # Kiritimati (+14) works Monday 09:00–17:00 = Sunday 19:00 – Monday 03:00 UTC, while
    # Pago Pago (-11) has its Sunday — not a working day — so Monday gives nothing. Kiritimati's
    # Tuesday (Mon 19:00 – Tue 03:00 UTC) meets Pago Pago's Monday (Mon 20:00 – Tue 04:00 UTC).
    kiritimati = window("Pacific/Kiritimati", (9, 0), (17, 0))
    pago = window("Pacific/Pago_Pago", (9, 0), (17, 0))
    assert overlap_hours(kiritimati, pago, date(2026, 1, 12)) == 0  # Monday
    assert overlap_hours(kiritimati, pago, date(2026, 1, 13)) == 7  # Tuesday


def test_profile_over_no_working_day_is_empty():
    profile = overlap_profile(NEW_YORK, SANTIAGO, date(2026, 1, 17), date(2026, 1, 18))
    assert profile.working_days == 0
    assert profile.minimum == 0


def test_window_needs_different_start_and_end():
    with pytest.raises(ValueError, match="different start and end"):
        window("UTC", (9, 0), (9, 0))


def test_offered_zones():
    assert is_valid_timezone("America/Santiago")
    assert is_valid_timezone("UTC")
    assert not is_valid_timezone("Mars/Olympus_Mons")
    assert not is_valid_timezone("US/Eastern")  # a legacy alias: not offered
    assert not is_valid_timezone("")
