"""Timesheet pages (issue 14): the client's approval in the portal, the staff list and export,
staff acting on someone's behalf, the placement's hours and the dashboard's waiting weeks."""

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, make_app
from tracker.extensions import db
from tracker.models import AuditEvent, Notification, Placement, Timesheet
from tracker.services import StaleEdit, timesheets, transaction
from tracker.services.timesheets import EntryInput, week_of

TODAY = date.today()
LAST_WEEK = week_of(TODAY) - timedelta(days=7)
TWO_WEEKS_AGO = LAST_WEEK - timedelta(days=7)


def weekdays(week_start: date, hours: str = "8", days: int = 5) -> list[EntryInput]:
    return [EntryInput(week_start + timedelta(days=k), Decimal(hours)) for k in range(days)]


def placed(make, company, name: str, **kw) -> Placement:
    """A live placement at the company since ten weeks, and its engineer's account."""
    engineer = make.engineer(full_name=name)
    placement = make.placement(
        engineer=engineer,
        request=make.request(client=company, title="Data engineer"),
        start=TODAY - timedelta(weeks=10),
        timesheets_from=TODAY - timedelta(weeks=10),  # hours expected from its first week
        **kw,
    )
    make.user(role="engineer", engineer=engineer, name=name)
    return placement


def submitted(placement: Placement, week=LAST_WEEK, hours="8") -> Timesheet:
    """A week entered and submitted by the placement's engineer, through the service."""
    user = placement.engineer.user
    with transaction():
        sheet = timesheets.save_week(placement, week, weekdays(week, hours), user, today=TODAY)
        timesheets.submit(sheet, user, today=TODAY)
    return sheet


def fresh(sheet: Timesheet) -> Timesheet:
    db.session.expire_all()
    return db.session.get(Timesheet, sheet.id)


def events(sheet: Timesheet, action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "Timesheet",
                AuditEvent.entity_id == sheet.id,
                AuditEvent.action == action,
            )
        )
    )


def flashed(response) -> str:
    return " ".join(re.findall(r'class="alert[^"]*"[^>]*>\s*(.*?)\s*<button', response.text, re.S))


@pytest.fixture
def acme(make):
    """Acme with a user, two engineers placed there, and Globex next door with its own hours."""
    company = make.client(name="Acme")
    user = make.user(role="client", client=company, email="cto@acme.example", name="Carla CTO")
    ana = placed(make, company, "Ana Beatriz Souza")
    bruno = placed(make, company, "Bruno Lima Castro")
    globex = make.client(name="Globex")
    theirs = placed(make, globex, "Gina Secret Person")
    return {"client": company, "user": user, "ana": ana, "bruno": bruno, "theirs": theirs}


def sign_in(client, email: str):
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302


# --- the portal: the client's answer ---------------------------------------------------------


def test_the_portal_lists_waiting_weeks_oldest_first_with_client_safe_names(client, acme):
    older = submitted(acme["ana"], TWO_WEEKS_AGO, "7.5")
    submitted(acme["ana"])
    submitted(acme["bruno"], hours="6")
    submitted(acme["theirs"])
    sign_in(client, "cto@acme.example")

    page = client.get("/portal/timesheets/").text

    weeks = re.findall(r'data-week="([\d-]+)"', page)
    assert weeks == [TWO_WEEKS_AGO.isoformat(), LAST_WEEK.isoformat()]
    assert "Ana S." in page
    assert "Bruno C." in page
    assert "Ana Beatriz Souza" not in page
    assert "Gina" not in page
    assert "37.5 h" in page  # the older week's total
    assert "Approve all 2 of this week" in page  # last week has two engineers
    assert "Approve all 1" not in page
    assert f'href="/portal/timesheets/{older.id}"' in page


def test_the_portal_says_when_nothing_waits(client, acme):
    sign_in(client, "cto@acme.example")
    page = client.get("/portal/timesheets/").text
    assert "No hours wait for your approval" in page
    assert "Nothing answered in the last few weeks" in page
    nav = client.get("/portal/").text
    assert 'href="/portal/timesheets/"' in nav


