"""An account manager's day in a real browser: the workspace, then matching to a placement."""

import re
from datetime import date, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from tests.browser.conftest import demo_login


def sign_in_as_account_manager(page, server):
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(demo_login(server.demo, "account_manager"))
    page.get_by_label("Password").fill(server.demo.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/dashboard/$"))


def nav(page, area: str) -> None:
    page.locator("#main-nav").get_by_role("link", name=area).click()
    page.wait_for_load_state()


def flash(page) -> str:
    return page.locator(".alert").first.inner_text()


def test_client_engineer_request_search_and_history(page, demo_server):
    sign_in_as_account_manager(page, demo_server)

    # A new client, in Berlin.
    nav(page, "Clients")
    page.get_by_role("link", name="New client").click()
    page.get_by_label("Company name").fill("Brandenburg Vision GmbH")
    page.get_by_label("Industry").fill("Computer vision")
    page.locator("#country").select_option("DE")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_label("Working day starts").fill("09:00")
    page.get_by_label("Working day ends").fill("17:30")
    page.get_by_role("button", name="Save client").click()
    page.wait_for_url(re.compile(r"/clients/\d+$"))
    assert "Client Brandenburg Vision GmbH created." in flash(page)

    # A new engineer with three skills, taken through vetting.
    nav(page, "Engineers")
    page.get_by_role("link", name="New engineer").click()
    page.get_by_label("Full name").fill("Valentina Quispe")
    page.get_by_label("Email").fill("valentina.quispe@mail.example")
    page.locator("#country").select_option("PE")
    page.get_by_label("City").fill("Lima")
    page.get_by_label("Time zone").fill("America/Lima")
    page.locator("#seniority").select_option("senior")
    page.get_by_label("Years of experience").fill("8")
    page.get_by_label("Hourly rate").fill("62")
    page.get_by_role("button", name="Save engineer").click()
    page.wait_for_url(re.compile(r"/engineers/\d+$"))
    engineer_url = page.url

    for skill, level in (("PyTorch", "5"), ("Computer vision", "4"), ("Docker", "3")):
        page.locator("#skill-form #skill_id, form #skill_id").first.select_option(label=skill)
        page.locator("#level").fill(level)
        page.get_by_role("button", name="Save skill").click()
        page.wait_for_load_state()
        assert skill in page.locator("main").inner_text()

    for step in ("screening", "technical_interview", "vetted"):
        page.locator("#status").select_option(step)
        if step == "vetted":
            for score in ("code_quality", "system_design", "api_integration", "communication"):
                page.locator(f"#{score}").select_option("4")
        page.get_by_role("button", name="Record vetting step").click()
        page.wait_for_load_state()
    assert "Vetted" in page.locator("#vetting").inner_text()

    # A request for the new client with two must-have skills.
    nav(page, "Requests")
    page.get_by_role("link", name="New request").click()
    page.locator("#client_id").select_option(label="Brandenburg Vision GmbH")
    page.get_by_label("Title").fill("Senior CV engineer — quality inspection")
    page.locator("#seniority").select_option("senior")
    page.get_by_label("Start date").fill((date.today() + timedelta(days=21)).isoformat())
    page.locator("#skill_rows-0-skill_id").select_option(label="PyTorch")
    page.locator("#skill_rows-0-min_level").fill("4")
    page.locator("#skill_rows-1-skill_id").select_option(label="Computer vision")
    page.locator("#skill_rows-1-min_level").fill("3")
    page.get_by_role("button", name="Create and open").click()
    page.wait_for_url(re.compile(r"/requests/\d+$"))
    request_url = page.url
    body = page.locator("main").inner_text()
    assert "Senior CV engineer — quality inspection" in body
    assert "Europe/Berlin" in body  # the client's hours

    # Find the engineer by skill.
    nav(page, "Engineers")
    page.locator("#skill_id").select_option(label="Computer vision")
    page.locator("#min_level").select_option("4")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert page.get_by_role("link", name="Valentina Quispe").is_visible()

    # Both records tell their history.
    page.goto(engineer_url)
    history = page.locator(".timeline").inner_text()
    assert "Engineer created" in history
    assert "Engineer vetting changed" in history
    assert "Engineer skill added" in history
    page.goto(request_url)
    history = page.locator(".timeline").inner_text()
    assert "Request created" in history
    assert "Request status changed" in history
    assert page.console_errors == []


def open_request_with_a_fitting_engineer(server) -> tuple[int, str]:
    """An open request of a demo client and an engineer who fits it, straight in the database."""
    from tracker.extensions import db
    from tracker.models import (
        Client,
        Engineer,
        EngineerSkill,
        RequestSkill,
        Skill,
        StaffingRequest,
        utcnow,
    )

    with server.app.app_context():
        python = db.session.scalar(sa.select(Skill).where(Skill.name == "Python"))
        client = Client(
            name="Oslo Robotics", country="NO", timezone="Europe/Oslo",
            workday_start=time(9), workday_end=time(17),
        )  # fmt: skip
        engineer = Engineer(
            full_name="Mateo Ferreira", email="mateo.ferreira@mail.example", country="BR",
            timezone="America/Sao_Paulo", workday_start=time(7), workday_end=time(16),
            seniority="senior", years_experience=9, english_level="C1",
            hourly_rate=Decimal("64.00"), vetting_status="vetted", code_quality=5,
            system_design=4, api_integration=5, communication=4, vetted_at=utcnow(),
            available_from=date.today(),
        )  # fmt: skip
        engineer.skills.append(EngineerSkill(skill=python, level=5, years=7))
        req = StaffingRequest(
            client=client, title="Robotics perception engineer", seniority="senior",
            start_date=date.today() + timedelta(days=30), duration_weeks=26,
            min_overlap_hours=Decimal(4), status="open", priority="high",
        )  # fmt: skip
        req.skills.append(RequestSkill(skill=python, min_level=4, required=True))
        db.session.add_all([client, engineer, req])
        db.session.commit()
        return req.id, engineer.full_name


def test_match_shortlist_propose_accept_and_place(page, demo_server):
    request_id, name = open_request_with_a_fitting_engineer(demo_server)
    sign_in_as_account_manager(page, demo_server)
    nav(page, "Requests")
    page.get_by_label("Search requests").fill("Robotics perception")
    page.get_by_role("button", name="Filter").click()
    page.get_by_role("link", name="Robotics perception engineer").click()
    page.get_by_role("link", name="Find engineers").click()
    page.wait_for_url(re.compile(rf"/requests/{request_id}/matches$"))
    candidates = page.locator('[data-testid="match"]').filter(has_text=name)
    card = candidates.first
    assert "of 100" in card.inner_text()
    assert "Overlap: at least" in card.locator('[data-testid="overlap"]').inner_text()
    assert "h a day at least" in card.inner_text()  # the overlap component's reason

    # Why not? The explanation for someone who is out.
    page.get_by_label("Engineer name or email").fill("mail.example")
    page.get_by_role("button", name="Check").click()
    page.wait_for_url(re.compile(r"matches\?why=.*#why-not$"))
    assert page.locator('[data-testid="why-not"] li').count() > 0
    # The answer is where the eye is: the page opens at it, not at the top.
    # (Bootstrap scrolls smoothly: wait until it has arrived.)
    page.wait_for_function(
        "() => Math.abs(document.getElementById('why-not').getBoundingClientRect().top) < 40"
    )
    answer = page.locator('[data-testid="why-not"] li').first
    assert 0 <= answer.bounding_box()["y"] < page.viewport_size["height"] - 40

    page.locator('[data-testid="match"]').filter(has_text=name).get_by_role(
        "button", name="Shortlist"
    ).click()
    assert f"{name} is on the shortlist." in flash(page)

    proposals = page.locator('[data-testid="proposals"]')
    row = proposals.locator("tr").filter(has_text=name)
    row.get_by_role("button", name="Propose to client").click()
    assert "proposed to the client" in flash(page)
    row = page.locator('[data-testid="proposals"] tr').filter(has_text=name)
    row.get_by_role("button", name="Client accepted").click()
    assert "marked accepted" in flash(page)
    row = page.locator('[data-testid="proposals"] tr').filter(has_text=name)
    row.get_by_role("link", name="Create placement").click()

    page.wait_for_url(re.compile(r"/proposals/\d+/placement$"))
    assert "Margin: $" in page.locator("[data-margin-for]").inner_text()  # app.js ran
    page.get_by_role("button", name="Create placement").click()
    page.wait_for_url(re.compile(r"/placements/\d+$"))
    assert f"{name} is placed with" in flash(page)
    assert "Placement created" in page.locator(".timeline").inner_text()
    assert page.console_errors == []
