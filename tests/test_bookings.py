"""tracker.services.bookings: the one rule for "booked between two dates", in Python and SQL."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import Engineer, Placement
from tracker.services.bookings import (
    booking_clash,
    booking_phrase,
    clash_message,
    engineer_booked,
    first_clashes,
    overlapping,
    overlaps,
)

D = date(2027, 3, 1)  # a reference day; the ranges below are days around it


def days(n: int) -> date:
    return D + timedelta(days=n)


OVERLAPS = [
    # (start, end, other_start, other_end, expected)
    ("disjoint, before", days(0), days(9), days(20), days(30), False),
    ("disjoint, after", days(20), days(30), days(0), days(9), False),
    ("the next day", days(0), days(9), days(10), days(20), False),
    ("touching: ends the day the other starts", days(0), days(10), days(10), days(20), True),
    ("touching: starts the day the other ends", days(10), days(20), days(0), days(10), True),
    ("one inside the other", days(0), days(30), days(10), days(12), True),
    ("the same single day", days(5), days(5), days(5), days(5), True),
    ("single days apart", days(5), days(5), days(6), days(6), False),
    ("open-ended, starting after the other ends", days(11), None, days(0), days(10), False),
    ("open-ended, starting the day the other ends", days(10), None, days(0), days(10), True),
    ("open-ended, starting before", days(0), None, days(50), days(60), True),
    ("both open-ended", days(0), None, days(100), None, True),
]


@pytest.mark.parametrize(
    ("case", "start", "end", "other_start", "other_end", "expected"),
    OVERLAPS,
    ids=[c[0] for c in OVERLAPS],
)
def test_overlaps_shares_a_day_both_ends_included(
    case, start, end, other_start, other_end, expected
):
    assert overlaps(start, end, other_start, other_end) is expected
    assert overlaps(other_start, other_end, start, end) is expected  # symmetric


@pytest.fixture
def placements(make):
    """Three engineers' placements: closed and active, open-ended and pending, and ended."""
    closed = make.placement(start=days(0), end=days(10), status="active")
    open_ended = make.placement(start=days(20), end=None, status="pending")
    ended = make.placement(
        start=days(0), end=days(30), status="ended", end_reason="client_ended"
    )  # frees its days: never a booking
    return closed, open_ended, ended


# Windows around the edges of the placements above: None is an open end.
WINDOWS = [
    (days(-10), days(-1)),  # the day before the first placement starts
    (days(-10), days(0)),  # its first day
    (days(10), days(10)),  # its last day
    (days(11), days(19)),  # between the two: nobody booked
    (days(11), days(20)),  # the open-ended one's first day
    (days(19), days(19)),
    (days(500), days(500)),  # far out: the open-ended one still holds it
    (days(5), None),  # open window from inside the first
    (days(11), None),  # open window after the first
    (days(-5), days(40)),  # covers both
]


@pytest.mark.parametrize(("start", "end"), WINDOWS)
def test_the_sql_clause_finds_exactly_what_the_python_check_finds(placements, start, end):
    closed, open_ended, ended = placements
    found = set(db.session.scalars(sa.select(Placement.id).where(overlapping(start, end))))
    expected = {
        p.id
        for p in (closed, open_ended)  # live ones only
        if overlaps(p.start_date, p.end_date, start, end)
    }
    assert found == expected
    assert ended.id not in found


def test_edge_days_in_sql(placements):
    closed, open_ended, _ = placements

    def found(start, end):
        return set(db.session.scalars(sa.select(Placement.id).where(overlapping(start, end))))

    assert found(days(-3), days(-1)) == set()
    assert found(days(-3), days(0)) == {closed.id}  # the start day is booked
    assert found(days(10), days(10)) == {closed.id}  # so is the end day
    assert found(days(11), days(19)) == set()
    assert found(days(11), days(20)) == {open_ended.id}
    assert found(days(3000), None) == {open_ended.id}  # open-ended: booked for ever after


def test_engineer_booked_correlates_with_the_engineer_row(placements, make):
    closed, open_ended, ended = placements
    free = make.engineer()

    def booked(start, end):
        stmt = sa.select(Engineer.id).where(engineer_booked(start, end))
        return set(db.session.scalars(stmt))

    def unbooked(start, end):
        stmt = sa.select(Engineer.id).where(~engineer_booked(start, end))
        return set(db.session.scalars(stmt))

    assert booked(days(10), days(20)) == {closed.engineer_id, open_ended.engineer_id}
    assert booked(days(11), days(19)) == set()
    assert unbooked(days(11), days(19)) == {
        closed.engineer_id,
        open_ended.engineer_id,
        ended.engineer_id,
        free.id,
    }


def test_booking_clash_and_first_clashes_pick_the_earliest_booking(make):
    engineer = make.engineer(full_name="Ana Souza")
    client = make.client(name="Acme")
    first = make.placement(
        engineer=engineer, request=make.request(client=client), start=days(0), end=days(10)
    )
    later = make.placement(
        engineer=engineer,
        request=make.request(client=client),
        start=days(11),
        end=None,
        status="pending",
    )
    assert booking_clash(engineer.id, days(5), days(15)) == first
    assert booking_clash(engineer.id, days(5), days(15), ignore_id=first.id) == later
    assert booking_clash(engineer.id, days(-5), days(-1)) is None
    assert booking_clash(engineer.id, days(100), None) == later
    other = make.engineer()
    assert first_clashes([engineer.id, other.id], days(5), days(15)) == {engineer.id: first}
    assert first_clashes([engineer.id], days(11), None) == {engineer.id: later}
    assert first_clashes([], days(0), None) == {}


def test_the_clash_is_said_the_same_way_everywhere(make):
    engineer = make.engineer(full_name="Ana Souza")
    active = make.placement(
        engineer=engineer,
        request=make.request(client=make.client(name="Acme")),
        start=date(2026, 6, 1),
        end=date(2027, 6, 30),
    )
    pending = make.placement(
        request=make.request(client=make.client(name="Initech")),
        start=date(2027, 8, 2),
        end=None,
        status="pending",
    )
    assert clash_message(active) == "Ana Souza is already placed at Acme until 30 Jun 2027."
    assert booking_phrase(active, since=True) == (
        "already placed at Acme from 1 Jun 2026 until 30 Jun 2027"
    )
    assert booking_phrase(pending) == "already booked at Initech with no end date"
    assert booking_phrase(pending, since=True) == (
        "already booked at Initech from 2 Aug 2027 with no end date"
    )
