"""/api/v1/placements: what staff, a client user and an engineer each see of a placement, and
creating and ending placements through the placement pages' services."""

from datetime import date, timedelta

import sqlalchemy as sa

from tests.api.test_core import assert_problem
from tracker.extensions import db
from tracker.models import Placement, PlacementRate

TODAY = date.today()


def placement_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Placement))


def new_placement(proposal, **changes) -> dict:
    return {
        "proposal_id": proposal.id,
        "start_date": (TODAY + timedelta(days=7)).isoformat(),
        "end_date": (TODAY + timedelta(days=97)).isoformat(),
        "bill_rate": "90.00",
        "pay_rate": "55",
        **changes,
    }


# ------------------------------------------------------------------------------ reading


def test_staff_see_every_placement_with_rates_and_margin(api, make):
    placement = make.placement()
    api.as_role("account_manager")
    response = api.get("/api/v1/placements")
    assert response.status_code == 200, response.text
    [row] = response.json["data"]
    assert row["id"] == placement.id
    assert (row["client_id"], row["request_id"], row["engineer_id"]) == (
        placement.client_id,
        placement.request_id,
        placement.engineer_id,
    )
    assert (row["bill_rate"], row["pay_rate"], row["margin"]) == ("90.00", "55.00", "35.00")
    assert row["engineer_name"] == placement.engineer.full_name
    assert row["reviews_count"] == 0


def test_a_client_sees_its_companys_placements_without_pay_or_margin(api, make):
    company = make.client()
    mine = make.placement(request=make.request(client=company))
    theirs = make.placement()
    api.as_role("client", client=company)
    response = api.get("/api/v1/placements")
    assert [row["id"] for row in response.json["data"]] == [mine.id]
    row = response.json["data"][0]
    assert row["bill_rate"] == "90.00"
    assert row["pay_rate"] is None
    assert row["margin"] is None
    assert row["engineer_name"] == mine.engineer.client_safe_name
    assert row["client_id"] == company.id
    one = api.get(f"/api/v1/placements/{mine.id}")
    assert one.status_code == 200
    assert one.json["pay_rate"] is None
    assert_problem(api.get(f"/api/v1/placements/{theirs.id}"), 404)
    # A filter naming another company finds nothing of it.
    assert api.get(f"/api/v1/placements?client_id={theirs.client_id}").json["data"] == []


def test_an_engineer_sees_their_own_placements_as_me_shows_them(api, make):
    engineer = make.engineer()
    mine = make.placement(engineer=engineer)
    make.review(mine)
    other = make.placement()
    api.as_role("engineer", engineer=engineer)
    response = api.get("/api/v1/placements")
    assert [row["id"] for row in response.json["data"]] == [mine.id]
    row = response.json["data"][0]
    assert row["pay_rate"] == "55.00"
    assert row["bill_rate"] is None
    assert row["margin"] is None
    assert row["reviews_count"] is None
    assert row["last_overall"] is None
    assert (row["client_id"], row["request_id"], row["engineer_id"]) == (
        mine.client_id,
        mine.request_id,
        engineer.id,
    )
    assert api.get(f"/api/v1/placements/{mine.id}").status_code == 200
    assert_problem(api.get(f"/api/v1/placements/{other.id}"), 404)


def test_get_one_has_an_etag(api, make):
    placement = make.placement()
    api.as_role("admin")
    response = api.get(f"/api/v1/placements/{placement.id}")
    assert response.headers["ETag"] == f'"{placement.version_id}"'
    assert_problem(api.get("/api/v1/placements/999999"), 404)


def test_filters_and_cursor(api, make):
    company = make.client()
    engineer = make.engineer()
    starts = [TODAY - timedelta(days=d) for d in (300, 200, 100)]
    rows = [
        make.placement(
            engineer=engineer,
            request=make.request(client=company),
            start=start,
            end=start + timedelta(days=50),
            status="ended",
            end_reason="completed",
        )
        for start in starts
    ]
    live = make.placement()
    api.as_role("account_manager")
    page = api.get(f"/api/v1/placements?engineer_id={engineer.id}&limit=2&sort=start")
    assert [r["id"] for r in page.json["data"]] == [rows[0].id, rows[1].id]
    rest = api.get(page.json["next"])
    assert [r["id"] for r in rest.json["data"]] == [rows[2].id]
    assert rest.json["next"] is None
    assert [r["id"] for r in api.get("/api/v1/placements?status=active").json["data"]] == [live.id]
    by_client = api.get(f"/api/v1/placements?client_id={company.id}&sort=-start")
    assert [r["id"] for r in by_client.json["data"]] == [rows[2].id, rows[1].id, rows[0].id]
    assert_problem(api.get("/api/v1/placements?status=paused"), 422)


def test_list_statements_do_not_grow_with_rows(api, make, count_queries):
    api.as_role("account_manager")
    make.placement()
    api.get("/api/v1/placements")  # the token's first use writes its last-used time
    with count_queries() as few:
        assert api.get_afresh("/api/v1/placements").status_code == 200
    for _ in range(4):
        make.placement()
    with count_queries() as many:
        assert len(api.get_afresh("/api/v1/placements").json["data"]) == 5
    assert many.count == few.count


# ----------------------------------------------------------------------------- creating


