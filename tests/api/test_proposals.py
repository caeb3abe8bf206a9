"""/api/v1/proposals: shortlisting, what staff and a client user see, and the moves each may
make (the match page's and the portal's rules)."""

import sqlalchemy as sa

from tests.api.test_core import assert_problem
from tracker.extensions import db
from tracker.models import AuditEvent, Proposal, utcnow


def proposal_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Proposal))


def put_to(make, company, status="proposed", **kw):
    """A proposal put to the company (as move_proposal would have)."""
    return make.proposal(
        request=make.request(client=company), status=status, proposed_at=utcnow(), **kw
    )


# ------------------------------------------------------------------------------ reading


def test_staff_list_every_proposal_with_the_ids_it_belongs_to(api, make):
    company = make.client()
    shown = put_to(make, company)
    hidden = make.proposal(request=make.request(client=company), status="shortlisted")
    api.as_role("account_manager")
    response = api.get("/api/v1/proposals")
    assert response.status_code == 200, response.text
    rows = {row["id"]: row for row in response.json["data"]}
    assert set(rows) == {shown.id, hidden.id}
    row = rows[shown.id]
    assert row["request_id"] == shown.request_id
    assert row["client_id"] == company.id
    assert row["engineer_id"] == shown.engineer_id
    assert row["engineer_name"] == shown.engineer.full_name
    assert set(row["moves"]) == {"interviewing", "accepted", "declined", "withdrawn"}


def test_a_client_sees_only_proposals_put_to_its_company(api, make):
    company, other = make.client(), make.client()
    mine = put_to(make, company, bill_rate="80.00", score=77, decline_note="internal")
    make.proposal(request=make.request(client=company), status="shortlisted")  # not put to it
    theirs = put_to(make, other)
    api.as_role("client", client=company)
    response = api.get("/api/v1/proposals")
    assert response.status_code == 200, response.text
    assert [row["id"] for row in response.json["data"]] == [mine.id]
    row = response.json["data"][0]
    assert row["engineer_name"] == mine.engineer.client_safe_name
    assert row["bill_rate"] == "80.00"
    assert row["score"] is None
    assert row["decline_note"] is None
    assert set(row["moves"]) == {"accepted", "declined"}
    assert api.get(f"/api/v1/proposals/{mine.id}").status_code == 200
    assert_problem(api.get(f"/api/v1/proposals/{theirs.id}"), 404)


def test_a_shortlisted_proposal_is_a_404_for_the_client(api, make):
    company = make.client()
    shortlisted = make.proposal(request=make.request(client=company), status="shortlisted")
    api.as_role("client", client=company)
    assert_problem(api.get(f"/api/v1/proposals/{shortlisted.id}"), 404)


def test_engineers_may_not_read_proposals(api, make):
    proposal = put_to(make, make.client())
    api.as_role("engineer", engineer=proposal.engineer)
    assert_problem(api.get("/api/v1/proposals"), 403)
    assert_problem(api.get(f"/api/v1/proposals/{proposal.id}"), 403)


def test_list_filters_and_cursor(api, make):
    company = make.client()
    req = make.request(client=company)
    rows = [make.proposal(request=req, status="shortlisted") for _ in range(3)]
    other = put_to(make, company)
    api.as_role("admin")
    response = api.get(f"/api/v1/proposals?request_id={req.id}&limit=2&sort=created")
    assert [r["id"] for r in response.json["data"]] == [rows[0].id, rows[1].id]
    follow = api.get(response.json["next"])
    assert [r["id"] for r in follow.json["data"]] == [rows[2].id]
    assert follow.json["next"] is None
    status = api.get("/api/v1/proposals?status=proposed")
    assert [r["id"] for r in status.json["data"]] == [other.id]
    assert_problem(api.get("/api/v1/proposals?status=maybe"), 422)
    assert_problem(api.get("/api/v1/proposals?colour=red"), 422)


def test_get_one_has_an_etag(api, make):
    proposal = put_to(make, make.client())
    api.as_role("account_manager")
    response = api.get(f"/api/v1/proposals/{proposal.id}")
    assert response.headers["ETag"] == f'"{proposal.version_id}"'
    assert response.json["version"] == proposal.version_id


