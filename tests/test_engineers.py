"""Engineers: the roster list and export, profiles, vetting, archiving — and every refusal."""

import csv
import io
import re
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.infra.listing import parse_sort
from tracker.models import AuditEvent, Engineer, EngineerSkill
from tracker.services import DomainError
from tracker.services.engineer_csv import COLUMNS, SCORE_COLUMNS, parse_skills
from tracker.services.engineers import (
    SORTS,
    EngineerFilters,
    VettingInput,
    engineers_for_export,
    move_vetting,
)


def engineer_form(**kw):
    data = {
        "full_name": "Ana Souza",
        "email": "ana.souza@example.com",
        "phone": "+55 11 91234-5678",
        "country": "BR",
        "city": "Recife",
        "timezone": "America/Recife",
        "workday_start": "09:00",
        "workday_end": "18:00",
        "seniority": "senior",
        "years_experience": "8",
        "english_level": "C1",
        "hourly_rate": "55.00",
        "available_from": "",
        "notes": "Strong on retrieval pipelines.",
    }
    data.update(kw)
    return data


def vetting_form(engineer, status, **kw):
    data = {
        "status": status,
        "code_quality": "",
        "system_design": "",
        "api_integration": "",
        "communication": "",
        "vetting_notes": "",
        "version_id": engineer.version_id,
    }
    data.update(kw)
    return data


ALL_SCORES = {
    "code_quality": "4",
    "system_design": "5",
    "api_integration": "4",
    "communication": "3",
}


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def events(action: str) -> list[AuditEvent]:
    stmt = sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.session.scalars(stmt))


def sourced(make, **kw) -> Engineer:
    """An engineer at the start of vetting, without scores."""
    scores = dict.fromkeys(("code_quality", "system_design", "api_integration", "communication"))
    return make.engineer(**{"vetting_status": "sourced", "vetted_at": None, **scores, **kw})


# --- create and edit -------------------------------------------------------------------------


def test_create_engineer_starts_sourced_and_records_history(client, auth):
    am = auth.login_as("account_manager")
    response = client.post("/engineers/new", data=engineer_form(email="Ana.Souza@Example.com"))
    assert response.status_code == 302
    ana = db.session.scalar(sa.select(Engineer))
    assert response.headers["Location"] == f"/engineers/{ana.id}"
    assert ana.email == "ana.souza@example.com"  # stored lowercase
    assert (ana.vetting_status, ana.is_active) == ("sourced", True)
    assert (ana.workday_start, ana.hourly_rate) == (time(9), Decimal("55.00"))
    page = client.get(f"/engineers/{ana.id}").text
    assert "Ana Souza added to the roster as sourced." in page
    assert "Strong on retrieval pipelines." in page  # staff see internal notes
    assert "+55 11 91234-5678" in page
    (event,) = events("engineer.created")
    assert event.actor_id == am.id
    assert event.changes["full_name"] == [None, "Ana Souza"]
    assert event.changes["vetting_status"] == [None, "sourced"]


def test_new_engineer_form_offers_defaults_and_seniority_ranges(client, auth):
    auth.login_as("account_manager")
    page = client.get("/engineers/new").text
    assert "Junior (1–3 years)" in page
    assert "Senior (6+ years)" in page
    assert 'value="America/Sao_Paulo"' in page
    assert '<datalist id="iana-zones">' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus_Mons", "is not a time zone we know"),
        ("workday_end", "09:00", "The end of the working day must differ from its start."),
        ("workday_start", "25:00", "Not a valid time value."),
        ("hourly_rate", "-5", "Enter an amount of zero or more."),
        ("hourly_rate", "", "This field is required."),
        ("years_experience", "61", "Years of experience are from 0 to 60."),
        ("email", "not-an-email", "Enter an email address like ana@example.com."),
        ("english_level", "D1", "Not a valid choice."),
        ("full_name", "", "This field is required."),
        ("hourly_rate", "sNaN", "Enter a number."),
        ("hourly_rate", "Infinity", "Enter a number."),
        ("hourly_rate", "1e309", "Enter a smaller number."),
        ("hourly_rate", "100000000", "Enter an amount up to 99,999,999.99."),
        ("years_experience", "9" * 400, "Enter a smaller number."),
        ("available_from", "9999-12-31", "Enter a date between 2000 and 2100."),
        ("available_from", "1999-12-31", "Enter a date between 2000 and 2100."),
    ],
)
def test_bad_engineer_input_gets_the_form_back_and_changes_nothing(
    client, auth, field, value, message
):
    auth.login_as("account_manager")
    response = client.post("/engineers/new", data=engineer_form(**{field: value}))
    assert response.status_code == 400
    assert message in response.text
    assert count(Engineer) == 0


