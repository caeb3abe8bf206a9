"""Staffing requests: list, export, profile, create, edit, status moves — and every refusal."""

import csv
import io
import re
from datetime import date, time, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import AuditEvent, StaffingRequest, utcnow
from tracker.services import clients, staffing_requests
from tracker.services.staffing_requests import REQUEST_MOVES

IN_A_MONTH = date.today() + timedelta(days=30)


def request_form(client, skills=None, **kw):
    """A valid create/edit submission; skills are (skill, level, "must"|"nice") rows."""
    data = {
        "client_id": client.id,
        "title": "Senior ML engineer",
        "description": "Ranking models for search.",
        "seniority": "senior",
        "headcount": "2",
        "start_date": IN_A_MONTH.isoformat(),
        "duration_weeks": "26",
        "use_client_hours": "y",
        "timezone": "",
        "workday_start": "",
        "workday_end": "",
        "min_overlap_hours": "4",
        "max_bill_rate": "95.00",
        "priority": "normal",
    }
    for i, (skill, level, importance) in enumerate(skills or ()):
        data[f"skill_rows-{i}-skill_id"] = skill.id if skill else ""
        data[f"skill_rows-{i}-min_level"] = str(level)
        data[f"skill_rows-{i}-importance"] = importance
    data.update(kw)
    return {k: v for k, v in data.items() if v is not None}  # None: leave the field out


def all_requests():
    return db.session.scalars(sa.select(StaffingRequest).order_by(StaffingRequest.id)).all()


def events(action):
    return db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


@pytest.fixture
def acme(make):
    return make.client(
        name="Acme Robotics",
        timezone="Europe/Berlin",
        workday_start=time(8),
        workday_end=time(16, 30),
    )


@pytest.fixture
def python(make):
    return make.skill("Python")


@pytest.fixture
def pytorch(make):
    return make.skill("PyTorch")


# --- create ----------------------------------------------------------------------------------


def test_create_makes_a_draft_and_records_history(client, auth, acme, python, pytorch):
    am = auth.login_as("account_manager")
    form = request_form(acme, skills=[(python, 4, "must"), (pytorch, 3, "nice"), (None, 3, "must")])

    response = client.post("/requests/new", data=form)

    assert response.status_code == 302
    [created] = all_requests()
    assert response.headers["Location"] == f"/requests/{created.id}"
    assert (created.status, created.created_by_id, created.headcount) == ("draft", am.id, 2)
    assert created.timezone is None  # the client's hours apply
    assert created.max_bill_rate == Decimal("95.00")
    assert {(s.skill.name, s.min_level, s.required) for s in created.skills} == {
        ("Python", 4, True),
        ("PyTorch", 3, False),
    }
    [event] = events("request.created")
    assert event.actor_id == am.id
    assert event.changes["client"] == [None, "Acme Robotics"]
    assert event.changes["status"] == [None, "draft"]
    assert event.changes["skills"] == [None, "Python ≥4 (must), PyTorch ≥3 (nice)"]
    page = client.get(f"/requests/{created.id}").text
    assert "created as a draft" in page
    assert "Senior ML engineer" in page


