"""Engineer CSV import: every row checked, all or nothing, from the command line and the page."""

import csv
import io
import re
import time
from datetime import time as clock
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from itsdangerous import URLSafeTimedSerializer

from scripts.generate_engineers_csv import main as generate_main
from scripts.generate_engineers_csv import write_engineers_csv
from tests.conftest import PASSWORD, make_app
from tracker.demo import data as demo_data
from tracker.engineers.import_routes import SIGNING_SALT
from tracker.extensions import db
from tracker.infra.passwords import hash_password
from tracker.models import AuditEvent, Engineer, EngineerSkill, Skill, User
from tracker.services import DomainError
from tracker.services.engineer_csv import COLUMNS, SCORE_COLUMNS
from tracker.services.engineer_import import (
    VETTED_NEEDS_SCORES,
    ImportFileError,
    Problem,
    apply_import,
    plan_import,
)

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "engineers.csv"
ALL_COLUMNS = [*COLUMNS, *SCORE_COLUMNS]


def row(**kw) -> dict[str, str]:
    """A valid row; keyword arguments replace cells."""
    values = {
        "full_name": "Ana Souza",
        "email": "ana.souza@example.com",
        "phone": "+55 11 91234-5678",
        "country": "BR",
        "city": "São Paulo",
        "timezone": "America/Sao_Paulo",
        "workday_start": "09:00",
        "workday_end": "18:00",
        "seniority": "senior",
        "years_experience": "8",
        "english_level": "C1",
        "hourly_rate": "55.50",
        "available_from": "2026-03-02",
        "vetting_status": "vetted",
        "skills": "Python:5;PyTorch:4",
        "code_quality": "4",
        "system_design": "5",
        "api_integration": "4",
        "communication": "5",
    }
    values.update(kw)
    return values