def test_a_value_that_is_no_number_gets_one_message_not_the_range_too(client, auth):
    auth.login_as("account_manager")
    response = client.post("/engineers/new", data=engineer_form(hourly_rate="NaN"))
    assert response.status_code == 400
    assert "Enter a number." in response.text
    assert "Enter an amount of zero or more." not in response.text


def test_duplicate_email_in_another_case_links_to_the_existing_profile(client, auth, make):
    auth.login_as("account_manager")
    existing = make.engineer(full_name="Ana <Souza>", email="ana.souza@example.com")
    response = client.post("/engineers/new", data=engineer_form(email="ANA.Souza@example.COM"))
    assert response.status_code == 409
    link = f'<a href="/engineers/{existing.id}">Ana &lt;Souza&gt;</a>'  # escaped, never marked safe
    assert f"An engineer with this email already exists: {link}" in response.text
    assert 'value="Recife"' in response.text  # the form is kept
    assert count(Engineer) == 1
    assert events("engineer.created") == []


def test_changing_the_email_to_another_engineers_is_refused(client, auth, make):
    auth.login_as("account_manager")
    other = make.engineer(full_name="Bruno Lima", email="bruno@example.com")
    ana = make.engineer(full_name="Ana Souza", email="ana@example.com")
    response = client.post(
        f"/engineers/{ana.id}/edit",
        data=engineer_form(email="Bruno@Example.com", version_id=ana.version_id),
    )
    assert response.status_code == 409
    assert f'<a href="/engineers/{other.id}">Bruno Lima</a>' in response.text
    db.session.refresh(ana)
    assert ana.email == "ana@example.com"


