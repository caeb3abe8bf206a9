"""Every page fits and is accessible (issue 12.4 and 12.7), in a real Chromium.

Staff lists fit a 1366 × 768 laptop and portal pages a 390 px phone: the page never scrolls
sideways and no table hides a column behind a horizontal scroll (on a phone a table becomes
stacked cards). axe-core, vendored from npm (scripts/vendor_assets.py), finds no WCAG 2.1 A/AA
violation on any staff, portal or form page.
"""

from pathlib import Path

import pytest

from tests.browser.conftest import demo_login

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
OVERFLOW = """() => ({
  page: document.documentElement.scrollWidth - window.innerWidth,
  tables: [...document.querySelectorAll('.table-responsive')]
    .filter(t => t.scrollWidth - t.clientWidth > 1)
    .map(t => (t.querySelector('table') || t).getAttribute('data-testid') || 'a table'),
})"""
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => `${v.id}: ${v.nodes.length} × ${v.nodes[0].target.join(' ')}`);
}"""


def ids(server, model, *where, limit=2) -> list[int]:
    from tracker.extensions import db

    with server.app.app_context():
        stmt = db.select(model.id).where(*where).order_by(model.id).limit(limit)
        return list(db.session.scalars(stmt))


def staff_pages(server) -> list[str]:
    from tracker.models import Client, Engineer, Placement, StaffingRequest, User

    request_id, *_ = ids(server, StaffingRequest, StaffingRequest.status == "open")
    placement_id, *_ = ids(server, Placement, Placement.status == "active")
    pages = [
        "/dashboard/", "/clients/", "/clients/new", "/engineers/", "/engineers/new",
        "/engineers/skills", "/engineers/import", "/requests/", "/requests/?status=all",
        "/requests/new", "/placements/", "/reviews/", "/notifications/", "/admin/users",
        "/admin/users/new", "/account/password",
        f"/requests/{request_id}", f"/requests/{request_id}/edit",
        f"/requests/{request_id}/matches", f"/placements/{placement_id}",
    ]  # fmt: skip
    pages += [f"/clients/{i}" for i in ids(server, Client)]
    pages += [f"/engineers/{i}" for i in ids(server, Engineer)]
    pages += [f"/engineers/{i}/edit" for i in ids(server, Engineer, limit=1)]
    pages += [f"/admin/users/{i}" for i in ids(server, User, limit=1)]
    from datetime import date

    due = ids(server, Placement, Placement.first_gap_due_on <= date.today(), limit=1)
    if due:  # the review form, for the first iteration without a review
        from tracker.extensions import db
        from tracker.services.reviews import placement_iteration

        with server.app.app_context():
            placement = db.session.get(Placement, due[0])
            number = next(n for n in range(1, 200)
                          if placement_iteration(placement, n).due_on == placement.first_gap_due_on)  # fmt: skip
        pages.append(f"/placements/{due[0]}/iterations/{number}/review")
    return pages


def portal_pages(server, client_id: int) -> list[str]:
    from tracker.models import Placement, Proposal, StaffingRequest

    pages = ["/portal/", "/portal/requests/", "/portal/requests/new", "/portal/proposals/",
             "/portal/placements/", "/notifications/", "/account/password"]  # fmt: skip
    pages += [f"/portal/requests/{i}"
              for i in ids(server, StaffingRequest, StaffingRequest.client_id == client_id)]  # fmt: skip
    pages += [f"/portal/proposals/{i}" for i in ids(
        server, Proposal, Proposal.proposed_at.is_not(None),
        Proposal.request.has(StaffingRequest.client_id == client_id))]  # fmt: skip
    pages += [f"/portal/placements/{i}"
              for i in ids(server, Placement, Placement.client_id == client_id)]  # fmt: skip
    from tracker.models import Invoice

    pages.append("/portal/invoices/")
    pages += [f"/portal/invoices/{i}" for i in ids(
        server, Invoice, Invoice.client_id == client_id, Invoice.status != "draft")]  # fmt: skip
    return pages


def engineer_pages(server, engineer_id: int) -> list[str]:
    """An engineer's own area: their placements and the weeks of the latest one."""
    from tracker.extensions import db
    from tracker.models import Placement
    from tracker.services import me, timesheets

    pages = ["/me/", "/me/timesheets/", "/me/profile", "/notifications/", "/account/password"]
    placement_ids = ids(server, Placement, Placement.engineer_id == engineer_id)
    pages += [f"/me/placements/{i}" for i in placement_ids]
    with server.app.app_context():
        placement = db.session.get(Placement, placement_ids[-1])
        today = me.today_for(placement.engineer)
        weeks = timesheets.placement_weeks(placement, today, limit=4)
    pages += [f"/me/placements/{placement.id}/weeks/{w.week_start.isoformat()}" for w in weeks]
    return pages


def signed_in(browser, server, email: str, viewport: dict):
    # CSP forbids inline scripts, and axe is injected as one: for this check only.
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(server.demo.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return context, page


def check(page, url: str, problems: list[str]) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    overflow = page.evaluate(OVERFLOW)
    if overflow["page"] > 0:
        problems.append(f"{url}: the page scrolls sideways by {overflow['page']} px")
    problems += [f"{url}: {t} scrolls sideways" for t in overflow["tables"]]
    page.add_script_tag(path=str(AXE))
    problems += [f"{url}: {v}" for v in page.evaluate(AXE_RUN, WCAG)]


@pytest.mark.parametrize("role", ["admin", "client", "engineer"])
def test_every_page_fits_and_has_no_accessibility_violation(browser, demo_server, role):
    from tracker.extensions import db
    from tracker.models import User

    email = demo_login(demo_server.demo, role)
    if role == "client":
        with demo_server.app.app_context():
            client_id = db.session.scalar(db.select(User.client_id).where(User.email == email))
        pages, viewport = portal_pages(demo_server, client_id), PHONE
    elif role == "engineer":
        with demo_server.app.app_context():
            engineer_id = db.session.scalar(db.select(User.engineer_id).where(User.email == email))
        pages, viewport = engineer_pages(demo_server, engineer_id), PHONE
    else:
        pages, viewport = staff_pages(demo_server), LAPTOP
    context, page = signed_in(browser, demo_server, email, viewport)
    problems: list[str] = []
    try:
        for url in pages:
            check(page, f"{demo_server.url}{url}", problems)
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
    assert len(pages) >= {"client": 8, "engineer": 8}.get(role, 25)


def test_the_sign_in_and_invitation_pages_are_accessible_on_both_widths(browser, demo_server):
    from tracker.extensions import db
    from tracker.models import User
    from tracker.services import invitations

    with demo_server.app.app_context():
        invited = db.session.scalar(db.select(User).where(User.role == "client"))
        invitation = invitations.invitation_path(invited)
    for viewport in (LAPTOP, PHONE):
        context = browser.new_context(viewport=viewport, bypass_csp=True)
        problems: list[str] = []
        for path in ("/login", invitation):
            check(context.new_page(), f"{demo_server.url}{path}", problems)
        context.close()
        assert problems == [], "\n".join(problems)