def test_create_and_open_opens_it_and_records_both_steps(client, auth, acme, python):
    auth.login_as("account_manager")
    form = request_form(acme, skills=[(python, 4, "must")], open_now="Create and open")

    response = client.post("/requests/new", data=form, follow_redirects=True)

    assert "created as open" in response.text
    [created] = all_requests()
    assert created.status == "open"
    assert events("request.created")[0].changes["status"] == [None, "draft"]
    assert events("request.status_changed")[0].changes == {"status": ["draft", "open"]}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start_date": (date.today() - timedelta(days=1)).isoformat()}, "is in the past"),
        ({"headcount": "0"}, "Headcount must be between 1 and 100."),
        ({"duration_weeks": "0"}, "Duration must be 1 to 520 weeks."),
        (
            {"use_client_hours": None, "timezone": "Mars/Olympus_Mons"},
            "is not a time zone we know",
        ),
        (
            {"use_client_hours": None, "workday_start": "09:00", "workday_end": "09:00"},
            "The end of the working day must differ from its start.",
        ),
        (
            {"use_client_hours": None, "timezone": "", "workday_start": ""},
            "Required unless you use the client&#39;s time zone and hours.",
        ),
        ({"skill_rows-0-min_level": "6"}, "A level goes from 1 to 5."),
        ({"min_overlap_hours": "4.25"}, "Give the overlap in half hours"),
        ({"min_overlap_hours": "25"}, "Overlap is 0 to 24 hours."),
        ({"max_bill_rate": "-1"}, "Enter an amount of zero or more."),
        ({"title": ""}, "This field is required."),
        ({"client_id": ""}, "Choose the client this request is for."),
    ],
)
def test_bad_input_gets_the_form_back_and_saves_nothing(
    client, auth, acme, python, overrides, message
):
    auth.login_as("account_manager")
    form = request_form(
        acme,
        skills=[(python, 4, "must")],
        timezone="America/Chicago",
        workday_start="09:00",
        workday_end="17:00",
    )
    form.update(overrides)
    form = {k: v for k, v in form.items() if v is not None}

    response = client.post("/requests/new", data=form)

    assert response.status_code == 400
    assert message in response.text
    assert 'value="Senior ML engineer"' in response.text or overrides.get("title") == ""
    assert all_requests() == []


def test_own_hours_are_saved_when_the_clients_are_not_used(client, auth, acme, python):
    auth.login_as("account_manager")
    form = request_form(
        acme,
        skills=[(python, 4, "must")],
        use_client_hours=None,
        timezone="America/Chicago",
        workday_start="22:00",
        workday_end="06:00",
    )
    assert client.post("/requests/new", data=form).status_code == 302
    [created] = all_requests()
    assert (created.timezone, created.workday_start, created.workday_end) == (
        "America/Chicago",
        time(22),
        time(6),
    )


def test_hours_typed_while_using_the_clients_are_ignored(client, auth, acme, python):
    auth.login_as("account_manager")
    form = request_form(acme, skills=[(python, 4, "must")], timezone="Nowhere/Atlantis")
    assert client.post("/requests/new", data=form).status_code == 302
    assert all_requests()[0].timezone is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            lambda py, pt: [(py, 4, "must"), (pt, 3, "nice"), (py, 2, "nice")],
            "Python is listed twice; keep one row per skill.",
        ),
        (lambda py, pt: [(py, 4, "nice"), (pt, 3, "nice")], "Add at least one must-have skill"),
        (lambda py, pt: [(None, 4, "must")], "Add at least one must-have skill"),
    ],
)
def test_skill_lists_that_break_the_rules_are_refused(
    client, auth, acme, python, pytorch, rows, message
):
    auth.login_as("account_manager")
    response = client.post("/requests/new", data=request_form(acme, skills=rows(python, pytorch)))
    assert response.status_code == 400
    assert message in response.text
    assert all_requests() == []
    assert events("request.created") == []


def test_add_another_skill_adds_a_row_and_saves_nothing(client, auth, acme, python, pytorch):
    auth.login_as("account_manager")
    form = request_form(
        acme, skills=[(python, 5, "must"), (pytorch, 2, "nice")], add_skill="Add another skill"
    )

    response = client.post("/requests/new", data=form)

    assert response.status_code == 200
    assert 'name="skill_rows-2-skill_id"' in response.text
    assert 'name="skill_rows-3-skill_id"' not in response.text
    assert 'value="Senior ML engineer"' in response.text  # what was typed is kept
    assert f'<option selected value="{pytorch.id}">PyTorch</option>' in response.text
    assert "is-invalid" not in response.text  # not validated yet, so no errors shown
    assert all_requests() == []


