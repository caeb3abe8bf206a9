"""Interviews in a real browser: a client asks for an interview in the portal, the account
manager confirms a slot, the outbox holds an e-mail per participant with a valid invite
(issue 17)."""

import re
from datetime import UTC, datetime, time
from decimal import Decimal

import icalendar

from tests.browser.test_portal import sign_in, sign_out
from tests.browser.test_workspace import flash


def proposal_to_meet(server) -> dict:
    """A New York team with a portal user, proposed a São Paulo engineer who has an account."""
    from tracker.extensions import db
    from tracker.infra.passwords import hash_password
    from tracker.models import Client, Engineer, Proposal, StaffingRequest, User, utcnow

    with server.app.app_context():
        manager = db.session.scalar(db.select(User).where(User.email == "am@agency.example"))
        company = Client(name="Hudson Labs", country="US", timezone="America/New_York",
                         workday_start=time(9), workday_end=time(17), account_manager=manager)  # fmt: skip
        engineer = Engineer(
            full_name="Rafael Moreira Costa", email="rafael.mc@mail.example", country="BR",
            timezone="America/Sao_Paulo", workday_start=time(9), workday_end=time(18),
            seniority="senior", years_experience=9, english_level="C1",
            hourly_rate=Decimal("60.00"), vetting_status="vetted", code_quality=5,
            system_design=4, api_integration=4, communication=5, vetted_at=utcnow(),
        )  # fmt: skip
        req = StaffingRequest(client=company, title="Retrieval engineer", seniority="senior",
                              start_date=utcnow().date(), duration_weeks=26,
                              min_overlap_hours=Decimal(4), status="open", priority="high")  # fmt: skip
        proposal = Proposal(request=req, engineer=engineer, status="proposed",
                            proposed_at=utcnow(), bill_rate=Decimal("98.00"))  # fmt: skip
        password = hash_password(server.demo.password)
        db.session.add_all([
            company, engineer, req, proposal,
            User(email="rafael.mc@mail.example", name="Rafael Moreira Costa", role="engineer",
                 engineer=engineer, password_hash=password),
            User(email="nora@hudsonlabs.example", name="Nora Hale", role="client",
                 client=company, password_hash=password),
        ])  # fmt: skip
        db.session.commit()
        return {"proposal": proposal.id}


def test_client_asks_manager_confirms_everyone_gets_an_invite(page, demo_server):
    data = proposal_to_meet(demo_server)
    page.on("dialog", lambda dialog: dialog.accept())

    # The client opens the proposal and asks to meet, picking two times on the team's clock.
    sign_in(page, demo_server, "nora@hudsonlabs.example")
    page.goto(f"{demo_server.url}/portal/proposals/{data['proposal']}")
    page.get_by_test_id("ask-interview").click()
    page.wait_for_url(re.compile(rf"/portal/proposals/{data['proposal']}/interview$"))
    assert "America/New_York" in page.content()
    labels = page.locator("label.slot")
    assert labels.count() > 10
    picked = [labels.nth(1).get_attribute("data-slot"), labels.nth(4).get_attribute("data-slot")]
    labels.nth(1).click()
    labels.nth(4).click()
    page.get_by_role("button", name="Ask for the interview").click()
    page.wait_for_url(re.compile(r"/portal/interviews/\d+$"))
    assert "You offered 2 times" in flash(page), flash(page)
    interview_id = int(page.url.rsplit("/", 1)[1])
    sign_out(page)

    # The account manager sees it waiting and confirms the second time, with a meeting link.
    sign_in(page, demo_server, "am@agency.example")
    page.goto(f"{demo_server.url}/interviews/")
    page.locator(f"tr[data-interview='{interview_id}'] a").first.click()
    page.wait_for_url(re.compile(rf"/interviews/{interview_id}$"))
    assert "America/Sao_Paulo" in page.content()  # staff read both clocks
    page.get_by_test_id("confirm-form").locator(f"label[data-slot='{picked[1]}']").click()
    page.get_by_label("Meeting link").fill("https://meet.example.com/hud-rafa")
    page.get_by_role("button", name="Confirm this time").click()
    page.wait_for_load_state()
    assert "Confirmed" in flash(page), flash(page)
    assert "Add to calendar" in page.content()
    assert page.console_errors == []

    # The outbox holds one e-mail per participant, each with a valid invite for that time.
    from tracker.extensions import db
    from tracker.infra.mailer import build_message
    from tracker.models import Interview, OutboxEmail

    with demo_server.app.app_context():
        interview = db.session.get(Interview, interview_id)
        assert interview.status == "scheduled"
        assert interview.proposal.status == "interviewing"
        begins = datetime.strptime(picked[1], "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
        assert interview.starts_at == begins
        mails = db.session.scalars(
            db.select(OutboxEmail).where(
                OutboxEmail.calendar.is_not(None),
                OutboxEmail.subject.contains("× Hudson Labs"),
            )
        ).all()
        assert sorted(m.to_address for m in mails) == [
            "am@agency.example", "nora@hudsonlabs.example", "rafael.mc@mail.example",
        ]  # fmt: skip
        for mail in mails:
            calendar = icalendar.Calendar.from_ical(mail.calendar)
            assert calendar["METHOD"] == "REQUEST"
            event = calendar.walk("VEVENT")[0]
            assert event.decoded("DTSTART") == begins
            assert event["DTSTART"].to_ical().decode().endswith("Z")
            assert str(event["UID"]) == f"{interview.uid}@engagement-tracker"
            assert str(event["LOCATION"]) == "https://meet.example.com/hud-rafa"
            if mail.to_address == "nora@hudsonlabs.example":  # the client reads "Rafael M."
                assert "Rafael Moreira Costa" not in mail.calendar + mail.subject
                assert "rafael.mc@" not in mail.calendar
            message = build_message(mail, demo_server.app.config)
            kinds = [p.get_content_type() for p in message.walk()]
            assert "text/calendar" in kinds
            assert "application/ics" in kinds
