"""Rates over time (issue 15, first part): a placement's rates change on a date, the rate of a
day is the latest change on or before it, and nothing reprices a day already invoiced."""

import ast
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

import tracker
from tests.conftest import make_app
from tests.test_migrations import scratch_uri  # noqa: F401  (a fixture)
from tracker.extensions import db
from tracker.models import AuditEvent, PlacementRate
from tracker.models.base import MAX_MONEY
from tracker.services import DomainError, placements, rates, transaction
from tracker.services.placements import PlacementInput

START = date(2026, 1, 5)
RAISE = date(2026, 4, 1)
TODAY = date(2026, 6, 15)
D = Decimal


@pytest.fixture
def am(make):
    return make.user("account_manager", name="Marta Manager")


@pytest.fixture
def placement(make, am):
    """Placed from 5 Jan 2026 at $90/$55 with its first rate, as creation writes it."""
    p = make.placement(start=START, end=None)
    with transaction():
        rates.start_rates(p, am)
    return p


def change(placement, day, bill, pay, actor, today=TODAY, note=None, **kw):
    with transaction():
        return rates.change_rate(
            placement,
            effective_from=day,
            bill_rate=D(bill),
            pay_rate=D(pay),
            note=note,
            actor=actor,
            today=today,
            **kw,
        )


def stored_rates(placement) -> list[tuple]:
    return db.session.execute(
        sa.select(PlacementRate.effective_from, PlacementRate.bill_rate, PlacementRate.pay_rate)
        .where(PlacementRate.placement_id == placement.id)
        .order_by(PlacementRate.effective_from)
    ).all()


def rate_events(placement) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.entity_type == "Placement",
                AuditEvent.entity_id == placement.id,
                AuditEvent.action.like("placement.rate%"),
            )
            .order_by(AuditEvent.id)
        )
    )


# --- the rate of a day -------------------------------------------------------------------------


def test_the_rate_of_a_day_is_the_latest_change_on_or_before_it(placement, am):
    change(placement, RAISE, "100", "60", am)

    def on(day):
        r = rates.rate_on(placement, day)
        return r.bill_rate, r.pay_rate

    assert on(START - timedelta(days=10)) == (D("90.00"), D("55.00"))  # before the first rate
    assert on(START) == (D("90.00"), D("55.00"))
    assert on(RAISE - timedelta(days=1)) == (D("90.00"), D("55.00"))
    assert on(RAISE) == (D("100.00"), D("60.00"))
    assert on(RAISE + timedelta(days=1)) == (D("100.00"), D("60.00"))
    assert on(date(2030, 1, 1)) == (D("100.00"), D("60.00"))  # open-ended: it lasts


def test_a_placement_without_rate_rows_has_its_own_rates(make):
    """The large benchmark data writes placements without the services, hence without rates."""
    bare = make.placement(start=START, bill_rate=D("80.00"), pay_rate=D("50.00"))
    r = rates.rate_on(bare, TODAY)
    assert (r.effective_from, r.bill_rate, r.pay_rate) == (START, D("80.00"), D("50.00"))
    assert r.id is None
    assert r not in db.session
    [period] = rates.rates_between(bare, START, TODAY)
    assert (period.first_day, period.last_day, period.rate.bill_rate) == (START, TODAY, D("80.00"))


def test_a_change_on_a_placement_without_rates_keeps_its_rates_before_the_change(make, am):
    bare = make.placement(start=START)
    change(bare, RAISE, "100", "60", am)
    assert stored_rates(bare) == [(START, D("90.00"), D("55.00")), (RAISE, D("100.00"), D("60.00"))]


def test_rates_between_covers_the_period_with_one_line_per_rate(placement, am):
    change(placement, RAISE, "100", "60", am)
    change(placement, date(2026, 5, 1), "110", "65", am)

    def periods(start, end):
        return [
            (p.first_day, p.last_day, p.rate.bill_rate)
            for p in rates.rates_between(placement, start, end)
        ]

    assert periods(date(2026, 3, 1), date(2026, 3, 31)) == [
        (date(2026, 3, 1), date(2026, 3, 31), D("90.00"))
    ]
    assert periods(date(2026, 3, 1), date(2026, 5, 31)) == [
        (date(2026, 3, 1), date(2026, 3, 31), D("90.00")),
        (date(2026, 4, 1), date(2026, 4, 30), D("100.00")),
        (date(2026, 5, 1), date(2026, 5, 31), D("110.00")),
    ]
    # Starting on a change's day, ending the day before the next: one period each.
    assert periods(RAISE, date(2026, 4, 30)) == [(RAISE, date(2026, 4, 30), D("100.00"))]
    assert periods(date(2026, 4, 30), date(2026, 5, 1)) == [
        (date(2026, 4, 30), date(2026, 4, 30), D("100.00")),
        (date(2026, 5, 1), date(2026, 5, 1), D("110.00")),
    ]
    assert periods(date(2026, 5, 2), date(2026, 5, 1)) == []


