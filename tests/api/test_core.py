"""What every API route shares: tokens, problem details, ETag / If-Match, Idempotency-Key and
cursor pages — tried on the clients resource."""

from datetime import timedelta

import sqlalchemy as sa

from tracker.api.core import PROBLEM_JSON, encode_cursor
from tracker.extensions import db
from tracker.models import ApiToken, Client, IdempotentRequest, utcnow

NEW_CLIENT = {
    "name": "Acme Robotics",
    "country": "US",
    "timezone": "America/Chicago",
    "workday_start": "09:00",
    "workday_end": "17:00",
}


def client_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Client))


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.mimetype == PROBLEM_JSON
    body = response.json
    assert body["status"] == status
    assert body["title"]
    assert body["detail"]
    assert body["type"]
    return body


# ------------------------------------------------------------------------------ tokens


def test_no_token_bad_token_revoked_or_expired_token_is_401(api, make):
    assert_problem(api.get("/api/v1/clients"), 401)
    assert api.get("/api/v1/clients").headers["WWW-Authenticate"].startswith("Bearer")
    user = api.as_role("account_manager")
    assert api.get("/api/v1/clients").status_code == 200
    assert_problem(api.get("/api/v1/clients", headers={"Authorization": "Bearer et_x_y"}), 401)
    assert_problem(api.get("/api/v1/clients", headers={"Authorization": "Basic abc"}), 401)
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    token.revoked_at = utcnow()
    db.session.commit()
    body = assert_problem(api.get("/api/v1/clients"), 401)
    assert "revoked" in body["detail"]
    api.as_user(user)
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_problem(api.get("/api/v1/clients"), 401)


def test_a_deactivated_users_token_stops_working(api):
    user = api.as_role("account_manager")
    user.is_active = False
    db.session.commit()
    assert_problem(api.get("/api/v1/clients"), 401)


def test_a_signed_in_session_never_authenticates_the_api(client, auth):
    auth.login_as("admin")
    assert client.get("/dashboard/").status_code == 200
    assert_problem(client.get("/api/v1/clients"), 401)
    assert_problem(client.post("/api/v1/clients", json=NEW_CLIENT), 401)
    assert client_count() == 0


def test_a_token_never_authenticates_a_page(api, client):
    api.as_role("admin")
    response = client.get("/dashboard/", headers=api.headers())
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_a_read_token_reads_but_cannot_write(api, make):
    user = make.user(role="account_manager")
    api.as_user(user, scope="read")
    assert api.get("/api/v1/clients").status_code == 200
    body = assert_problem(api.post("/api/v1/clients", json=NEW_CLIENT), 403)
    assert "read-only" in body["detail"]
    assert client_count() == 0


def test_the_last_use_of_a_token_is_recorded(api):
    user = api.as_role("account_manager")
    api.get("/api/v1/clients")
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.last_used_at is not None


# -------------------------------------------------------------------- problem details


def test_unknown_routes_and_methods_answer_problems(api):
    api.as_role("account_manager")
    assert_problem(api.get("/api/v1/nothing-here"), 404)
    response = api.delete("/api/v1/clients")
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_invalid_input_lists_every_field_error_and_writes_nothing(api):
    api.as_role("account_manager")
    response = api.post(
        "/api/v1/clients",
        json={
            **NEW_CLIENT,
            "country": "XX",
            "timezone": "Mars/Olympus",
            "workday_start": "9am",
            "payment_terms_days": 30.5,
            "surprise": 1,
        },
    )
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {
        "country",
        "timezone",
        "workday_start",
        "payment_terms_days",
        "surprise",
    }
    assert "ISO 3166" in body["errors"]["country"][0]
    assert "IANA" in body["errors"]["timezone"][0]
    assert client_count() == 0


def test_an_integral_number_is_an_integer_and_a_string_is_not(api):
    api.as_role("account_manager")
    ok = api.post("/api/v1/clients", json={**NEW_CLIENT, "payment_terms_days": 45.0})
    assert ok.status_code == 201, ok.text
    assert ok.json["payment_terms_days"] == 45
    refused = api.post(
        "/api/v1/clients", json={**NEW_CLIENT, "name": "Other", "payment_terms_days": "45"}
    )
    assert_problem(refused, 422)


def test_a_nul_character_is_refused_not_a_server_error(api):
    api.as_role("account_manager")
    body = assert_problem(api.post("/api/v1/clients", json={**NEW_CLIENT, "name": "A\x00"}), 422)
    assert "name" in body["errors"]


