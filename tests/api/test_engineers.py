"""/api/v1/skills and /api/v1/engineers: the roster through the engineer form's services."""

from decimal import Decimal

import sqlalchemy as sa

from tests.api.test_core import assert_problem
from tracker.extensions import db
from tracker.models import Engineer

NEW_ENGINEER = {
    "full_name": "Ana Souza",
    "email": "Ana.Souza@example.com",
    "country": "BR",
    "timezone": "America/Sao_Paulo",
    "workday_start": "09:00",
    "workday_end": "18:00",
    "seniority": "senior",
    "years_experience": 9,
    "english_level": "C1",
    "hourly_rate": "60.5",
}


def engineer_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Engineer))


def names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [e["full_name"] for e in response.json["data"]]


# ------------------------------------------------------------------------------- skills


def test_the_skill_catalogue_for_staff_and_clients_not_engineers(api, make):
    make.skill("pytorch", category="AI")
    make.skill("Python", category="Languages")
    api.as_role("account_manager")
    body = api.get("/api/v1/skills").json
    assert [(s["name"], s["category"]) for s in body["data"]] == [
        ("Python", "Languages"),
        ("pytorch", "AI"),
    ]
    assert all(isinstance(s["id"], int) for s in body["data"])
    assert [s["name"] for s in api.get("/api/v1/skills?q=TORCH").json["data"]] == ["pytorch"]
    api.as_role("client")
    assert len(api.get("/api/v1/skills").json["data"]) == 2
    api.as_role("engineer")
    assert_problem(api.get("/api/v1/skills"), 403)


def test_the_catalogue_pages_by_name_whatever_its_case(api, make):
    for name in ("beta", "Alpha", "delta", "Charlie", "echo"):
        make.skill(name)
    api.as_role("admin")
    first = api.get("/api/v1/skills?limit=2").json
    assert [s["name"] for s in first["data"]] == ["Alpha", "beta"]
    second = api.get(first["next"]).json
    assert [s["name"] for s in second["data"]] == ["Charlie", "delta"]
    third = api.get(second["next"]).json
    assert [s["name"] for s in third["data"]] == ["echo"]
    assert third["next"] is None


# ------------------------------------------------------------------------------- reading


def test_staff_list_engineers_with_their_skills(api, make):
    make.engineer(full_name="Bea Lima", skills={"Python": 5, "PyTorch": 3})
    api.as_role("account_manager")
    body = api.get("/api/v1/engineers").json
    assert body["next"] is None
    [bea] = body["data"]
    assert bea["full_name"] == "Bea Lima"
    assert [(s["name"], s["level"], s["years"]) for s in bea["skills"]] == [
        ("Python", 5, 3),
        ("PyTorch", 3, 3),
    ]
    assert all(isinstance(s["skill_id"], int) for s in bea["skills"])
    assert bea["hourly_rate"] == "50.00"
    assert bea["version"] == 1
    assert bea["archived"] is False


def test_the_list_filters_as_the_engineer_list_page_does(api, make):
    python = make.skill("Python")
    make.engineer(full_name="Ana Py", skills={"Python": 5}, country="AR")
    make.engineer(full_name="Bruno Low", skills={"Python": 2}, seniority="mid")
    make.engineer(full_name="Carla Go", skills={"Go": 4}, vetting_status="sourced",
                  code_quality=None, system_design=None, api_integration=None,
                  communication=None, vetted_at=None)  # fmt: skip
    make.engineer(full_name="Dora Gone", is_active=False)
    api.as_role("account_manager")
    assert names(api.get("/api/v1/engineers")) == ["Ana Py", "Bruno Low", "Carla Go"]
    assert names(api.get(f"/api/v1/engineers?skill_id={python.id}&min_level=4")) == ["Ana Py"]
    assert names(api.get("/api/v1/engineers?q=python")) == ["Ana Py", "Bruno Low"]
    assert names(api.get("/api/v1/engineers?country=AR")) == ["Ana Py"]
    assert names(api.get("/api/v1/engineers?seniority=mid")) == ["Bruno Low"]
    assert names(api.get("/api/v1/engineers?vetting_status=sourced")) == ["Carla Go"]
    assert names(api.get("/api/v1/engineers?archived=true")) == ["Dora Gone"]
    assert_problem(api.get("/api/v1/engineers?seniority=wizard"), 422)
    assert_problem(api.get("/api/v1/engineers?colour=red"), 422)


