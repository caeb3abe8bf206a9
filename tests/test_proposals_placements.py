"""Proposals move only along allowed steps; placements never double-book an engineer."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import AuditEvent, Client, Placement, Proposal, StaffingRequest
from tracker.services import DomainError, placements, proposals, transaction
from tracker.services.placements import PlacementInput

TODAY = date.today()


def terms(start=None, end=None, bill="95.00", pay="60.00", cadence=14) -> PlacementInput:
    start = start or TODAY + timedelta(days=14)
    return PlacementInput(start, end, Decimal(bill), Decimal(pay), cadence)


def test_shortlist_then_propose_then_accept(make):
    am = make.user()
    req = make.request()
    engineer = make.engineer()
    proposal = proposals.shortlist(req, engineer, am, score=81.456)
    db.session.commit()
    assert (proposal.status, proposal.score) == ("shortlisted", Decimal("81.46"))
    for target in ("proposed", "interviewing", "accepted"):
        proposals.move_proposal(proposal, target, am)
        db.session.commit()
    assert proposal.proposed_at is not None
    assert proposal.decided_at is not None
    actions = db.session.scalars(
        sa.select(AuditEvent.changes).where(AuditEvent.entity_type == "Proposal")
    ).all()
    assert [c.get("status") for c in actions] == [
        [None, "shortlisted"],
        ["shortlisted", "proposed"],
        ["proposed", "interviewing"],
        ["interviewing", "accepted"],
    ]


def test_a_move_that_is_not_allowed_is_refused_and_changes_nothing(make):
    am = make.user()
    proposal = make.proposal(status="shortlisted")
    with pytest.raises(DomainError, match="cannot go from shortlisted to accepted"):
        proposals.move_proposal(proposal, "accepted", am)
    db.session.rollback()
    assert db.session.get(Proposal, proposal.id).status == "shortlisted"


def test_declined_is_final_and_needs_a_reason(make):
    am = make.user()
    proposal = make.proposal(status="proposed")
    with pytest.raises(DomainError, match="Choose the reason"):
        proposals.move_proposal(proposal, "declined", am, reason="because")
    proposals.move_proposal(proposal, "declined", am, reason="rate", note="Too pricey")
    db.session.commit()
    assert (proposal.decline_reason, proposal.decline_note) == ("rate", "Too pricey")
    with pytest.raises(DomainError, match="declined is final"):
        proposals.move_proposal(proposal, "proposed", am)


def test_an_engineer_is_shortlisted_once_per_request(make):
    am = make.user()
    proposal = make.proposal(status="proposed")
    with pytest.raises(DomainError, match="already on this request"):
        proposals.shortlist(proposal.request, proposal.engineer, am)


@pytest.mark.parametrize("status", ["draft", "filled", "closed", "cancelled"])
def test_only_open_or_on_hold_requests_take_candidates(make, status):
    with pytest.raises(DomainError, match="only open or on-hold requests"):
        proposals.shortlist(make.request(status=status), make.engineer(), make.user())


def test_unvetted_engineers_cannot_be_shortlisted(make):
    engineer = make.engineer(vetting_status="screening", vetted_at=None)
    with pytest.raises(DomainError, match="not a vetted, active engineer"):
        proposals.shortlist(make.request(), engineer, make.user())


def test_placement_from_an_accepted_proposal(make):
    am = make.user()
    proposal = make.proposal(status="accepted")
    with transaction():
        placement = placements.create_placement(proposal, terms(), am)
    assert placement.status == "pending"  # starts in two weeks
    assert placement.client_id == proposal.request.client_id
    assert placement.margin == Decimal("35.00")
    assert db.session.get(StaffingRequest, proposal.request_id).status == "filled"


def test_placement_starting_today_is_active(make):
    proposal = make.proposal(status="accepted")
    with transaction():
        placement = placements.create_placement(proposal, terms(start=TODAY), make.user())
    assert placement.status == "active"


def test_request_is_filled_only_when_headcount_is_reached(make):
    am = make.user()
    req = make.request(headcount=2)
    with transaction():
        placements.create_placement(make.proposal(request=req, status="accepted"), terms(), am)
    assert db.session.get(StaffingRequest, req.id).status == "open"
    with transaction():
        placements.create_placement(make.proposal(request=req, status="accepted"), terms(), am)
    assert db.session.get(StaffingRequest, req.id).status == "filled"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (terms(start=date(2027, 2, 1), end=date(2027, 1, 31)), "end date is before the start"),
        (terms(bill="50.00", pay="60.00"), "below the pay rate"),
        (terms(cadence=10), "7, 14 or 30 days"),
    ],
)
def test_bad_placement_terms_are_refused(make, data, message):
    proposal = make.proposal(status="accepted")
    with pytest.raises(DomainError, match=message), transaction():
        placements.create_placement(proposal, data, make.user())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Placement)) == 0


def test_only_accepted_proposals_become_placements(make):
    with pytest.raises(DomainError, match="Only an accepted proposal"):
        placements.create_placement(make.proposal(status="proposed"), terms(), make.user())


def test_second_placement_for_overlapping_dates_is_refused_with_the_dates(make):
    engineer = make.engineer(full_name="Ana Souza")
    make.placement(
        engineer=engineer,
        request=make.request(client=make.client(name="Acme")),
        start=date(2027, 1, 4),
        end=date(2027, 6, 30),
    )
    proposal = make.proposal(engineer=engineer, status="accepted")
    with pytest.raises(DomainError, match="Ana Souza is already placed at Acme until 30 Jun 2027."):
        placements.create_placement(proposal, terms(start=date(2027, 3, 1)), make.user())


def race(app, jobs):
    """Run each job in its own thread, app context and session, all released at once."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                with transaction():
                    job()
                results[i] = "saved"
            except DomainError as e:
                results[i] = str(e)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def two_accepted_proposals(make):
    """One engineer accepted on two requests of two clients: two ways to book them."""
    engineer = make.engineer(full_name="Ana Souza")
    am = make.user()
    ids = [make.proposal(engineer=engineer, status="accepted").id for _ in range(2)]
    return am.id, ids