def test_new_form_offers_active_clients_and_preselects_one(client, auth, make, acme):
    auth.login_as("account_manager")
    make.client(name="Gone Corp", archived_at=utcnow())
    page = client.get(f"/requests/new?client_id={acme.id}").text
    assert f'<option selected value="{acme.id}">Acme Robotics</option>' in page
    assert "Gone Corp" not in page
    assert page.count('name="skill_rows-') >= 3 * 3  # three blank rows to start with
    assert "Create and open" in page


def test_a_request_for_an_archived_client_is_refused(client, auth, make, python):
    auth.login_as("account_manager")
    gone = make.client(name="Gone Corp", archived_at=utcnow())
    response = client.post("/requests/new", data=request_form(gone, skills=[(python, 4, "must")]))
    assert response.status_code == 400
    assert all_requests() == []


# --- detail ----------------------------------------------------------------------------------


def test_detail_shows_the_clients_hours_when_the_request_has_none(client, auth, make, acme):
    auth.login_as("account_manager")
    req = make.request(
        client=acme,
        skills={"Python": (4, True), "PyTorch": (3, False)},
        min_overlap_hours=Decimal("4.5"),
        max_bill_rate=Decimal("88.00"),
        duration_weeks=None,
    )
    page = client.get(f"/requests/{req.id}").text
    assert "Europe/Berlin (the client&#39;s)" in page
    assert "08:00–16:30 local (the client&#39;s)" in page
    assert "4.5 h a day" in page
    assert "$88.00/h" in page
    assert "open-ended" in page
    assert f'href="/clients/{acme.id}"' in page
    must, nice = page.split("Must-have", 1)[1].split("Nice-to-have", 1)
    assert "Python" in must
    assert "PyTorch" in nice


def test_detail_shows_the_requests_own_hours(client, auth, make, acme):
    auth.login_as("account_manager")
    req = make.request(
        client=acme, timezone="America/Denver", workday_start=time(7), workday_end=time(15)
    )
    page = client.get(f"/requests/{req.id}").text
    assert "America/Denver" in page
    assert "07:00–15:00 local" in page
    assert "the client&#39;s" not in page


def test_detail_offers_only_the_allowed_moves(client, auth, make):
    auth.login_as("account_manager")
    req = make.request(status="open")
    page = client.get(f"/requests/{req.id}").text
    offered = set(re.findall(r'name="status" value="(\w+)"', page))
    assert offered == set(REQUEST_MOVES["open"])
    assert "data-confirm=" in page.split('value="closed"')[0].rsplit("<form", 1)[1]
    closed = make.request(status="closed")
    page = client.get(f"/requests/{closed.id}").text
    assert 'name="status"' not in page


def test_detail_lists_proposals_and_placements(client, auth, make):
    auth.login_as("account_manager")
    req = make.request()
    proposal = make.proposal(request=req, status="declined", decline_reason="rate")
    placement = make.placement(request=req)
    page = client.get(f"/requests/{req.id}").text
    assert proposal.engineer.full_name in page
    assert "Rate above budget" in page
    assert placement.engineer.full_name in page
    assert "1 of 1 seats taken" in page


def test_unknown_request_is_404(client, auth):
    auth.login_as("account_manager")
    assert client.get("/requests/999").status_code == 404
    assert client.get("/requests/999/edit").status_code == 404
    assert client.post("/requests/999/status", data={"status": "open"}).status_code == 404


