"""A list's first page is kept per user until a write to what it read
(tracker.api.core.first_pages_kept): never stale, never another user's."""

import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import Placement
from tracker.services import transaction


def test_a_first_page_asked_again_is_the_kept_answer_until_its_data_changes(
    api, make, count_queries
):
    first = make.placement()
    api.as_role("account_manager")
    answer = api.get("/api/v1/placements")
    assert [row["id"] for row in answer.json["data"]] == [first.id]

    with count_queries() as again:
        kept = api.get("/api/v1/placements")
    with count_queries() as afresh:
        api.get_afresh("/api/v1/placements")
    assert kept.status_code == 200
    assert kept.get_data() == answer.get_data()
    assert again.count < afresh.count  # the list's statements were not sent

    second = make.placement()  # a write to placements

    rows = api.get("/api/v1/placements").json["data"]
    assert {row["id"] for row in rows} == {first.id, second.id}


def test_a_change_to_a_listed_record_shows_at_once(api, make):
    placement = make.placement()
    api.as_role("account_manager")
    assert api.get("/api/v1/placements").json["data"][0]["pay_rate"] == "55.00"

    with transaction():
        db.session.execute(
            sa.update(Placement).where(Placement.id == placement.id).values(pay_rate=60)
        )

    assert api.get("/api/v1/placements").json["data"][0]["pay_rate"] == "60.00"


def test_a_write_elsewhere_keeps_the_answer(api, make, count_queries):
    make.placement()
    api.as_role("account_manager")
    api.get("/api/v1/placements")
    with count_queries() as kept:
        api.get("/api/v1/placements")

    make.skill("Rust")  # the skill catalogue: not read by the placement list

    with count_queries() as after:
        api.get("/api/v1/placements")
    assert after.count == kept.count


def test_each_user_gets_their_own_answer(api, make):
    company = make.client()
    mine = make.placement(request=make.request(client=company))
    theirs = make.placement()
    api.as_role("account_manager")
    staff_rows = api.get("/api/v1/placements").json["data"]
    assert {row["id"] for row in staff_rows} == {mine.id, theirs.id}
    assert staff_rows[0]["pay_rate"] is not None

    api.as_role("client", client=company)
    rows = api.get("/api/v1/placements").json["data"]
    assert [row["id"] for row in rows] == [mine.id]
    assert rows[0]["pay_rate"] is None

    engineer = make.user(role="engineer", engineer=make.engineer())
    api.as_user(engineer)
    assert api.get("/api/v1/invoices").status_code == 403  # never someone else's answer


def test_a_refusal_is_never_kept(api, make):
    make.placement()
    api.as_role("client", client=make.client())
    assert api.get("/api/v1/engineers").status_code == 403
    assert api.get("/api/v1/engineers").status_code == 403
    api.as_role("account_manager")
    assert api.get("/api/v1/engineers").status_code == 200
    assert api.get("/api/v1/placements?status=paused").status_code == 422
    assert api.get("/api/v1/placements?status=paused").status_code == 422


def test_pages_after_a_cursor_are_read_afresh(api, make, count_queries):
    for _ in range(3):
        make.placement()
    api.as_role("account_manager")
    next_link = api.get("/api/v1/placements?limit=1").json["next"]
    with count_queries() as first:
        assert api.get(next_link).status_code == 200
    with count_queries() as second:
        assert api.get(next_link).status_code == 200
    assert second.count == first.count


def test_a_kept_answer_still_counts_against_the_rate_limit(database_uri, make):
    from tests.conftest import make_app
    from tracker.services.api_tokens import create_token

    limited = make_app(database_uri, RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    with limited.app_context():
        secret = create_token(make.user(role="account_manager"), "poller", "read").secret
        db.session.commit()
    browser = limited.test_client()
    answers = [
        browser.get("/api/v1/placements", headers={"Authorization": f"Bearer {secret}"})
        for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[1].headers["X-RateLimit-Remaining"] == "1"  # the limiter ran on a kept one


def test_a_list_under_a_record_follows_the_record_and_its_rows(api, make, count_queries):
    """/placements/<id>/reviews: kept too, and a new review, or a change to the placement
    that the guard read before the view, is seen at once."""
    placement = make.placement()
    make.review(placement, iteration=1)
    api.as_role("account_manager")
    path = f"/api/v1/placements/{placement.id}/reviews"
    assert len(api.get(path).json["data"]) == 1
    with count_queries() as kept:
        assert api.get(path).status_code == 200
    with count_queries() as afresh:
        assert api.get_afresh(path).status_code == 200
    assert kept.count < afresh.count

    make.review(placement, iteration=2)
    assert len(api.get(path).json["data"]) == 2

    before = api.get(path).get_data()
    with transaction():
        db.session.execute(
            sa.update(Placement).where(Placement.id == placement.id).values(pay_rate=61)
        )
    with count_queries() as after_write:
        assert api.get(path).get_data() == before  # same answer: the reviews did not change
    assert after_write.count == afresh.count  # but worked out afresh


def test_another_companys_record_stays_a_404_after_staff_read_its_list(api, make):
    placement = make.placement()
    make.review(placement)
    path = f"/api/v1/placements/{placement.id}/reviews"
    api.as_role("account_manager")
    assert api.get(path).status_code == 200
    api.as_role("client", client=make.client())
    assert api.get(path).status_code == 404


def test_the_lists_that_keep_their_first_page_read_the_tokens_first(app):
    """Every list view is marked, so the data's tokens are read before the token's user."""
    marked = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(getattr(getattr(view, "view_class", None), "get", None), "keeps_first_page", 0)
    ]
    assert {"api_placements.Placements", "api_engineers.Engineers"} <= set(marked)
    assert "api_placements.PlacementItem" not in marked
