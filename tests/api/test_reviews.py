"""Iteration reviews in the API: who reads and writes them, and the review form's rules."""

import sqlalchemy as sa

from tests.api.test_core import assert_problem
from tracker.extensions import db
from tracker.models import IterationReview, Placement

REVIEW = {
    "iteration": 1,
    "delivery": 5,
    "code_quality": 4,
    "communication": 4.0,
    "collaboration": 3,
    "would_continue": True,
    "comments": "  Shipped the pipeline.  ",
}


def review_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(IterationReview))


# ------------------------------------------------------------------------------ reading


def test_staff_read_a_placements_reviews(api, make):
    placement = make.placement()
    first, second = make.review(placement, 1), make.review(placement, 2, delivery=2)
    api.as_role("account_manager")
    response = api.get(f"/api/v1/placements/{placement.id}/reviews")
    assert response.status_code == 200, response.text
    assert [r["id"] for r in response.json["data"]] == [first.id, second.id]
    row = response.json["data"][1]
    assert (row["placement_id"], row["client_id"], row["engineer_id"]) == (
        placement.id,
        placement.client_id,
        placement.engineer_id,
    )
    assert row["overall"] == 3.5
    one = api.get(f"/api/v1/reviews/{first.id}")
    assert one.status_code == 200
    assert one.headers["ETag"]
    assert one.json["iteration"] == 1


def test_reviews_page_with_a_cursor(api, make):
    placement = make.placement(start=None)
    reviews = [make.review(placement, n) for n in (1, 2)]
    api.as_role("admin")
    page = api.get(f"/api/v1/placements/{placement.id}/reviews?limit=1")
    assert [r["id"] for r in page.json["data"]] == [reviews[0].id]
    rest = api.get(page.json["next"])
    assert [r["id"] for r in rest.json["data"]] == [reviews[1].id]
    assert rest.json["next"] is None


def test_a_client_reads_its_companys_reviews_only(api, make):
    company = make.client()
    mine = make.placement(request=make.request(client=company))
    theirs = make.placement()
    my_review, their_review = make.review(mine), make.review(theirs)
    api.as_role("client", client=company)
    assert [r["id"] for r in api.get(f"/api/v1/placements/{mine.id}/reviews").json["data"]] == [
        my_review.id
    ]
    assert api.get(f"/api/v1/reviews/{my_review.id}").status_code == 200
    assert_problem(api.get(f"/api/v1/placements/{theirs.id}/reviews"), 404)
    assert_problem(api.get(f"/api/v1/reviews/{their_review.id}"), 404)


def test_engineers_never_see_reviews(api, make):
    engineer = make.engineer()
    placement = make.placement(engineer=engineer)
    review = make.review(placement)
    api.as_role("engineer", engineer=engineer)
    assert_problem(api.get(f"/api/v1/placements/{placement.id}/reviews"), 403)
    assert_problem(api.get(f"/api/v1/reviews/{review.id}"), 403)
    assert_problem(api.post(f"/api/v1/placements/{placement.id}/reviews", json=REVIEW), 403)
    assert review_count() == 1


def test_list_statements_do_not_grow_with_rows(api, make, count_queries):
    placement = make.placement(start=None)
    api.as_role("account_manager")
    make.review(placement, 1)
    url = f"/api/v1/placements/{placement.id}/reviews"
    api.get(url)  # the token's first use writes its last-used time
    with count_queries() as few:
        assert api.get_afresh(url).status_code == 200
    make.review(placement, 2)
    with count_queries() as many:
        assert len(api.get_afresh(url).json["data"]) == 2
    assert many.count == few.count


# ------------------------------------------------------------------------------ writing


def test_staff_review_an_ended_iteration(api, make):
    placement = make.placement()
    user = api.as_role("account_manager")
    response = api.post(f"/api/v1/placements/{placement.id}/reviews", json=REVIEW)
    assert response.status_code == 201, response.text
    body = response.json
    assert body["submitted_by_id"] == user.id
    assert body["comments"] == "Shipped the pipeline."
    assert body["overall"] == 4.0
    assert response.headers["Location"] == f"/api/v1/reviews/{body['id']}"
    db.session.expire_all()
    assert db.session.get(Placement, placement.id).reviews_count == 1  # the summary refreshed
    # Correcting one's own review within the week: 200, still one review.
    corrected = api.post(
        f"/api/v1/placements/{placement.id}/reviews", json={**REVIEW, "delivery": 3}
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json["delivery"] == 3
    assert review_count() == 1


def test_a_client_reviews_its_own_placement_as_in_the_portal(api, make):
    company = make.client()
    placement = make.placement(request=make.request(client=company))
    user = api.as_role("client", client=company)
    response = api.post(f"/api/v1/placements/{placement.id}/reviews", json=REVIEW)
    assert response.status_code == 201, response.text
    assert response.json["submitted_by_id"] == user.id
    other = make.placement()
    assert_problem(api.post(f"/api/v1/placements/{other.id}/reviews", json=REVIEW), 404)
    assert review_count() == 1


def test_every_rating_must_be_given_from_1_to_5(api, make):
    placement = make.placement()
    api.as_role("account_manager")
    url = f"/api/v1/placements/{placement.id}/reviews"
    for field in ("delivery", "code_quality", "communication", "collaboration", "would_continue"):
        missing = {k: v for k, v in REVIEW.items() if k != field}
        assert field in assert_problem(api.post(url, json=missing), 422)["errors"]
    for bad in (0, 6, 4.5, "4", None, True):
        body = assert_problem(api.post(url, json={**REVIEW, "delivery": bad}), 422)
        assert "delivery" in body["errors"], bad
    assert (
        "would_continue"
        in assert_problem(api.post(url, json={**REVIEW, "would_continue": "yes"}), 422)["errors"]
    )
    assert (
        "iteration" in assert_problem(api.post(url, json={**REVIEW, "iteration": 0}), 422)["errors"]
    )
    assert review_count() == 0


def test_refusals_that_depend_on_the_placement_are_409(api, make):
    placement = make.placement()
    pending = make.placement(status="pending", start=None)
    api.as_role("account_manager")
    url = f"/api/v1/placements/{placement.id}/reviews"
    body = assert_problem(api.post(url, json={**REVIEW, "iteration": 3}), 409)
    assert "can be reviewed from" in body["detail"]  # iteration 3 has not ended
    assert_problem(api.post(f"/api/v1/placements/{pending.id}/reviews", json=REVIEW), 409)
    make.review(placement, 1)
    # Someone else's review of the iteration: only its author may correct it.
    body = assert_problem(api.post(url, json=REVIEW), 409)
    assert "Only the person who wrote" in body["detail"]
    assert review_count() == 1


def test_a_review_with_an_idempotency_key_is_written_once(api, make):
    placement = make.placement()
    api.as_role("account_manager")
    url = f"/api/v1/placements/{placement.id}/reviews"
    headers = {"Idempotency-Key": "review-1"}
    first = api.post(url, json=REVIEW, headers=headers)
    again = api.post(url, json=REVIEW, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert review_count() == 1