def test_client_users_get_403_everywhere(client, auth, make):
    user = auth.login_as("client")
    req = make.request(client=user.client, status="draft")
    for url in ("/requests/", "/requests/export.csv", "/requests/new", f"/requests/{req.id}"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/requests/{req.id}/status", data={"status": "open"}).status_code == 403
    assert client.post(f"/requests/{req.id}/edit", data={"title": "x"}).status_code == 403
    db.session.refresh(req)
    assert req.status == "draft"


# --- edit ------------------------------------------------------------------------------------


def edit_form(req, skills, **kw):
    """The edit form as opened on the request, with the given skill rows and changes."""
    current = {
        "version_id": req.version_id,
        "title": req.title,
        "description": req.description or "",
        "seniority": req.seniority,
        "headcount": str(req.headcount),
        "start_date": req.start_date.isoformat(),
        "duration_weeks": str(req.duration_weeks or ""),
        "min_overlap_hours": str(req.min_overlap_hours),
        "max_bill_rate": str(req.max_bill_rate or ""),
        "priority": req.priority,
    }
    return request_form(req.client, skills=skills, **{**current, **kw})


def test_edit_form_shows_current_values_and_skills(client, auth, make, acme):
    auth.login_as("account_manager")
    req = make.request(client=acme, title="Vision lead", skills={"Python": (4, True)})
    page = client.get(f"/requests/{req.id}/edit").text
    assert 'value="Vision lead"' in page
    assert f'<option selected value="{req.skills[0].skill_id}">Python</option>' in page
    assert 'name="skill_rows-1-skill_id"' in page  # one blank row to add a skill
    assert "Create and open" not in page


def test_edit_records_old_and_new_values_with_skills(client, auth, make, acme, python, pytorch):
    auth.login_as("account_manager")
    req = make.request(client=acme, title="Vision lead", skills={"Python": (4, True)})

    response = client.post(
        f"/requests/{req.id}/edit",
        data=edit_form(req, [(python, 5, "must"), (pytorch, 3, "nice")], title="Vision lead (LLM)"),
    )

    assert response.status_code == 302
    db.session.refresh(req)
    assert req.title == "Vision lead (LLM)"
    assert {(s.skill.name, s.min_level) for s in req.skills} == {("Python", 5), ("PyTorch", 3)}
    [event] = events("request.updated")
    assert event.changes["title"] == ["Vision lead", "Vision lead (LLM)"]
    assert event.changes["skills"] == [
        "Python ≥4 (must)",
        "Python ≥5 (must), PyTorch ≥3 (nice)",
    ]
    page = client.get(f"/requests/{req.id}").text
    assert "<del>Vision lead</del> → Vision lead (LLM)" in page
    assert "<del>Python ≥4 (must)</del> → Python ≥5 (must), PyTorch ≥3 (nice)" in page


def test_saving_an_unchanged_form_records_nothing(client, auth, make, acme, python):
    auth.login_as("account_manager")
    req = make.request(client=acme, skills={"Python": (4, True)})
    response = client.post(
        f"/requests/{req.id}/edit",
        data=edit_form(req, [(python, 4, "must")]),
        follow_redirects=True,
    )
    assert "Nothing changed." in response.text
    assert events("request.updated") == []


def test_a_past_start_date_may_stay_but_not_be_chosen(client, auth, make, acme, python):
    auth.login_as("account_manager")
    started = date.today() - timedelta(days=20)
    req = make.request(client=acme, start_date=started, skills={"Python": (4, True)})

    kept = client.post(
        f"/requests/{req.id}/edit", data=edit_form(req, [(python, 4, "must")], headcount="3")
    )
    assert kept.status_code == 302

    db.session.refresh(req)
    moved = client.post(
        f"/requests/{req.id}/edit",
        data=edit_form(
            req, [(python, 4, "must")], start_date=(started - timedelta(days=1)).isoformat()
        ),
    )
    assert moved.status_code == 400
    assert "is in the past" in moved.text
    db.session.refresh(req)
    assert (req.start_date, req.headcount) == (started, 3)


def test_second_of_two_concurrent_edits_is_refused_and_the_form_kept(client, auth, make, python):
    auth.login_as("account_manager")
    req = make.request(title="Vision lead", skills={"Python": (4, True)})
    opened = edit_form(req, [(python, 4, "must")])

    first = client.post(f"/requests/{req.id}/edit", data={**opened, "title": "First edit"})
    assert first.status_code == 302

    second = client.post(f"/requests/{req.id}/edit", data={**opened, "title": "Second edit"})

    assert second.status_code == 409
    assert "changed by someone else since you opened it" in second.text
    assert 'value="Second edit"' in second.text
    assert "Load the current version" in second.text
    db.session.refresh(req)
    assert req.title == "First edit"


def test_a_concurrent_edit_of_the_skills_alone_is_caught(client, auth, make, python, pytorch):
    auth.login_as("account_manager")
    req = make.request(title="Vision lead", skills={"Python": (4, True)})
    opened = edit_form(req, [(python, 4, "must")])

    first = client.post(
        f"/requests/{req.id}/edit", data=edit_form(req, [(python, 4, "must"), (pytorch, 2, "nice")])
    )
    assert first.status_code == 302

    second = client.post(f"/requests/{req.id}/edit", data={**opened, "headcount": "3"})

    assert second.status_code == 409
    db.session.refresh(req)
    assert len(req.skills) == 2
    assert req.headcount == 1


def test_the_client_is_fixed_once_engineers_are_proposed(client, auth, make, acme, python):
    auth.login_as("account_manager")
    other = make.client(name="Globex")
    req = make.request(client=acme, skills={"Python": (4, True)})
    make.proposal(request=req)

    page = client.get(f"/requests/{req.id}/edit").text
    assert "The client is fixed" in page

    response = client.post(
        f"/requests/{req.id}/edit", data=edit_form(req, [(python, 4, "must")], client_id=other.id)
    )

    assert response.status_code == 409
    assert "The client cannot change: engineers have already been proposed" in response.text
    db.session.refresh(req)
    assert req.client_id == acme.id
    assert events("request.updated") == []


def test_the_client_may_change_before_anyone_is_proposed(client, auth, make, acme, python):
    auth.login_as("account_manager")
    other = make.client(name="Globex")
    req = make.request(client=acme, skills={"Python": (4, True)})
    response = client.post(
        f"/requests/{req.id}/edit", data=edit_form(req, [(python, 4, "must")], client_id=other.id)
    )
    assert response.status_code == 302
    db.session.refresh(req)
    assert req.client_id == other.id
    assert events("request.updated")[0].changes["client"] == ["Acme Robotics", "Globex"]


# --- status moves ----------------------------------------------------------------------------


def move(client, req, status, version=None):
    return client.post(
        f"/requests/{req.id}/status",
        data={"status": status, "version_id": version or req.version_id},
        follow_redirects=True,
    )


@pytest.mark.parametrize(
    ("start", "target"),
    [(s, t) for s, targets in REQUEST_MOVES.items() for t in targets],
)
def test_every_allowed_move_is_made_and_recorded(client, auth, make, start, target):
    am = auth.login_as("account_manager")
    req = make.request(status=start)
    response = move(client, req, target)
    assert response.status_code == 200
    db.session.refresh(req)
    assert req.status == target
    [event] = events("request.status_changed")
    assert (event.actor_id, event.changes) == (am.id, {"status": [start, target]})


@pytest.mark.parametrize(
    ("start", "target", "message"),
    [
        ("closed", "open", "A request cannot go from closed to open; closed is final."),
        ("cancelled", "open", "A request cannot go from cancelled to open; cancelled is final."),
        (
            "draft",
            "filled",
            "A request cannot go from draft to filled; from draft it can go to open or cancelled.",
        ),
        ("on_hold", "filled", "A request cannot go from on hold to filled"),
        ("open", "open", "The request is already open."),
        ("open", "archived", "“archived” is not a request status."),
    ],
)
def test_a_move_outside_the_table_is_refused_and_changes_nothing(
    client, auth, make, start, target, message
):
    auth.login_as("account_manager")
    req = make.request(status=start)
    version = req.version_id

    response = move(client, req, target)

    assert message in response.text
    db.session.refresh(req)
    assert (req.status, req.version_id) == (start, version)
    assert events("request.status_changed") == []


def test_a_move_from_a_stale_page_is_refused(client, auth, make):
    auth.login_as("account_manager")
    req = make.request(status="open")
    stale = req.version_id
    move(client, req, "on_hold")

    response = move(client, req, "closed", version=stale)

    assert "changed by someone else since you opened it" in response.text
    db.session.refresh(req)
    assert req.status == "on_hold"


# --- list and export -------------------------------------------------------------------------


@pytest.fixture
def three_requests(make):
    acme = make.client(name="Acme Robotics")
    globex = make.client(name="Globex Health")
    make.request(
        client=acme,
        title="Computer vision engineer",
        priority="low",
        seniority="mid",
        start_date=date.today() + timedelta(days=10),
    )
    make.request(
        client=globex,
        title="LLM platform lead",
        priority="urgent",
        status="on_hold",
        start_date=date.today() + timedelta(days=40),
    )
    make.request(
        client=globex,
        title="Data engineer",
        priority="high",
        status="draft",
        start_date=date.today() + timedelta(days=5),
    )
    return acme, globex


def test_list_searches_title_and_client_name(client, auth, three_requests):
    auth.login_as("account_manager")
    page = client.get("/requests/?q=VISION").text
    assert "Computer vision engineer" in page
    assert "LLM platform lead" not in page
    page = client.get("/requests/?q=globex").text
    assert "LLM platform lead" in page
    assert "Data engineer" in page
    assert "Computer vision engineer" not in page


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("status=on_hold", "LLM platform lead", "Data engineer"),
        ("priority=low", "Computer vision engineer", "LLM platform lead"),
        ("seniority=mid", "Computer vision engineer", "Data engineer"),
    ],
)
def test_list_filters(client, auth, three_requests, query, shown, hidden):
    auth.login_as("account_manager")
    page = client.get(f"/requests/?{query}").text
    assert shown in page
    assert hidden not in page