def test_a_client_approves_one_timesheet(client, acme):
    sheet = submitted(acme["ana"])
    other = submitted(acme["bruno"])
    sign_in(client, "cto@acme.example")

    response = client.post(
        f"/portal/timesheets/{sheet.id}/approve",
        data={"version_id": sheet.version_id, "next": "/portal/timesheets/"},
        follow_redirects=True,
    )

    assert response.request.path == "/portal/timesheets/"
    assert "You approved Ana S.&#39;s 40 hours for the week of" in response.text
    sheet, other = fresh(sheet), fresh(other)
    assert sheet.status == "approved"
    assert sheet.decided_by_id == acme["user"].id
    assert not sheet.approved_automatically
    assert other.status == "submitted"
    (event,) = events(sheet, "timesheet.approved")
    assert "on_behalf_of" not in event.changes
    assert 'data-testid="answered"' in response.text
    assert "Carla CTO" in response.text


def test_a_client_rejects_with_a_reason_and_a_reason_is_required(client, acme):
    sheet = submitted(acme["ana"])
    sign_in(client, "cto@acme.example")
    url = f"/portal/timesheets/{sheet.id}/reject"

    blank = client.post(url, data={"version_id": sheet.version_id, "reason": "   "})
    assert blank.status_code == 400
    assert "Say what is wrong with the hours" in blank.text
    assert fresh(sheet).status == "submitted"

    response = client.post(
        url, data={"version_id": sheet.version_id, "reason": "Friday was a holiday here."}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/portal/timesheets/{sheet.id}"
    sheet = fresh(sheet)
    assert sheet.status == "rejected"
    assert sheet.decision_note == "Friday was a holiday here."
    notified = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "timesheet_rejected")
    ).all()
    assert acme["ana"].engineer.user.id in notified
    page = client.get(f"/portal/timesheets/{sheet.id}").text
    assert "Friday was a holiday here." in page
    assert "Reject…" not in page


def test_a_client_approves_a_whole_week_as_shown(client, acme):
    ana, bruno = submitted(acme["ana"]), submitted(acme["bruno"])
    earlier = submitted(acme["ana"], TWO_WEEKS_AGO)
    sign_in(client, "cto@acme.example")
    page = client.get("/portal/timesheets/").text
    shown = re.search(
        rf'action="/portal/timesheets/weeks/{LAST_WEEK.isoformat()}/approve".*?name="shown" '
        r'value="([^"]+)"',
        page,
        re.S,
    )[1]

    response = client.post(
        f"/portal/timesheets/weeks/{LAST_WEEK.isoformat()}/approve",
        data={"shown": shown},
        follow_redirects=True,
    )

    assert "You approved 2 timesheets of the week of" in response.text
    assert [fresh(s).status for s in (ana, bruno, earlier)] == ["approved", "approved", "submitted"]


def test_a_week_approval_approves_nothing_when_the_week_changed_since_it_was_shown(client, acme):
    ana = submitted(acme["ana"])
    sign_in(client, "cto@acme.example")
    shown = f"{ana.id}:{ana.version_id}"
    bruno = submitted(acme["bruno"])  # arrives after the page was opened

    url = f"/portal/timesheets/weeks/{LAST_WEEK.isoformat()}/approve"
    response = client.post(url, data={"shown": shown}, follow_redirects=True)

    assert "More hours arrived for the week of" in flashed(response)
    assert [fresh(s).status for s in (ana, bruno)] == ["submitted", "submitted"]
    assert client.post(url, data={"shown": "garbage"}).status_code == 400
    assert client.post("/portal/timesheets/weeks/2026-13-01/approve").status_code == 404
    assert client.post("/portal/timesheets/weeks/nonsense/approve").status_code == 404


def test_the_timesheet_page_shows_days_notes_status_and_history(client, acme):
    placement = acme["ana"]
    user = placement.engineer.user
    entries = [
        *weekdays(LAST_WEEK, "8", 4),
        EntryInput(LAST_WEEK + timedelta(4), Decimal("4"), "Dentist"),
    ]
    with transaction():
        sheet = timesheets.save_week(placement, LAST_WEEK, entries, user, today=TODAY)
        timesheets.submit(sheet, user, today=TODAY)
    sign_in(client, "cto@acme.example")

    page = client.get(f"/portal/timesheets/{sheet.id}").text

    assert "Ana S., week of" in page
    assert "Ana Beatriz" not in page
    assert "Dentist" in page
    assert "36 h" in page
    assert "40 h expected" in page
    assert 'data-testid="decision"' in page
    assert "Approve 36 h" in page
    assert "Submitted" in page
    assert "by Ana S." in page