def test_staff_place_an_accepted_proposal(api, make):
    proposal = make.proposal(status="accepted")
    api.as_role("account_manager")
    response = api.post(
        "/api/v1/placements",
        json=new_placement(proposal, review_cadence_days=7.0, hours_per_week=37.5),
    )
    assert response.status_code == 201, response.text
    body = response.json
    assert body["status"] == "pending"
    assert (body["client_id"], body["request_id"], body["engineer_id"], body["proposal_id"]) == (
        proposal.request.client_id,
        proposal.request_id,
        proposal.engineer_id,
        proposal.id,
    )
    assert (body["hours_per_week"], body["review_cadence_days"]) == (37.5, 7)
    assert response.headers["Location"] == f"/api/v1/placements/{body['id']}"
    assert response.headers["ETag"]
    # Through the service: its first rate row is written with it.
    assert db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PlacementRate)
        .where(PlacementRate.placement_id == body["id"])
    )
    again = api.post("/api/v1/placements", json=new_placement(proposal))
    assert "already has a placement" in assert_problem(again, 409)["detail"]
    assert placement_count() == 1


def test_only_an_accepted_proposal_becomes_a_placement(api, make):
    proposal = make.proposal(status="interviewing")
    api.as_role("account_manager")
    body = assert_problem(api.post("/api/v1/placements", json=new_placement(proposal)), 409)
    assert "accepted" in body["detail"]
    assert placement_count() == 0


def test_a_double_booking_is_409(api, make):
    engineer = make.engineer()
    make.placement(engineer=engineer, start=TODAY, end=TODAY + timedelta(days=200))
    proposal = make.proposal(engineer=engineer, status="accepted")
    api.as_role("account_manager")
    assert_problem(api.post("/api/v1/placements", json=new_placement(proposal)), 409)
    assert placement_count() == 1


def test_bad_placement_input_is_422_with_field_errors(api, make):
    proposal = make.proposal(status="accepted")
    api.as_role("account_manager")
    cases = {
        "bill_rate": {"bill_rate": "40.00"},  # below the pay rate
        "end_date": {"end_date": (TODAY - timedelta(days=1)).isoformat()},
        "review_cadence_days": {"review_cadence_days": 10},
        "hours_per_week": {"hours_per_week": 37.3},
        "pay_rate": {"pay_rate": 55},
    }
    for field, change in cases.items():
        response = api.post("/api/v1/placements", json=new_placement(proposal, **change))
        body = assert_problem(response, 422)
        assert field in body["errors"], (field, body)
    # Rules relating two fields are published as such (JSON Schema cannot state them).
    below = api.post("/api/v1/placements", json=new_placement(proposal, bill_rate="40.00"))
    assert below.json["type"].endswith("/contextual-rule")
    # A proposal that does not exist: the stored data refuses it, the field named.
    gone = api.post("/api/v1/placements", json=new_placement(proposal, proposal_id=999999))
    assert "proposal_id" in assert_problem(gone, 409)["errors"]
    missing = assert_problem(api.post("/api/v1/placements", json={}), 422)
    assert {"proposal_id", "start_date", "bill_rate", "pay_rate"} <= set(missing["errors"])
    assert placement_count() == 0


def test_clients_and_engineers_may_not_create_placements(api, make):
    proposal = make.proposal(status="accepted")
    api.as_role("client", client=proposal.request.client)
    assert_problem(api.post("/api/v1/placements", json=new_placement(proposal)), 403)
    api.as_role("engineer", engineer=proposal.engineer)
    assert_problem(api.post("/api/v1/placements", json=new_placement(proposal)), 403)
    assert placement_count() == 0


# ------------------------------------------------------------------------------- ending


def test_staff_end_a_placement(api, make):
    placement = make.placement()
    api.as_role("account_manager")
    url = f"/api/v1/placements/{placement.id}/end"
    response = api.post(url, json={"reason": "client_ended", "last_day": TODAY.isoformat()})
    assert response.status_code == 200, response.text
    assert (response.json["status"], response.json["end_reason"]) == ("ended", "client_ended")
    assert response.json["end_date"] == TODAY.isoformat()
    body = assert_problem(api.post(url, json={"reason": "completed"}), 409)
    assert "already ended" in body["detail"]


def test_ending_refusals(api, make):
    company = make.client()
    placement = make.placement(request=make.request(client=company))
    url = f"/api/v1/placements/{placement.id}/end"
    api.as_role("account_manager")
    assert "reason" in assert_problem(api.post(url, json={}), 422)["errors"]
    assert "reason" in assert_problem(api.post(url, json={"reason": "bored"}), 422)["errors"]
    assert_problem(api.post(url, json={"reason": "completed"}, headers={"If-Match": '"99"'}), 412)
    api.as_role("client", client=company)
    assert_problem(api.post(url, json={"reason": "completed"}), 403)
    api.as_role("client", client=make.client())
    assert_problem(api.post(url, json={"reason": "completed"}), 404)
    api.as_role("engineer", engineer=placement.engineer)
    assert_problem(api.post(url, json={"reason": "engineer_left"}), 403)
    api.as_role("engineer")
    assert_problem(api.post(url, json={"reason": "engineer_left"}), 404)
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).status == "active"