def test_list_filters_by_client(client, auth, three_requests):
    auth.login_as("account_manager")
    acme, _globex = three_requests
    page = client.get(f"/requests/?client_id={acme.id}").text
    assert "Computer vision engineer" in page
    assert "Data engineer" not in page


def test_list_sorts_urgent_first_by_default_and_by_any_column(client, auth, three_requests):
    auth.login_as("account_manager")
    titles = ("LLM platform lead", "Data engineer", "Computer vision engineer")

    def order(url):
        page = client.get(url).text
        return tuple(sorted(titles, key=page.index))

    assert order("/requests/") == titles  # urgent, high, low
    assert order("/requests/?sort=-priority") == titles[::-1]
    assert order("/requests/?sort=start") == (titles[1], titles[2], titles[0])
    assert order("/requests/?sort=title") == (titles[2], titles[1], titles[0])
    assert order("/requests/?sort=-client")[0] in titles[:2]  # Globex before Acme
    assert order("/requests/?sort=-client")[2] == titles[2]
    assert order("/requests/?sort=status") == (titles[1], titles[2], titles[0])  # draft, open…
    assert order("/requests/?sort=nonsense") == titles


def test_list_rows_show_the_essentials(client, auth, make):
    auth.login_as("account_manager")
    make.request(
        title="Open-ended role", duration_weeks=None, headcount=3, skills={"Python": (4, True)}
    )
    page = client.get("/requests/").text
    assert "open-ended" in page
    assert "Python ≥4" in page
    assert '<span class="badge rounded-pill text-bg-info">Normal</span>' in page


