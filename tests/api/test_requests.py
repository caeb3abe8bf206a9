"""/api/v1/requests: staffing requests, their status moves and their ranked matches."""

from datetime import date, timedelta

import sqlalchemy as sa

from tests.api.test_core import assert_problem
from tracker.extensions import db
from tracker.models import Notification, StaffingRequest

START = (date.today() + timedelta(days=21)).isoformat()


def request_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(StaffingRequest))


def new_request(make, **kw) -> dict:
    python = make.skill("Python")
    go = make.skill("Go")
    return {
        "title": "Search engineer",
        "seniority": "senior",
        "headcount": 2,
        "start_date": START,
        "skills": [
            {"skill_id": python.id, "min_level": 4},
            {"skill_id": go.id, "min_level": 2, "required": False},
        ],
        **kw,
    }


def titles(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["title"] for r in response.json["data"]]


# ------------------------------------------------------------------------------- reading


def test_staff_see_every_request_with_its_skills_and_client_id(api, make):
    company = make.client()
    made = make.request(client=company, title="ML lead", skills={"Python": (4, True),
                                                                  "Go": (2, False)})  # fmt: skip
    api.as_role("account_manager")
    [row] = api.get("/api/v1/requests").json["data"]
    assert row["id"] == made.id
    assert row["client_id"] == company.id
    assert [(s["name"], s["min_level"], s["required"]) for s in row["skills"]] == [
        ("Python", 4, True),
        ("Go", 2, False),
    ]
    assert row["hours"] == {
        "timezone": "America/New_York",
        "workday_start": "09:00",
        "workday_end": "17:00",
        "from_client": True,
    }
    assert row["timezone"] is None
    assert row["min_overlap_hours"] == 4.0
    assert set(row["moves"]) == {"on_hold", "filled", "closed", "cancelled"}
    one = api.get(f"/api/v1/requests/{made.id}")
    assert one.headers["ETag"] == f'"{made.version_id}"'


def test_the_list_filters_and_sorts_as_the_request_list_does(api, make):
    acme, globex = make.client(name="Acme"), make.client(name="Globex")
    make.request(client=acme, title="Alpha", priority="low")
    make.request(client=globex, title="Bravo", priority="urgent", seniority="mid")
    make.request(client=acme, title="Charlie", status="closed")
    api.as_role("account_manager")
    assert titles(api.get("/api/v1/requests")) == ["Bravo", "Alpha"]  # urgent first; active
    assert titles(api.get("/api/v1/requests?status=all&sort=title")) == [
        "Alpha", "Bravo", "Charlie"]  # fmt: skip
    assert titles(api.get("/api/v1/requests?status=closed")) == ["Charlie"]
    assert titles(api.get(f"/api/v1/requests?client_id={acme.id}")) == ["Alpha"]
    assert titles(api.get("/api/v1/requests?q=globex")) == ["Bravo"]
    assert titles(api.get("/api/v1/requests?seniority=mid")) == ["Bravo"]
    assert titles(api.get("/api/v1/requests?sort=-client")) == ["Bravo", "Alpha"]
    assert_problem(api.get("/api/v1/requests?status=lost"), 422)


def test_pages_by_client_name_across_an_insert(api, make):
    names = ["delta", "Bravo", "alpha", "Charlie"]
    for name in names:
        make.request(client=make.client(name=name), title=f"For {name}")
    api.as_role("account_manager")
    first = api.get("/api/v1/requests?sort=client&limit=2").json
    assert [r["title"] for r in first["data"]] == ["For alpha", "For Bravo"]
    make.request(client=make.client(name="Aardvark"))  # before the cursor: not on a page
    make.request(client=make.client(name="Cobalt"), title="For Cobalt")
    second = api.get(first["next"]).json
    assert [r["title"] for r in second["data"]] == ["For Charlie", "For Cobalt"]
    third = api.get(second["next"]).json
    assert [r["title"] for r in third["data"]] == ["For delta"]
    assert third["next"] is None