def test_the_list_sorts_as_the_page_does_and_pages_across_an_insert(api, make):
    make.engineer(full_name="carla Junior", seniority="junior")
    make.engineer(full_name="Ana Senior", seniority="senior")
    make.engineer(full_name="Bruno Mid", seniority="mid")
    api.as_role("account_manager")
    assert names(api.get("/api/v1/engineers?sort=-name")) == [
        "carla Junior", "Bruno Mid", "Ana Senior"]  # fmt: skip
    assert names(api.get("/api/v1/engineers?sort=seniority")) == [
        "carla Junior", "Bruno Mid", "Ana Senior"]  # fmt: skip
    first = api.get("/api/v1/engineers?sort=name&limit=2").json
    assert [e["full_name"] for e in first["data"]] == ["Ana Senior", "Bruno Mid"]
    make.engineer(full_name="Aaron Early")  # before the cursor: not seen, nothing shifts
    make.engineer(full_name="Bruno Next")
    rest = api.get(first["next"]).json
    assert [e["full_name"] for e in rest["data"]] == ["Bruno Next", "carla Junior"]
    assert rest["next"] is None
    years = api.get("/api/v1/engineers?sort=-years&limit=1").json
    assert api.get(years["next"]).status_code == 200
    assert_problem(api.get("/api/v1/engineers?cursor=bm9wZQ"), 404)


def test_the_list_costs_the_same_statements_for_one_engineer_or_many(api, make, count_queries):
    api.as_role("account_manager")
    make.engineer(skills={"Python": 4, "Go": 2})
    api.get("/api/v1/engineers")  # the token's first use is recorded once
    with count_queries() as one:
        assert api.get_afresh("/api/v1/engineers").status_code == 200
    for _ in range(6):
        make.engineer(skills={"Python": 4, "Go": 2, "Rust": 1})
    with count_queries() as many:
        assert len(api.get_afresh("/api/v1/engineers").json["data"]) == 7
    assert many.count == one.count


def test_one_engineer_with_its_etag(api, make):
    engineer = make.engineer(notes="Great at search")
    api.as_role("admin")
    response = api.get(f"/api/v1/engineers/{engineer.id}")
    assert response.status_code == 200
    assert response.headers["ETag"] == f'"{engineer.version_id}"'
    assert response.json["notes"] == "Great at search"
    assert response.json["code_quality"] == 4
    assert_problem(api.get("/api/v1/engineers/999999"), 404)


# ------------------------------------------------------------------------------- who may


def test_client_tokens_never_see_the_roster(api, make):
    engineer = make.engineer()
    api.as_role("client")
    assert_problem(api.get("/api/v1/engineers"), 403)
    assert_problem(api.get(f"/api/v1/engineers/{engineer.id}"), 403)
    assert_problem(api.post("/api/v1/engineers", json=NEW_ENGINEER), 403)
    assert engineer_count() == 1


def test_an_engineer_reads_their_own_record_as_me_shows_it_and_no_other(api, make):
    mine = make.engineer(full_name="Ana Own", notes="internal", vetting_notes="strong")
    other = make.engineer(full_name="Bea Other")
    api.as_role("engineer", engineer=mine)
    assert_problem(api.get("/api/v1/engineers"), 403)
    own = api.get(f"/api/v1/engineers/{mine.id}")
    assert own.status_code == 200, own.text
    assert own.json["full_name"] == "Ana Own"
    assert own.json["hourly_rate"] == "50.00"  # /me/profile shows their rate
    assert own.json["notes"] is None
    assert own.json["vetting_notes"] is None
    assert own.json["code_quality"] is None
    assert_problem(api.get(f"/api/v1/engineers/{other.id}"), 404)
    etag = {"If-Match": own.headers["ETag"]}
    assert_problem(api.patch(f"/api/v1/engineers/{other.id}", json={"city": "X"}), 404)
    assert_problem(api.patch(f"/api/v1/engineers/{mine.id}", json={"city": "X"}, headers=etag), 403)
    db.session.expire_all()
    assert db.session.get(Engineer, mine.id).city == "São Paulo"