def test_a_draft_shows_no_hours_to_the_client(client, acme):
    user = acme["ana"].engineer.user
    with transaction():
        sheet = timesheets.save_week(acme["ana"], LAST_WEEK, weekdays(LAST_WEEK), user, today=TODAY)
    sign_in(client, "cto@acme.example")
    page = client.get(f"/portal/timesheets/{sheet.id}").text
    assert 'data-testid="draft"' in page
    assert 'data-testid="days"' not in page


def test_another_companys_timesheet_answers_404_and_nothing_changes(client, acme):
    theirs = submitted(acme["theirs"])
    version = theirs.version_id
    sign_in(client, "cto@acme.example")
    base = f"/portal/timesheets/{theirs.id}"

    assert client.get(base).status_code == 404
    assert client.post(f"{base}/approve", data={"version_id": version}).status_code == 404
    assert (
        client.post(f"{base}/reject", data={"version_id": version, "reason": "x"}).status_code
        == 404
    )
    week = client.post(
        f"/portal/timesheets/weeks/{LAST_WEEK.isoformat()}/approve",
        data={"shown": f"{theirs.id}:{version}"},
    )
    assert week.status_code == 302
    assert "Gina" not in client.get("/portal/timesheets/").text

    theirs = fresh(theirs)
    assert (theirs.status, theirs.version_id) == ("submitted", version)
    assert events(theirs, "timesheet.approved") == events(theirs, "timesheet.rejected") == []
    refusals = db.session.scalars(
        sa.select(AuditEvent.action).where(
            AuditEvent.entity_type == "Timesheet", AuditEvent.entity_id == theirs.id
        )
    ).all()
    assert refusals.count("access.cross_tenant") == 3  # the page and the two answers