def test_the_list_costs_the_same_statements_for_one_request_or_many(api, make, count_queries):
    api.as_role("account_manager")
    make.request(skills={"Python": (4, True)})
    api.get("/api/v1/requests")
    with count_queries() as one:
        assert api.get_afresh("/api/v1/requests").status_code == 200
    for _ in range(5):
        make.request(skills={"Python": (4, True), "Go": (2, False)})
    with count_queries() as many:
        assert len(api.get_afresh("/api/v1/requests").json["data"]) == 6
    assert many.count == one.count


# -------------------------------------------------------------------------- client tokens


def test_a_client_sees_its_own_companys_requests_only(api, make):
    mine, theirs = make.client(), make.client()
    own = make.request(client=mine, title="Ours")
    other = make.request(client=theirs, title="Theirs")
    api.as_role("client", client=mine)
    assert titles(api.get("/api/v1/requests")) == ["Ours"]
    assert titles(api.get(f"/api/v1/requests?client_id={theirs.id}")) == []
    assert api.get(f"/api/v1/requests/{own.id}").json["moves"] == []
    assert_problem(api.get(f"/api/v1/requests/{other.id}"), 404)
    for call in (
        lambda: api.patch(
            f"/api/v1/requests/{other.id}",
            json={"title": "x"},
            headers={"If-Match": f'"{other.version_id}"'},
        ),  # fmt: skip
        lambda: api.post(f"/api/v1/requests/{other.id}/moves", json={"to": "cancelled"}),
        lambda: api.get(f"/api/v1/requests/{other.id}/matches"),
    ):
        assert_problem(call(), 404)
    db.session.expire_all()
    assert db.session.get(StaffingRequest, other.id).status == "open"


def test_a_client_may_not_edit_move_or_match_its_own_request(api, make):
    mine = make.client()
    own = make.request(client=mine)
    api.as_role("client", client=mine)
    etag = {"If-Match": f'"{own.version_id}"'}
    assert_problem(api.patch(f"/api/v1/requests/{own.id}", json={"title": "x"}, headers=etag), 403)
    assert_problem(api.post(f"/api/v1/requests/{own.id}/moves", json={"to": "cancelled"}), 403)
    assert_problem(api.get(f"/api/v1/requests/{own.id}/matches"), 403)


def test_a_client_token_logs_a_draft_for_its_own_company_as_the_portal_does(api, make):
    mine = make.client()
    manager = make.user(role="account_manager")
    mine.account_manager_id = manager.id
    db.session.commit()
    user = api.as_role("client", client=mine)
    response = api.post("/api/v1/requests", json=new_request(make))
    assert response.status_code == 201, response.text
    body = response.json
    assert body["status"] == "draft"
    assert body["priority"] == "normal"
    assert body["client_id"] == mine.id
    assert body["headcount"] == 2
    created = db.session.get(StaffingRequest, body["id"])
    assert created.created_by_id == user.id
    notified = db.session.scalars(sa.select(Notification.user_id)).all()
    assert notified == [manager.id]  # the account manager hears of the draft


def test_a_client_token_cannot_choose_another_company_a_priority_or_open_it(api, make):
    mine, theirs = make.client(), make.client()
    api.as_role("client", client=mine)
    for extra, field in (
        ({"client_id": theirs.id}, "client_id"),
        ({"priority": "urgent"}, "priority"),
        ({"open": True}, "open"),
    ):
        # What the role may not set: 403, the field named.
        body = assert_problem(api.post("/api/v1/requests", json=new_request(make, **extra)), 403)
        assert field in body["errors"]
    same = api.post("/api/v1/requests", json=new_request(make, client_id=mine.id))
    assert same.status_code == 201
    assert request_count() == 1


def test_engineer_tokens_never_see_requests(api, make):
    made = make.request()
    api.as_role("engineer")
    assert_problem(api.get("/api/v1/requests"), 403)
    assert_problem(api.get(f"/api/v1/requests/{made.id}"), 403)
    assert_problem(api.post("/api/v1/requests", json=new_request(make)), 403)


# --------------------------------------------------------------------------- staff writes