def test_empty_list_tells_no_requests_from_no_match(client, auth, make):
    auth.login_as("account_manager")
    assert "No staffing requests yet" in client.get("/requests/").text
    make.request(title="Vision lead")
    page = client.get("/requests/?q=nothing-like-this").text
    assert "No request matches these filters." in page
    assert "No staffing requests yet" not in page


def test_bad_filter_values_are_ignored_not_an_error(client, auth, three_requests):
    auth.login_as("account_manager")
    response = client.get("/requests/?status=bogus&client_id=abc&page=99")
    assert response.status_code == 200


def read_csv(response):
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def export(client, url):
    # Read the streamed body while the request's context is still there.
    return client.get(url, buffered=True)


def test_export_honours_filters_and_gives_effective_hours(client, auth, make, three_requests):
    auth.login_as("account_manager")
    _acme, globex = three_requests
    own = make.request(
        client=globex,
        title="Night shift MLOps",
        status="on_hold",
        timezone="Asia/Tokyo",
        workday_start=time(22),
        workday_end=time(6),
        min_overlap_hours=Decimal("3.5"),
        max_bill_rate=Decimal("120.00"),
        skills={"Python": (4, True), "Kubernetes": (3, True), "Go": (2, False)},
    )
    page = client.get("/requests/?status=on_hold")
    assert 'href="/requests/export.csv?status=on_hold"' in page.text

    response = export(client, "/requests/export.csv?status=on_hold&sort=title")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = read_csv(response)
    assert [r["title"] for r in rows] == ["LLM platform lead", "Night shift MLOps"]
    client_hours, own_hours = rows
    assert (client_hours["timezone"], client_hours["workday_start"]) == (
        "America/New_York",
        "09:00",
    )
    assert own_hours == {
        **own_hours,
        "id": str(own.id),
        "client": "Globex Health",
        "status": "on_hold",
        "timezone": "Asia/Tokyo",
        "workday_start": "22:00",
        "workday_end": "06:00",
        "min_overlap_hours": "3.5",
        "max_bill_rate": "120.00",
        "must_have": "Kubernetes:3;Python:4",
        "nice_to_have": "Go:2",
        "duration_weeks": "26",
    }
    assert list(rows[0]) == [
        "id",
        "title",
        "client",
        "status",
        "priority",
        "seniority",
        "headcount",
        "start_date",
        "duration_weeks",
        "timezone",
        "workday_start",
        "workday_end",
        "min_overlap_hours",
        "max_bill_rate",
        "must_have",
        "nice_to_have",
        "created_at",
    ]