def test_posts_without_a_csrf_token_are_refused(database_uri, make):
    app = make_app(database_uri, WTF_CSRF_ENABLED=True)
    with app.app_context():
        company = make.client()
        make.user(role="client", client=company, email="boss@acme.example")
        sheet = submitted(placed(make, company, "Ana Souza"))
        browser = app.test_client()
        page = browser.get("/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
        browser.post(
            "/login",
            data={"email": "boss@acme.example", "password": PASSWORD, "csrf_token": token},
        )
        response = browser.post(
            f"/portal/timesheets/{sheet.id}/approve", data={"version_id": sheet.version_id}
        )
        assert response.status_code == 400
        assert fresh(sheet).status == "submitted"


# --- two people answering at once ---------------------------------------------------------------


def test_of_two_clients_approving_at_once_one_wins_and_the_other_is_told(app, client, make, acme):
    sheet = submitted(acme["ana"])
    make.user(role="client", client=acme["client"], email="cfo@acme.example")
    colleague = app.test_client()
    sign_in(client, "cto@acme.example")
    sign_in(colleague, "cfo@acme.example")
    seen = {"version_id": sheet.version_id, "next": "/portal/timesheets/"}  # both pages show it

    first = client.post(f"/portal/timesheets/{sheet.id}/approve", data=seen)
    second = colleague.post(
        f"/portal/timesheets/{sheet.id}/approve", data=seen, follow_redirects=True
    )

    assert first.status_code == 302
    assert "already approved" in flashed(second)
    assert fresh(sheet).status == "approved"
    assert len(events(sheet, "timesheet.approved")) == 1
    late_reject = colleague.post(
        f"/portal/timesheets/{sheet.id}/reject", data={**seen, "reason": "Too many"}
    )
    assert late_reject.status_code == 302
    assert fresh(sheet).status == "approved"
    assert events(sheet, "timesheet.rejected") == []


def test_a_stale_version_is_told_as_changed_by_someone_else(client, acme):
    sheet = submitted(acme["ana"])
    sign_in(client, "cto@acme.example")
    response = client.post(
        f"/portal/timesheets/{sheet.id}/approve",
        data={"version_id": sheet.version_id + 5},
        follow_redirects=True,
    )
    assert "changed by someone else" in flashed(response)
    assert fresh(sheet).status == "submitted"


def test_a_race_lost_in_the_database_approves_once(acme):
    """Both answers read the row at version v; the other one commits first: ours writes nothing."""
    sheet = submitted(acme["ana"])
    client_user = acme["user"]
    loaded = db.session.get(Timesheet, sheet.id)
    version = loaded.version_id
    with db.engine.begin() as other:  # the colleague's approval, committed meanwhile
        other.execute(
            sa.update(Timesheet)
            .where(Timesheet.id == sheet.id)
            .values(status="approved", version_id=version + 1)
        )

    with pytest.raises(StaleEdit, match="changed by someone else"), transaction():
        timesheets.approve(loaded, client_user, today=TODAY, version=version)

    assert fresh(sheet).version_id == version + 1
    assert events(sheet, "timesheet.approved") == []  # our audit row went with the rollback


# --- who reaches the staff pages ----------------------------------------------------------------


@pytest.mark.parametrize("role", ["client", "engineer"])
def test_clients_and_engineers_cannot_reach_the_staff_pages(client, auth, acme, role):
    sheet = submitted(acme["ana"])
    auth.login_as(role)
    week = f"/timesheets/placements/{acme['ana'].id}/weeks/{LAST_WEEK.isoformat()}"
    for path in ("/timesheets/", "/timesheets/export.csv", f"/timesheets/{sheet.id}", week):
        assert client.get(path).status_code == 403, path
    for path in (f"/timesheets/{sheet.id}/approve", f"/timesheets/{sheet.id}/reject", week):
        assert client.post(path, data={"note": "x", "reason": "x"}).status_code == 403, path
    assert fresh(sheet).status == "submitted"


def test_staff_do_not_answer_in_the_portal(client, auth, acme):
    sheet = submitted(acme["ana"])
    auth.login_as("account_manager")
    assert client.get("/portal/timesheets/").status_code == 403
    assert client.post(f"/portal/timesheets/{sheet.id}/approve").status_code == 403


# --- the staff list and its export ----------------------------------------------------------------


def test_the_staff_list_filters_sorts_and_exports(client, auth, acme):
    ana_last = submitted(acme["ana"])
    ana_before = submitted(acme["ana"], TWO_WEEKS_AGO)
    bruno_last = submitted(acme["bruno"], hours="6")
    theirs = submitted(acme["theirs"])
    with transaction():
        timesheets.approve(fresh(ana_before), acme["user"], today=TODAY)
    auth.login_as("account_manager")

    def listed(query: str) -> list[int]:
        page = client.get(f"/timesheets/?{query}")
        assert page.status_code == 200
        return [int(i) for i in re.findall(r'href="/timesheets/(\d+)"', page.text)]

    assert set(listed("")) == {ana_last.id, ana_before.id, bruno_last.id, theirs.id}
    assert set(listed(f"client={acme['client'].id}")) == {ana_last.id, ana_before.id, bruno_last.id}
    assert set(listed("engineer=bruno")) == {bruno_last.id}
    wednesday = LAST_WEEK + timedelta(days=2)
    assert set(listed(f"week={wednesday.isoformat()}")) == {ana_last.id, bruno_last.id, theirs.id}
    assert set(listed("status=approved")) == {ana_before.id}
    assert listed("sort=hours")[0] == bruno_last.id  # 30 hours, the fewest
    assert listed("sort=-week")[-1] == ana_before.id
    bad = client.get("/timesheets/?week=not-a-date&status=nonsense&client=abc")
    assert bad.status_code == 200
    assert "These filters were left out" in bad.text

    export = client.get(f"/timesheets/export.csv?client={acme['client'].id}&status=submitted")
    assert export.status_code == 200
    assert export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0][:5] == ["week_start", "client", "engineer", "placement_id", "status"]
    assert {r[2] for r in rows[1:]} == {"Ana Beatriz Souza", "Bruno Lima Castro"}
    assert len(rows) == 1 + 10  # five days each
    assert {r[4] for r in rows[1:]} == {"submitted"}


def test_the_staff_list_says_when_nothing_matches(client, auth):
    auth.login_as("account_manager")
    assert "No timesheets yet" in client.get("/timesheets/").text
    assert "No timesheet matches" in client.get("/timesheets/?engineer=nobody").text
    assert 'href="/timesheets/"' in client.get("/dashboard/").text  # the navigation


# --- staff acting on someone's behalf -------------------------------------------------------------


