"""Billing in a real browser: the account manager drafts and issues last month's invoice (November,
as this is written), the client downloads its PDF in the portal (issue 15)."""

import io
import re
from datetime import date, time, timedelta
from decimal import Decimal

from pypdf import PdfReader

from tests.browser.test_portal import sign_in, sign_out
from tests.browser.test_workspace import flash


def client_with_approved_month(server) -> dict:
    """A client with a portal user and an engineer whose last month's hours are approved."""
    from tracker.extensions import db
    from tracker.infra.passwords import hash_password
    from tracker.models import Client, Engineer, Placement, StaffingRequest, User, utcnow
    from tracker.services import rates, timesheets, transaction
    from tracker.services.billing import month_end, previous_month
    from tracker.services.reviews import apply_summary
    from tracker.services.timesheets import EntryInput, week_of

    today = date.today()
    month = previous_month(today)
    with server.app.app_context():
        manager = db.session.scalar(db.select(User).where(User.email == "am@agency.example"))
        company = Client(name="Borealis Freight", country="US", timezone="America/Denver",
                         workday_start=time(9), workday_end=time(17), account_manager=manager,
                         payment_terms_days=15)  # fmt: skip
        engineer = Engineer(
            full_name="Joaquín Ibáñez", email="joaquin.ib@mail.example", country="CL",
            timezone="America/Santiago", workday_start=time(9), workday_end=time(18),
            seniority="senior", years_experience=9, english_level="C1",
            hourly_rate=Decimal("61.00"), vetting_status="vetted", code_quality=5,
            system_design=5, api_integration=4, communication=4, vetted_at=utcnow(),
        )  # fmt: skip
        start = month - timedelta(days=21)
        req = StaffingRequest(client=company, title="Routing optimisation engineer",
                              seniority="senior", start_date=start, duration_weeks=52,
                              min_overlap_hours=Decimal(3), status="filled", priority="normal")  # fmt: skip
        placement = Placement(request=req, client=company, engineer=engineer, start_date=start,
                              bill_rate=Decimal("97.50"), pay_rate=Decimal("61.00"),
                              status="active", review_cadence_days=14,
                              timesheets_from=start)  # fmt: skip
        apply_summary(placement, [])
        password = hash_password(server.demo.password)
        engineer_user = User(email="joaquin.ib@mail.example", name="Joaquín Ibáñez",
                             role="engineer", engineer=engineer, password_hash=password)  # fmt: skip
        client_user = User(email="ines@borealis.example", name="Inés Park", role="client",
                           client=company, password_hash=password)  # fmt: skip
        db.session.add_all([company, engineer, req, placement, engineer_user, client_user])
        rates.start_rates(placement, manager)
        db.session.commit()
        # Every weekday of the month, 8 hours, submitted and approved by the client.
        days = 0
        week = week_of(month)
        while week <= month_end(month):
            entries = [
                EntryInput(week + timedelta(days=k), Decimal(8))
                for k in range(5)
                if month <= week + timedelta(days=k) <= month_end(month)
            ]
            if entries:
                days += len(entries)
                with transaction():
                    sheet = timesheets.save_week(
                        placement, week, entries, engineer_user, today=today
                    )
                with transaction():
                    timesheets.submit(sheet, engineer_user, today=today)
                with transaction():
                    timesheets.approve(sheet, client_user, today=today)
            week += timedelta(days=7)
        return {"client": company.id, "month": month, "hours": 8 * days}


def test_manager_drafts_and_issues_last_month_client_downloads_the_pdf(page, demo_server):
    data = client_with_approved_month(demo_server)
    month = data["month"]
    amount = f"${Decimal(data['hours']) * Decimal('97.50'):,.2f}"
    page.on("dialog", lambda dialog: dialog.accept())

    # The account manager drafts the client's invoice for the month from Billing.
    sign_in(page, demo_server, "am@agency.example")
    page.get_by_role("link", name="Billing").click()
    page.wait_for_url(re.compile(r"/invoices/"))
    page.get_by_test_id("drafting").locator("summary").click()
    page.locator("#one-client_id").select_option(str(data["client"]))
    page.locator("#one-month").fill(f"{month:%Y-%m}")
    page.get_by_role("button", name="Draft this client's invoice").click()
    page.wait_for_url(re.compile(r"/invoices/\d+$"))
    assert f"Borealis Freight's invoice for {month:%B %Y}" in flash(page)
    lines = page.get_by_test_id("lines").inner_text()
    assert "Joaquín Ibáñez" in lines
    assert "$97.50" in lines
    assert page.get_by_test_id("total").inner_text() == amount

    # Issues it: it gets the next number of the year and its due date (15 days' terms).
    page.get_by_test_id("draft-actions").get_by_role("button", name="Issue").click()
    page.wait_for_load_state()
    assert "issued" in flash(page).lower(), flash(page)
    number = re.search(r"INV-\d{4}-\d{4}", page.content())[0]
    assert "issued" in page.get_by_test_id("status").inner_text().lower()
    due = date.today() + timedelta(days=15)
    assert f"{due.day} {due:%b %Y}" in page.content()
    sign_out(page)

    # The client finds it in the portal and downloads the PDF.
    sign_in(page, demo_server, "ines@borealis.example")
    page.get_by_role("link", name="Invoices", exact=True).click()
    page.wait_for_url(re.compile(r"/portal/invoices/$"))
    assert number in page.content()
    page.get_by_role("link", name=number).click()
    page.wait_for_url(re.compile(r"/portal/invoices/\d+$"))
    assert "61.00" not in page.content()  # never the engineer's pay rate
    with page.expect_download() as download_info:
        page.get_by_test_id("download-pdf").click()
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    data_bytes = download.path().read_bytes()
    assert data_bytes.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(data_bytes)).pages[0].extract_text()
    assert number in text
    assert "Borealis Freight" in text
    assert amount in text