def test_list_statements_do_not_grow_with_rows(api, make, count_queries):
    company = make.client()
    api.as_role("account_manager")
    put_to(make, company)
    api.get("/api/v1/proposals")  # the token's first use writes its last-used time
    with count_queries() as few:
        assert api.get_afresh("/api/v1/proposals").status_code == 200
    for _ in range(4):
        put_to(make, company)
    with count_queries() as many:
        assert len(api.get_afresh("/api/v1/proposals").json["data"]) == 5
    assert many.count == few.count


# ---------------------------------------------------------------------------- shortlist


def test_staff_shortlist_an_engineer(api, make):
    req = make.request(client=make.client())
    engineer = make.engineer()
    user = api.as_role("account_manager")
    response = api.post(
        "/api/v1/proposals", json={"request_id": req.id, "engineer_id": float(engineer.id)}
    )
    assert response.status_code == 201, response.text
    body = response.json
    assert body["status"] == "shortlisted"
    assert (body["request_id"], body["engineer_id"], body["client_id"]) == (
        req.id,
        engineer.id,
        req.client_id,
    )
    assert response.headers["Location"] == f"/api/v1/proposals/{body['id']}"
    assert response.headers["ETag"]
    proposal = db.session.get(Proposal, body["id"])
    assert proposal.created_by_id == user.id
    assert db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "proposal.created", AuditEvent.entity_id == proposal.id
        )
    )
    # Twice: the service refuses, nothing written.
    again = api.post("/api/v1/proposals", json={"request_id": req.id, "engineer_id": engineer.id})
    assert "already on this request" in assert_problem(again, 409)["detail"]
    assert proposal_count() == 1


def test_shortlist_refusals(api, make):
    req = make.request(client=make.client())
    closed = make.request(client=make.client(), status="filled")
    engineer = make.engineer()
    unvetted = make.engineer(vetting_status="sourced")
    api.as_role("client", client=req.client)
    assert_problem(
        api.post("/api/v1/proposals", json={"request_id": req.id, "engineer_id": engineer.id}),
        403,
    )
    api.as_role("account_manager")
    body = assert_problem(api.post("/api/v1/proposals", json={"request_id": "1"}), 422)
    assert set(body["errors"]) == {"request_id", "engineer_id"}
    body = assert_problem(
        api.post("/api/v1/proposals", json={"request_id": 999999, "engineer_id": engineer.id}),
        409,
    )
    assert "request_id" in body["errors"]
    body = assert_problem(
        api.post("/api/v1/proposals", json={"request_id": req.id, "engineer_id": 999999}), 409
    )
    assert "engineer_id" in body["errors"]
    assert_problem(
        api.post("/api/v1/proposals", json={"request_id": closed.id, "engineer_id": engineer.id}),
        409,
    )
    assert_problem(
        api.post("/api/v1/proposals", json={"request_id": req.id, "engineer_id": unvetted.id}),
        409,
    )
    assert proposal_count() == 0