def test_approving_on_the_clients_behalf_needs_a_note(client, auth, acme):
    sheet = submitted(acme["ana"])
    manager = auth.login_as("account_manager", name="Mia Manager")
    url = f"/timesheets/{sheet.id}/approve"

    refused = client.post(url, data={"version_id": sheet.version_id, "note": " "})
    assert refused.status_code == 400
    assert "Say who at the client confirmed the hours" in refused.text
    assert fresh(sheet).status == "submitted"

    response = client.post(
        url,
        data={"version_id": sheet.version_id, "note": "Carla confirmed by phone on Monday"},
        follow_redirects=True,
    )
    assert "on Acme&#39;s behalf" in response.text
    sheet = fresh(sheet)
    assert sheet.status == "approved"
    assert sheet.decided_by_id == manager.id
    (event,) = events(sheet, "timesheet.approved")
    assert event.changes["on_behalf_of"] == [None, "Acme"]
    assert event.changes["note"] == [None, "Carla confirmed by phone on Monday"]
    portal_view = client.get(f"/timesheets/{sheet.id}").text
    assert "Carla confirmed by phone on Monday" in portal_view


def test_staff_reject_with_a_reason(client, auth, acme):
    sheet = submitted(acme["ana"])
    auth.login_as("account_manager")
    url = f"/timesheets/{sheet.id}/reject"
    assert client.post(url, data={"version_id": sheet.version_id}).status_code == 400
    response = client.post(url, data={"version_id": sheet.version_id, "reason": "Wrong week"})
    assert response.status_code == 302
    assert fresh(sheet).status == "rejected"
    (event,) = events(sheet, "timesheet.rejected")
    assert event.changes["on_behalf_of"] == [None, "Acme"]


def week_form(days: dict[int, tuple[str, str]], version: str = "0", **extra) -> dict:
    """The editor's post: {weekday: (hours, note)} of last week."""
    data = {"version_id": version, **extra}
    for row, (k, (hours, note)) in enumerate(sorted(days.items())):
        data[f"days-{row}-work_date"] = (LAST_WEEK + timedelta(days=k)).isoformat()
        data[f"days-{row}-hours"] = hours
        data[f"days-{row}-note"] = note
    return data


def test_an_account_manager_enters_and_submits_a_week_for_the_engineer(client, auth, acme):
    placement = acme["ana"]
    manager = auth.login_as("account_manager")
    url = f"/timesheets/placements/{placement.id}/weeks/{LAST_WEEK.isoformat()}"

    page = client.get(url)
    assert page.status_code == 200
    assert page.text.count('name="days-') == 7 * 3  # a row per day: date, hours, note

    draft = client.post(url, data=week_form({0: ("8", ""), 1: ("7:30", "Late start")}, save="y"))
    assert draft.status_code == 302
    sheet = timesheets.find(placement.id, LAST_WEEK)
    assert sheet.status == "draft"
    assert sheet.total_hours == Decimal("15.5")
    assert 'value="7.5"' in client.get(url).text  # as typed back, not 7.50

    days = dict.fromkeys(range(5), ("8", ""))
    response = client.post(
        url, data=week_form(days, str(sheet.version_id), submit="y"), follow_redirects=True
    )
    assert "submitted on their behalf" in response.text
    sheet = fresh(sheet)
    assert sheet.status == "submitted"
    assert sheet.submitted_by_id == manager.id
    assert sheet.total_hours == Decimal(40)
    for action in ("timesheet.saved", "timesheet.submitted"):
        assert all(
            e.changes["on_behalf_of"] == [None, "Ana Beatriz Souza"] for e in events(sheet, action)
        )
    asked = db.session.scalars(
        sa.select(Notification.user_id).where(Notification.kind == "timesheet_submitted")
    ).all()
    assert acme["user"].id in asked
    assert client.get(url).status_code == 302  # a submitted week opens on its own page


@pytest.mark.parametrize(
    ("days", "status", "message"),
    [
        ({0: ("25", "")}, 409, "must be more than 0 and at most 24"),
        ({0: ("-1", "")}, 409, "must be more than 0 and at most 24"),
        ({0: ("7.3", "")}, 409, "quarter hours"),
        (
            dict.fromkeys(range(5), ("13", "")),
            409,
            "65 hours in a week is more than the 60 allowed",
        ),
        ({0: ("eight", "")}, 400, "is not a number of hours"),
        ({0: ("", "A note alone")}, 400, "Enter the hours of this day, or clear its note"),
        ({8: ("8", "")}, 409, "is not in the week of"),
    ],
)
def test_the_on_behalf_editor_refuses_bad_hours(client, auth, acme, days, status, message):
    auth.login_as("account_manager")
    url = f"/timesheets/placements/{acme['ana'].id}/weeks/{LAST_WEEK.isoformat()}"
    response = client.post(url, data=week_form(days, save="y"))
    assert response.status_code == status
    assert message in response.text
    assert timesheets.find(acme["ana"].id, LAST_WEEK) is None