def test_edit_records_old_and_new_values(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer(full_name="Ana Souza", email="ana.souza@example.com", city="Recife")
    response = client.post(
        f"/engineers/{ana.id}/edit",
        data=engineer_form(city="Porto Alegre", hourly_rate="60", version_id=ana.version_id),
    )
    assert response.status_code == 302
    db.session.refresh(ana)
    assert (ana.city, ana.hourly_rate) == ("Porto Alegre", Decimal("60.00"))
    (event,) = events("engineer.updated")
    assert event.changes["city"] == ["Recife", "Porto Alegre"]
    assert event.changes["hourly_rate"] == ["50.00", "60.00"]
    page = client.get(f"/engineers/{ana.id}").text
    assert "Profile saved." in page
    assert "<del>Recife</del> → Porto Alegre" in page


def test_second_of_two_concurrent_edits_is_refused_and_the_form_kept(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer(full_name="Ana Souza", email="ana.souza@example.com")
    opened_version = ana.version_id
    first = client.post(
        f"/engineers/{ana.id}/edit",
        data=engineer_form(city="First edit", version_id=opened_version),
    )
    assert first.status_code == 302

    second = client.post(
        f"/engineers/{ana.id}/edit",
        data=engineer_form(city="Second edit", version_id=opened_version),
    )

    assert second.status_code == 409
    assert "changed by someone else since you opened it" in second.text
    assert 'value="Second edit"' in second.text
    assert "Load the current version" in second.text
    db.session.refresh(ana)
    assert ana.city == "First edit"


def test_a_damaged_version_is_refused_like_a_stale_one(client, auth, make):
    """A version_id that is no number ('abc') was a 500; it matches no version we wrote."""
    auth.login_as("account_manager")
    ana = make.engineer(full_name="Ana Souza", email="ana.souza@example.com", city="Recife")
    response = client.post(
        f"/engineers/{ana.id}/edit", data=engineer_form(city="Elsewhere", version_id="abc")
    )
    assert response.status_code == 409
    assert "changed by someone else since you opened it" in response.text
    db.session.refresh(ana)
    assert ana.city == "Recife"


# --- vetting -----------------------------------------------------------------------------------


def test_vetting_moves_through_the_pipeline_with_history(client, auth, make):
    auth.login_as("account_manager")
    ana = sourced(make)
    for status in ("screening", "technical_interview"):
        response = client.post(
            f"/engineers/{ana.id}/vetting", data=vetting_form(ana, status, vetting_notes="ok")
        )
        assert response.status_code == 302
        db.session.refresh(ana)
        assert ana.vetting_status == status
    response = client.post(
        f"/engineers/{ana.id}/vetting",
        data=vetting_form(ana, "vetted", vetting_notes="Great system design.", **ALL_SCORES),
        follow_redirects=True,
    )
    assert "is now vetted." in response.text
    db.session.refresh(ana)
    assert (ana.vetting_status, ana.system_design, ana.communication) == ("vetted", 5, 3)
    assert ana.vetted_at is not None
    changes = events("engineer.vetting_changed")[-1].changes
    assert changes["vetting_status"] == ["technical_interview", "vetted"]
    assert changes["system_design"] == [None, 5]
    assert changes["vetting_notes"] == ["ok", "Great system design."]
    assert "vetted_at" in changes


def test_revetting_goes_back_to_interview_and_clears_vetted_at(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer()  # vetted, with scores
    response = client.post(
        f"/engineers/{ana.id}/vetting",
        data=vetting_form(ana, "technical_interview", **ALL_SCORES),
    )
    assert response.status_code == 302
    db.session.refresh(ana)
    assert (ana.vetting_status, ana.vetted_at, ana.code_quality) == ("technical_interview", None, 4)


def test_rejected_engineer_can_be_reconsidered(client, auth, make):
    auth.login_as("account_manager")
    ana = sourced(make, vetting_status="rejected")
    client.post(f"/engineers/{ana.id}/vetting", data=vetting_form(ana, "sourced"))
    db.session.refresh(ana)
    assert ana.vetting_status == "sourced"


def test_profile_offers_only_the_allowed_next_steps(client, auth, make):
    auth.login_as("account_manager")
    ana = sourced(make)
    page = client.get(f"/engineers/{ana.id}").text
    assert '<option value="screening">' in page
    assert '<option value="rejected">' in page
    assert '<option value="vetted">' not in page


def test_a_move_outside_the_pipeline_is_refused_and_changes_nothing(client, auth, make):
    auth.login_as("account_manager")
    ana = sourced(make)
    response = client.post(
        f"/engineers/{ana.id}/vetting", data=vetting_form(ana, "vetted", **ALL_SCORES)
    )
    assert response.status_code == 409
    assert (
        "An engineer cannot go from sourced to vetted; next steps are screening or rejected."
        in response.text
    )
    db.session.refresh(ana)
    assert (ana.vetting_status, ana.code_quality) == ("sourced", None)
    assert events("engineer.vetting_changed") == []


def test_vetted_needs_all_four_scores(client, auth, make):
    auth.login_as("account_manager")
    ana = sourced(make, vetting_status="technical_interview")
    response = client.post(
        f"/engineers/{ana.id}/vetting",
        data=vetting_form(ana, "vetted", code_quality="4", system_design="4"),
    )
    assert response.status_code == 400
    assert response.text.count("Needed to mark the engineer vetted.") == 2
    db.session.refresh(ana)
    assert (ana.vetting_status, ana.vetted_at, ana.code_quality) == (
        "technical_interview",
        None,
        None,
    )


def test_the_pipeline_itself_refuses_vetted_without_scores(app, make):
    ana = sourced(make, full_name="Ana Souza", vetting_status="technical_interview")
    scores = {"code_quality": 4, "system_design": None, "api_integration": 4, "communication": None}
    with pytest.raises(DomainError, match="missing: system design, communication"):
        move_vetting(ana, VettingInput("vetted", scores), actor=None)


def test_a_stale_vetting_form_is_refused(client, auth, make):
    auth.login_as("account_manager")
    ana = sourced(make)
    opened = ana.version_id
    client.post(f"/engineers/{ana.id}/vetting", data=vetting_form(ana, "screening"))
    response = client.post(
        f"/engineers/{ana.id}/vetting", data=vetting_form(ana, "rejected", version_id=opened)
    )
    assert response.status_code == 409
    assert "changed by someone else since you opened it" in response.text
    db.session.refresh(ana)
    assert ana.vetting_status == "screening"


# --- archive and restore ---------------------------------------------------------------------


def test_archive_hides_an_engineer_and_restore_brings_them_back(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer(full_name="Ana Souza")
    assert "Ana Souza" in client.get("/engineers/").text
    response = client.post(f"/engineers/{ana.id}/archive", follow_redirects=True)
    assert "Ana Souza archived." in response.text
    assert "Ana Souza" not in client.get("/engineers/").text
    assert "Ana Souza" in client.get("/engineers/?show=archived").text
    response = client.post(f"/engineers/{ana.id}/restore", follow_redirects=True)
    assert "Ana Souza is back on the roster." in response.text
    db.session.refresh(ana)
    assert ana.is_active
    assert events("engineer.archived")[0].changes == {"is_active": [True, False]}
    assert events("engineer.restored")[0].changes == {"is_active": [False, True]}


def test_engineer_with_a_live_placement_cannot_be_archived(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer(full_name="Ana Souza")
    make.placement(engineer=ana, request=make.request(client=make.client(name="Acme")))
    response = client.post(f"/engineers/{ana.id}/archive", follow_redirects=True)
    assert "Ana Souza has a live placement with Acme; end it before archiving" in response.text
    db.session.refresh(ana)
    assert ana.is_active
    assert events("engineer.archived") == []


def test_an_ended_placement_does_not_block_archiving(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer()
    make.placement(
        engineer=ana,
        start=date.today() - timedelta(days=90),
        end=date.today() - timedelta(days=10),
        status="ended",
        end_reason="completed",
    )
    client.post(f"/engineers/{ana.id}/archive")
    db.session.refresh(ana)
    assert not ana.is_active


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/engineers/"),
        ("get", "/engineers/export.csv"),
        ("get", "/engineers/new"),
        ("get", "/engineers/{id}"),
        ("get", "/engineers/{id}/edit"),
        ("post", "/engineers/{id}/vetting"),
        ("post", "/engineers/{id}/archive"),
        ("post", "/engineers/{id}/skills"),
        ("get", "/engineers/skills"),
    ],
)
def test_client_users_are_kept_out(client, auth, make, method, path):
    ana = make.engineer()
    auth.login_as("client")
    response = getattr(client, method)(path.format(id=ana.id))
    assert response.status_code == 403
    assert ana.email not in response.text


def test_unknown_engineer_is_404(client, auth):
    auth.login_as("account_manager")
    assert client.get("/engineers/999").status_code == 404
    assert client.post("/engineers/999/archive").status_code == 404
    assert client.post("/engineers/999/vetting", data={}).status_code == 404


# --- the list ----------------------------------------------------------------------------------


def test_search_covers_name_email_and_skill_names(client, auth, make):
    auth.login_as("account_manager")
    make.engineer(full_name="Ana Souza", email="ana@example.com", skills={"PyTorch": 4})
    make.engineer(full_name="Bruno Lima", email="bruno@lima.dev", skills={"Go": 3})
    make.engineer(full_name="Carla Díaz", email="carla@example.com", skills={"LangChain": 5})
    page = client.get("/engineers/?q=pytorch").text
    assert "Ana Souza" in page
    assert "Bruno Lima" not in page
    page = client.get("/engineers/?q=LIMA.DEV").text
    assert "Bruno Lima" in page
    assert "Ana Souza" not in page
    page = client.get("/engineers/?q=carla").text
    assert "Carla Díaz" in page
    assert "LangChain 5" in page  # top skills with levels
    assert "No engineer matches these filters." in client.get("/engineers/?q=cobol").text


def test_skill_filter_honours_the_minimum_level(client, auth, make):
    auth.login_as("account_manager")
    make.engineer(full_name="Expert Person", skills={"PyTorch": 5})
    make.engineer(full_name="Novice Person", skills={"PyTorch": 2})
    make.engineer(full_name="Other Person", skills={"Go": 5})
    pytorch = make.skill("PyTorch")
    page = client.get(f"/engineers/?skill_id={pytorch.id}").text
    assert "Expert Person" in page
    assert "Novice Person" in page
    assert "Other Person" not in page
    page = client.get(f"/engineers/?skill_id={pytorch.id}&min_level=4").text
    assert "Expert Person" in page
    assert "Novice Person" not in page


def test_available_by_counts_no_date_as_available_now(client, auth, make):
    auth.login_as("account_manager")
    make.engineer(full_name="Free Now", available_from=None)
    make.engineer(full_name="Free Soon", available_from=date(2030, 3, 1))
    make.engineer(full_name="Free Later", available_from=date(2030, 9, 1))
    page = client.get("/engineers/?available_by=2030-04-01").text
    assert "Free Now" in page
    assert "Free Soon" in page
    assert "Free Later" not in page


def test_a_placed_engineer_is_not_available_whatever_their_date_says(client, auth, make):
    today = date.today()
    booked = make.engineer(full_name="Busy Bee", available_from=None)
    make.placement(
        engineer=booked, start=today - timedelta(days=30), end=today + timedelta(days=60)
    )
    open_ended = make.engineer(full_name="Long Haul", available_from=None)
    make.placement(engineer=open_ended, start=today - timedelta(days=30), end=None)
    make.engineer(full_name="Free Now", available_from=None)
    auth.login_as("account_manager")

    roster = client.get("/engineers/").text
    assert f"Placed until {(today + timedelta(days=60)).strftime('%-d %b %Y')}" in roster
    assert "Placed (open-ended)" in roster
    filtered = client.get(f"/engineers/?available_by={today.isoformat()}").text
    assert "Free Now" in filtered
    assert "Busy Bee" not in filtered
    assert "Long Haul" not in filtered
    after = (today + timedelta(days=61)).isoformat()
    assert "Busy Bee" in client.get(f"/engineers/?available_by={after}").text
    profile = client.get(f"/engineers/{open_ended.id}").text
    assert "Placed (open-ended)" in profile


def test_other_filters_narrow_the_roster(client, auth, make):
    auth.login_as("account_manager")
    make.engineer(
        full_name="Mexico Mid", country="MX", timezone="America/Mexico_City", seniority="mid"
    )
    make.engineer(full_name="Brazil Senior", country="BR", seniority="senior")
    sourced(make, full_name="Brazil Sourced")
    assert "Brazil Senior" not in client.get("/engineers/?country=MX").text
    page = client.get("/engineers/?timezone=America/Mexico_City").text
    assert "Mexico Mid" in page
    assert "Brazil Senior" not in page
    zones = client.get("/engineers/").text  # the zones on the roster are offered
    assert '<option value="America/Mexico_City">' in zones
    assert '<option value="Europe/Berlin">' not in zones
    page = client.get("/engineers/?seniority=senior&vetting_status=vetted").text
    assert "Brazil Senior" in page
    assert "Mexico Mid" not in page
    assert "Brazil Sourced" not in page


def test_a_bad_filter_value_is_ignored_with_a_notice(client, auth, make):
    auth.login_as("account_manager")
    make.engineer(full_name="Ana Souza")
    response = client.get("/engineers/?min_level=9&available_by=someday")
    assert response.status_code == 200
    assert "Ana Souza" in response.text
    assert "Ignored filters we could not read: Minimum level, Available by." in response.text


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("name", ["Ana", "Bruno", "Carla"]),
        ("-name", ["Carla", "Bruno", "Ana"]),
        ("-rate", ["Bruno", "Carla", "Ana"]),
        ("years", ["Carla", "Ana", "Bruno"]),
        ("seniority", ["Carla", "Ana", "Bruno"]),
        ("available", ["Ana", "Carla", "Bruno"]),
        ("vetting", ["Carla", "Bruno", "Ana"]),  # ties by id: Bruno came first
    ],
)
def test_list_sorts(client, auth, make, sort, order):
    auth.login_as("account_manager")
    make.engineer(
        full_name="Bruno B",
        hourly_rate=Decimal("80"),
        years_experience=12,
        seniority="senior",
        available_from=date(2031, 1, 1),
    )
    make.engineer(
        full_name="ana A",
        hourly_rate=Decimal("40"),
        years_experience=5,
        seniority="mid",
        available_from=None,
    )
    sourced(
        make,
        full_name="Carla C",
        hourly_rate=Decimal("60"),
        years_experience=2,
        seniority="junior",
        available_from=date(2030, 1, 1),
    )
    page = client.get(f"/engineers/?sort={sort}").text.lower()
    positions = [page.index(f">{name.lower()} ") for name in order]
    assert positions == sorted(positions)


def test_empty_roster_and_no_match_say_different_things(client, auth, make):
    auth.login_as("account_manager")
    assert "No engineers yet." in client.get("/engineers/").text
    make.engineer(full_name="Ana Souza")
    page = client.get("/engineers/?country=AR").text
    assert "No engineer matches these filters." in page
    assert "No engineers yet." not in page


def test_list_buttons(app, client, auth):
    auth.login_as("account_manager")
    page = client.get("/engineers/?country=BR&page=2").text
    assert 'href="/engineers/new"' in page
    assert 'href="/engineers/skills"' in page
    assert 'href="/engineers/export.csv?country=BR"' in page  # the filters, not the page
    assert 'href="/engineers/import"' in page


def add_roster(n: int, skill_names=("Python", "PyTorch", "LangChain")) -> None:
    """n engineers with three skills each, in one commit (the factory commits per row)."""
    from tracker.models import Skill

    skills = []
    for name in skill_names:
        skill = db.session.scalar(sa.select(Skill).where(Skill.name == name))
        skills.append(skill or Skill(name=name, category="AI"))
    start = count(Engineer)
    for i in range(start, start + n):
        engineer = Engineer(
            full_name=f"Roster Person{i}",
            email=f"roster{i}@example.com",
            country="BR",
            timezone=("America/Sao_Paulo", "America/Bogota")[i % 2],
            workday_start=time(9),
            workday_end=time(18),
            seniority="mid",
            years_experience=4,
            english_level="B2",
            hourly_rate=Decimal("45.00"),
            vetting_status="sourced",
            available_from=date(2030, 1, 1) if i % 3 else None,
        )
        engineer.skills = [
            EngineerSkill(skill=s, level=1 + (i + k) % 5, years=2) for k, s in enumerate(skills)
        ]
        db.session.add(engineer)
    db.session.commit()


def test_list_queries_do_not_grow_with_rows(client, auth, count_queries):
    auth.login_as("account_manager")
    add_roster(10)
    with count_queries() as small:
        assert client.get("/engineers/").status_code == 200
    add_roster(190)
    with count_queries() as large:
        response = client.get("/engineers/?per_page=200")
    assert len(re.findall(r'href="/engineers/\d+"', response.text)) == 200
    assert large.count == small.count


# --- CSV export ------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_export_writes_every_matching_engineer_in_the_shared_format(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer(
        full_name="Ana Souza",
        email="ana@example.com",
        city="Recife",
        available_from=date(2030, 2, 1),
        skills={"PyTorch": 4, "Python": 5},
    )
    make.engineer(full_name="Miguel Ortiz", country="MX", timezone="America/Mexico_City")
    archived = make.engineer(full_name="Old Timer", is_active=False)
    response = client.get("/engineers/export.csv?country=BR", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    filename = f"engineers-{date.today().isoformat()}.csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{filename}"'
    text = response.get_data(as_text=True).removeprefix("\ufeff")
    assert next(csv.reader(io.StringIO(text))) == [*COLUMNS, *SCORE_COLUMNS]
    rows = read_csv(response)
    assert [r["full_name"] for r in rows] == ["Ana Souza"]  # filtered; archived left out
    row = rows[0]
    assert row["email"] == ana.email
    assert row["hourly_rate"] == "50.00"
    assert row["workday_start"] == "09:00"
    assert row["available_from"] == "2030-02-01"
    assert row["code_quality"] == "4"
    assert parse_skills(row["skills"]) == [("Python", 5), ("PyTorch", 4)]
    assert archived.full_name not in text


def test_export_is_not_limited_to_one_page_and_keeps_the_sort(client, auth):
    auth.login_as("account_manager")
    add_roster(30)
    rows = read_csv(client.get("/engineers/export.csv?sort=-name", buffered=True))
    names = [r["full_name"] for r in rows]
    assert len(names) == 30
    assert names == sorted(names, key=str.lower, reverse=True)


def test_export_queries_are_bounded_by_batches_not_rows(client, auth, count_queries):
    auth.login_as("account_manager")
    add_roster(10)
    with count_queries() as small:
        client.get("/engineers/export.csv", buffered=True)
    add_roster(190)
    with count_queries() as large:
        rows = read_csv(client.get("/engineers/export.csv", buffered=True))
    assert len(rows) == 200
    assert large.count == small.count


def test_export_loads_in_batches_in_list_order(app, count_queries):
    add_roster(30)
    sort = parse_sort("-name", SORTS, "name")
    with count_queries() as counter:
        exported = [e.full_name for e in engineers_for_export(EngineerFilters(), sort, batch=7)]
    assert exported == sorted(exported, key=str.lower, reverse=True)
    assert len(exported) == 30
    assert counter.count == 1 + 2 * 5  # the ids, then engineers and skills per batch of 7


# --- the profile ---------------------------------------------------------------------------


def test_profile_shows_placements_proposals_and_vetting(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer(
        full_name="Ana Souza", vetting_notes="Explains trade-offs clearly.", skills={"Python": 5}
    )
    acme = make.client(name="Acme Robotics")
    make.placement(engineer=ana, request=make.request(client=acme, title="Vision engineer"))
    make.proposal(
        engineer=ana, request=make.request(client=make.client(name="Globex"), title="LLM platform")
    )
    page = client.get(f"/engineers/{ana.id}").text
    assert f'href="/clients/{acme.id}">Acme Robotics</a>' in page
    assert "Vision engineer" in page
    assert "LLM platform" in page
    assert "Globex" in page
    assert "Explains trade-offs clearly." in page
    assert "4.00" in page  # the vetting average
    assert ana.email in page


def test_profile_queries_stay_bounded(client, auth, make, count_queries):
    auth.login_as("account_manager")
    ana = make.engineer(skills={"Python": 5})
    for _ in range(2):
        make.proposal(engineer=ana)
    with count_queries() as few:
        client.get(f"/engineers/{ana.id}")
    for _ in range(6):
        make.proposal(engineer=ana)
    make.placement(engineer=ana, start=date.today() - timedelta(days=5))
    with count_queries() as more:
        client.get(f"/engineers/{ana.id}")
    assert more.count <= few.count + 2  # the placement's client and request, once each


def test_an_engineer_free_now_but_booked_later_says_from_when(client, auth, make):
    """Issue 12.6: "Available: now" for someone booked from a future date says when."""
    today = date.today()
    later = make.engineer(full_name="Soon Busy", available_from=None)
    start = today + timedelta(days=20)
    make.placement(engineer=later, start=start, end=None, status="pending")
    auth.login_as("account_manager")
    booked = f"booked from {start.day} {start:%b %Y}"
    row = client.get("/engineers/").text.split("Soon Busy")[1].split("</tr>")[0]
    assert "Now" in row
    assert booked in row
    assert booked in client.get(f"/engineers/{later.id}").text


def test_the_skill_the_roster_is_filtered_by_is_shown_even_below_the_top_three(client, auth, make):
    """Issue 12.6: filtered by Docker, each row shows Docker, not only the strongest three."""
    make.engineer(full_name="Deep Learner",
                  skills={"PyTorch": 5, "Python": 5, "CUDA": 5, "Docker": 2})  # fmt: skip
    docker = make.skill("Docker")
    auth.login_as("account_manager")
    row = client.get(f"/engineers/?skill_id={docker.id}").text.split("Deep Learner")[1]
    row = row.split("</tr>")[0]
    assert "Docker 2" in row
    unfiltered = client.get("/engineers/").text.split("Deep Learner")[1].split("</tr>")[0]
    assert "Docker 2" not in unfiltered


def test_countries_read_as_names_and_the_filter_offers_the_rosters(client, auth, make):
    """Issue 12.6: "Nauru", not "Naoero"; the filter lists the countries engineers live in."""
    nauru = make.engineer(full_name="Island Dev", country="NR", city="Yaren")
    make.engineer(full_name="Bogota Dev", country="CO", timezone="America/Bogota")
    auth.login_as("account_manager")
    assert "Yaren, Nauru" in client.get(f"/engineers/{nauru.id}").text
    roster = client.get("/engineers/").text
    select = roster.split('name="country"')[1].split("</select>")[0]
    assert re.findall(r'<option[^>]*value="([^"]*)"', select) == ["", "CO", "NR"]
    assert "Colombia" in select
    assert "Naoero" not in roster