def csv_text(*rows: dict, columns=ALL_COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def run_import(runner, tmp_path, text: str | bytes, *args):
    path = tmp_path / "engineers.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["import-engineers", str(path), *args])


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def engineer_by_email(email: str) -> Engineer:
    return db.session.scalar(sa.select(Engineer).where(Engineer.email == email))


def levels(engineer: Engineer) -> dict[str, int]:
    return {es.skill.name: es.level for es in engineer.skills}


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


# --- the command line ------------------------------------------------------------------------


def test_valid_file_creates_engineers_with_skills_and_history(runner, tmp_path, make):
    make.skill("PyTorch", category="Machine learning")
    text = csv_text(
        row(country="br", english_level="c1", skills="Python:5;pytorch:4;Agentic workflows:3"),
        row(
            full_name="Diego Ramírez",
            email="Diego.Ramirez@Example.com",
            timezone="America/Mexico_City",
            country="MX",
            workday_start="22:00",
            workday_end="06:00",
            seniority="mid",
            hourly_rate="42",
            available_from="",
            vetting_status="",
            skills="",
            **dict.fromkeys(SCORE_COLUMNS, ""),
        ),
    )

    result = run_import(runner, tmp_path, text)

    assert result.exit_code == 0, result.output
    assert "Imported: 2 created, 0 updated, 2 new skills." in result.output
    ana = engineer_by_email("ana.souza@example.com")
    assert (ana.country, ana.english_level, ana.vetting_status) == ("BR", "C1", "vetted")
    assert (ana.code_quality, ana.system_design, ana.api_integration, ana.communication) == (
        4,
        5,
        4,
        5,
    )
    assert ana.vetted_at is not None
    assert ana.hourly_rate == Decimal("55.50")
    assert levels(ana) == {"Python": 5, "PyTorch": 4, "Agentic workflows": 3}
    assert count(Skill) == 3  # "pytorch" used the existing PyTorch
    diego = engineer_by_email("diego.ramirez@example.com")
    assert diego.vetting_status == "sourced"  # empty status: a new engineer starts as sourced
    assert (diego.workday_start, diego.workday_end) == (clock(22), clock(6))
    assert diego.available_from is None
    assert diego.vetted_at is None
    created = {e.entity_id: e for e in events("engineer.created")}
    assert set(created) == {ana.id, diego.id}
    assert created[ana.id].changes["full_name"] == [None, "Ana Souza"]
    assert created[ana.id].changes["skills"] == [None, "Python:5;PyTorch:4;Agentic workflows:3"]
    assert created[ana.id].changes["source"] == [None, "CSV import, row 2"]
    assert created[ana.id].actor_id is None  # the command line: "the system"
    assert {e.changes["name"][1] for e in events("skill.created")} == {
        "Python",
        "Agentic workflows",
    }


def test_existing_email_in_another_case_is_updated_not_duplicated(runner, tmp_path, make):
    ana = make.engineer(
        full_name="Ana Souza",
        email="ana.souza@example.com",
        vetting_status="technical_interview",
        vetted_at=None,
        hourly_rate=Decimal("50.00"),
        skills={"Python": 3, "SQL": 4},
    )
    version = ana.version_id
    text = csv_text(
        row(
            email="ANA.Souza@Example.COM",
            hourly_rate="55.50",
            skills="python:5;LangChain:3",
            **dict.fromkeys(SCORE_COLUMNS, ""),  # the four scores are already on file
        )
    )

    result = run_import(runner, tmp_path, text)

    assert result.exit_code == 0, result.output
    assert "Imported: 0 created, 1 updated, 1 new skill." in result.output
    assert count(Engineer) == 1
    db.session.refresh(ana)
    assert ana.hourly_rate == Decimal("55.50")
    assert ana.vetting_status == "vetted"
    assert ana.vetted_at is not None  # becoming vetted sets it
    assert ana.code_quality == 4  # kept: the score cells were empty
    assert levels(ana) == {"Python": 5, "SQL": 4, "LangChain": 3}  # SQL not listed: kept
    assert ana.version_id == version + 1
    [event] = events("engineer.updated")
    assert event.entity_id == ana.id
    assert event.changes["hourly_rate"] == ["50.00", "55.50"]
    assert event.changes["vetting_status"] == ["technical_interview", "vetted"]
    assert event.changes["skills"] == ["SQL:4;Python:3", "Python:5;SQL:4;LangChain:3"]
    assert "email" not in event.changes


def test_an_unchanged_row_changes_nothing(runner, tmp_path):
    text = csv_text(row())
    assert run_import(runner, tmp_path, text).exit_code == 0
    ana = engineer_by_email("ana.souza@example.com")
    version, vetted_at = ana.version_id, ana.vetted_at

    again = run_import(runner, tmp_path, text)

    assert again.exit_code == 0, again.output
    assert "Nothing to import: 0 created, 0 updated, 0 new skills, 1 unchanged." in again.output
    db.session.refresh(ana)
    assert (ana.version_id, ana.vetted_at) == (version, vetted_at)
    assert events("engineer.updated") == []


def test_sample_file_imports_cleanly_into_an_empty_database(runner):
    result = runner.invoke(args=["import-engineers", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "Imported: 20 created, 0 updated" in result.output
    assert count(Engineer) == 20
    vetted = db.session.scalars(sa.select(Engineer).where(Engineer.vetting_status == "vetted"))
    assert all(e.vetting_average is not None and e.vetted_at for e in vetted)


def test_sample_file_imports_cleanly_into_the_demo_data(runner):
    demo_data.seed(seed=2026, engineers=30, clients=2)
    db.session.commit()
    skills_before = count(Skill)

    result = runner.invoke(args=["import-engineers", str(SAMPLE)])

    assert result.exit_code == 0, result.output
    assert "Imported: 20 created, 0 updated, 1 new skill." in result.output  # Databricks
    assert count(Engineer) == 50
    assert count(Skill) == skills_before + 1


def test_one_bad_row_among_a_thousand_writes_nothing(runner, tmp_path):
    path = tmp_path / "engineers.csv"
    write_engineers_csv(path, 1000, seed=7, bad_row=501)

    result = runner.invoke(args=["import-engineers", str(path)])

    assert result.exit_code == 1
    assert "row 501, available_from: “2026-02-30” is not a date (YYYY-MM-DD)" in result.output
    assert "Nothing was imported: 1 of 1000 rows refused" in result.output
    assert (count(Engineer), count(Skill), count(AuditEvent)) == (0, 0, 0)


def test_dry_run_says_what_would_happen_and_writes_nothing(runner, tmp_path, make):
    make.engineer(email="ana.souza@example.com", hourly_rate=Decimal("50.00"))
    text = csv_text(row(), row(full_name="Beto Lima", email="beto@example.com"))

    result = run_import(runner, tmp_path, text, "--dry-run")

    assert result.exit_code == 0, result.output
    assert "Dry run, nothing written. Would be: 1 created, 1 updated" in result.output
    assert count(Engineer) == 1
    assert engineer_by_email("ana.souza@example.com").hourly_rate == Decimal("50.00")
    assert count(AuditEvent) == 0


def test_dry_run_with_a_bad_row_lists_it_and_fails(runner, tmp_path):
    result = run_import(runner, tmp_path, csv_text(row(country="XX")), "--dry-run")
    assert result.exit_code == 1
    assert "row 2, country: “XX” is not an ISO 3166 country code" in result.output


def test_missing_unreadable_and_non_utf8_files_are_explained(runner, tmp_path):
    missing = runner.invoke(args=["import-engineers", str(tmp_path / "nope.csv")])
    assert missing.exit_code != 0
    assert "does not exist" in missing.output

    latin1 = run_import(runner, tmp_path, csv_text(row(city="Bogotá")).encode("latin-1"))
    assert latin1.exit_code == 1
    assert "is not UTF-8 text" in latin1.output

    empty = run_import(runner, tmp_path, "")
    assert empty.exit_code == 1
    assert "The file is empty." in empty.output
    assert count(Engineer) == 0


def test_unknown_column_refuses_the_whole_file(runner, tmp_path):
    text = csv_text(row(), columns=[*ALL_COLUMNS, "salary"])
    result = run_import(runner, tmp_path, text)
    assert result.exit_code == 1
    assert "Unknown column: salary." in result.output
    assert count(Engineer) == 0


# --- checking the rows ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "is not a time zone we know"),
        ({"workday_end": "09:00"}, "workday_end", "must differ from its start"),
        ({"workday_start": "25:00"}, "workday_start", "is not a time of day (HH:MM"),
        ({"skills": "Python:6"}, "skills", "the level of Python must be a whole number from 1"),
        ({"skills": "Python"}, "skills", "is not name:level"),
        ({"skills": "Python:4;python:3"}, "skills", "is listed twice"),
        ({"hourly_rate": "-10"}, "hourly_rate", "Enter an amount of zero or more."),
        ({"hourly_rate": "10.555"}, "hourly_rate", "at most 2 decimals"),
        ({"hourly_rate": "ten"}, "hourly_rate", "is not an amount"),
        ({"country": "XX"}, "country", "is not an ISO 3166 country code"),
        ({"available_from": "2026-02-30"}, "available_from", "is not a date (YYYY-MM-DD)"),
        ({"available_from": "02/03/2026"}, "available_from", "is not a date (YYYY-MM-DD)"),
        ({"seniority": "lead"}, "seniority", "is not one of junior, mid, senior"),
        ({"english_level": "D1"}, "english_level", "is not one of A1, A2, B1, B2, C1, C2"),
        ({"years_experience": "61"}, "years_experience", "Years of experience are from 0 to 60."),
        ({"years_experience": "4.5"}, "years_experience", "is not a whole number"),
        ({"years_experience": "²"}, "years_experience", "is not a whole number"),
        ({"years_experience": "9" * 5000}, "years_experience", "is not a whole number"),
        ({"skills": "Python:²"}, "skills", "the level of Python must be a whole number from 1"),
        ({"skills": "Python:" + "9" * 5000}, "skills", "the level of Python must be a whole"),
        ({"vetting_status": "hired"}, "vetting_status", "is not one of sourced, screening"),
        ({"code_quality": "6"}, "code_quality", "A vetting score is from 1 to 5."),
        ({"email": "ana.example.com"}, "email", "Enter an email address like ana@example.com."),
        ({"email": ""}, "email", "is required"),
        ({"full_name": ""}, "full_name", "is required"),
        ({"full_name": "A" * 121}, "full_name", "longer than 120 characters"),
        ({"communication": ""}, "vetting_status", VETTED_NEEDS_SCORES),
    ],
)
def test_each_kind_of_bad_cell_is_reported(app, cells, column, reason):
    plan = plan_import(csv_text(row(), row(**{"email": "other@example.com", **cells})))
    assert [(p.row, p.column) for p in plan.problems] == [(3, column)]
    assert reason in plan.problems[0].reason
    assert plan.refused_rows == 1
    assert [p.row for p in plan.creates] == [2]


def test_vetted_without_scores_names_the_columns(app):
    plan = plan_import(csv_text(row(**dict.fromkeys(SCORE_COLUMNS, ""))))
    assert plan.problems == [
        Problem(
            2,
            "vetting_status",
            "vetted needs the four vetting scores "
            "(columns code_quality, system_design, api_integration, communication)",
        )
    ]


def test_every_problem_of_every_row_is_collected(app):
    plan = plan_import(
        csv_text(
            row(country="XX", english_level="Z9"),
            row(email="b@example.com"),
            row(email="c@example.com", timezone="Nowhere", hourly_rate="-1"),
        )
    )
    assert [(p.row, p.column) for p in plan.problems] == [
        (2, "country"),
        (2, "english_level"),
        (4, "timezone"),
        (4, "hourly_rate"),
    ]
    assert plan.refused_rows == 2
    assert [p.column for p in plan.refused[4]] == ["timezone", "hourly_rate"]


def test_duplicate_email_in_the_file_names_the_first_row(app):
    plan = plan_import(csv_text(row(), row(full_name="Ana Two", email="ANA.SOUZA@example.com")))
    assert plan.problems == [
        Problem(3, "email", "the same email as row 2 (each engineer once per file)")
    ]


def test_row_numbers_are_the_files_line_numbers(app):
    text = csv_text(row(), row(email="b@example.com", full_name="Two\nlines"))
    text += "\n" + csv_text(row(email="c@example.com", country="XX")).split("\n", 1)[1]
    plan = plan_import(text)
    # header 1, row 2, a quoted name over lines 3-4, a blank line 5, the bad row on line 6
    assert [(p.row, p.column) for p in plan.problems] == [(6, "country")]


def test_a_row_with_missing_cells_is_refused(app):
    text = csv_text(row()) + "Beto Lima,beto@example.com,,BR\n"
    plan = plan_import(text)
    assert plan.problems == [
        Problem(3, "(whole row)", "has 4 cells where the header has 19 columns")
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty."),
        (csv_text(), "The file has a header but no engineers below it."),
        (csv_text(row()).split("\n", 1)[1], "The first line must be the header"),
        (csv_text(row(), columns=[*ALL_COLUMNS, "salary"]), "Unknown column: salary."),
        (csv_text(row(), columns=[c for c in ALL_COLUMNS if c != "email"]), "Missing column: "),
        ("full_name;email;phone\nAna;a@x.example;\n", "seems to use ';' between columns"),
        (csv_text(row(), columns=[*ALL_COLUMNS, "city"]), "These columns appear twice: city."),
    ],
)
def test_unusable_files_are_refused_as_a_whole(app, text, message):
    with pytest.raises(ImportFileError, match=re.escape(message)):
        plan_import(text)


