"""The database itself refuses bad data, whatever code writes it (tests insert directly)."""

from datetime import date, time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import (
    Engineer,
    EngineerSkill,
    IterationReview,
    Placement,
    Proposal,
    Skill,
    StaffingRequest,
    User,
)


def refused(*objects, update=None):
    """Adding the objects (or running the update) fails in the database; nothing stays."""

    def write():
        db.session.add_all(objects)
        if update is not None:
            db.session.execute(update)
        db.session.commit()

    with pytest.raises(sa.exc.IntegrityError):
        write()
    db.session.rollback()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def user(**kw) -> User:
    defaults = dict(email="x@example.com", name="X", role="account_manager", password_hash="h")
    return User(**{**defaults, **kw})


def test_duplicate_user_email_is_refused(make):
    make.user(email="ana@example.com")
    refused(user(email="ana@example.com"))
    assert count(User) == 1


def test_user_email_must_be_stored_lowercase(make):
    refused(
        update=sa.insert(User).values(
            email="Upper@Example.com",
            name="U",
            role="admin",
            password_hash="h",
            is_active=True,
            session_token="t",
            created_at=sa.func.current_timestamp(),
            updated_at=sa.func.current_timestamp(),
        )
    )


def test_client_user_without_client_is_refused(make):
    refused(user(role="client"))


def test_staff_user_with_a_client_is_refused(make):
    refused(user(role="admin", client=make.client()))


def test_unknown_role_is_refused(make):
    refused(user(role="superuser"))


def test_skill_names_are_unique_whatever_the_case(make):
    make.skill("PyTorch")
    refused(Skill(name="pytorch"))
    assert count(Skill) == 1


def test_duplicate_engineer_email_is_refused(make):
    make.engineer(email="dev@example.com")
    with pytest.raises(sa.exc.IntegrityError):
        make.engineer(email="DEV@example.com")
    db.session.rollback()
    assert count(Engineer) == 1


@pytest.mark.parametrize("level", [0, 6, 7])
def test_skill_level_outside_1_to_5_is_refused(make, level):
    engineer = make.engineer()
    refused(EngineerSkill(engineer=engineer, skill=make.skill("Python"), level=level))


def test_rating_of_7_is_refused(make):
    placement = make.placement()
    review = IterationReview(
        placement=placement,
        iteration=1,
        period_start=placement.start_date,
        period_end=placement.start_date,
        delivery=7,
        code_quality=4,
        communication=4,
        collaboration=4,
        would_continue=True,
    )
    refused(review)
    assert count(IterationReview) == 0


def test_vetting_score_of_7_is_refused(make):
    engineer = make.engineer()
    refused(update=sa.update(Engineer).where(Engineer.id == engineer.id).values(code_quality=7))


def test_vetted_engineer_needs_all_four_scores(make):
    engineer = make.engineer()
    refused(update=sa.update(Engineer).where(Engineer.id == engineer.id).values(system_design=None))


@pytest.mark.parametrize("field", ["bill_rate", "pay_rate"])
def test_negative_placement_rate_is_refused(make, field):
    placement = make.placement()
    refused(update=sa.update(Placement).where(Placement.id == placement.id).values({field: -1}))


def test_negative_engineer_rate_is_refused(make):
    engineer = make.engineer()
    refused(update=sa.update(Engineer).where(Engineer.id == engineer.id).values(hourly_rate=-5))


@pytest.mark.parametrize(
    "values",
    [
        {"status": "maybe"},
        {"priority": "whenever"},
        {"seniority": "principal"},
        {"headcount": 0},
        {"min_overlap_hours": 25},
        {"max_bill_rate": -10},
        {"timezone": "Europe/Berlin"},  # zone without hours
    ],
)
def test_invalid_request_values_are_refused(make, values):
    request = make.request()
    refused(
        update=sa.update(StaffingRequest).where(StaffingRequest.id == request.id).values(values)
    )


def test_duplicate_proposal_for_same_request_and_engineer_is_refused(make):
    proposal = make.proposal()
    refused(Proposal(request_id=proposal.request_id, engineer_id=proposal.engineer_id))


def test_declined_proposal_needs_a_reason(make):
    proposal = make.proposal()
    refused(update=sa.update(Proposal).where(Proposal.id == proposal.id).values(status="declined"))