def test_staff_create_a_draft_or_an_open_request(api, make):
    company = make.client()
    api.as_role("account_manager")
    draft = api.post("/api/v1/requests", json=new_request(make, client_id=company.id))
    assert draft.status_code == 201, draft.text
    assert draft.json["status"] == "draft"
    assert draft.headers["Location"] == f"/api/v1/requests/{draft.json['id']}"
    opened = api.post(
        "/api/v1/requests",
        json=new_request(
            make,
            client_id=company.id,
            open=True,
            priority="high",
            min_overlap_hours=4.5,
            max_bill_rate="95",
            timezone="Europe/Berlin",
            workday_start="08:00",
            workday_end="16:30",
        ),
    )
    assert opened.status_code == 201, opened.text
    body = opened.json
    assert (body["status"], body["priority"], body["min_overlap_hours"]) == ("open", "high", 4.5)
    assert body["max_bill_rate"] == "95.00"
    assert body["hours"]["from_client"] is False
    assert body["hours"]["timezone"] == "Europe/Berlin"


def test_invalid_input_lists_field_errors_and_writes_nothing(api, make):
    company = make.client()
    api.as_role("account_manager")
    body = assert_problem(
        api.post(
            "/api/v1/requests",
            json=new_request(
                make,
                client_id=company.id,
                headcount=0,
                seniority="guru",
                min_overlap_hours=4.25,
                timezone="Europe/Berlin",
                start_date="2024-02-30",
                max_bill_rate="-1",
            ),
        ),
        422,
    )
    assert set(body["errors"]) == {
        "headcount",
        "seniority",
        "min_overlap_hours",
        "timezone",
        "start_date",
        "max_bill_rate",
    }
    assert "together" in body["errors"]["timezone"][0]
    nice_only = new_request(make, client_id=company.id)
    nice_only["skills"] = [{**row, "required": False} for row in nice_only["skills"]]
    assert "skills" in assert_problem(api.post("/api/v1/requests", json=nice_only), 422)["errors"]
    assert "client_id" in assert_problem(api.post("/api/v1/requests", json=new_request(make)),
                                         422)["errors"]  # fmt: skip
    assert request_count() == 0


def test_what_only_the_service_knows_is_refused_too(api, make):
    company = make.client()
    api.as_role("account_manager")
    past = new_request(make, client_id=company.id, start_date="2020-01-01")
    in_past = assert_problem(api.post("/api/v1/requests", json=past), 422)
    assert "in the past" in in_past["detail"]
    assert in_past["type"].endswith("/contextual-rule")  # a rule relating the date to today
    assert "start_date" in in_past["errors"]
    # What depends on the stored data: 409.
    unknown = new_request(make, client_id=company.id)
    unknown["skills"][0]["skill_id"] = 999999
    assert "catalogue" in assert_problem(api.post("/api/v1/requests", json=unknown), 409)["detail"]
    nobody = new_request(make, client_id=999999)
    assert_problem(api.post("/api/v1/requests", json=nobody), 409)
    assert request_count() == 0


