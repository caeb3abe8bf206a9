"""`flask seed-demo`: a realistic agency, the same every time, loaded once."""

import re
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

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
# Text that names rows by id (a notification's link and key, an e-mail's body): compared with
# the ids left out, like the id columns, since ids differ between loads on PostgreSQL.
ID_TEXTS = {"link", "key", "body_text"}


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
        masked = [] if exact else [k for k, c in enumerate(columns) if c.name in ID_TEXTS]
        tables[table.name] = sorted(tuple(map(repr, _masked(row, masked))) for row in rows)
    return tables


def _masked(row, positions: list[int]) -> list:
    """The row with the digits of the values at those positions replaced by #."""
    values = list(row)
    for k in positions:
        if values[k] is not None:
            values[k] = re.sub(r"\d+", "#", values[k])
    return values


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
    engineers = re.findall(r"^\s+engineer\s+\S+@mail\.example — \w", result.output, re.MULTILINE)
    assert len(engineers) == 3
    assert re.search(r"\d+ timesheets", result.output)
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

    # admin, two account managers, one user per client, three engineers
    assert len(emails) == 3 + 3 + 3
    engineers = db.session.scalars(sa.select(User).where(User.role == "engineer")).all()
    assert {u.email for u in engineers} <= set(emails)
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


def test_demo_hours_show_every_state_through_the_rules(app, client, runner):
    """Engineers who sign in, and weeks of timesheets made through the timesheets service:
    mostly approved, some waiting, exactly one rejected with its reason, one week missing, one
    placement whose approved hours ran low — with health saying so (issue 14)."""
    from tracker.models import AuditEvent, Notification, OutboxEmail, Timesheet
    from tracker.models.enums import Role
    from tracker.services import timesheets
    from tracker.services.health import health_of, health_sql

    demo_data.seed(today=TODAY)
    db.session.commit()
    password = app.config["DEMO_PASSWORD"]

    # Engineers with accounts: each is one roster engineer of a running placement, signs in.
    accounts = db.session.scalars(sa.select(User).where(User.role == Role.ENGINEER)).all()
    assert len(accounts) == 3
    for user in accounts:
        assert user.engineer is not None
        assert user.email == user.engineer.email
        assert any(p.status == "active" for p in user.engineer.placements)

    sheets = db.session.scalars(sa.select(Timesheet)).all()
    by_status = defaultdict(list)
    for t in sheets:
        by_status[t.status].append(t)
    assert len(by_status["approved"]) > len(sheets) / 2
    assert by_status["submitted"]
    assert len(by_status["rejected"]) == 1
    rejected = by_status["rejected"][0]
    assert rejected.decision_note
    assert rejected.decided_by.client_id == rejected.placement.client_id
    assert rejected.placement.engineer.user is not None  # the engineer has it to correct
    assert len(by_status["draft"]) <= 1  # the week in progress, unless today is a Monday
    approved = by_status["approved"]
    assert sum(t.approved_automatically for t in approved) == 1
    assert any(t.decided_by and t.decided_by.is_staff and t.decision_note for t in approved)
    assert any(t.submitted_by and t.submitted_by.is_engineer for t in sheets)
    assert any(t.submitted_by and t.submitted_by.is_staff for t in sheets)  # on their behalf

    # The rules the service enforces hold, and every step is dated in the demo's past.
    cap = app.config["TIMESHEET_MAX_WEEKLY_HOURS"]
    midnight = datetime.combine(TODAY, time.min, tzinfo=UTC)
    notes = set()
    for t in sheets:
        days = set(timesheets.placement_days(t.placement, t.week_start))
        assert t.week_start.weekday() == 0
        assert t.total_hours == sum(e.hours for e in t.entries) <= cap
        for e in t.entries:
            assert 0 < e.hours <= 24, (t, e)
            assert (e.hours * 4) % 1 == 0, (t, e)  # quarter hours
            assert e.work_date in days, (t, e)
            assert e.work_date < TODAY, (t, e)
            notes.add(e.note)
        steps = [t.created_at, t.submitted_at, t.decided_at]
        steps = [s for s in steps if s is not None]
        assert steps == sorted(steps), t
        assert steps[-1] < midnight, t
        assert t.updated_at == steps[-1]
    assert len(notes - {None}) >= 3
    for model in (AuditEvent, Notification, OutboxEmail):
        assert db.session.scalar(sa.select(sa.func.max(model.created_at))) < midnight
    unsent = sa.select(sa.func.count()).where(OutboxEmail.status != "sent")
    assert db.session.scalar(unsent) == 0  # the demo's past is not mailed again

    # Exactly one week missing: the last one of an engineer who signs in.
    live = db.session.scalars(sa.select(Placement).where(Placement.status == "active")).all()
    have = {(t.placement_id, t.week_start) for t in sheets}
    missing = [
        (p, monday)
        for p in live
        for monday in timesheets.weeks_of(p, TODAY)
        if monday >= timesheets.week_of(p.timesheets_from)
        and monday + timedelta(days=6) < TODAY
        and (p.id, monday) not in have
    ]
    assert len(missing) == 1
    p, monday = missing[0]
    assert monday == timesheets.week_of(TODAY) - timedelta(days=7)
    assert p.engineer.user is not None

    # Health reads the hours: the summaries are the service's own, and say why.
    for p in live:
        kept = (p.low_hours_weeks, p.missing_weeks, p.rejected_since)
        timesheets.refresh_hours_summary(p, TODAY)
        assert (p.low_hours_weeks, p.missing_weeks, p.rejected_since) == kept, p
        level = db.session.scalar(sa.select(health_sql(TODAY)).where(Placement.id == p.id))
        assert level == health_of(p, TODAY).level, p
    db.session.rollback()
    reasons = {p: health_of(p, TODAY).reasons for p in live}
    low = [p for p, why in reasons.items() if any("below half the expected" in r for r in why)]
    assert len(low) == 1
    assert low[0].low_hours_weeks == 2
    assert health_of(low[0], TODAY).level == "amber"
    assert any("a timesheet was rejected" in r for r in reasons[rejected.placement])

    for user in accounts:  # (signing in writes history: after the checks of its dates)
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, (user.email, response.text)
        client.post("/logout")

    # The daily job of `make run` finds nothing overdue, and reminds the missing week's engineer.
    result = runner.invoke(args=["placements-daily", "--today", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert "0 timesheets approved automatically, 1 timesheet reminders sent" in result.output


def test_demo_interviews_show_every_state_inside_both_working_days(app):
    """Held interviews with outcomes, a no-show, one scheduled in the coming days, one
    requested and waiting for the agency; every time one free_slots offers (both days)."""
    from tracker.models import Interview
    from tracker.services import interviews

    demo_data.seed(today=TODAY)
    rows = db.session.scalars(sa.select(Interview).order_by(Interview.id)).all()
    by_status: dict[str, list] = {}
    for row in rows:
        by_status.setdefault(row.status, []).append(row)
    completed = by_status["completed"]
    assert len(completed) >= 4
    assert {i.would_continue for i in completed} == {True, False}
    for i in completed:
        assert i.would_continue == (i.proposal.status == "accepted")
        musts = {n.skill.name for n in i.proposal.request.skills if n.required}
        assert set(i.skill_ratings) == musts
        assert i.ends_at < i.proposal.decided_at
    [scheduled] = by_status["scheduled"]
    start_of_today = datetime.combine(TODAY, time(0), tzinfo=UTC)
    assert start_of_today < scheduled.starts_at < start_of_today + timedelta(days=8)
    assert scheduled.proposal.status == "interviewing"
    [requested] = by_status["requested"]
    assert requested.choices_side == "client"
    assert len(requested.choices) == 3
    assert requested.proposal.status == "proposed"
    ever = datetime(2000, 1, 1, tzinfo=UTC)
    for i in rows:
        slots = interviews.choices_of(i) if i.status == "requested" else [(i.starts_at, i.ends_at)]
        day = slots[0][0].date() - timedelta(days=1)
        offered = set(
            interviews.free_slots(i.proposal, day, days=10, now=ever, except_interview_id=i.id)
        )
        assert set(slots) <= offered, i