def test_second_review_of_the_same_iteration_is_refused(make):
    placement = make.placement()
    make.review(placement, iteration=1)
    with pytest.raises(sa.exc.IntegrityError):
        make.review(placement, iteration=1)
    db.session.rollback()
    assert count(IterationReview) == 1


def test_placement_client_must_be_its_requests_client(make):
    request = make.request()
    other_client = make.client()
    refused(
        Placement(
            request=request,
            client_id=other_client.id,
            engineer=make.engineer(),
            start_date=date(2027, 1, 4),
            bill_rate=Decimal(90),
            pay_rate=Decimal(50),
        )
    )


def test_ended_placement_needs_an_end_reason_and_only_then(make):
    placement = make.placement()
    refused(update=sa.update(Placement).where(Placement.id == placement.id).values(status="ended"))
    refused(
        update=sa.update(Placement)
        .where(Placement.id == placement.id)
        .values(end_reason="completed")
    )


def test_foreign_keys_are_enforced(make):
    refused(EngineerSkill(engineer_id=9999, skill_id=9999, level=3))


def test_client_with_equal_start_and_end_hours_is_refused(make):
    from tracker.models import Client

    refused(
        Client(
            name="Nowhere",
            country="US",
            timezone="America/New_York",
            workday_start=time(9),
            workday_end=time(9),
        )
    )


class TestNoDoubleBooking:
    """One engineer cannot hold two live placements on the same day."""

    def test_overlapping_live_placement_is_refused(self, make):
        engineer = make.engineer()
        make.placement(engineer=engineer, start=date(2027, 1, 4), end=date(2027, 6, 30))
        with pytest.raises(sa.exc.IntegrityError):
            make.placement(
                engineer=engineer,
                start=date(2027, 6, 30),
                end=date(2027, 12, 31),
                status="pending",
            )
        db.session.rollback()
        assert count(Placement) == 1

    def test_open_ended_placement_blocks_every_later_date(self, make):
        engineer = make.engineer()
        make.placement(engineer=engineer, start=date(2027, 1, 4), end=None)
        with pytest.raises(sa.exc.IntegrityError):
            make.placement(engineer=engineer, start=date(2030, 1, 1), end=date(2030, 2, 1))
        db.session.rollback()

    def test_back_to_back_placements_are_fine(self, make):
        engineer = make.engineer()
        make.placement(engineer=engineer, start=date(2027, 1, 4), end=date(2027, 6, 30))
        make.placement(engineer=engineer, start=date(2027, 7, 1), end=None, status="pending")
        assert count(Placement) == 2

    def test_an_ended_placement_does_not_block(self, make):
        engineer = make.engineer()
        make.placement(
            engineer=engineer,
            start=date(2027, 1, 4),
            end=date(2027, 6, 30),
            status="ended",
            end_reason="client_ended",
        )
        make.placement(engineer=engineer, start=date(2027, 3, 1), end=None)
        assert count(Placement) == 2

    def test_other_engineers_may_overlap(self, make):
        make.placement(start=date(2027, 1, 4), end=date(2027, 6, 30))
        make.placement(start=date(2027, 1, 4), end=date(2027, 6, 30))
        assert count(Placement) == 2

    def test_extending_into_a_clash_is_refused(self, make):
        engineer = make.engineer()
        first = make.placement(engineer=engineer, start=date(2027, 1, 4), end=date(2027, 3, 31))
        make.placement(engineer=engineer, start=date(2027, 4, 1), end=None, status="pending")
        refused(
            update=sa.update(Placement)
            .where(Placement.id == first.id)
            .values(end_date=date(2027, 4, 15))
        )

    def test_reviving_an_ended_placement_into_a_clash_is_refused(self, make):
        engineer = make.engineer()
        old = make.placement(
            engineer=engineer,
            start=date(2027, 1, 4),
            end=date(2027, 6, 30),
            status="ended",
            end_reason="replaced",
        )
        make.placement(engineer=engineer, start=date(2027, 2, 1), end=None)
        refused(
            update=sa.update(Placement)
            .where(Placement.id == old.id)
            .values(status="active", end_reason=None)
        )