# --- changing rates ----------------------------------------------------------------------------


def test_a_change_is_recorded_with_the_old_and_new_rates(placement, am):
    rate = change(placement, RAISE, "100", "60", am, note="Yearly raise")

    assert (rate.note, rate.created_by_id) == ("Yearly raise", am.id)
    [event] = rate_events(placement)
    assert (event.action, event.actor_id) == ("placement.rate_changed", am.id)
    assert event.changes == {
        "effective_from": [None, "2026-04-01"],
        "bill_rate": ["90.00", "100.00"],
        "pay_rate": ["55.00", "60.00"],
        "note": [None, "Yearly raise"],
    }


def test_the_placement_keeps_the_rate_in_effect_today(placement, am):
    change(placement, RAISE, "100", "60", am)  # in the past: in effect today
    assert (placement.bill_rate, placement.pay_rate) == (D("100.00"), D("60.00"))
    assert placement.margin == D("40.00")

    change(placement, date(2026, 7, 1), "120", "70", am)  # dated ahead: not yet
    db.session.expire_all()
    assert (placement.bill_rate, placement.pay_rate) == (D("100.00"), D("60.00"))

    with transaction():
        assert placements.run_daily(date(2026, 6, 30))["rates_applied"] == 0
    assert placement.bill_rate == D("100.00")
    with transaction():
        assert placements.run_daily(date(2026, 7, 1))["rates_applied"] == 1
    db.session.expire_all()
    assert (placement.bill_rate, placement.pay_rate) == (D("120.00"), D("70.00"))
    took_effect = rate_events(placement)[-1]
    assert (took_effect.action, took_effect.actor_id) == ("placement.rates_took_effect", None)
    assert took_effect.changes == {
        "bill_rate": ["100.00", "120.00"],
        "pay_rate": ["60.00", "70.00"],
    }
    with transaction():  # idempotent
        assert placements.run_daily(date(2026, 7, 1))["rates_applied"] == 0


def test_a_second_change_on_the_same_day_replaces_the_first(placement, am, make):
    other = make.user("account_manager", name="Otto Other")
    change(placement, RAISE, "100", "60", am, note="Raise")
    change(placement, RAISE, "105", "60", other, note="Raise, as signed")

    assert stored_rates(placement) == [
        (START, D("90.00"), D("55.00")),
        (RAISE, D("105.00"), D("60.00")),
    ]
    second = rate_events(placement)[-1]
    assert second.changes == {
        "effective_from": ["2026-04-01", "2026-04-01"],
        "bill_rate": ["100.00", "105.00"],
        "pay_rate": ["60.00", "60.00"],
        "note": ["Raise", "Raise, as signed"],
    }
    assert placement.rates[-1].created_by_id == other.id


@pytest.mark.parametrize(
    ("day", "bill", "pay", "message"),
    [
        (START - timedelta(days=1), "100", "60", "The placement starts on 5 Jan 2026"),
        (date(2026, 12, 1), "100", "60", "The placement ends on 30 Nov 2026"),
        (RAISE, "-1", "60", "Rates cannot be negative."),
        (RAISE, "100", "-0.01", "Rates cannot be negative."),
        (RAISE, str(MAX_MONEY + 1), "60", "The bill rate: Enter an amount up to 99,999,999.99."),
        (RAISE, "100.005", "60", "at most 2 decimals"),
        (RAISE, "50", "60", "is below the pay rate"),
        (RAISE, "90", "55", "Those are already the rates on 1 Apr 2026"),
    ],
)
def test_a_change_that_breaks_a_rule_is_refused(make, am, day, bill, pay, message):
    p = make.placement(start=START, end=date(2026, 11, 30))
    with transaction():
        rates.start_rates(p, am)
    with pytest.raises(DomainError, match=message.replace(".", r"\.").replace("(", r"\(")):
        change(p, day, bill, pay, am)
    assert stored_rates(p) == [(START, D("90.00"), D("55.00"))]
    assert (p.bill_rate, p.pay_rate) == (D("90.00"), D("55.00"))
    assert rate_events(p) == []


def test_a_change_inside_an_invoiced_period_is_refused(placement, am, monkeypatch):
    monkeypatch.setattr(rates, "invoiced_until", lambda p: date(2026, 4, 30))
    assert rates.is_invoiced(placement, date(2026, 4, 30))
    assert not rates.is_invoiced(placement, date(2026, 5, 1))

    for day in (RAISE, date(2026, 4, 30)):
        with pytest.raises(DomainError, match="inside a period already invoiced"):
            change(placement, day, "100", "60", am)
    assert stored_rates(placement) == [(START, D("90.00"), D("55.00"))]
    change(placement, date(2026, 5, 1), "100", "60", am)  # the day after is free
    assert len(stored_rates(placement)) == 2