def test_shortlist_with_an_idempotency_key_writes_one_row(api, make):
    req = make.request(client=make.client())
    engineer = make.engineer()
    api.as_role("account_manager")
    payload = {"request_id": req.id, "engineer_id": engineer.id}
    headers = {"Idempotency-Key": "shortlist-1"}
    first = api.post("/api/v1/proposals", json=payload, headers=headers)
    second = api.post("/api/v1/proposals", json=payload, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert proposal_count() == 1


# -------------------------------------------------------------------------------- moves


def test_staff_move_a_proposal_along_the_table(api, make):
    proposal = make.proposal(status="shortlisted")
    api.as_role("account_manager")
    response = api.post(f"/api/v1/proposals/{proposal.id}/moves", json={"to": "proposed"})
    assert response.status_code == 200, response.text
    assert response.json["status"] == "proposed"
    assert response.json["proposed_at"] is not None
    assert response.json["bill_rate"] is not None  # the offered rate, set by the service
    declined = api.post(
        f"/api/v1/proposals/{proposal.id}/moves",
        json={"to": "declined", "reason": "rate", "note": "Over budget by 10"},
    )
    assert declined.status_code == 200, declined.text
    assert declined.json["decline_reason"] == "rate"
    assert declined.json["decline_note"] == "Over budget by 10"


def test_a_move_the_table_forbids_is_409_and_changes_nothing(api, make):
    proposal = make.proposal(status="shortlisted")
    declined = make.proposal(status="declined", decline_reason="rate")
    api.as_role("account_manager")
    body = assert_problem(
        api.post(f"/api/v1/proposals/{proposal.id}/moves", json={"to": "accepted"}), 409
    )
    assert "cannot go from shortlisted to accepted" in body["detail"]
    assert_problem(api.post(f"/api/v1/proposals/{declined.id}/moves", json={"to": "proposed"}), 409)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == "shortlisted"
    assert db.session.get(Proposal, declined.id).status == "declined"


def test_bad_move_input_is_422(api, make):
    proposal = make.proposal(status="proposed")
    api.as_role("account_manager")
    url = f"/api/v1/proposals/{proposal.id}/moves"
    assert "to" in assert_problem(api.post(url, json={}), 422)["errors"]
    assert "to" in assert_problem(api.post(url, json={"to": "hired"}), 422)["errors"]
    body = assert_problem(api.post(url, json={"to": "declined"}), 422)
    assert body["errors"] == {"reason": ["Choose the reason the client declined."]}
    assert (
        "reason"
        in assert_problem(api.post(url, json={"to": "declined", "reason": "vibes"}), 422)["errors"]
    )
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == "proposed"


def test_a_stale_if_match_is_412(api, make):
    proposal = make.proposal(status="shortlisted")
    api.as_role("account_manager")
    url = f"/api/v1/proposals/{proposal.id}/moves"
    assert_problem(api.post(url, json={"to": "proposed"}, headers={"If-Match": '"99"'}), 412)
    ok = api.post(url, json={"to": "proposed"}, headers={"If-Match": f'"{proposal.version_id}"'})
    assert ok.status_code == 200, ok.text


def test_a_client_accepts_or_declines_its_own_proposals(api, make):
    company = make.client()
    accepting = put_to(make, company, bill_rate="80.00")
    declining = put_to(make, company, status="interviewing", bill_rate="80.00")
    user = api.as_role("client", client=company)
    response = api.post(f"/api/v1/proposals/{accepting.id}/moves", json={"to": "accepted"})
    assert response.status_code == 200, response.text
    assert response.json["status"] == "accepted"
    assert response.json["moves"] == []
    response = api.post(
        f"/api/v1/proposals/{declining.id}/moves",
        json={"to": "declined", "reason": "timezone", "note": "Too little overlap"},
    )
    assert response.status_code == 200, response.text
    db.session.expire_all()
    proposal = db.session.get(Proposal, declining.id)
    assert (proposal.status, proposal.decline_reason) == ("declined", "timezone")
    assert db.session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "proposal.status_changed",
            AuditEvent.entity_id == proposal.id,
            AuditEvent.actor_id == user.id,
        )
    )


def test_a_client_may_not_make_staff_moves_nor_answer_twice(api, make):
    company = make.client()
    proposal = put_to(make, company)
    decided = put_to(make, company, status="accepted")
    api.as_role("client", client=company)
    body = assert_problem(
        api.post(f"/api/v1/proposals/{proposal.id}/moves", json={"to": "withdrawn"}), 409
    )
    assert "only" in body["detail"]
    assert_problem(
        api.post(
            f"/api/v1/proposals/{decided.id}/moves", json={"to": "declined", "reason": "rate"}
        ),
        409,
    )
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == "proposed"
    assert db.session.get(Proposal, decided.id).status == "accepted"


def test_another_companys_proposal_is_404_and_an_engineer_403(api, make):
    proposal = put_to(make, make.client())
    api.as_role("client", client=make.client())
    assert_problem(api.post(f"/api/v1/proposals/{proposal.id}/moves", json={"to": "accepted"}), 404)
    api.as_role("engineer", engineer=proposal.engineer)
    assert_problem(api.post(f"/api/v1/proposals/{proposal.id}/moves", json={"to": "accepted"}), 403)
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == "proposed"