def place(am_id, proposal_id):
    def job():
        from tracker.models import User

        proposal = db.session.get(Proposal, proposal_id)
        placements.create_placement(
            proposal, terms(start=date(2027, 1, 4)), db.session.get(User, am_id)
        )

    return job


def test_two_people_placing_one_engineer_at_once_one_wins(app, make):
    am_id, (first, second) = two_accepted_proposals(make)

    results = race(app, [place(am_id, first), place(am_id, second)])

    assert results.count("saved") == 1
    loser = next(r for r in results if r != "saved")
    assert "Ana Souza is already booked at" in loser
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Placement)) == 1


class PgError(Exception):
    """What psycopg raises: the message plus the SQLSTATE code."""

    def __init__(self, message, sqlstate):
        super().__init__(message)
        self.sqlstate = sqlstate


def in_a_transaction(orig, before=lambda: None):
    """What the services do: a block in transaction(), failing with this driver error."""
    with transaction():
        before()
        raise sa.exc.OperationalError("INSERT INTO placement ...", {}, orig)


def test_a_deadlock_checking_the_booking_guard_reads_as_a_lost_booking(make):
    """Two overlapping inserts at one instant can deadlock on the exclusion constraint."""
    deadlock = PgError(
        "deadlock detected\nCONTEXT:  while checking exclusion constraint on tuple (0,1) "
        'in relation "placement"',
        "40P01",
    )
    client = make.client(name="Renamed")

    def rename():
        client.name = "Never saved"
        db.session.flush()

    with pytest.raises(DomainError, match="just booked for overlapping dates by someone else"):
        in_a_transaction(deadlock, rename)
    assert db.session.scalars(sa.select(Client.name)).all() == ["Renamed"]


def test_other_lost_races_ask_to_try_again_and_real_outages_are_not_hidden(app):
    with pytest.raises(DomainError, match="Reload the page and try again"):
        in_a_transaction(PgError("could not serialize access", "40001"))
    with pytest.raises(sa.exc.OperationalError):
        in_a_transaction(PgError("server closed the connection unexpectedly", "08006"))


def test_the_database_refuses_the_race_even_without_the_services_checks(app, make, monkeypatch):
    """The last line: with the lock and the clash check switched off, the constraint holds."""
    monkeypatch.setattr(placements, "lock_engineer", lambda engineer_id: None)
    monkeypatch.setattr(placements, "booking_clash", lambda *a, **kw: None)
    am_id, (first, second) = two_accepted_proposals(make)

    results = race(app, [place(am_id, first), place(am_id, second)])

    assert results.count("saved") == 1
    assert "just booked for overlapping dates by someone else" in next(
        r for r in results if r != "saved"
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Placement)) == 1


def test_history_names_the_records_a_new_proposal_and_placement_refer_to(make):
    """References set through relationships reach the history (issue 11.3), by name."""
    am = make.user()
    req = make.request(title="Vision lead")
    engineer = make.engineer(full_name="Ana Souza")
    proposal = proposals.shortlist(req, engineer, am)
    db.session.commit()
    proposals.move_proposal(proposal, "proposed", am)
    proposals.move_proposal(proposal, "accepted", am)
    with transaction():
        placement = placements.create_placement(proposal, terms(), am)

    def changes_of(action):
        return db.session.scalar(sa.select(AuditEvent.changes).where(AuditEvent.action == action))

    created = changes_of("proposal.created")
    assert (created["request"], created["engineer"]) == ([None, "Vision lead"], [None, "Ana Souza"])
    assert "created_by" not in created  # the actor of the event already
    placed = changes_of("placement.created")
    assert placed["engineer"] == [None, "Ana Souza"]
    assert placed["request"] == [None, "Vision lead"]
    assert placed["client"] == [None, req.client.name]
    assert placed["proposal"] == [None, f"Proposal #{proposal.id}"]
    assert placement.engineer_id == engineer.id
