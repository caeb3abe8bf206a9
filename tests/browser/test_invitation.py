"""Portal access in a real browser: an account manager invites a client's person from the
client page; they choose a password from the e-mailed link and see the proposals waiting."""

import re
from datetime import date, time
from decimal import Decimal

from tests.browser.test_workspace import flash, sign_in_as_account_manager


def a_client_nobody_can_see_with_a_proposal(server) -> dict:
    """A new client company with no portal user, and an engineer proposed to it."""
    from tracker.extensions import db
    from tracker.models import (
        Client,
        Engineer,
        EngineerSkill,
        Proposal,
        RequestSkill,
        Skill,
        StaffingRequest,
        User,
        utcnow,
    )
    from tracker.services import proposals

    with server.app.app_context():
        python = db.session.scalar(db.select(Skill).where(Skill.name == "Python"))
        manager = db.session.scalar(db.select(User).where(User.email == "am@agency.example"))
        company = Client(name="Fjord Analytics", country="NO", timezone="Europe/Oslo",
                         workday_start=time(8), workday_end=time(16), account_manager=manager)  # fmt: skip
        engineer = Engineer(
            full_name="Camila Torres Rojas", email="camila.torres@mail.example", country="CO",
            timezone="America/Bogota", workday_start=time(7), workday_end=time(16),
            seniority="senior", years_experience=8, english_level="C1",
            hourly_rate=Decimal("60.00"), vetting_status="vetted", code_quality=5,
            system_design=4, api_integration=5, communication=5, vetted_at=utcnow(),
        )  # fmt: skip
        engineer.skills.append(EngineerSkill(skill=python, level=5, years=6))
        req = StaffingRequest(client=company, title="Demand forecasting engineer",
                              seniority="senior", start_date=date.today(), duration_weeks=26,
                              min_overlap_hours=Decimal(3), status="open", priority="normal")  # fmt: skip
        req.skills.append(RequestSkill(skill=python, min_level=4, required=True))
        proposal = Proposal(
            request=req, engineer=engineer, status="shortlisted", created_by=manager
        )
        db.session.add_all([company, engineer, req, proposal])
        db.session.flush()
        proposals.move_proposal(proposal, "proposed", manager)  # reaches nobody yet
        db.session.commit()
        return {"client": company.id, "request": req.id}


def invitation_link(server, email: str) -> str:
    from tracker.extensions import db
    from tracker.models import OutboxEmail

    with server.app.app_context():
        mail = db.session.scalars(
            db.select(OutboxEmail).where(OutboxEmail.to_address == email)
        ).all()[-1]
        return re.search(r"(/invitation/\S+)", mail.body_text)[1]


def test_account_manager_invites_a_portal_user_who_sees_the_proposal_waiting(
    page, demo_server, browser
):
    data = a_client_nobody_can_see_with_a_proposal(demo_server)
    sign_in_as_account_manager(page, demo_server)
    page.goto(f"{demo_server.url}/requests/{data['request']}/matches")
    warning = page.get_by_test_id("no-portal-users")
    assert "Nobody at Fjord Analytics has access to the portal" in warning.inner_text()
    warning.get_by_role("link", name="Invite a portal user").click()

    form = page.locator("#invite-form")
    form.get_by_label("Name").fill("Ingrid Berg")
    form.get_by_label("Email").fill("ingrid@fjord.example")
    form.get_by_role("button", name="Send invitation").click()
    assert "Invitation sent to ingrid@fjord.example" in flash(page)
    users = page.get_by_test_id("portal-users")
    assert "Invited, not signed in yet" in users.inner_text()

    # Ingrid, in her own browser, follows the link from the e-mail.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    ingrid = context.new_page()
    errors = []
    ingrid.on("pageerror", lambda e: errors.append(str(e)))
    ingrid.goto(demo_server.url + invitation_link(demo_server, "ingrid@fjord.example"))
    assert "Welcome, Ingrid Berg" in ingrid.content()
    ingrid.get_by_label("Choose a password").fill("fjords-and-forecasts")
    ingrid.get_by_label("Repeat it").fill("fjords-and-forecasts")
    ingrid.get_by_role("button", name="Set password and sign in").click()
    ingrid.wait_for_url(re.compile(r"/portal/$"))
    assert "1 proposal waits for your decision" in flash(ingrid)
    waiting = ingrid.get_by_test_id("waiting")
    assert "Camila R. for Demand forecasting engineer" in waiting.inner_text()
    assert errors == []
    context.close()

    page.reload()
    assert "last signed in" in page.get_by_test_id("portal-users").inner_text()
    assert page.console_errors == []