# --- queries stay bounded --------------------------------------------------------------------


def test_list_queries_do_not_grow_with_rows(client, auth, make, count_queries):
    auth.login_as("account_manager")
    clients = [make.client() for _ in range(3)]

    def fill(n):
        for i in range(n):
            make.request(client=clients[i % 3], skills={"Python": (4, True), "SQL": (3, False)})

    fill(10)
    with count_queries() as small:
        assert client.get("/requests/").status_code == 200
    fill(190)
    with count_queries() as large:
        response = client.get("/requests/?per_page=200")
    assert response.text.count("Python ≥4") == 200
    assert large.count == small.count


def test_export_reads_in_batches_not_per_row(client, auth, make, count_queries, monkeypatch):
    monkeypatch.setattr(staffing_requests, "EXPORT_BATCH", 8)
    auth.login_as("account_manager")
    for i in range(30):
        make.request(title=f"Role {i:02d}", skills={"Python": (4, True), "SQL": (i % 5 + 1, False)})
    with count_queries() as counter:
        rows = read_csv(export(client, "/requests/export.csv?sort=title"))
    assert [r["title"] for r in rows] == [f"Role {i:02d}" for i in range(30)]
    assert [r["nice_to_have"] for r in rows[:6]] == [f"SQL:{i % 5 + 1}" for i in range(6)]
    assert all(r["must_have"] == "Python:4" for r in rows)
    assert counter.count <= 14  # rows, clients, skills per batch of 8: not a few per row


def test_detail_queries_do_not_grow_with_proposals(client, auth, make, count_queries):
    auth.login_as("account_manager")
    req = make.request(skills={"Python": (4, True)})

    def propose(n):
        for _ in range(n):
            make.proposal(request=req)
            make.placement(request=req, status="ended", end_reason="completed")

    propose(2)
    with count_queries() as small:
        assert client.get(f"/requests/{req.id}").status_code == 200
    propose(18)
    with count_queries() as large:
        page = client.get(f"/requests/{req.id}").text
    assert page.count("Dev") >= 40
    assert large.count == small.count


