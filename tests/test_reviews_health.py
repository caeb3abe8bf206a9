"""Iteration schedule, reviews, health and the placement lifecycle, on fixed dates."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from tracker.extensions import db
from tracker.models import AuditEvent, IterationReview, Placement, StaffingRequest
from tracker.services import DomainError, placements, transaction
from tracker.services.health import health_of, health_sql
from tracker.services.reviews import ReviewInput, correct_review, submit_review
from tracker.services.schedule import iteration, iterations_until

START = date(2026, 9, 7)  # a Monday
GOOD = ReviewInput(5, 4, 5, 4, True, "Great sprint", None)


def scores(delivery, code_quality=None, communication=None, collaboration=None, go_on=True):
    values = [delivery, code_quality, communication, collaboration]
    values = [delivery if v is None else v for v in values]
    return ReviewInput(*values, would_continue=go_on)


# --- the schedule --------------------------------------------------------------------------


def test_iterations_follow_the_cadence_and_stop_at_the_end_date():
    first = iteration(START, 14, date(2026, 10, 10), 1)
    assert (first.start, first.end, first.due_on, first.overdue_on) == (
        date(2026, 9, 7), date(2026, 9, 20), date(2026, 9, 21), date(2026, 9, 28),
    )  # fmt: skip
    third = iteration(START, 14, date(2026, 10, 10), 3)
    assert (third.start, third.end) == (date(2026, 10, 5), date(2026, 10, 10))  # cut short
    assert iteration(START, 14, date(2026, 10, 10), 4) is None
    assert iteration(START, 7, None, 100).start == START + timedelta(days=99 * 7)


@pytest.mark.parametrize(
    ("today", "state"),
    [
        (date(2026, 9, 6), "upcoming"),
        (date(2026, 9, 7), "in_progress"),
        (date(2026, 9, 20), "in_progress"),
        (date(2026, 9, 21), "due"),  # the day after it ends
        (date(2026, 9, 27), "due"),
        (date(2026, 9, 28), "overdue"),  # seven days later
    ],
)
def test_iteration_states_by_date(today, state):
    assert iteration(START, 14, None, 1).state(today, reviewed=False) == state
    assert iteration(START, 14, None, 1).state(today, reviewed=True) == "reviewed"


def test_iterations_until_a_date():
    assert [it.number for it in iterations_until(START, 30, None, date(2026, 11, 6))] == [1, 2, 3]


# --- reviews -------------------------------------------------------------------------------


@pytest.fixture
def placement(make):
    return make.placement(start=START, end=None, review_cadence_days=14)


def test_a_review_of_an_ended_iteration_is_recorded_with_its_period(make, placement):
    am = make.user()
    with transaction():
        review = submit_review(placement, 1, GOOD, am, today=date(2026, 9, 21))
    assert (review.period_start, review.period_end) == (date(2026, 9, 7), date(2026, 9, 20))
    assert placement.reviews_count == 1
    assert placement.last_overall == Decimal("4.50")
    assert placement.first_gap_due_on == date(2026, 10, 5)  # iteration 2 is next
    actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "review.submitted" in actions


def test_a_review_before_the_iteration_ends_is_refused(make, placement):
    with pytest.raises(DomainError, match="runs until 20 Sep 2026; it can be reviewed from 21 Sep"):
        submit_review(placement, 1, GOOD, make.user(), today=date(2026, 9, 20))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IterationReview)) == 0


def test_a_second_review_of_the_same_iteration_is_refused(make, placement):
    am = make.user()
    with transaction():
        submit_review(placement, 1, GOOD, am, today=date(2026, 9, 25))
    with pytest.raises(DomainError, match="Iteration 1 has already been reviewed."):
        submit_review(placement, 1, GOOD, am, today=date(2026, 9, 25))


@pytest.mark.parametrize("bad", [0, 6, 7, -1])
def test_a_rating_out_of_range_is_refused(make, placement, bad):
    with pytest.raises(DomainError, match="Rate code quality from 1 to 5."):
        submit_review(placement, 1, scores(4, bad), make.user(), today=date(2026, 9, 25))


def test_no_review_for_an_iteration_past_the_end_or_before_the_start(make):
    am = make.user()
    short = make.placement(start=START, end=date(2026, 9, 30), review_cadence_days=14)
    with pytest.raises(DomainError, match="has no iteration 4"):
        submit_review(short, 4, GOOD, am, today=date(2027, 1, 1))
    pending = make.placement(start=date(2027, 1, 4), status="pending")
    with pytest.raises(DomainError, match="has not started yet"):
        submit_review(pending, 1, GOOD, am, today=date(2027, 1, 3))


def test_the_author_may_correct_within_seven_days_and_history_is_kept(make, placement):
    am = make.user()
    with transaction():
        review = submit_review(placement, 1, GOOD, am, today=date(2026, 9, 22))
    written = review.created_at.date()
    with transaction():
        changes = correct_review(review, scores(3), am, today=written + timedelta(days=7))
    assert changes["delivery"] == [5, 3]
    assert placement.last_overall == Decimal("3.00")
    corrected = db.session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "review.corrected")
    )
    assert corrected.changes["code_quality"] == [4, 3]


def test_a_correction_after_seven_days_or_by_someone_else_is_refused(make, placement):
    am = make.user()
    with transaction():
        review = submit_review(placement, 1, GOOD, am, today=date(2026, 9, 22))
    written = review.created_at.date()
    with pytest.raises(DomainError, match="can be corrected for 7 days"):
        correct_review(review, scores(1), am, today=written + timedelta(days=8))
    with pytest.raises(DomainError, match="Only the person who wrote a review"):
        correct_review(review, scores(1), make.user(), today=written)
    db.session.rollback()
    assert db.session.get(IterationReview, review.id).delivery == 5


# --- health --------------------------------------------------------------------------------


def reviewed(make, placement, *overalls_and_continue):
    for k, (score, go_on) in enumerate(overalls_and_continue, 1):
        make.review(placement, k, delivery=score, code_quality=score, communication=score,
                    collaboration=score, would_continue=go_on)  # fmt: skip
    db.session.refresh(placement)
    return placement


def health_on(placement, day):
    return health_of(placement, day)


def test_no_review_due_yet_is_green(placement):
    assert health_on(placement, date(2026, 9, 10)).level == "green"


@pytest.mark.parametrize(
    ("today", "level", "reason"),
    [
        (date(2026, 9, 27), "green", "on track"),  # iteration 1 due, not yet overdue
        (date(2026, 9, 28), "amber", "1 review overdue"),
        (date(2026, 10, 12), "red", "2 or more reviews overdue"),
    ],
)
def test_overdue_reviews_turn_health_amber_then_red(placement, today, level, reason):
    health = health_on(placement, today)
    assert (health.level, health.reason) == (level, reason)


def test_a_drop_of_a_point_or_more_is_red_with_the_numbers(make, placement):
    reviewed(make, placement, (5, True), (4, True), (3, True))
    health = health_on(placement, date(2026, 10, 6))
    assert health.level == "red"
    assert "overall fell from 4.00 to 3.00" in health.reasons


def test_would_not_continue_is_red(make, placement):
    reviewed(make, placement, (5, True), (5, False))
    assert health_on(placement, date(2026, 10, 6)).reason == "the client would not continue"


@pytest.mark.parametrize(
    ("overalls", "level"),
    [
        ([5, 5, 4], "red"),  # fell by a whole point
        ([4, 4, 4], "green"),
        ([3, 4, 4], "amber"),  # average 3.67
        ([3, 3, 3], "amber"),  # average 3.0: not below 3.0
        ([2, 3, 3], "red"),  # average 2.67
        ([4, 4, 3.5], "amber"),  # fell by half a point
    ],
)
def test_average_and_drop_thresholds(make, placement, overalls, level):
    for k, score in enumerate(overalls, 1):
        low, high = int(score), round(score + 0.49)  # 3.5 overall: two 3s and two 4s
        make.review(placement, k, delivery=low, code_quality=high, communication=low,
                    collaboration=high)  # fmt: skip
    db.session.refresh(placement)
    assert health_on(placement, date(2026, 10, 20)).level == level


def test_the_sql_health_agrees_with_python(make):
    cases = [
        make.placement(start=START, review_cadence_days=14),  # red: two overdue by November
        make.placement(start=date(2026, 10, 26), review_cadence_days=30),  # green
        make.placement(start=date(2026, 10, 12), review_cadence_days=14),  # amber: one overdue
    ]
    reviewed(make, make.placement(start=START), (5, True), (2, True))
    ended = make.placement(start=START, status="ended", end_reason="completed", end=START)
    today = date(2026, 11, 9)
    rows = db.session.execute(sa.select(Placement.id, health_sql(today))).all()
    by_id = dict(rows)
    for p in db.session.scalars(sa.select(Placement)):
        expected = health_of(p, today)
        assert by_id[p.id] == (expected.level if expected else None), p.id
    assert by_id[ended.id] is None
    assert [by_id[c.id] for c in cases] == ["red", "green", "amber"]


# --- lifecycle -----------------------------------------------------------------------------


def test_run_daily_activates_on_the_start_date_and_completes_after_the_end(make):
    pending = make.placement(start=date(2026, 12, 1), end=None, status="pending")
    finishing = make.placement(start=date(2026, 6, 1), end=date(2026, 11, 30))
    with transaction():
        placements.run_daily(date(2026, 11, 30))
    assert (pending.status, finishing.status) == ("pending", "active")
    with transaction():
        outcome = placements.run_daily(date(2026, 12, 1))
    assert outcome["activated"] == 1
    assert outcome["completed"] == 1
    assert (pending.status, finishing.status, finishing.end_reason) == (
        "active", "ended", "completed",
    )  # fmt: skip


def test_run_daily_follows_the_frozen_clock(make):
    pending = make.placement(start=date(2027, 3, 1), status="pending")
    with time_machine.travel(date(2027, 3, 1), tick=False), transaction():
        placements.run_daily(date.today())
    assert pending.status == "active"


def test_activating_early_moves_the_start_date(make):
    placement = make.placement(start=date(2026, 12, 14), status="pending")
    with transaction():
        placements.activate(placement, make.user(), today=date(2026, 12, 10))
    assert (placement.status, placement.start_date) == ("active", date(2026, 12, 10))


def test_ending_as_replaced_reopens_a_filled_request(make):
    req = make.request(status="filled")
    placement = make.placement(request=req, start=date(2026, 6, 1))
    with transaction():
        placements.end_placement(placement, "replaced", make.user(), today=date(2026, 11, 20))
    assert (placement.status, placement.end_reason, placement.end_date) == (
        "ended", "replaced", date(2026, 11, 20),
    )  # fmt: skip
    assert db.session.get(StaffingRequest, req.id).status == "open"


def test_ending_as_completed_leaves_the_request_alone(make):
    req = make.request(status="filled")
    placement = make.placement(request=req, start=date(2026, 6, 1))
    with transaction():
        placements.end_placement(placement, "completed", make.user(), today=date(2026, 11, 20))
    assert db.session.get(StaffingRequest, req.id).status == "filled"


def test_extending_into_another_booking_is_refused(make):
    engineer = make.engineer(full_name="Ana Souza")
    first = make.placement(engineer=engineer, start=date(2026, 6, 1), end=date(2026, 12, 31))
    make.placement(
        engineer=engineer, request=make.request(client=make.client(name="Initech")),
        start=date(2027, 1, 4), end=None, status="pending",
    )  # fmt: skip
    with pytest.raises(DomainError, match="already booked at Initech"):
        placements.change_end_date(first, date(2027, 2, 1), make.user(), today=date(2026, 11, 26))
    db.session.rollback()
    with transaction():
        placements.change_end_date(first, date(2026, 12, 15), make.user(), today=date(2026, 11, 26))
    assert db.session.get(Placement, first.id).end_date == date(2026, 12, 15)


def test_shortening_into_the_past_is_refused(make):
    placement = make.placement(start=date(2026, 6, 1), end=date(2026, 12, 31))
    with pytest.raises(DomainError, match="use End placement"):
        placements.change_end_date(
            placement, date(2026, 11, 1), make.user(), today=date(2026, 11, 26)
        )


def test_a_successor_is_linked_once(make):
    req = make.request(status="open")
    old = make.placement(request=req, start=date(2026, 6, 1), end=date(2026, 11, 27),
                         status="ended", end_reason="replaced")  # fmt: skip
    am = make.user()
    first = make.proposal(request=req, status="accepted")
    with transaction():
        placements.create_placement(
            first, placements.PlacementInput(date(2026, 11, 30), None, Decimal(90), Decimal(60)),
            am, replaces=old,
        )  # fmt: skip
    second = make.proposal(request=req, status="accepted")
    with pytest.raises(DomainError, match="already has a successor"):
        placements.create_placement(
            second, placements.PlacementInput(date(2027, 1, 4), None, Decimal(90), Decimal(60)),
            am, replaces=old,
        )  # fmt: skip


def test_a_submitted_review_is_recorded_whole(make, placement):
    with transaction():
        submit_review(placement, 1, GOOD, make.user(), today=date(2026, 9, 21))
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "review.submitted"))
    assert event.changes["delivery"] == [None, 5]
    assert event.changes["comments"] == [None, "Great sprint"]
