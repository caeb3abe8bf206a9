"""The portal in a real browser: a client accepts a proposal, the agency places, the client reviews."""

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import time_machine

from tests.browser.test_workspace import flash, sign_in_as_account_manager


def proposal_waiting_for_a_client(server, *, portal_user: bool = True) -> dict:
    """A client company with a user (unless not asked for), a request starting today and an
    engineer proposed."""
    from tracker.extensions import db
    from tracker.infra.passwords import hash_password
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
        company = Client(name="Nordlicht Energy", country="DE", timezone="Europe/Berlin",
                         workday_start=time(9), workday_end=time(17), account_manager=manager)  # fmt: skip
        if portal_user:
            User(email="jana@nordlicht.example", name="Jana Vogel", role="client",
                 client=company, password_hash=hash_password(server.demo.password))  # fmt: skip
        engineer = Engineer(
            full_name="Bruno Carvalho Lima", email="bruno.lima@mail.example", country="BR",
            timezone="America/Sao_Paulo", workday_start=time(7), workday_end=time(16),
            seniority="senior", years_experience=9, english_level="C1",
            hourly_rate=Decimal("64.00"), vetting_status="vetted", code_quality=5,
            system_design=4, api_integration=5, communication=4, vetted_at=utcnow(),
        )  # fmt: skip
        engineer.skills.append(EngineerSkill(skill=python, level=5, years=7))
        req = StaffingRequest(client=company, title="Energy forecasting engineer",
                              seniority="senior", start_date=date.today(), duration_weeks=26,
                              min_overlap_hours=Decimal(3), status="open", priority="high")  # fmt: skip
        req.skills.append(RequestSkill(skill=python, min_level=4, required=True))
        proposal = Proposal(
            request=req, engineer=engineer, status="shortlisted", created_by=manager
        )
        db.session.add_all([company, engineer, req, proposal])
        db.session.flush()
        proposals.move_proposal(proposal, "proposed", manager)  # tells Jana
        db.session.commit()
        return {"email": "jana@nordlicht.example", "proposal": proposal.id, "engineer": "Bruno L.",
                "client": company.id, "request": req.id}  # fmt: skip


def sign_in(page, server, email):
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(server.demo.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def sign_out(page):
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))


def test_client_accepts_agency_places_client_reviews(page, demo_server):
    data = proposal_waiting_for_a_client(demo_server)
    page.on("dialog", lambda dialog: dialog.accept())

    # The client sees the proposal, reads the overlap, accepts.
    sign_in(page, demo_server, data["email"])
    page.wait_for_url(re.compile(r"/portal/$"))
    waiting = page.get_by_test_id("waiting")
    waiting.get_by_role("link", name=data["engineer"]).click()
    overlap = page.get_by_test_id("overlap").inner_text()
    assert "together, typically" in overlap
    assert "bruno.lima@mail.example" not in page.content()
    page.get_by_role("button", name="Accept").click()
    assert f"You accepted {data['engineer']} Your account manager" in flash(page)  # one stop
    sign_out(page)

    # The account manager sees the notification and creates the placement.
    sign_in_as_account_manager(page, demo_server)
    page.get_by_role("link", name=re.compile("unread notifications")).click()
    page.wait_for_url(re.compile(r"/notifications/"))
    page.get_by_role(
        "button", name=re.compile("Nordlicht Energy accepted Bruno Carvalho Lima")
    ).first.click()
    page.wait_for_url(re.compile(r"/requests/\d+/matches$"))
    row = page.locator('[data-testid="proposals"] tr').filter(has_text="Bruno Carvalho Lima")
    row.get_by_role("link", name="Create placement").click()
    page.get_by_role("button", name="Create placement").click()
    page.wait_for_url(re.compile(r"/placements/\d+$"))
    assert "is placed with Nordlicht Energy" in flash(page)
    sign_out(page)

    # Two weeks later the first iteration has ended: the client reviews it.
    later = datetime.combine(date.today() + timedelta(days=15), time(10))
    with time_machine.travel(later, tick=True):
        sign_in(page, demo_server, data["email"])
        page.wait_for_url(re.compile(r"/portal/$"))
        due = page.get_by_test_id("reviews-due")
        due.get_by_role("link", name="Review").first.click()
        for field, rating in (("delivery", "5"), ("code_quality", "4"), ("communication", "4"),
                              ("collaboration", "5"), ("would_continue", "yes")):  # fmt: skip
            page.locator(f"#{field}").select_option(rating)
        page.get_by_label("Comments").fill("Great start on the forecasting pipeline")
        page.get_by_role("button", name="Save review").click()
        assert "your review of iteration 1 is saved" in flash(page)
        page.locator("#main-nav").get_by_role("link", name="Overview").click()
        placed = page.get_by_test_id("placements").locator("li").filter(has_text=data["engineer"])
        assert "Green" in placed.inner_text()
    assert page.console_errors == []