def test_patch_with_if_match_changes_fields_and_skills(api, make):
    made = make.request(skills={"Python": (4, True), "Go": (2, False)})
    rust = make.skill("Rust")
    api.as_role("account_manager")
    url = f"/api/v1/requests/{made.id}"
    etag = api.get(url).headers["ETag"]
    assert_problem(api.patch(url, json={"headcount": 3}), 428)
    changed = api.patch(
        url,
        json={"headcount": 3.0, "skills": [{"skill_id": rust.id, "min_level": 3}]},
        headers={"If-Match": etag},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json["headcount"] == 3
    assert [s["name"] for s in changed.json["skills"]] == ["Rust"]
    assert changed.headers["ETag"] != etag
    assert_problem(api.patch(url, json={"headcount": 4}, headers={"If-Match": etag}), 412)
    body = assert_problem(
        api.patch(
            url, json={"timezone": "Europe/Berlin"}, headers={"If-Match": changed.headers["ETag"]}
        ),
        422,
    )
    assert "timezone" in body["errors"]
    half_row = {"skills": [{"min_level": 3}]}  # a skill row is given whole, even in a PATCH
    body = assert_problem(
        api.patch(url, json=half_row, headers={"If-Match": changed.headers["ETag"]}), 422
    )
    assert "skills" in body["errors"]
    db.session.expire_all()
    assert db.session.get(StaffingRequest, made.id).headcount == 3


def test_a_retried_client_draft_with_the_same_key_is_one_request(api, make):
    api.as_role("client")
    key = {"Idempotency-Key": "draft-1"}
    body = new_request(make)
    first = api.post("/api/v1/requests", json=body, headers=key)
    again = api.post("/api/v1/requests", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert request_count() == 1


def test_patch_sets_and_clears_the_requests_own_hours(api, make):
    made = make.request(skills={"Python": (4, True)})
    api.as_role("admin")
    url = f"/api/v1/requests/{made.id}"
    own = {"timezone": "Europe/Lisbon", "workday_start": "10:00", "workday_end": "18:00"}
    set_ = api.patch(url, json=own, headers={"If-Match": api.get(url).headers["ETag"]})
    assert set_.status_code == 200, set_.text
    assert set_.json["hours"]["timezone"] == "Europe/Lisbon"
    cleared = api.patch(
        url,
        json=dict.fromkeys(own),
        headers={"If-Match": set_.headers["ETag"]},
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json["hours"]["from_client"] is True


# ---------------------------------------------------------------------------- status moves


def test_staff_move_a_request_and_a_refused_move_is_a_conflict(api, make):
    made = make.request(status="draft")
    api.as_role("account_manager")
    url = f"/api/v1/requests/{made.id}/moves"
    opened = api.post(url, json={"to": "open"})
    assert opened.status_code == 200, opened.text
    assert opened.json["status"] == "open"
    body = assert_problem(api.post(url, json={"to": "draft"}), 409)
    assert "cannot go from open to draft" in body["detail"]
    assert_problem(api.post(url, json={"to": "lost"}), 422)
    stale = api.post(url, json={"to": "on_hold"}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
    db.session.expire_all()
    assert db.session.get(StaffingRequest, made.id).status == "open"
    assert_problem(api.post("/api/v1/requests/999999/moves", json={"to": "open"}), 404)


# --------------------------------------------------------------------------------- matches


def test_matches_rank_engineers_with_their_components_and_reasons(api, make):
    made = make.request(skills={"Python": (3, True)})
    best = make.engineer(full_name="Ana Best", skills={"Python": 5})
    good = make.engineer(full_name="Bea Good", skills={"Python": 3})
    make.engineer(full_name="Cid Without", skills={"Go": 5})
    api.as_role("account_manager")
    response = api.get(f"/api/v1/requests/{made.id}/matches")
    assert response.status_code == 200, response.text
    body = response.json
    assert body["request_id"] == made.id
    assert body["why_not"] is None
    assert [(m["rank"], m["engineer_id"]) for m in body["data"]] == [(1, best.id), (2, good.id)]
    top = body["data"][0]
    assert top["name"] == "Ana Best"
    assert 0 < top["score"] <= 100
    assert [c["name"] for c in top["components"]] == [
        "skills", "overlap", "rate", "seniority", "availability"]  # fmt: skip
    assert all(c["reason"] for c in top["components"])
    assert top["skills"] == [
        {"name": "Python", "level": 5, "min_level": 3, "required": True, "met": True}
    ]
    assert top["overlap"]["working_days"] > 0
    assert api.get(f"/api/v1/requests/{made.id}/matches?limit=1").json["data"][0]["rank"] == 1


def test_why_not_explains_who_is_filtered_out(api, make):
    made = make.request(skills={"Python": (3, True)})
    make.engineer(full_name="Cid Without", skills={"Go": 5})
    ranked = make.engineer(full_name="Cia Ranked", skills={"Python": 4})
    api.as_role("account_manager")
    body = api.get(f"/api/v1/requests/{made.id}/matches?why=ci").json
    by_name = {w["name"]: w for w in body["why_not"]}
    assert by_name["Cid Without"]["rank"] is None
    assert any("Python" in reason for reason in by_name["Cid Without"]["reasons"])
    assert by_name["Cia Ranked"] == {
        "engineer_id": ranked.id, "name": "Cia Ranked", "reasons": [], "rank": 1}  # fmt: skip
    assert_problem(api.get(f"/api/v1/requests/{made.id}/matches?why=c"), 422)