# ------------------------------------------------------------------------------- writing


def test_staff_create_an_engineer_as_sourced(api):
    api.as_role("account_manager")
    response = api.post("/api/v1/engineers", json={**NEW_ENGINEER, "years_experience": 9.0})
    assert response.status_code == 201, response.text
    body = response.json
    assert body["email"] == "ana.souza@example.com"
    assert body["vetting_status"] == "sourced"
    assert body["hourly_rate"] == "60.50"
    assert body["skills"] == []
    assert body["phone"] is None
    assert response.headers["Location"] == f"/api/v1/engineers/{body['id']}"
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert db.session.get(Engineer, body["id"]).hourly_rate == Decimal("60.50")


def test_invalid_input_follows_the_engineer_rules_and_writes_nothing(api):
    api.as_role("account_manager")
    response = api.post(
        "/api/v1/engineers",
        json={
            **NEW_ENGINEER,
            "email": "not-an-address",
            "phone": "call me",
            "country": "XX",
            "years_experience": 61,
            "english_level": "D1",
            "hourly_rate": "12.345",
            "workday_end": "09:00",
            "available_from": "1999-12-31",
            "full_name": "   ",
        },
    )
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {
        "email",
        "phone",
        "country",
        "years_experience",
        "english_level",
        "hourly_rate",
        "workday_end",
        "available_from",
        "full_name",
    }
    assert "ana@example.com" in body["errors"]["email"][0]  # the form's own message
    assert "must differ" in body["errors"]["workday_end"][0]
    assert engineer_count() == 0


def test_an_empty_optional_text_is_no_value(api):
    api.as_role("account_manager")
    response = api.post("/api/v1/engineers", json={**NEW_ENGINEER, "phone": "", "city": " "})
    assert response.status_code == 201, response.text
    assert response.json["phone"] is None
    assert response.json["city"] is None


def test_a_taken_email_is_a_conflict(api, make):
    make.engineer(email="ana.souza@example.com")
    api.as_role("account_manager")
    body = assert_problem(api.post("/api/v1/engineers", json=NEW_ENGINEER), 409)
    assert "already exists" in body["detail"]
    assert engineer_count() == 1


def test_a_retried_create_with_the_same_key_makes_one_engineer(api):
    api.as_role("account_manager")
    key = {"Idempotency-Key": "ana-1"}
    first = api.post("/api/v1/engineers", json=NEW_ENGINEER, headers=key)
    again = api.post("/api/v1/engineers", json=NEW_ENGINEER, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert engineer_count() == 1


def test_patch_needs_if_match_and_refuses_a_stale_one(api, make):
    engineer = make.engineer()
    api.as_role("account_manager")
    url = f"/api/v1/engineers/{engineer.id}"
    etag = api.get(url).headers["ETag"]
    assert_problem(api.patch(url, json={"city": "Recife"}), 428)
    changed = api.patch(url, json={"city": "Recife", "years_experience": 10.0},
                        headers={"If-Match": etag})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json["city"] == "Recife"
    assert changed.json["years_experience"] == 10
    assert changed.json["skills"] == []
    assert changed.headers["ETag"] != etag
    stale = api.patch(url, json={"city": "Natal"}, headers={"If-Match": etag})
    assert_problem(stale, 412)
    db.session.expire_all()
    assert db.session.get(Engineer, engineer.id).city == "Recife"


def test_patch_checks_the_working_day_against_the_stored_start(api, make):
    engineer = make.engineer()  # 09:00 to 18:00
    api.as_role("account_manager")
    url = f"/api/v1/engineers/{engineer.id}"
    etag = {"If-Match": api.get(url).headers["ETag"]}
    body = assert_problem(api.patch(url, json={"workday_end": "09:00"}, headers=etag), 422)
    assert "workday_end" in body["errors"]
    body = assert_problem(api.patch(url, json={"seniority": None}, headers=etag), 422)
    assert "seniority" in body["errors"]
    db.session.expire_all()
    assert db.session.get(Engineer, engineer.id).version_id == engineer.version_id