def test_the_editor_refuses_to_overwrite_a_week_someone_saved_meanwhile(client, auth, acme):
    auth.login_as("account_manager")
    url = f"/timesheets/placements/{acme['ana'].id}/weeks/{LAST_WEEK.isoformat()}"
    submitted_meanwhile = submitted(acme["ana"])  # the form was opened on an empty week ("0")
    response = client.post(url, data=week_form({0: ("1", "")}, save="y"))
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert fresh(submitted_meanwhile).total_hours == Decimal(40)


def test_the_editor_opens_only_weeks_of_the_placement_that_began(client, auth, acme):
    auth.login_as("account_manager")
    base = f"/timesheets/placements/{acme['ana'].id}/weeks"
    next_week = week_of(TODAY) + timedelta(days=7)
    long_ago = week_of(TODAY) - timedelta(weeks=30)
    for week in (
        next_week.isoformat(),
        long_ago.isoformat(),
        "2026-02-31",
        "x",
        (LAST_WEEK + timedelta(1)).isoformat(),
    ):
        assert client.get(f"{base}/{week}").status_code == 404, week
    assert client.get(f"/timesheets/placements/999999/weeks/{LAST_WEEK}").status_code == 404


# --- the placement page and the dashboard -------------------------------------------------------


def test_the_placement_page_shows_its_weeks_and_the_hours_health(client, auth, acme):
    placement = acme["ana"]
    approved = submitted(placement, TWO_WEEKS_AGO - timedelta(days=7), "2")  # low hours
    with transaction():
        timesheets.approve(fresh(approved), acme["user"], today=TODAY)
    rejected = submitted(placement, TWO_WEEKS_AGO)
    with transaction():
        timesheets.reject(fresh(rejected), acme["user"], "Too many", today=TODAY)
    waiting = submitted(placement)
    auth.login_as("account_manager")

    page = client.get(f"/placements/{placement.id}").text

    section = page[page.index('id="hours"') :]
    assert "40 h expected a week" in section
    rows = dict(re.findall(r'data-week="([\d-]+)">(.*?)</tr>', section, re.S))
    assert len(rows) == 11  # this week and the ten before it, newest first
    assert "Submitted" in rows[LAST_WEEK.isoformat()]
    assert f'href="/timesheets/{waiting.id}"' in rows[LAST_WEEK.isoformat()]
    assert "Rejected" in rows[TWO_WEEKS_AGO.isoformat()]
    assert "Enter hours" in rows[TWO_WEEKS_AGO.isoformat()]
    earlier = (TWO_WEEKS_AGO - timedelta(days=14)).isoformat()
    assert "Missing" in rows[earlier]
    assert "Enter hours" in rows[earlier]
    assert "a timesheet was rejected" in section
    assert "weeks without a submitted timesheet" in section, section[:3000]


def test_the_dashboard_lists_the_timesheets_waiting_longest(client, auth, acme):
    auth.login_as("account_manager")
    empty = client.get("/dashboard/").text
    assert "No timesheet waits for a client" in empty
    sheet = submitted(acme["ana"])

    page = client.get("/dashboard/").text

    card = page[page.index('data-testid="waiting-timesheets"') :]
    assert "Ana Beatriz Souza" in card
    assert "Acme" in card
    assert f'href="/timesheets/{sheet.id}"' in card
    assert "0 days" in card
    assert "in 5 business days" in card


# --- hours per week when a placement is created ----------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "status"),
    [("37.5", 302), ("", 302), ("0", 400), ("80.5", 400), ("37.3", 400), ("NaN", 400)],
)
def test_a_placement_is_created_with_its_hours_per_week(client, auth, make, hours, status):
    proposal = make.proposal(status="accepted")
    auth.login_as("account_manager")
    response = client.post(
        f"/proposals/{proposal.id}/placement",
        data={
            "start_date": (TODAY + timedelta(days=7)).isoformat(),
            "pay_rate": "50",
            "bill_rate": "80",
            "review_cadence_days": "14",
            "hours_per_week": hours,
        },
    )
    assert response.status_code == status, response.text
    placement = db.session.scalar(sa.select(Placement))
    if status == 302:
        assert placement.hours_per_week == Decimal(hours or 40)
    else:
        assert placement is None
