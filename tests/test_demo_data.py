"""`flask seed-demo`: a realistic agency, the same every time, loaded once."""

import re
from collections import defaultdict
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from tracker.demo import data as demo_data
from tracker.extensions import db
from tracker.models import (
    VETTING_SCORES,
    Client,
    Engineer,
    IterationReview,
    Placement,
    Proposal,
    StaffingRequest,
    User,
)
from tracker.models.enums import (
    LIVE_PLACEMENT_STATUSES,
    EndReason,
    PlacementStatus,
    ProposalStatus,
    RequestStatus,
)

TODAY = date(2026, 3, 2)
# Random on purpose, and never shown: the password's salt and the sign-out token.
SECRETS = {"password_hash", "session_token"}


def _count(model, *criteria) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*criteria))


def _distinct(column) -> set:
    return set(db.session.scalars(sa.select(column).distinct()))


def _snapshot(*, exact: bool) -> dict[str, list]:
    """Every table's rows, sorted; unless exact, without ids, foreign keys and secrets."""
    tables = {}
    for table in demo_data.data_tables():
        columns = [
            c
            for c in table.columns
            if exact or (c.name not in SECRETS and c.name != "id" and not c.name.endswith("_id"))
        ]
        rows = db.session.execute(sa.select(*columns)).all()
        tables[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return tables


def _relations() -> list:
    """Who is linked to what, by names instead of ids (which differ between databases)."""
    replaced = aliased(Placement)
    replaced_engineer = aliased(Engineer)
    placements = db.session.execute(
        sa.select(
            Engineer.email,
            Client.name,
            StaffingRequest.title,
            Placement.start_date,
            Placement.end_date,
            Placement.status,
            replaced_engineer.email,
        )
        .join(Placement.engineer)
        .join(Placement.client)
        .join(Placement.request)
        .outerjoin(replaced, Placement.replaces_placement_id == replaced.id)
        .outerjoin(replaced_engineer, replaced.engineer_id == replaced_engineer.id)
    ).all()
    proposals = db.session.execute(
        sa.select(StaffingRequest.title, Client.name, Engineer.email, Proposal.status)
        .join(Proposal.request)
        .join(StaffingRequest.client)
        .join(Proposal.engineer)
    ).all()
    reviewers = db.session.execute(
        sa.select(Engineer.email, IterationReview.iteration, User.email)
        .join(IterationReview.placement)
        .join(Placement.engineer)
        .join(IterationReview.submitted_by)
    ).all()
    return [sorted(map(repr, rows)) for rows in (placements, proposals, reviewers)]


def _logins(output: str) -> tuple[str, list[str]]:
    """The password and the emails `seed-demo` printed."""
    password = re.search(r"password for all: (\S+)\)", output).group(1)
    return password, re.findall(r"^\s+\w+\s+(\S+@\S+)", output, flags=re.MULTILINE)


def test_seed_demo_loads_a_whole_agency(runner, app):
    result = runner.invoke(args=["seed-demo"])

    assert result.exit_code == 0, result.output
    assert "8 clients, 150 engineers" in result.output
    assert f"password for all: {app.config['DEMO_PASSWORD']})" in result.output
    assert re.search(r"admin\s+admin@agency\.example", result.output)
    assert re.search(r"account_manager\s+am@agency\.example", result.output)
    assert re.search(r"client\s+\S+@northwind-analytics\.example — Northwind", result.output)
    assert _count(Client) == 8
    assert _count(Engineer) == 150
    assert 24 <= _count(StaffingRequest) <= 40
    assert _distinct(StaffingRequest.status) == set(RequestStatus.values())
    assert _distinct(Proposal.status) == set(ProposalStatus.values())
    assert _distinct(Placement.status) == set(PlacementStatus.values())
    assert _distinct(Placement.end_reason) == {None, *EndReason.values()}
    assert _count(IterationReview) > 100
    # What a client sees of a proposal: the rate put to them, as the app sets it.
    unpriced = Proposal.proposed_at.is_not(None) & Proposal.bill_rate.is_(None)
    assert _count(Proposal, unpriced) == 0


def test_seed_demo_twice_changes_nothing(runner):
    first = runner.invoke(args=["seed-demo"])
    before = _snapshot(exact=True)

    second = runner.invoke(args=["seed-demo"])

    assert second.exit_code == 0, second.output
    assert "already present; nothing changed" in second.output
    assert _snapshot(exact=True) == before
    assert _logins(second.output) == _logins(first.output)


def test_same_seed_same_data_and_another_seed_other_data(app):
    def load(seed: int):
        demo_data.wipe()
        db.session.commit()
        assert all(_count(table) == 0 for table in demo_data.data_tables())
        demo_data.seed(seed=seed, engineers=60, clients=4, today=TODAY)
        db.session.commit()
        return _snapshot(exact=False), _relations()

    first = load(7)
    again = load(7)
    other = load(8)

    assert again == first
    assert other[0]["engineer"] != first[0]["engineer"]
    assert other != first


@pytest.mark.parametrize(("engineers", "clients"), [(40, 3), (30, 15)])
def test_sizes_are_as_asked(runner, engineers, clients):
    args = ["seed-demo", "--engineers", str(engineers), "--clients", str(clients)]
    result = runner.invoke(args=args)

    assert result.exit_code == 0, result.output
    assert _count(Engineer) == engineers
    assert _count(Client) == clients
    assert len(_distinct(Client.name)) == clients
    assert _distinct(StaffingRequest.status) == set(RequestStatus.values())


def test_every_demo_login_signs_in_with_the_printed_password(runner, client):
    result = runner.invoke(args=["seed-demo", "--engineers", "30", "--clients", "3"])
    password, emails = _logins(result.output)

    assert len(emails) == 3 + 3  # admin, two account managers, one user per client
    wrong = client.post("/login", data={"email": emails[0], "password": password + "x"})
    assert wrong.status_code == 401  # so the 302s below mean the password was right
    for email in emails:
        response = client.post("/login", data={"email": email, "password": password})
        assert response.status_code == 302, (email, response.text)
        client.post("/logout")


def test_reset_reloads_the_same_data_and_if_empty_leaves_it_alone(runner):
    small = ["--engineers", "25", "--clients", "2"]
    runner.invoke(args=["seed-demo", *small])
    before = _snapshot(exact=False), _relations()

    skipped = runner.invoke(args=["seed-demo", "--if-empty"])
    reset = runner.invoke(args=["seed-demo", "--reset", "--yes", *small])

    assert "already has users" in skipped.output
    assert reset.exit_code == 0, reset.output
    assert "Created demo data" in reset.output
    assert (_snapshot(exact=False), _relations()) == before


def test_demo_data_is_plausible(app):
    demo_data.seed(today=TODAY)
    db.session.commit()

    engineers = db.session.scalars(sa.select(Engineer)).all()
    chile = [e for e in engineers if e.timezone == "America/Santiago"]
    assert len(chile) >= 5
    assert all(e.country == "CL" for e in chile)
    years = {"junior": range(1, 4), "mid": range(3, 7), "senior": range(6, 40)}
    assert all(e.years_experience in years[e.seniority] for e in engineers)
    for e in engineers:
        if e.vetting_status == "vetted":
            assert e.vetted_at is not None
            assert all(1 <= getattr(e, s) <= 5 for s in VETTING_SCORES)
        assert 3 <= len(e.skills) <= 7

    # Nobody is booked twice: live placements of one engineer never share a day.
    placements = db.session.scalars(sa.select(Placement)).all()
    live = defaultdict(list)
    for p in placements:
        if p.status in LIVE_PLACEMENT_STATUSES:
            live[p.engineer_id].append((p.start_date, p.end_date or date.max))
    for ranges in live.values():
        ranges.sort()
        assert all(prev[1] < nxt[0] for prev, nxt in zip(ranges, ranges[1:], strict=False))

    for p in placements:
        assert p.client_id == p.request.client_id
        assert p.proposal.status == "accepted"
        assert p.pay_rate == p.engineer.hourly_rate < p.bill_rate
        if p.status == "active":
            assert p.start_date <= TODAY
            assert p.end_date is None or p.end_date >= TODAY
        if p.status == "pending":
            assert p.start_date > TODAY
    soon = [p for p in placements if p.status == "active" and p.end_date is not None]
    assert any(p.end_date <= TODAY + timedelta(days=30) for p in soon)
    assert any(p.replaces_placement_id for p in placements)

    # Something for the at-risk dashboard: a falling placement and an overdue one.
    active = [p for p in placements if p.status == "active"]
    assert any(p.reviews and not p.reviews[-1].would_continue for p in active)
    assert any(
        p.reviews and p.reviews[-1].period_end < TODAY - timedelta(days=p.review_cadence_days + 7)
        for p in active
    )
    reviews = db.session.scalars(sa.select(IterationReview)).all()
    assert all(r.placement.start_date <= r.period_start <= r.period_end < TODAY for r in reviews)
    assert all(r.created_at.date() < TODAY for r in reviews)


def test_demo_reviews_follow_the_apps_review_rules(app):
    """Each demo review covers the app's iteration and is written on or after its due date,
    as services.reviews would accept it (issue 11.7)."""
    from tracker.services.reviews import placement_iteration

    demo_data.seed(engineers=60, clients=4, today=TODAY)
    db.session.commit()
    reviews = db.session.scalars(sa.select(IterationReview)).all()
    assert len(reviews) > 50
    for review in reviews:
        it = placement_iteration(review.placement, review.iteration)
        assert (review.period_start, review.period_end) == (it.start, it.end), review.id
        written = review.created_at.date()
        assert it.due_on <= written < TODAY, (review.id, it.end, written)