def test_bom_padding_case_and_spreadsheet_escapes_are_accepted(app):
    text = "\ufeff" + csv_text(
        row(
            full_name="'=Ana Souza",
            country=" br ",
            seniority="Senior",
            vetting_status="VETTED",
            workday_start="9:00",
        )
    )
    plan = plan_import(text)
    assert plan.is_clean, plan.problems
    values = plan.creates[0].values
    assert values["full_name"] == "=Ana Souza"
    assert (values["country"], values["seniority"], values["vetting_status"]) == (
        "BR",
        "senior",
        "vetted",
    )
    assert values["workday_start"] == clock(9)


def test_score_columns_are_optional(runner, tmp_path):
    text = csv_text(row(vetting_status="screening"), columns=list(COLUMNS))
    result = run_import(runner, tmp_path, text)
    assert result.exit_code == 0, result.output
    assert engineer_by_email("ana.souza@example.com").code_quality is None


def test_an_empty_status_keeps_the_engineers_and_vetted_at_is_kept(runner, tmp_path, make):
    ana = make.engineer(email="ana.souza@example.com", vetting_status="vetted")
    vetted_at = ana.vetted_at
    text = csv_text(row(vetting_status="", city="Campinas", **dict.fromkeys(SCORE_COLUMNS, "")))
    assert run_import(runner, tmp_path, text).exit_code == 0
    db.session.refresh(ana)
    assert (ana.vetting_status, ana.city, ana.vetted_at) == ("vetted", "Campinas", vetted_at)