def test_nothing_is_invoiced_before_invoices_exist(placement):
    assert rates.invoiced_until(placement) is None
    assert not rates.is_invoiced(placement, START)


def test_a_stale_form_is_refused(placement, am):
    old = placement.version_id
    change(placement, date(2026, 7, 1), "120", "70", am, version=old)  # dated ahead
    assert placement.version_id > old  # every change moves the version, current or not
    with pytest.raises(DomainError, match="changed by someone else"):
        change(placement, date(2026, 8, 1), "130", "80", am, version=old)


def test_creating_a_placement_writes_its_first_rate(make, am):
    proposal = make.proposal(status="accepted")
    terms = PlacementInput(date(2026, 9, 7), None, D("95.00"), D("60.00"))
    with transaction():
        p = placements.create_placement(proposal, terms, am, today=date(2026, 9, 1))
    assert stored_rates(p) == [(date(2026, 9, 7), D("95.00"), D("60.00"))]
    assert p.rates[0].created_by_id == am.id


def test_only_the_rate_service_assigns_a_placements_rates():
    """After creation, Placement.bill_rate and pay_rate change only through the rate service
    (and a proposal's bill_rate, the rate put to the client, is its own)."""
    root = Path(tracker.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                targets = []
                if isinstance(node, ast.Assign):
                    targets = [t for t in node.targets for t in _flat(t)]
                elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                    targets = [node.target]
                elif isinstance(node, ast.Call) and any(
                    k.arg in ("bill_rate", "pay_rate") for k in node.keywords
                ):
                    name = ast.unparse(node.func)
                    if name == "Placement" or name.endswith(("values", "update", "setattr")):
                        found.add((path.relative_to(root).as_posix(), function.name, name))
                for target in targets:
                    if isinstance(target, ast.Attribute) and target.attr in (
                        "bill_rate",
                        "pay_rate",
                    ):
                        found.add(
                            (path.relative_to(root).as_posix(), function.name, ast.unparse(target))
                        )
    assert found == {
        ("services/placements.py", "create_placement", "Placement"),  # creation
        ("demo/data.py", "_place", "Placement"),  # the demo's creation
        ("services/rates.py", "_set_current", "placement.bill_rate"),
        ("services/rates.py", "_set_current", "placement.pay_rate"),
        ("services/rates.py", "change_rate", "rate.bill_rate"),  # a PlacementRate replaced
        ("services/rates.py", "change_rate", "rate.pay_rate"),
        ("services/proposals.py", "move_proposal", "proposal.bill_rate"),
        ("demo/data.py", "_propose", "proposal.bill_rate"),
    }


def _flat(target):
    if isinstance(target, ast.Tuple | ast.List):
        return [t for e in target.elts for t in _flat(e)]
    return [target]


# --- the migration -----------------------------------------------------------------------------


def test_the_migration_gives_every_placement_its_current_rates_as_its_first(scratch_uri):  # noqa: F811
    app = make_app(scratch_uri)
    with app.app_context():
        upgrade()
        from tests.conftest import Factory

        make = Factory()
        first = make.placement(start=START, bill_rate=D("90.00"), pay_rate=D("55.00"))
        second = make.placement(start=date(2026, 3, 2), end=date(2026, 8, 31),
                                bill_rate=D("120.50"), pay_rate=D("70.25"))  # fmt: skip
        ids = {first.id: (START, D("90.00"), D("55.00")),
               second.id: (date(2026, 3, 2), D("120.50"), D("70.25"))}  # fmt: skip
        created = {first.id: first.created_at, second.id: second.created_at}
        db.session.commit()
        db.session.remove()

        downgrade(revision="0009")
        assert "placement_rate" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        rows = (
            db.session.execute(sa.select(PlacementRate).order_by(PlacementRate.placement_id))
            .scalars()
            .all()
        )
        assert {r.placement_id: (r.effective_from, r.bill_rate, r.pay_rate) for r in rows} == ids
        assert {r.placement_id: r.created_at for r in rows} == created
        assert all(r.created_by_id is None and r.note is None for r in rows)
        db.session.remove()
        db.engine.dispose()


# --- the pages ---------------------------------------------------------------------------------


def rate_form(day="2026-04-01", bill="100.00", pay="60.00", note="Yearly raise", **kw):
    return {"rates-effective_from": day, "rates-bill_rate": bill, "rates-pay_rate": pay,
            "rates-note": note, **kw}  # fmt: skip


def test_staff_change_rates_on_the_placement_page(client, auth, placement):
    auth.login_as("account_manager", name="Ana Manager")
    page = client.get(f"/placements/{placement.id}").text
    assert 'data-testid="rates"' in page
    assert 'name="rates-effective_from"' in page

    r = client.post(
        f"/placements/{placement.id}/rates",
        data=rate_form(**{"rates-version_id": placement.version_id}),
    )
    assert r.status_code == 302
    page = client.get(r.headers["Location"]).text
    assert "Rates changed." in page
    rows = page.split('data-rate="')[1:]
    assert rows[0].startswith("2026-01-05")
    for text in ("$90.00/h", "$55.00/h", "$35.00/h"):
        assert text in rows[0]
    assert rows[1].startswith("2026-04-01")
    for text in ("$100.00/h", "$60.00/h", "$40.00/h", "Yearly raise", "Ana Manager", "current"):
        assert text in rows[1]
    assert "current" not in rows[0].split("</tr>")[0]
    assert "Placement rate changed" in page  # the history


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        (rate_form(bill="-5"), 400, "Enter an amount of zero or more."),
        (rate_form(bill="abc"), 400, "Not a valid decimal value"),
        (rate_form(day=""), 400, "This field is required."),
        (rate_form(note="x" * 501), 400, "Field cannot be longer than 500 characters."),
        (rate_form(day="2025-12-01"), 409, "The placement starts on 5 Jan 2026"),
        (rate_form(bill="50"), 409, "is below the pay rate"),
    ],
)
def test_bad_rates_get_the_form_back_and_change_nothing(client, auth, placement, form, status,
                                                        message):  # fmt: skip
    auth.login_as("account_manager")
    r = client.post(f"/placements/{placement.id}/rates", data=form)
    assert r.status_code == status
    assert message in r.text
    db.session.expire_all()
    assert stored_rates(placement) == [(START, D("90.00"), D("55.00"))]
    assert rate_events(placement) == []


