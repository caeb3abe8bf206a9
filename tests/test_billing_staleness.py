"""Which drafts are out of date, a whole page of them in one statement (billing.stale_ids):
hours approved since a draft was built, or a rate written since, make that draft stale and
no other one."""

from datetime import timedelta
from decimal import Decimal

from tests import test_invoices as billing
from tests.test_invoices import MONTH, NEXT, TODAY, drafted, work
from tracker.models import db
from tracker.services import invoices, pay_statements, rates, transaction
from tracker.services.billing import month_end
from tracker.services.timesheets import week_of

world = billing.world  # the placement at Northwind, its engineer's and client's accounts


def _second_client(make, manager):
    """Another client with its own placement, engineer and accounts."""
    client = make.client(account_manager=manager, name="Contoso")
    engineer = make.engineer(full_name="Bruno Lima")
    placement = make.placement(
        engineer=engineer,
        request=make.request(client=client, title="Search"),
        start=MONTH - timedelta(days=40),
        bill_rate=Decimal("80.00"),
        pay_rate=Decimal("50.00"),
    )
    rates.start_rates(placement, manager)
    db.session.commit()
    return (
        placement,
        make.user(role="engineer", engineer=engineer),
        make.user(role="client", client=client),
    )


def test_only_the_draft_with_hours_approved_since_is_stale(world, make, count_queries):
    placement, eng, client_user, am = world
    other, other_eng, other_client_user = _second_client(make, am)
    second_week = week_of(MONTH) + timedelta(days=7)
    work(placement, eng, client_user, MONTH, second_week - timedelta(days=1))
    work(other, other_eng, other_client_user, MONTH, month_end(MONTH))
    work(placement, eng, client_user, NEXT, NEXT + timedelta(days=6))
    behind = drafted(placement.client, am)
    current = drafted(other.client, am)
    next_month = drafted(placement.client, am, NEXT)
    assert invoices.out_of_date_ids([behind, current, next_month]) == set()

    work(placement, eng, client_user, second_week, month_end(MONTH))

    for draft in (behind, current, next_month):  # as a page has them: loaded
        db.session.refresh(draft)
    with count_queries() as counter:
        stale = invoices.out_of_date_ids([behind, current, next_month])
    assert stale == {behind.id}
    assert counter.count == 1
    with transaction():
        invoices.rebuild(behind, am)
    assert invoices.out_of_date_ids([behind, current, next_month]) == set()


def test_a_rate_written_after_the_draft_makes_it_stale(world, make):
    placement, eng, client_user, am = world
    other, other_eng, other_client_user = _second_client(make, am)
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    work(other, other_eng, other_client_user, MONTH, month_end(MONTH))
    invoice, untouched = drafted(placement.client, am), drafted(other.client, am)
    with transaction():
        statement, _ = pay_statements.draft(placement.engineer, MONTH, am)

    with transaction():
        rates.change_rate(
            placement,
            effective_from=TODAY + timedelta(days=30),
            bill_rate=Decimal("95.00"),
            pay_rate=Decimal("55.00"),
            note="Renewal",
            actor=am,
            today=TODAY,
        )

    assert invoices.out_of_date_ids([invoice, untouched]) == {invoice.id}
    assert pay_statements.out_of_date_ids([statement]) == {statement.id}