class FormReader(HTMLParser):
    """The values a browser would submit for the first POST form on a page (no button)."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "checkbox"):
            self.values[name] = a.get("value") or ""
        elif tag == "input" and name and a.get("type") == "checkbox" and "checked" in a:
            self.values[name] = a.get("value") or "y"
        elif tag == "select":
            self._select = name
        elif (
            tag == "option"
            and self._select
            and ("selected" in a or self._select not in self.values)
        ):
            self.values[self._select] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def submitted_values(page: str) -> dict[str, str]:
    form = page[page.index('<form method="post" action=""') :]
    reader = FormReader()
    reader.feed(form[: form.index("</form>")])
    return {k: v.removeprefix("\n") for k, v in reader.values.items()}


@pytest.mark.parametrize("own_hours", [False, True])
def test_saving_the_edit_form_as_rendered_changes_nothing(client, auth, make, own_hours):
    auth.login_as("account_manager")
    hours = dict(timezone="Asia/Tokyo", workday_start=time(22), workday_end=time(6, 30))
    req = make.request(
        skills={"Python": (4, True), "Go": (2, False)},
        description="Line one\nline two",
        min_overlap_hours=Decimal("4.5"),
        max_bill_rate=Decimal("99.50"),
        **(hours if own_hours else {}),
    )
    values = submitted_values(client.get(f"/requests/{req.id}/edit").text)
    assert ("use_client_hours" in values) is not own_hours

    response = client.post(f"/requests/{req.id}/edit", data=values, follow_redirects=True)

    assert "Nothing changed." in response.text
    assert events("request.updated") == []


def test_the_list_shows_active_requests_unless_asked_for_all(client, auth, make):
    auth.login_as("account_manager")
    make.request(title="Still open", status="open")
    make.request(title="Long closed", status="closed")
    default = client.get("/requests/").text
    assert "Still open" in default
    assert "Long closed" not in default
    everything = client.get("/requests/?status=all").text
    assert "Long closed" in everything
    assert "Long closed" in client.get("/requests/?status=closed").text


def test_only_closed_requests_point_to_any_status(client, auth, make):
    auth.login_as("account_manager")
    make.request(title="Long closed", status="closed")
    page = client.get("/requests/").text
    assert "Filled, closed and cancelled ones are under “Any status”." in page


def test_the_client_filter_offers_only_the_chosen_client_when_there_are_many(
    client, auth, make, monkeypatch
):
    monkeypatch.setattr(clients, "FILTER_CHOICES_LIMIT", 2)
    auth.login_as("account_manager")
    acme, globex, _ = (make.client(name=n) for n in ("Acme", "Globex", "Initech"))
    make.request(title="Acme role", client=acme)
    make.request(title="Globex role", client=globex)
    page = client.get("/requests/").text
    assert ">Globex</option>" not in page
    narrowed = client.get(f"/requests/?client_id={globex.id}").text
    assert ">Globex</option>" in narrowed
    assert ">Acme</option>" not in narrowed
    assert "Globex role" in narrowed
    assert "Acme role" not in narrowed


@pytest.mark.parametrize("url", ["/requests/new", "/portal/requests/new"])
def test_enter_in_the_request_form_saves_rather_than_adding_a_skill_row(client, auth, make, url):
    """Issue 12.6: a browser's Enter presses the form's first submit button."""
    company = make.client(name="Acme")
    auth.login_for(url, company)
    forms = [f.split("</form>")[0] for f in client.get(url).text.split('<form method="post"')]
    (form,) = [f for f in forms if 'name="add_skill"' in f]
    buttons = re.findall(r'<(?:button|input)[^>]*type="submit"[^>]*>', form)
    assert 'name="submit"' in buttons[0]
    assert any('name="add_skill"' in b for b in buttons[1:])
