"""Signing in with a real browser, as the demo account manager and as a client user."""

import re

import sqlalchemy as sa

from tests.browser.conftest import demo_login
from tracker.extensions import db
from tracker.models import StaffingRequest, User
from tracker.models.enums import RequestStatus


def sign_in(page, server, email: str, password: str):
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_account_manager_signs_in_and_sees_the_dashboard(page, demo_server):
    email = demo_login(demo_server.demo, "account_manager")
    sign_in(page, demo_server, email, demo_server.demo.password)

    page.wait_for_url(re.compile(r"/dashboard/$"))
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    with demo_server.app.app_context():
        open_requests = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(StaffingRequest)
            .where(StaffingRequest.status == RequestStatus.OPEN)
        )
    shown = page.locator('[data-testid="open-requests"] .stat-value').inner_text()
    assert int(shown) == open_requests > 0
    assert page.title() == "Dashboard · Engagement Tracker"
    assert page.console_errors == []  # no CSP violation, no script error


def test_client_user_signs_in_to_their_portal(page, demo_server):
    email = demo_login(demo_server.demo, "client")
    sign_in(page, demo_server, email, demo_server.demo.password)

    page.wait_for_url(re.compile(r"/portal/$"))
    with demo_server.app.app_context():
        client_name = db.session.scalar(sa.select(User).where(User.email == email)).client.name
    assert page.get_by_role("heading", name=client_name).is_visible()
    assert page.get_by_role("link", name="Dashboard").count() == 0
    assert page.console_errors == []


def test_wrong_password_shows_a_message_and_stays_on_login(page, demo_server):
    email = demo_login(demo_server.demo, "account_manager")
    sign_in(page, demo_server, email, "not-the-right-password")

    assert page.get_by_text("That email and password do not match an active account.").is_visible()
    assert page.url.endswith("/login")


def test_sign_out_from_the_user_menu(page, demo_server):
    email = demo_login(demo_server.demo, "account_manager")
    sign_in(page, demo_server, email, demo_server.demo.password)
    page.wait_for_url(re.compile(r"/dashboard/$"))

    page.get_by_test_id("user-menu").click()  # Bootstrap's dropdown: its JS runs under the CSP
    page.get_by_role("button", name="Sign out").click()

    page.wait_for_url(re.compile(r"/login$"))
    assert page.get_by_text("You have signed out.").is_visible()
    page.goto(f"{demo_server.url}/dashboard/")
    assert "/login" in page.url
