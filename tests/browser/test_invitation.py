"""Portal access in a real browser: an account manager invites a client's person from the
client page; they choose a password from the e-mailed link and see the proposals waiting."""

import re

from tests.browser.test_portal import proposal_waiting_for_a_client
from tests.browser.test_workspace import flash, sign_in_as_account_manager


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
    data = proposal_waiting_for_a_client(demo_server, portal_user=False)
    sign_in_as_account_manager(page, demo_server)
    page.goto(f"{demo_server.url}/requests/{data['request']}/matches")
    warning = page.get_by_test_id("no-portal-users")
    assert "Nobody at Nordlicht Energy has access to the portal" in warning.inner_text()
    warning.get_by_role("link", name="Invite a portal user").click()

    form = page.locator("#invite-form")
    form.get_by_label("Name").fill("Ingrid Berg")
    form.get_by_label("Email").fill("ingrid@nordlicht.example")
    form.get_by_role("button", name="Send invitation").click()
    assert "Invitation sent to ingrid@nordlicht.example" in flash(page)
    users = page.get_by_test_id("portal-users")
    assert "Invited, not signed in yet" in users.inner_text()

    # Ingrid, in her own browser, follows the link from the e-mail.
    context = browser.new_context(viewport={"width": 390, "height": 844})
    ingrid = context.new_page()
    errors = []
    ingrid.on("pageerror", lambda e: errors.append(str(e)))
    ingrid.goto(demo_server.url + invitation_link(demo_server, "ingrid@nordlicht.example"))
    assert "Welcome, Ingrid Berg" in ingrid.content()
    ingrid.get_by_label("Choose a password").fill("fjords-and-forecasts")
    ingrid.get_by_label("Repeat it").fill("fjords-and-forecasts")
    ingrid.get_by_role("button", name="Set password and sign in").click()
    ingrid.wait_for_url(re.compile(r"/portal/$"))
    assert "1 proposal waits for your decision" in flash(ingrid)
    waiting = ingrid.get_by_test_id("waiting")
    assert "Bruno L. for Energy forecasting engineer" in waiting.inner_text()
    assert errors == []
    context.close()

    page.reload()
    assert "last signed in" in page.get_by_test_id("portal-users").inner_text()
    assert page.console_errors == []
