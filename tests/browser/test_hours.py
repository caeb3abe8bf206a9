"""Hours in a real browser: an engineer fills a week and submits it, the client approves it in
the portal, the account manager sees it approved on the placement page (issue 14)."""

import re
from datetime import date, time, timedelta
from decimal import Decimal

from tests.browser.test_portal import sign_in, sign_out
from tests.browser.test_workspace import flash


def placement_with_people(server) -> dict:
    """A client with a portal user, an engineer with an account, placed three weeks ago."""
    from tracker.extensions import db
    from tracker.infra.passwords import hash_password
    from tracker.models import Client, Engineer, Placement, StaffingRequest, User, utcnow
    from tracker.services.reviews import apply_summary

    with server.app.app_context():
        manager = db.session.scalar(db.select(User).where(User.email == "am@agency.example"))
        company = Client(name="Aurora Grid", country="US", timezone="America/Chicago",
                         workday_start=time(9), workday_end=time(17), account_manager=manager)  # fmt: skip
        engineer = Engineer(
            full_name="Lucía Fernández Ortega", email="lucia.fo@mail.example", country="AR",
            timezone="America/Argentina/Buenos_Aires", workday_start=time(9), workday_end=time(18),
            seniority="senior", years_experience=8, english_level="C1",
            hourly_rate=Decimal("58.00"), vetting_status="vetted", code_quality=5,
            system_design=4, api_integration=4, communication=5, vetted_at=utcnow(),
        )  # fmt: skip
        start = date.today() - timedelta(weeks=3)
        req = StaffingRequest(client=company, title="Grid forecasting engineer",
                              seniority="senior", start_date=start, duration_weeks=26,
                              min_overlap_hours=Decimal(3), status="filled", priority="normal")  # fmt: skip
        placement = Placement(request=req, client=company, engineer=engineer, start_date=start,
                              bill_rate=Decimal("95.00"), pay_rate=Decimal("58.00"),
                              status="active", review_cadence_days=14,
                              timesheets_from=start)  # fmt: skip
        apply_summary(placement, [])
        password = hash_password(server.demo.password)
        db.session.add_all([
            company, engineer, req, placement,
            User(email="lucia.fo@mail.example", name="Lucía Fernández Ortega", role="engineer",
                 engineer=engineer, password_hash=password),
            User(email="mark@auroragrid.example", name="Mark Olsen", role="client",
                 client=company, password_hash=password),
        ])  # fmt: skip
        db.session.commit()
        return {"placement": placement.id}


def test_engineer_submits_client_approves_manager_sees_it(page, demo_server):
    data = placement_with_people(demo_server)
    page.on("dialog", lambda dialog: dialog.accept())
    today = date.today()
    last_week = today - timedelta(days=today.weekday() + 7)

    # The engineer lands in their own area and opens last week of their placement.
    sign_in(page, demo_server, "lucia.fo@mail.example")
    page.wait_for_url(re.compile(r"/me/$"))
    assert "Aurora Grid" in page.content()
    assert "95.00" not in page.content()  # never the bill rate
    page.get_by_role("link", name="Aurora Grid").first.click()
    page.wait_for_url(re.compile(rf"/me/placements/{data['placement']}$"))
    page.locator(f"a[href$='/weeks/{last_week.isoformat()}']").first.click()
    page.wait_for_url(re.compile(rf"/weeks/{last_week.isoformat()}$"))

    # Monday to Friday, 8 hours; Wednesday 7:30 with a note.
    for k in range(5):  # the rows are the placement's days of the week, Monday first
        page.locator(f"#days-{k}-hours").fill("7:30" if k == 2 else "8")
    page.locator("#days-2-note").fill("Dentist at 9")
    page.get_by_role("button", name="Save and submit").click()
    page.wait_for_load_state()
    assert "submitted" in flash(page).lower(), flash(page)
    assert "39.5" in page.content()
    sign_out(page)

    # The client approves it in the portal.
    sign_in(page, demo_server, "mark@auroragrid.example")
    page.goto(f"{demo_server.url}/portal/timesheets/")
    assert "Lucía F." in page.content() or "Lucía" in page.content()
    page.locator("form[action$='/approve'] button", has_text="Approve").first.click()
    page.wait_for_load_state()
    assert "approved" in flash(page).lower(), flash(page)
    sign_out(page)

    # The account manager sees the week approved on the placement page.
    sign_in(page, demo_server, "am@agency.example")
    page.goto(f"{demo_server.url}/placements/{data['placement']}#hours")
    hours = page.get_by_test_id("hours")
    row = hours.locator(f"tr[data-week='{last_week.isoformat()}']")
    assert "Approved" in row.inner_text() or "approved" in row.inner_text()
    assert "39.5" in row.inner_text()
    assert not page.console_errors
