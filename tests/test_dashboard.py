"""Landing pages show real figures, each client only its own, in a bounded number of queries."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from tracker.reports import dashboard


def figure(html: str, testid: str) -> int:
    match = re.search(rf'data-testid="{testid}".*?class="stat-value">(\d+)<', html, re.S)
    assert match, f"no figure {testid}"
    return int(match.group(1))


def test_dashboard_counts_what_is_in_the_database(client, auth, make):
    today = date.today()
    acme = make.client(name="Acme")
    make.request(client=acme, status="open", title="Vision lead", priority="urgent")
    make.request(client=acme, status="open")
    make.request(client=acme, status="draft")
    placed = make.engineer()
    make.placement(
        engineer=placed, start=today - timedelta(days=60), end=today + timedelta(days=10)
    )
    make.engineer()  # vetted, available today
    make.engineer(available_from=today + timedelta(days=30))  # not yet available
    make.engineer(vetting_status="screening", vetted_at=None)  # not vetted
    make.engineer(is_active=False)  # archived
    auth.login_as("account_manager")

    page = client.get("/dashboard/").text

    # the placement's request is open too (the factory creates one)
    assert figure(page, "open-requests") == 3
    assert figure(page, "active-placements") == 1
    assert figure(page, "available-engineers") == 1
    assert figure(page, "ending-soon") == 1
    assert "Vision lead" in page
    assert placed.full_name in page


def test_empty_dashboard_says_so(client, auth):
    auth.login_as("account_manager")
    page = client.get("/dashboard/").text
    assert figure(page, "open-requests") == 0
    assert "Every live placement is green." in page
    assert "No review is overdue." in page
    assert "Every urgent request has candidates." in page
    assert "No placement ends in the next 30 days." in page


def test_portal_shows_only_the_clients_own_data(client, auth, make):
    mine = make.client(name="Mine Corp")
    theirs = make.client(name="Their Corp")
    make.request(client=mine, title="Our RAG engineer")
    make.request(client=theirs, title="Secret project")
    other = make.placement(request=make.request(client=theirs))
    ours = make.placement(request=make.request(client=mine, title="Our MLOps"))
    auth.login_as("client", client=mine)

    page = client.get("/portal/").text

    assert "Our RAG engineer" in page
    assert "Secret project" not in page
    assert ours.engineer.client_safe_name in page
    assert other.engineer.client_safe_name not in page
    assert ours.engineer.email not in page
    assert ours.engineer.full_name not in page  # only first name and last initial
    assert figure(page, "open-requests") == 2


def test_staff_figures_count_booked_engineers_as_unavailable(make):
    today = date.today()
    engineer = make.engineer(available_from=today - timedelta(days=10))
    assert dashboard.staff_figures(today).available_engineers == 1
    make.placement(engineer=engineer, start=today, end=None, status="pending")
    assert dashboard.staff_figures(today).available_engineers == 0
    assert dashboard.staff_figures(today + timedelta(days=-1)).available_engineers == 1


@pytest.mark.parametrize(
    ("path", "role"), [("/dashboard/", "account_manager"), ("/portal/", "client")]
)
def test_landing_page_queries_do_not_grow_with_rows(client, auth, make, count_queries, path, role):
    acme = make.client()
    user = auth.login_as(role, client=acme) if role == "client" else auth.login_as(role)

    def fill(n):
        for _ in range(n):
            request = make.request(client=acme, priority="urgent")
            make.placement(request=request, end=date.today() + timedelta(days=5))

    fill(2)
    with count_queries() as small:
        assert client.get(path).status_code == 200
    fill(15)
    with count_queries() as large:
        assert client.get(path).status_code == 200
    assert large.count == small.count, (small.statements, large.statements)
    # the dashboard's lists, one query each, the figures and the money card (two queries:
    # monthly money, and the overdue invoices with their count and total)
    assert small.count <= (12 if path == "/dashboard/" else 11)
    assert user.id


def test_dashboard_lists_placements_at_risk_and_overdue_reviews(client, auth, make):
    today = date(2026, 11, 26)
    falling = make.placement(start=date(2026, 9, 7))
    for k, score in enumerate((5, 5, 3), 1):
        make.review(falling, k, delivery=score, code_quality=score, communication=score,
                    collaboration=score)  # fmt: skip
    late = make.placement(start=date(2026, 10, 1), review_cadence_days=14)
    healthy = make.placement(start=date(2026, 11, 16))

    with time_machine.travel(today, tick=False):
        auth.login_as("account_manager")  # a session cookie signed "before" the clock is refused
        page = client.get("/dashboard/").text

    at_risk = section(page, "attention")
    assert falling.engineer.full_name in at_risk
    assert "overall fell from 5.00 to 3.00" in at_risk
    assert late.engineer.full_name in at_risk  # iterations 1 and 2 overdue: red
    assert healthy.engineer.full_name not in at_risk
    overdue = section(page, "overdue")
    assert late.engineer.full_name in overdue
    assert "iteration 1 and later" in overdue


def test_key_figures(client, auth, make):
    today = date(2026, 11, 26)
    with time_machine.travel(today, tick=False):
        req = make.request(headcount=2)
        make.placement(request=req, bill_rate=Decimal("100"), pay_rate=Decimal("60"),
                       days_to_place=10)  # fmt: skip
        make.request(headcount=2, status="draft")  # drafts do not count
        p = make.placement(bill_rate=Decimal("90"), pay_rate=Decimal("70"), days_to_place=30)
        make.review(p, 1, delivery=4, code_quality=4, communication=3, collaboration=3)
        auth.login_as("account_manager")
        page = client.get("/dashboard/").text
    assert 'data-testid="fill-rate">67%' in page  # 2 of 3 seats
    assert 'data-testid="median-days">10' in page
    assert 'data-testid="average-review">3.50' in page
    assert 'data-testid="average-margin">$30.00/h' in page


def test_urgent_requests_without_proposals_are_listed(client, auth, make):
    urgent = make.request(title="Vision lead", priority="urgent")
    covered = make.request(title="Covered one", priority="urgent")
    make.proposal(request=covered)
    auth.login_as("account_manager")
    unproposed = section(client.get("/dashboard/").text, "unproposed")
    assert urgent.title in unproposed
    assert "Covered one" not in unproposed


def section(html: str, testid: str) -> str:
    """The part of the page from the element with this test id to the next one."""
    start = html.index(f'data-testid="{testid}"')
    end = html.find("data-testid=", start + 20)
    return html[start : end if end > 0 else len(html)]
