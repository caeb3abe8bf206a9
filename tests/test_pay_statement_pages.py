"""Pay statement pages (issue 15): the staff list, its filters and payroll CSV, drafting a month,
one statement and what staff do with it; the engineer's own statements in /me/, at the pay
rate only, never a draft nor anyone else's."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.test_invoices import MONTH, TODAY, work, world  # noqa: F401  (world is a fixture)
from tests.test_invoices import weekdays as working_days
from tracker.extensions import db
from tracker.infra.listing import parse_sort
from tracker.models import PayStatement, Timesheet
from tracker.services import pay_statements, rates, timesheets, transaction
from tracker.services.billing import month_end, previous_month

MONTH_TEXT = f"{MONTH:%Y-%m}"
HOURS = 8 * working_days(MONTH, month_end(MONTH))
ANA_TOTAL = f"{HOURS * 55:,.2f}"  # the pay rate: 55.00 an hour (the bill rate is 90.00)


def worked_month(world):  # noqa: F811
    placement, engineer_user, client_user, _manager = world
    work(placement, engineer_user, client_user, MONTH, month_end(MONTH))


def drafted(world) -> PayStatement:  # noqa: F811
    placement, *_rest, manager = world
    with transaction():
        statement, _ = pay_statements.draft(placement.engineer, MONTH, manager)
    return statement


def issued(world) -> PayStatement:  # noqa: F811
    statement = drafted(world)
    with transaction():
        pay_statements.issue(statement, world[3], today=TODAY)
    return statement


def bruno(make, world):  # noqa: F811
    """Another engineer placed with the same client, whose month is approved too."""
    placement, _eng, client_user, manager = world
    engineer = make.engineer(full_name="Bruno Lima")
    theirs = make.placement(
        engineer=engineer,
        request=make.request(client=placement.client, title="Data platform"),
        start=placement.start_date,
        bill_rate=Decimal("80.00"),
        pay_rate=Decimal("50.00"),
    )
    rates.start_rates(theirs, manager)
    db.session.commit()
    user = make.user(role="engineer", engineer=engineer)
    work(theirs, user, client_user, MONTH, month_end(MONTH), hours="6")
    return theirs, user


def fresh(statement: PayStatement) -> PayStatement | None:
    db.session.expire_all()
    return db.session.get(PayStatement, statement.id)


def statements() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PayStatement))


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))


@pytest.fixture
def staff(auth, world):  # noqa: F811
    auth.login(world[3].email)
    return world


# --- the staff list ----------------------------------------------------------------------------


def test_the_list_filters_by_engineer_status_and_month(client, make, staff):
    worked_month(staff)
    bruno(make, staff)
    with transaction():
        pay_statements.draft_month(MONTH, staff[3])

    page = client.get("/pay-statements/").text
    assert "Ana Souza" in page
    assert "Bruno Lima" in page
    assert f"${ANA_TOTAL}" in page
    assert "Payroll CSV" in page
    assert "Out of date" not in page

    only_bruno = client.get("/pay-statements/?engineer=brun").text
    assert "Bruno Lima" in only_bruno
    assert "Ana Souza" not in only_bruno
    assert "Ana Souza" in client.get(f"/pay-statements/?month={MONTH_TEXT}").text
    none_issued = client.get("/pay-statements/?status=issued").text
    assert "No pay statement matches these filters." in none_issued
    later = f"{previous_month(TODAY):%Y-%m}"
    assert "Ana Souza" not in client.get(f"/pay-statements/?month={later}").text
    bad = client.get("/pay-statements/?month=2026-13&sort=-total")
    assert bad.status_code == 200
    assert "These filters were left out" in bad.text
    assert "Enter a month as YYYY-MM" in bad.text
    assert "Ana Souza" in bad.text  # a bad filter narrows nothing
    for key in pay_statements.SORTS:
        assert client.get(f"/pay-statements/?sort=-{key}").status_code == 200


def test_the_list_says_when_there_is_nothing_yet(client, staff):
    page = client.get("/pay-statements/").text
    assert "No pay statements yet" in page
    assert f'value="{previous_month(TODAY):%Y-%m}"' in page  # the month to draft, by default


def test_the_payroll_csv_has_the_filtered_statements(client, make, staff):
    worked_month(staff)
    bruno(make, staff)
    with transaction():
        pay_statements.draft_month(MONTH, staff[3])
    ana = staff[0].engineer

    response = client.get("/pay-statements/export.csv?engineer=ana")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    header, *rows = rows_of(response)
    assert header[:4] == ["number", "status", "engineer", "engineer_email"]
    assert "total" in header
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert (row["engineer"], row["engineer_email"]) == ("Ana Souza", ana.email)
    assert row["total"] == f"{HOURS * 55:.2f}"
    assert row["status"] == "draft"
    assert row["period_start"] == MONTH.isoformat()
    assert len(rows_of(client.get("/pay-statements/export.csv"))) == 3


# --- drafting a month --------------------------------------------------------------------------


def test_drafting_a_month_twice_creates_nothing_new_the_second_time(client, staff):
    worked_month(staff)

    first = client.post("/pay-statements/draft-month", data={"month": MONTH_TEXT})

    assert first.status_code == 302
    assert first.headers["Location"] == f"/pay-statements/?month={MONTH_TEXT}"
    page = client.get(first.headers["Location"]).text
    assert f"Pay statements for {MONTH:%B %Y}: 1 new draft." in page
    assert "Ana Souza" in page
    assert statements() == 1

    again = client.post("/pay-statements/draft-month", data={"month": MONTH_TEXT})
    page = client.get(again.headers["Location"]).text
    assert f"Nothing new to draft for {MONTH:%B %Y}" in page
    assert statements() == 1


@pytest.mark.parametrize("typed", ["2026-13", "November", "", "2026-1"])
def test_a_bad_month_to_draft_is_refused_with_a_message(client, staff, typed):
    worked_month(staff)
    response = client.post("/pay-statements/draft-month", data={"month": typed})
    assert response.status_code == 400
    assert "as YYYY-MM" in response.text
    assert statements() == 0


# --- one statement -----------------------------------------------------------------------------


def test_the_detail_page_shows_the_lines_and_the_drafts_actions(client, staff):
    worked_month(staff)
    statement = drafted(staff)

    page = client.get(f"/pay-statements/{statement.id}").text

    assert f"Draft pay statement {MONTH:%B %Y}" in page
    assert f'href="/engineers/{statement.engineer_id}"' in page
    assert "Northwind — ML platform" in page
    assert "$55.00/h" in page
    assert f"{HOURS} h" in page
    assert f"${ANA_TOTAL} USD" in page
    for action in ("rebuild", "issue", "delete"):
        assert f'action="/pay-statements/{statement.id}/{action}"' in page
    assert f'action="/pay-statements/{statement.id}/pay"' not in page
    assert "Pay statement drafted" in page  # the history
    assert client.get("/pay-statements/999999").status_code == 404


def test_issuing_numbers_the_statement_and_it_may_then_be_paid(client, staff):
    worked_month(staff)
    statement = drafted(staff)

    response = client.post(
        f"/pay-statements/{statement.id}/issue",
        data={"version_id": statement.version_id},
        follow_redirects=True,
    )

    number = f"PAY-{TODAY.year}-0001"
    assert response.request.path == f"/pay-statements/{statement.id}"
    assert f"Issued {number}" in response.text
    assert fresh(statement).number == number
    assert 'data-testid="actions"' in response.text
    assert f'action="/pay-statements/{statement.id}/pay"' in response.text
    assert f'action="/pay-statements/{statement.id}/rebuild"' not in response.text
    assert number in client.get("/pay-statements/").text


def test_a_payment_in_the_future_is_refused_then_today_is_recorded(client, staff):
    worked_month(staff)
    statement = issued(staff)
    url = f"/pay-statements/{statement.id}/pay"

    future = client.post(
        url,
        data={"version_id": statement.version_id, "paid_on": (TODAY + timedelta(1)).isoformat()},
    )
    assert future.status_code == 409
    assert "The payment date is in the future" in future.text
    assert fresh(statement).status == "issued"
    blank = client.post(url, data={"version_id": statement.version_id, "paid_on": ""})
    assert blank.status_code == 400
    assert "Enter the day the engineer was paid." in blank.text

    paid = client.post(url, data={"version_id": statement.version_id, "paid_on": TODAY.isoformat()})
    assert paid.status_code == 302
    statement = fresh(statement)
    assert (statement.status, statement.paid_on) == ("paid", TODAY)
    page = client.get(f"/pay-statements/{statement.id}").text
    assert 'data-testid="actions"' not in page
    again = client.post(
        url, data={"version_id": statement.version_id, "paid_on": TODAY.isoformat()}
    )
    assert again.status_code == 409
    assert "already paid" in again.text


def test_a_stale_version_is_refused_and_nothing_changes(client, staff):
    worked_month(staff)
    statement = drafted(staff)
    stale = {"version_id": statement.version_id + 5}

    for action in ("issue", "rebuild", "delete"):
        response = client.post(f"/pay-statements/{statement.id}/{action}", data=stale)
        assert response.status_code == 409, action
        assert "changed by someone else" in response.text, action
    statement = fresh(statement)
    assert (statement.status, statement.number) == ("draft", None)


def test_an_out_of_date_draft_is_flagged_and_rebuilt(client, staff):
    placement, engineer_user, client_user, manager = staff
    work(placement, engineer_user, client_user, MONTH, month_end(MONTH), approve=False)
    weeks = db.session.scalars(
        sa.select(Timesheet)
        .where(Timesheet.placement_id == placement.id)
        .order_by(Timesheet.week_start)
    ).all()
    for sheet in weeks[:-1]:
        with transaction():
            timesheets.approve(sheet, client_user, today=TODAY)
    statement = drafted(staff)
    before = statement.total
    with transaction():
        timesheets.approve(weeks[-1], client_user, today=TODAY)

    assert 'data-testid="out-of-date"' in client.get("/pay-statements/").text
    page = client.get(f"/pay-statements/{statement.id}").text
    assert "Out of date:" in page
    refused = client.post(
        f"/pay-statements/{statement.id}/issue", data={"version_id": statement.version_id}
    )
    assert refused.status_code == 409
    assert "is out of date" in refused.text

    rebuilt = client.post(
        f"/pay-statements/{statement.id}/rebuild",
        data={"version_id": fresh(statement).version_id},
        follow_redirects=True,
    )
    assert "Rebuilt" in rebuilt.text
    assert "Out of date:" not in rebuilt.text
    assert fresh(statement).total > before


def test_deleting_a_draft_frees_its_hours(client, staff):
    worked_month(staff)
    statement = drafted(staff)
    engineer_id = statement.engineer_id

    response = client.post(
        f"/pay-statements/{statement.id}/delete", data={"version_id": statement.version_id}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/pay-statements/?month={MONTH_TEXT}"
    assert statements() == 0
    assert [e.id for e in pay_statements.engineers_to_pay(MONTH)] == [engineer_id]


def test_an_issued_statement_is_not_deleted(client, staff):
    worked_month(staff)
    statement = issued(staff)
    response = client.post(
        f"/pay-statements/{statement.id}/delete", data={"version_id": statement.version_id}
    )
    assert response.status_code == 409
    assert "never changes" in response.text
    assert statements() == 1


@pytest.mark.parametrize("role", ["client", "engineer"])
def test_clients_and_engineers_get_403_on_the_staff_pay_pages(client, auth, world, role):  # noqa: F811
    worked_month(world)
    statement = drafted(world)
    auth.login(world[2 if role == "client" else 1].email)
    version = {"version_id": statement.version_id}
    for method, url, data in [
        ("GET", "/pay-statements/", None),
        ("GET", "/pay-statements/export.csv", None),
        ("POST", "/pay-statements/draft-month", {"month": MONTH_TEXT}),
        ("GET", f"/pay-statements/{statement.id}", None),
        ("POST", f"/pay-statements/{statement.id}/rebuild", version),
        ("POST", f"/pay-statements/{statement.id}/issue", version),
        ("POST", f"/pay-statements/{statement.id}/delete", version),
        ("POST", f"/pay-statements/{statement.id}/pay", {**version, "paid_on": TODAY.isoformat()}),
    ]:
        assert client.open(url, method=method, data=data).status_code == 403, f"{method} {url}"
    statement = fresh(statement)
    assert (statement.status, statement.version_id) == ("draft", version["version_id"])


# --- the engineer's own pay, in /me/ ------------------------------------------------------------


def test_the_engineer_sees_their_issued_statement_at_the_pay_rate_only(client, auth, staff):
    worked_month(staff)
    statement = issued(staff)
    auth.logout()
    auth.login(staff[1].email)

    listing = client.get("/me/pay/").text
    page = client.get(f"/me/pay/{statement.id}").text

    assert statement.number in listing
    assert f"${ANA_TOTAL}" in listing
    assert f"{MONTH:%B %Y}" in listing
    assert f'href="/me/pay/{statement.id}"' in listing
    assert 'href="/me/pay.csv"' in listing
    assert "Northwind — ML platform" in page
    assert "$55.00 an hour" in page
    assert f"${ANA_TOTAL}" in page
    for shown in (listing, page):
        assert "90.00" not in shown  # the bill rate
        assert "35.00" not in shown  # the margin
        assert "margin" not in shown.lower()
        assert "bill" not in shown.lower()
    assert 'href="/me/pay/"' in client.get("/me/").text  # the navigation


def test_a_draft_is_not_the_engineers_to_see(client, auth, staff):
    worked_month(staff)
    statement = drafted(staff)
    auth.logout()
    auth.login(staff[1].email)

    assert client.get(f"/me/pay/{statement.id}").status_code == 404
    listing = client.get("/me/pay/").text
    assert "appears here when they issue it" in listing
    assert f"/me/pay/{statement.id}" not in listing
    assert rows_of(client.get("/me/pay.csv"))[1:] == []


def test_another_engineers_statement_is_not_found_and_the_csv_is_only_theirs(
    client, auth, make, staff
):
    worked_month(staff)
    mine = issued(staff)
    _placement, bruno_user = bruno(make, staff)
    with transaction():
        theirs, _ = pay_statements.draft(bruno_user.engineer, MONTH, staff[3])
        pay_statements.issue(theirs, staff[3], today=TODAY)
    auth.logout()
    auth.login(staff[1].email)

    assert client.get(f"/me/pay/{theirs.id}").status_code == 404
    listing = client.get("/me/pay/").text
    assert "Bruno" not in listing
    assert theirs.number not in listing
    response = client.get("/me/pay.csv")
    assert response.status_code == 200
    header, *rows = rows_of(response)
    assert header == next(
        pay_statements.export_rows(
            pay_statements.PayFilters(), parse_sort(None, pay_statements.SORTS, "-period")
        )
    )
    assert [r[header.index("number")] for r in rows] == [mine.number]
    assert staff[1].engineer.email in response.text
    assert bruno_user.engineer.email not in response.text
    assert "Bruno" not in response.text