def test_apply_refuses_a_plan_with_problems(app):
    plan = plan_import(csv_text(row(), row(email="b@example.com", country="XX")))
    with pytest.raises(DomainError, match="Nothing was imported: 1 of 2 rows have problems"):
        apply_import(plan, None)
    db.session.rollback()
    assert count(Engineer) == 0


def test_planning_does_not_query_per_row(app, make, tmp_path, count_queries):
    path = tmp_path / "engineers.csv"
    write_engineers_csv(path, 1200, seed=3)
    text = path.read_text(encoding="utf-8")
    with count_queries() as counter:
        plan = plan_import(text)
    assert len(plan.creates) == 1200
    assert counter.count <= 8  # 3 engineer lookups (IN of <= 500) and the catalogue


# --- the pages ------------------------------------------------------------------------------


def upload(client, content: str | bytes, filename: str = "engineers.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(
        "/engineers/import",
        data={"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def signed_payload(page: str) -> str:
    match = re.search(r'name="payload" type="hidden" value="([^"]+)"', page)
    assert match, "the preview has no confirm form"
    return match[1]


def test_upload_page_describes_the_format_and_links_the_sample(client, auth):
    auth.login_as("account_manager")
    page = client.get("/engineers/import")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    assert "Python:5;PyTorch:4" in page.text
    assert 'href="/engineers/import/sample.csv"' in page.text
    sample = client.get("/engineers/import/sample.csv")
    assert sample.status_code == 200
    assert sample.mimetype == "text/csv"
    assert sample.data.decode("utf-8").splitlines()[0] == ",".join(ALL_COLUMNS)


def test_upload_preview_confirm(client, auth, make):
    user = auth.login_as("account_manager")
    make.engineer(
        full_name="Ana Souza", email="ana.souza@example.com", hourly_rate=Decimal("50.00")
    )
    text = csv_text(row(), row(full_name="Beto Lima", email="beto@example.com", skills="JAX:3"))

    preview = upload(client, text)

    assert preview.status_code == 200
    assert "Beto Lima" in preview.text
    assert "50.00</del> → 55.50" in preview.text
    assert "JAX" in preview.text  # a new skill
    assert "Import 2 engineers" in preview.text
    assert count(Engineer) == 1  # the preview writes nothing
    assert engineer_by_email("ana.souza@example.com").hourly_rate == Decimal("50.00")

    done = client.post("/engineers/import/confirm", data={"payload": signed_payload(preview.text)})

    assert done.status_code == 302
    assert done.headers["Location"] in ("/engineers/", "/engineers/import")
    assert count(Engineer) == 2
    assert engineer_by_email("ana.souza@example.com").hourly_rate == Decimal("55.50")
    assert {e.actor_id for e in events("engineer.created") + events("engineer.updated")} == {
        user.id
    }
    assert "Imported: 1 created, 1 updated." in client.get(done.headers["Location"]).text


def test_a_bad_row_among_a_thousand_is_shown_on_the_preview_and_nothing_written(
    client, auth, tmp_path
):
    auth.login_as("admin")
    path = tmp_path / "engineers.csv"
    write_engineers_csv(path, 1000, seed=7, bad_row=501)

    preview = upload(client, path.read_bytes())

    assert preview.status_code == 200
    assert "Nothing can be imported yet" in preview.text
    assert "<td>row 501</td><td><code>available_from</code></td>" in preview.text
    assert "is not a date (YYYY-MM-DD)" in preview.text
    assert 'data-testid="import-confirm"' not in preview.text
    assert count(Engineer) == 0


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (csv_text(row(city="Bogotá")).encode("latin-1"), "engineers.csv", "is not UTF-8 text"),
        (b"", "engineers.csv", "The file is empty."),
        (csv_text(row()).split("\n", 1)[1], "engineers.csv", "must be the header"),
        (csv_text(row()), "engineers.xlsx", "Only .csv files can be imported."),
        (csv_text(row(), columns=[*ALL_COLUMNS, "salary"]), "e.csv", "Unknown column: salary."),
    ],
)
def test_bad_files_get_the_upload_form_back(client, auth, content, filename, message):
    auth.login_as("account_manager")
    response = upload(client, content, filename)
    assert response.status_code == 400
    assert message in response.text
    assert 'type="file"' in response.text
    assert count(Engineer) == 0