def test_a_body_that_is_no_json_is_refused(api):
    api.as_role("account_manager")
    response = api.post(
        "/api/v1/clients", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.mimetype == PROBLEM_JSON


# -------------------------------------------------------------------- ETag / If-Match


def test_patch_needs_if_match_and_refuses_a_stale_etag(api, make):
    api.as_role("account_manager")
    company = make.client()
    url = f"/api/v1/clients/{company.id}"
    read = api.get(url)
    etag = read.headers["ETag"]
    assert etag == f'"{company.version_id}"'
    assert_problem(api.patch(url, json={"industry": "Robotics"}), 428)
    changed = api.patch(url, json={"industry": "Robotics"}, headers={"If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.json["industry"] == "Robotics"
    assert changed.headers["ETag"] != etag
    stale = api.patch(url, json={"industry": "Drones"}, headers={"If-Match": etag})
    assert_problem(stale, 412)
    db.session.expire_all()
    assert db.session.get(Client, company.id).industry == "Robotics"


# ------------------------------------------------------------------- Idempotency-Key


def test_a_retried_post_with_the_same_key_creates_one_row(api):
    api.as_role("account_manager")
    key = {"Idempotency-Key": "create-acme-1"}
    first = api.post("/api/v1/clients", json=NEW_CLIENT, headers=key)
    again = api.post("/api/v1/clients", json=NEW_CLIENT, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["ETag"] == first.headers["ETag"]
    assert client_count() == 1


def test_the_same_key_with_another_body_is_a_conflict(api):
    api.as_role("account_manager")
    key = {"Idempotency-Key": "k-2"}
    assert api.post("/api/v1/clients", json=NEW_CLIENT, headers=key).status_code == 201
    other = api.post("/api/v1/clients", json={**NEW_CLIENT, "name": "Other"}, headers=key)
    body = assert_problem(other, 409)
    assert "different request" in body["detail"]
    assert client_count() == 1


def test_a_conflict_is_not_kept_so_the_retry_runs_afresh(api, make):
    api.as_role("account_manager")
    taken = make.client(name=NEW_CLIENT["name"])
    key = {"Idempotency-Key": "after-rename"}
    assert_problem(api.post("/api/v1/clients", json=NEW_CLIENT, headers=key), 409)
    taken.name = "Renamed meanwhile"
    db.session.commit()
    assert api.post("/api/v1/clients", json=NEW_CLIENT, headers=key).status_code == 201


def test_a_claim_left_by_a_process_that_died_is_taken_over_after_a_while(api):
    user = api.as_role("account_manager")
    key = {"Idempotency-Key": "orphan"}
    first = api.post("/api/v1/clients", json=NEW_CLIENT, headers=key)
    assert first.status_code == 201
    # As if the first try had died before its answer was kept, long ago.
    row = db.session.scalar(
        sa.select(IdempotentRequest).where(IdempotentRequest.user_id == user.id)
    )
    row.status_code, row.body, row.created_at = None, None, utcnow() - timedelta(minutes=1)
    db.session.commit()
    body = assert_problem(api.post("/api/v1/clients", json=NEW_CLIENT, headers=key), 409)
    assert "still running" in body["detail"]
    row.created_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    retried = api.post("/api/v1/clients", json=NEW_CLIENT, headers=key)
    assert retried.status_code == 409  # it runs again: the name is now taken by the first try
    assert "already a client" in retried.json["detail"]
    assert client_count() == 1


def test_keys_are_forgotten_after_a_day(api):
    api.as_role("account_manager")
    old = IdempotentRequest(
        user_id=api.user.id,
        key="ancient",
        fingerprint="x",
        status_code=201,
        body="{}",
        created_at=utcnow() - timedelta(hours=25),
    )
    db.session.add(old)
    db.session.commit()
    api.post("/api/v1/clients", json=NEW_CLIENT, headers={"Idempotency-Key": "new"})
    keys = set(db.session.scalars(sa.select(IdempotentRequest.key)))
    assert keys == {"new"}


def test_keys_belong_to_their_user(api, make):
    api.as_role("account_manager")
    key = {"Idempotency-Key": "shared"}
    assert api.post("/api/v1/clients", json=NEW_CLIENT, headers=key).status_code == 201
    api.as_role("account_manager")
    second = api.post("/api/v1/clients", json={**NEW_CLIENT, "name": "Beta"}, headers=key)
    assert second.status_code == 201
    assert client_count() == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdempotentRequest)) == 2


def test_a_refused_post_is_kept_too_and_replayed(api):
    api.as_role("account_manager")
    key = {"Idempotency-Key": "bad-1"}
    bad = {**NEW_CLIENT, "country": "XX"}
    first = api.post("/api/v1/clients", json=bad, headers=key)
    again = api.post("/api/v1/clients", json=bad, headers=key)
    assert first.status_code == again.status_code == 422
    assert again.json["errors"] == first.json["errors"]
    assert again.mimetype == PROBLEM_JSON


# ------------------------------------------------------------------------- cursor pages


def test_cursor_pages_see_every_row_once_across_inserts(api, make):
    api.as_role("account_manager")
    for name in ("Alpha", "Bravo", "Delta", "Echo", "Golf"):
        make.client(name=name)
    page = api.get("/api/v1/clients?limit=2").json
    seen = [c["name"] for c in page["data"]]
    assert seen == ["Alpha", "Bravo"]
    make.client(name="Aardvark")  # sorts before the cursor: never shifts what follows
    make.client(name="Charlie")  # sorts after it: shows up in its place
    while page["next"]:
        page = api.get(page["next"]).json
        seen += [c["name"] for c in page["data"]]
    assert seen == ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Golf"]


def test_cursor_pages_sort_descending_and_refuse_a_forged_cursor(api, make):
    api.as_role("account_manager")
    for name in ("Alpha", "Bravo", "Charlie"):
        make.client(name=name)
    page = api.get("/api/v1/clients?limit=2&sort=-name").json
    assert [c["name"] for c in page["data"]] == ["Charlie", "Bravo"]
    assert [c["name"] for c in api.get(page["next"]).json["data"]] == ["Alpha"]
    assert_problem(api.get("/api/v1/clients?cursor=bm90LWEtY3Vyc29y"), 404)
    # Well-formed cursors with values we never give out: no page there either (never a 500).
    naive = encode_cursor(["2026-01-01T00:00:00", 1])
    assert_problem(api.get(f"/api/v1/clients?sort=created&cursor={naive}"), 404)
    huge = encode_cursor(["x", 10**30])
    assert_problem(api.get(f"/api/v1/clients?cursor={huge}"), 404)
    assert_problem(api.get("/api/v1/clients?limit=201"), 422)
    assert_problem(api.get("/api/v1/clients?sort=password"), 422)


# ------------------------------------------------------------------ who sees which client


def test_a_client_token_sees_only_its_own_company(api, make):
    mine, other = make.client(), make.client()
    api.as_role("client", client=mine)
    listed = api.get("/api/v1/clients").json["data"]
    assert [c["id"] for c in listed] == [mine.id]
    assert listed[0]["notes"] is None  # staff notes stay with staff
    assert api.get(f"/api/v1/clients/{mine.id}").status_code == 200
    assert_problem(api.get(f"/api/v1/clients/{other.id}"), 404)
    assert_problem(api.post("/api/v1/clients", json=NEW_CLIENT), 403)
    assert_problem(
        api.patch(f"/api/v1/clients/{other.id}", json={"name": "x"}, headers={"If-Match": '"1"'}),
        404,
    )


def test_an_engineer_token_has_no_client_list(api):
    api.as_role("engineer")
    assert_problem(api.get("/api/v1/clients"), 403)


def test_the_openapi_document_is_3_1_and_public(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.json["openapi"] == "3.1.0"
    assert spec.json["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/api/v1/clients/{client_id}" in spec.json["paths"]


# ----------------------------------------------------------------------------- rate limit


def test_requests_are_rate_limited_per_token(database_uri, make):
    from tests.conftest import make_app
    from tracker.services.api_tokens import create_token

    limited = make_app(database_uri, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    with limited.app_context():
        first = create_token(make.user(role="account_manager"), "first", "read").secret
        second = create_token(make.user(role="account_manager"), "second", "read").secret
        db.session.commit()
    browser = limited.test_client()

    def get(secret):
        return browser.get("/api/v1/clients", headers={"Authorization": f"Bearer {secret}"})

    assert [get(first).status_code for _ in range(3)] == [200, 200, 200]
    refused = get(first)
    assert_problem(refused, 429)
    assert refused.headers["Retry-After"]
    assert get(second).status_code == 200  # another token has its own budget


def test_made_up_tokens_share_their_address_budget(database_uri):
    from tests.conftest import make_app

    limited = make_app(database_uri, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    browser = limited.test_client()
    answers = [
        browser.get("/api/v1/clients", headers={"Authorization": f"Bearer et_fake{n}_x"})
        for n in range(4)
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 429]


def test_knowing_a_tokens_prefix_does_not_spend_its_budget(database_uri, make):
    from tests.conftest import make_app
    from tracker.services.api_tokens import create_token

    limited = make_app(database_uri, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    with limited.app_context():
        new = create_token(make.user(role="account_manager"), "victim", "read")
        db.session.commit()
        forged = f"et_{new.token.prefix}_guessed"
    browser = limited.test_client()
    for _ in range(3):
        browser.get("/api/v1/clients", headers={"Authorization": f"Bearer {forged}"})
    real = browser.get("/api/v1/clients", headers={"Authorization": f"Bearer {new.secret}"})
    assert real.status_code == 200