def test_a_stale_rate_form_is_refused_on_the_page(client, auth, placement, am):
    old = placement.version_id
    change(placement, date(2026, 5, 1), "95", "55", am)
    auth.login_as("account_manager")
    r = client.post(
        f"/placements/{placement.id}/rates", data=rate_form(**{"rates-version_id": old})
    )
    assert r.status_code == 409
    assert "changed by someone else" in r.text
    assert len(stored_rates(placement)) == 2


@pytest.mark.parametrize("role", ["client", "engineer"])
def test_clients_and_engineers_cannot_see_or_change_rates(client, auth, make, placement, role):
    if role == "client":
        auth.login_as("client", client=placement.client)
    else:
        auth.login_as("engineer", engineer=placement.engineer)
    assert client.get(f"/placements/{placement.id}").status_code in (403, 404)
    r = client.post(f"/placements/{placement.id}/rates", data=rate_form())
    assert r.status_code in (403, 404)
    assert stored_rates(placement) == [(START, D("90.00"), D("55.00"))]


def test_the_engineer_sees_todays_pay_and_the_client_no_pay(client, auth, make, am):
    today = date.today()
    p = make.placement(start=today - timedelta(days=60))
    with transaction():
        rates.start_rates(p, am)
    change(p, today - timedelta(days=10), "98.00", "63.00", am, today=today)
    change(p, today + timedelta(days=20), "150.00", "99.00", am, today=today)  # not yet

    auth.login_as("engineer", engineer=p.engineer)
    for url in ("/me/", f"/me/placements/{p.id}"):
        page = client.get(url).text
        assert "$63.00 an hour" in page, url
        for hidden in ("$55.00", "$99.00", "$98.00", "$90.00", "$150.00"):
            assert hidden not in page, (url, hidden)
    auth.logout()
    auth.login_as("client", client=p.client)
    page = client.get(f"/portal/placements/{p.id}").text
    for hidden in ("$63.00", "$55.00", "$99.00", "Yearly", 'data-testid="rates"'):
        assert hidden not in page


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_has_every_placements_rates_and_a_renewal_three_months_ago(app):
    from tracker.demo import data as demo_data
    from tracker.models import Placement

    today = date(2026, 3, 2)
    demo_data.seed(seed=7, engineers=60, clients=4, today=today)
    db.session.commit()
    all_placements = db.session.scalars(sa.select(Placement)).all()
    assert all(p.rates and p.rates[0].effective_from == p.start_date for p in all_placements)
    changed = [p for p in all_placements if len(p.rates) > 1]
    assert len(changed) == demo_data.RAISES
    for p in all_placements:
        current = rates.rate_on(p, today)
        assert (p.bill_rate, p.pay_rate) == (current.bill_rate, current.pay_rate)
    for p in changed:
        first, renewal = p.rates
        assert renewal.effective_from == date(2025, 12, 1)
        assert renewal.bill_rate > first.bill_rate
        assert renewal.pay_rate == first.pay_rate == p.engineer.hourly_rate
        [event] = rate_events(p)
        assert event.created_at.date() < renewal.effective_from