def test_no_file_gets_the_form_back(client, auth):
    auth.login_as("account_manager")
    response = client.post("/engineers/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a CSV file to check." in response.text


def test_tampered_or_missing_signature_is_refused(app, client, auth):
    auth.login_as("account_manager")
    preview = upload(client, csv_text(row()))
    token = signed_payload(preview.text)
    forged = URLSafeTimedSerializer("not-the-secret", salt=SIGNING_SALT).dumps(
        {"csv": csv_text(row(hourly_rate="500.00")), "filename": "engineers.csv"}
    )
    flipped = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")

    for payload in (flipped, forged):
        response = client.post("/engineers/import/confirm", data={"payload": payload})
        assert response.status_code == 400
        assert "could not be verified" in response.text
    missing = client.post("/engineers/import/confirm", data={})
    assert missing.status_code == 400
    assert count(Engineer) == 0


def test_confirm_checks_again_and_shows_new_problems(client, auth, make):
    auth.login_as("account_manager")
    ana = make.engineer(
        email="ana.souza@example.com", vetting_status="technical_interview", vetted_at=None
    )
    text = csv_text(row(**dict.fromkeys(SCORE_COLUMNS, "")))  # vetted, with the scores on file
    preview = upload(client, text)
    assert "Import 1 engineer" in preview.text
    ana.code_quality = None  # meanwhile, someone clears a score
    db.session.commit()

    response = client.post(
        "/engineers/import/confirm", data={"payload": signed_payload(preview.text)}
    )

    assert response.status_code == 409
    assert "vetted needs the four vetting scores" in response.text
    db.session.refresh(ana)
    assert ana.vetting_status == "technical_interview"


def test_client_users_cannot_import(client, auth):
    auth.login_as("client")
    assert client.get("/engineers/import").status_code == 403
    assert upload(client, csv_text(row())).status_code == 403
    assert client.post("/engineers/import/confirm", data={"payload": "x"}).status_code == 403
    assert client.get("/engineers/import/sample.csv").status_code == 403
    assert count(Engineer) == 0


def test_confirm_checks_csrf_and_takes_a_large_signed_file(database_uri, tmp_path):
    """With CSRF on, as in production: the signed file is one large form field."""
    app = make_app(database_uri, WTF_CSRF_ENABLED=True)
    assert app.config["MAX_FORM_MEMORY_SIZE"] >= app.config["MAX_CONTENT_LENGTH"]
    token_of = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
    with app.app_context():
        db.session.add(
            User(
                email="am@agency.example",
                name="Account Manager",
                role="account_manager",
                password_hash=hash_password(PASSWORD),
            )
        )
        db.session.commit()
        client = app.test_client()
        login = client.get("/login").text
        client.post(
            "/login",
            data={
                "email": "am@agency.example",
                "password": PASSWORD,
                "csrf_token": token_of.search(login)[1],
            },
        )
        path = tmp_path / "engineers.csv"
        write_engineers_csv(path, 1500, seed=5)
        page = client.get("/engineers/import").text
        preview = client.post(
            "/engineers/import",
            data={
                "file": (io.BytesIO(path.read_bytes()), "engineers.csv"),
                "csrf_token": token_of.search(page)[1],
            },
            content_type="multipart/form-data",
        )
        assert preview.status_code == 200, preview.text
        payload = signed_payload(preview.text)
        assert len(payload) > 80_000

        no_token = client.post(
            "/engineers/import/confirm",
            data={"payload": payload},
            content_type="multipart/form-data",
        )
        assert no_token.status_code == 400
        assert count(Engineer) == 0

        done = client.post(
            "/engineers/import/confirm",
            data={"payload": payload, "csrf_token": token_of.search(preview.text)[1]},
            content_type="multipart/form-data",
        )
        assert done.status_code == 302, done.text
        assert count(Engineer) == 1500
        db.session.remove()
        db.engine.dispose()


# --- the generator and a roster's worth of rows ---------------------------------------------


def test_generator_is_deterministic_and_puts_the_bad_row_where_asked(tmp_path, capsys):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert generate_main(["50", str(a), "--seed", "9"]) == 0
    assert generate_main(["50", str(b), "--seed", "9", "--bad-row", "10"]) == 0
    write_engineers_csv(c, 50, seed=10)
    lines_a, lines_b = a.read_text().splitlines(), b.read_text().splitlines()
    assert lines_a[0] == ",".join(ALL_COLUMNS)
    assert [i + 1 for i, (x, y) in enumerate(zip(lines_a, lines_b, strict=True)) if x != y] == [10]
    assert ",2026-02-30," in lines_b[9]
    assert a.read_text() != c.read_text()
    assert "Wrote 50 engineers" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        generate_main(["50", str(a), "--bad-row", "1"])


def test_five_thousand_generated_rows_import_via_the_cli(runner, tmp_path):
    path = tmp_path / "engineers.csv"
    write_engineers_csv(path, 5000, seed=2026)
    started = time.perf_counter()

    result = runner.invoke(args=["import-engineers", str(path)])

    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert "Imported: 5000 created, 0 updated" in result.output
    assert count(Engineer) == 5000
    assert count(AuditEvent) == 5000 + count(Skill)
    assert count(EngineerSkill) > 5000 * 3
    assert elapsed < 30, f"5,000 rows took {elapsed:.1f} s"


# --- one set of field rules: the import refuses what the form refuses (issue 11.5) ----------

SAME_AS_THE_FORM = [
    ("phone", '=HYPERLINK("x")', "Digits, spaces and + ( ) - only, e.g. +55 11 91234-5678."),
    ("phone", '\'=HYPERLINK("x")', "Digits, spaces and + ( ) - only, e.g. +55 11 91234-5678."),
    ("phone", "+55 " + "1" * 40, "Field cannot be longer than 32 characters."),
    ("available_from", "9999-12-31", "Enter a date between 2000 and 2100."),
    ("available_from", "1999-12-31", "Enter a date between 2000 and 2100."),
    ("full_name", "A" * 121, "Field cannot be longer than 120 characters."),
    ("city", "B" * 81, "Field cannot be longer than 80 characters."),
    ("email", "ana@localhost", "Enter an email address like ana@example.com."),
    ("email", "ana@@example.com", "Enter an email address like ana@example.com."),
    ("years_experience", "61", "Years of experience are from 0 to 60."),
    ("hourly_rate", "-1", "Enter an amount of zero or more."),
    ("hourly_rate", "100000000", "Enter an amount up to 99,999,999.99."),
    ("hourly_rate", "10.555", "Enter an amount in dollars and cents, at most 2 decimals"),
    (
        "timezone",
        "Mars/Olympus_Mons",
        "“Mars/Olympus_Mons” is not a time zone we know; use an IANA",
    ),
    ("workday_end", "09:00", "The end of the working day must differ from its start."),
]


@pytest.mark.parametrize(("column", "value", "message"), SAME_AS_THE_FORM)
def test_the_import_refuses_what_the_form_refuses_in_the_same_words(
    client, auth, column, value, message
):
    from tests.test_engineers import engineer_form

    auth.login_as("account_manager")
    form_value = value.removeprefix("'")  # the import takes a spreadsheet's escape off
    response = client.post("/engineers/new", data=engineer_form(**{column: form_value}))
    assert response.status_code == 400
    assert message in response.text.replace("&#34;", '"').replace("&quot;", '"')

    plan = plan_import(csv_text(row(**{column: value})))
    assert [(p.row, p.column) for p in plan.problems] == [(2, column)]
    assert message in plan.problems[0].reason
    assert count(Engineer) == 0


def test_a_refused_import_changes_nothing_in_the_database(runner, tmp_path, make):
    existing = make.engineer(email="ana.souza@example.com", phone="+55 11 90000-0000")
    result = run_import(runner, tmp_path, csv_text(row(phone='=HYPERLINK("x")')))
    assert result.exit_code == 1
    assert "row 2, phone: Digits, spaces and + ( ) - only" in result.output
    db.session.refresh(existing)
    assert existing.phone == "+55 11 90000-0000"
    assert count(Engineer) == 1


def test_an_imported_profile_can_be_saved_by_the_form_unchanged(client, auth, runner, tmp_path):
    """Whatever the import takes, the profile form takes back as it is."""
    assert run_import(runner, tmp_path, SAMPLE.read_bytes()).exit_code == 0
    auth.login_as("account_manager")
    for engineer in db.session.scalars(sa.select(Engineer).order_by(Engineer.id)).all():
        available = engineer.available_from
        response = client.post(
            f"/engineers/{engineer.id}/edit",
            data={
                "full_name": engineer.full_name, "email": engineer.email,
                "phone": engineer.phone or "", "country": engineer.country,
                "city": engineer.city or "", "timezone": engineer.timezone,
                "workday_start": engineer.workday_start.strftime("%H:%M"),
                "workday_end": engineer.workday_end.strftime("%H:%M"),
                "seniority": engineer.seniority, "years_experience": engineer.years_experience,
                "english_level": engineer.english_level, "hourly_rate": str(engineer.hourly_rate),
                "available_from": available.isoformat() if available else "",
                "notes": "", "version_id": engineer.version_id,
            },
        )  # fmt: skip
        assert response.status_code == 302, (engineer.email, response.text[-3000:])


# --- a header is checked in one pass and refused early (issue 11.4) ------------------------


def test_a_huge_header_is_refused_at_once_naming_its_size(app):
    header = ",".join(f"col{i}" for i in range(100_000))
    with pytest.raises(ImportFileError) as refused:
        plan_import(header + "\n" + ",".join("x" * 100_000) + "\n")
    message = str(refused.value)
    assert "its header has 100,000 columns" in message
    assert len(message) < 500
    assert "col99999" not in message


def test_unknown_columns_are_named_up_to_twenty_and_how_many_more(app):
    extra = [f"extra{i}" for i in range(150)]
    with pytest.raises(ImportFileError) as refused:
        plan_import(csv_text(row(), columns=[*ALL_COLUMNS, *extra]))
    message = str(refused.value)
    assert "Unknown columns: extra0, extra1," in message
    assert "extra19 and 130 more." in message
    assert "extra20" not in message


def test_columns_named_twice_are_found_in_one_pass(app):
    with pytest.raises(ImportFileError) as refused:
        plan_import(csv_text(row(), columns=[*ALL_COLUMNS, "phone", "city", "phone"]))
    assert "These columns appear twice: city, phone." in str(refused.value)


def test_old_mac_line_endings_and_trailing_empty_columns_are_still_read(app):
    mac = csv_text(row()).replace("\r\n", "\r").replace("\n", "\r")
    assert len(plan_import(mac).creates) == 1
    padded = csv_text(row()).splitlines()
    padded = "\n".join([padded[0] + "," * 500, padded[1] + "," * 500]) + "\n"
    assert len(plan_import(padded).creates) == 1
