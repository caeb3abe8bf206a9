"""Agency-wide figures are computed once per data change, never served stale after a write."""

import sqlalchemy as sa

from tests.conftest import PASSWORD
from tests.test_dashboard import figure
from tracker.extensions import db
from tracker.infra import cache
from tracker.models import Client, DataGeneration, Engineer, TableGeneration
from tracker.services import transaction


def token() -> str | None:
    return db.session.scalar(sa.select(DataGeneration.token))


def dashboard(client, count_queries):
    with count_queries() as counter:
        page = client.get("/dashboard/")
    assert page.status_code == 200
    return page.text, counter.count


def test_a_second_view_reuses_the_figures_and_a_write_refreshes_them(
    client, auth, make, count_queries
):
    make.engineer()
    auth.login_as("account_manager")
    first, first_queries = dashboard(client, count_queries)
    again, again_queries = dashboard(client, count_queries)
    assert figure(first, "available-engineers") == figure(again, "available-engineers") == 1
    assert again_queries < first_queries  # the figures and charts came from the cache

    make.engineer()  # a committed write, as any form's save

    after, after_queries = dashboard(client, count_queries)
    assert figure(after, "available-engineers") == 2
    # Only the parts that read engineers were worked out again (not the charts, nor the
    # urgent requests).
    assert again_queries < after_queries < first_queries


def test_a_write_to_what_the_dashboard_does_not_read_keeps_every_part(
    client, auth, make, count_queries
):
    make.engineer()
    auth.login_as("account_manager")
    dashboard(client, count_queries)
    kept, kept_queries = dashboard(client, count_queries)

    make.skill("Rust")  # the skill catalogue: no figure, list or chart of the dashboard

    after, after_queries = dashboard(client, count_queries)
    assert after_queries == kept_queries
    assert after == kept


def test_a_write_through_the_app_refreshes_the_figures(client, auth, make):
    make.request(status="draft")
    auth.login_as("account_manager")
    assert figure(dashboard_page(client), "open-requests") == 0
    req = db.session.scalar(sa.select(Client)).requests[0]

    response = client.post(f"/requests/{req.id}/status", data={"status": "open"})

    assert response.status_code in (302, 303), response.text
    assert figure(dashboard_page(client), "open-requests") == 1


def dashboard_page(client) -> str:
    return client.get("/dashboard/").text


def test_a_bulk_update_through_the_session_counts_as_a_write(client, auth, make):
    make.engineer()
    auth.login_as("account_manager")
    assert figure(dashboard_page(client), "available-engineers") == 1

    with transaction():
        db.session.execute(sa.update(Engineer).values(is_active=False))

    assert figure(dashboard_page(client), "available-engineers") == 0


def test_a_write_by_another_process_is_seen_through_the_shared_token(client, auth, make):
    make.engineer()
    auth.login_as("account_manager")
    assert figure(dashboard_page(client), "available-engineers") == 1
    # Another process commits without this one's session: only the token in the database moves.
    with db.engine.begin() as conn:
        conn.execute(sa.update(Engineer.__table__).values(is_active=False))
    assert figure(dashboard_page(client), "available-engineers") == 1  # not told yet
    with db.engine.begin() as conn:  # what the other process's commit does next
        conn.execute(
            sa.update(TableGeneration.__table__)
            .where(TableGeneration.name == "engineer")
            .values(token="another-process")
        )

    assert figure(dashboard_page(client), "available-engineers") == 0


def test_a_rolled_back_write_keeps_the_generation(app, make):
    acme = make.client(name="Acme")
    before = token()
    try:
        with transaction():
            acme.name = "Never saved"
            db.session.flush()
            raise RuntimeError("something failed before the commit")
    except RuntimeError:
        pass
    assert token() == before
    make.client()
    assert token() != before


def test_reads_alone_keep_the_generation(client, auth, make):
    make.engineer()
    auth.login_as("account_manager")
    before = token()
    dashboard_page(client)
    client.get("/engineers/")
    assert token() == before


def test_without_the_generation_row_nothing_is_cached_and_the_next_write_restores_it(app, make):
    calls = []
    db.session.execute(sa.delete(DataGeneration))
    db.session.commit()  # a write: the row comes back at once
    assert token() is not None
    with db.engine.begin() as conn:  # gone behind the app's back (an emptied database)
        conn.execute(sa.delete(DataGeneration.__table__))

    for _ in range(2):
        with app.test_request_context():
            assert cache.cached("k", lambda: calls.append(1) or len(calls)) == len(calls)
    assert len(calls) == 2
    make.client()
    assert token() is not None


def test_values_expire_after_the_safety_net_age(app, make, monkeypatch):
    make.client()  # a generation row, whatever the test database started with
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    with app.test_request_context():
        assert cache.cached("k", compute) == 1
    with app.test_request_context():
        assert cache.cached("k", compute) == 1
    monkeypatch.setattr(cache, "MAX_AGE_SECONDS", 0.0)
    with app.test_request_context():
        assert cache.cached("k", compute) == 2


def test_the_match_page_reuses_the_ranking_until_the_roster_changes(
    client, auth, make, count_queries
):
    req = make.request(skills={"Python": (3, True)})
    make.engineer(full_name="Ana Souza", skills={"Python": 4})
    auth.login_as("account_manager")
    path = f"/requests/{req.id}/matches"
    with count_queries() as first:
        assert "Ana Souza" in client.get(path).text
    with count_queries() as again:
        assert "Ana Souza" in client.get(path).text
    assert again.count < first.count  # the ranking's statement was not sent again

    make.engineer(full_name="Bruno Lima", skills={"Python": 5})

    page = client.get(path).text
    assert "Bruno Lima" in page
    assert page.index("Bruno Lima") < page.index("Ana Souza")


def test_signing_in_and_reading_notifications_keep_the_shared_results(client, auth, make):
    """The busiest writes touch only the people's bookkeeping columns, notifications and the
    audit trail: signing in and out, reading notifications renew no token."""
    from tracker.services import notifications

    make.engineer()
    user = make.user(email="am@agency.example")
    with transaction():
        notifications.notify([user], kind="draft_request", title="New request", body="x")
    before = all_tokens()

    assert auth.login("am@agency.example").status_code == 302  # last sign-in, audit trail
    dashboard_page(client)
    assert client.post("/notifications/read", data={}).status_code in (302, 303)
    client.post("/logout")  # a new session token: bookkeeping, not a write to people

    assert all_tokens() == before
    make.engineer()  # a write a shared result reads
    assert all_tokens()["engineer"] != before["engineer"]


def all_tokens() -> dict[str, str]:
    return dict(db.session.execute(sa.select(TableGeneration.name, TableGeneration.token)).all())


def test_an_api_call_noting_its_token_keeps_the_shared_results(api, make):
    """Each API call may note when its token was last used: not a write any shared result
    reads, so integrations polling the API do not empty every process's cache."""
    from tracker.models import ApiToken

    make.engineer()
    api.as_role("account_manager", scope="read")
    db.session.execute(sa.update(ApiToken).values(last_used_at=None))
    db.session.commit()
    before = token()

    assert api.get("/api/v1/engineers").status_code == 200

    assert db.session.scalar(sa.select(ApiToken.last_used_at)) is not None  # it was written
    assert token() == before


def table_token(name: str) -> str | None:
    return db.session.scalar(sa.select(TableGeneration.token).where(TableGeneration.name == name))


def counted(app, key, compute_statement):
    """cache.cached(key, ...) in a request of its own: (value, whether it was computed)."""
    computed = []

    def compute():
        computed.append(1)
        return db.session.execute(compute_statement).all()

    with app.test_request_context():
        value = cache.cached(key, compute)
    return value, bool(computed)


def test_a_write_to_another_table_keeps_the_value_and_one_to_its_table_renews_it(app, make):
    engineer = make.engineer(full_name="Ana Souza")
    names = sa.select(Engineer.full_name).order_by(Engineer.id)
    assert counted(app, "names", names) == ([("Ana Souza",)], True)
    assert counted(app, "names", names) == ([("Ana Souza",)], False)

    make.client(name="Acme")  # the client table only
    assert counted(app, "names", names) == ([("Ana Souza",)], False)

    with transaction():
        engineer.full_name = "Ana Lima"
    assert counted(app, "names", names) == ([("Ana Lima",)], True)


def test_tables_reached_through_joins_and_eager_loads_count(app, make):
    """A request's ranking reads engineers, their skills and placements: a new skill level
    on an engineer renews it though the statement's first table is the request's."""
    req = make.request(skills={"Python": (3, True)})
    engineer = make.engineer(full_name="Ana Souza", skills={"Python": 2})
    from tracker.services import matching

    def ranked():
        with app.test_request_context():
            return [m.engineer.full_name for m in matching.shared_ranking(req)]

    assert ranked() == []
    with transaction():
        engineer.skills[0].level = 4  # engineer_skill alone
    assert ranked() == ["Ana Souza"]


def test_a_value_read_in_plain_sql_depends_on_every_table(app, make):
    make.engineer()
    statement = sa.text("SELECT count(*) FROM engineer")
    assert counted(app, "plain", statement)[1] is True
    assert counted(app, "plain", statement)[1] is False
    make.client()  # not the engineer table, but the statement's tables are unknown
    assert counted(app, "plain", statement)[1] is True


def test_a_value_that_read_a_personal_table_is_never_kept(app, make):
    from tracker.models import Notification
    from tracker.services import notifications

    with transaction():
        notifications.notify([make.user()], kind="draft_request", title="New request", body="x")
    titles = sa.select(Notification.title)
    assert counted(app, "notices", titles)[1] is True
    assert counted(app, "notices", titles)[1] is True


def test_a_value_around_a_kept_one_depends_on_its_tables_too(app, make):
    engineer = make.engineer(full_name="Ana Souza")
    inner_calls = []

    def inner():
        inner_calls.append(1)
        return db.session.scalar(sa.select(Engineer.full_name))

    def outer():
        return "outer:" + cache.cached("inner", inner)

    with app.test_request_context():
        cache.cached("inner", inner)  # kept first on its own
    with app.test_request_context():
        assert cache.cached("outer", outer) == "outer:Ana Souza"  # inner served from the store
    assert len(inner_calls) == 1
    with transaction():
        engineer.full_name = "Ana Lima"
    with app.test_request_context():
        assert cache.cached("outer", outer) == "outer:Ana Lima"


def test_rows_the_database_deletes_along_renew_their_tables(app, make):
    """ON DELETE CASCADE: deleting an engineer deletes their skills without the ORM seeing
    each row go; the skills' table is renewed all the same."""
    engineer = make.engineer(skills={"Python": 3})
    before = table_token("engineer_skill")
    with transaction():
        db.session.execute(sa.delete(Engineer).where(Engineer.id == engineer.id))
    assert table_token("engineer_skill") != before


def test_a_many_to_many_change_renews_the_association_table(app, make):
    """A flush that only adds to a collection kept in an association table."""
    from tracker.models import User

    mapper = sa.inspect(User)  # any model: what its flush may write includes its secondaries
    written = cache._mapper_tables(mapper)
    assert {t.name for t in mapper.tables} <= written
    for relationship in mapper.relationships:
        if relationship.secondary is not None:
            assert relationship.secondary.name in written


def test_bump_with_no_tables_renews_every_one(app, make):
    make.engineer()
    make.client()
    before = {n: table_token(n) for n in ("engineer", "client", "placement")}
    with app.test_request_context():
        cache.bump()
    after = {n: table_token(n) for n in before}
    assert all(after[n] is not None and after[n] != before[n] for n in before)
    assert table_token("notification") is None  # no shared result reads notifications


def test_the_match_page_follows_an_edit_of_the_request_itself(client, auth, make):
    """The ranking reads the roster; what the request asks for is part of its key, so editing
    the request (its own tables only) ranks afresh."""
    from tracker.models import RequestSkill

    req = make.request(skills={"Python": (3, True)})
    make.engineer(full_name="Ana Souza", skills={"Python": 4})
    make.engineer(full_name="Bruno Lima", skills={"Python": 2})
    auth.login_as("account_manager")
    path = f"/requests/{req.id}/matches"
    page = client.get(path).text
    assert "Ana Souza" in page
    assert "Bruno Lima" not in page

    with transaction():
        db.session.execute(
            sa.update(RequestSkill).where(RequestSkill.request_id == req.id).values(min_level=2)
        )

    page = client.get(path).text
    assert "Ana Souza" in page
    assert "Bruno Lima" in page


def test_a_value_depends_on_the_rows_the_session_held_when_it_was_computed(app, make):
    """A lazy load that finds its row in the session sends no statement: the tables of the
    rows held when a value is computed count as read."""
    engineer = make.engineer(full_name="Ana Souza")
    computed = []

    def name_of_held():
        computed.append(1)
        return engineer.full_name  # no statement: the row is held by the session

    with app.test_request_context():
        db.session.get(Engineer, engineer.id)
        assert cache.cached("held", name_of_held) == "Ana Souza"
    with app.test_request_context():
        assert cache.cached("held", name_of_held) == "Ana Souza"
    assert len(computed) == 1

    with transaction():
        engineer.full_name = "Ana Lima"

    with app.test_request_context():
        assert cache.cached("held", name_of_held) == "Ana Lima"
    assert len(computed) == 2


def test_saving_another_request_keeps_a_ranking(client, auth, make, count_queries):
    """The ranking reads the roster in Core rows: the request and client the page holds do
    not make it depend on every request's table."""
    req = make.request(skills={"Python": (3, True)})
    other = make.request(skills={"Python": (2, True)})
    make.engineer(full_name="Ana Souza", skills={"Python": 4})
    auth.login_as("account_manager")
    path = f"/requests/{req.id}/matches"
    client.get(path)
    with count_queries() as kept:
        assert "Ana Souza" in client.get(path).text

    with transaction():
        other.title = "Another title"

    with count_queries() as after:
        assert "Ana Souza" in client.get(path).text
    assert after.count == kept.count


def test_signing_in_and_out_keeps_the_dashboard(client, auth, make, count_queries):
    """A sign-in notes its time and a sign-out rotates the session token: columns no shared
    result shows, so neither renews the people's token, and the dashboard stays kept."""
    make.engineer()
    make.user(email="other@agency.example")
    auth.login_as("account_manager")
    dashboard(client, count_queries)
    _, kept = dashboard(client, count_queries)
    people = table_token("user_account")

    other = client.application.test_client()
    other.post("/login", data={"email": "other@agency.example", "password": PASSWORD})
    other.post("/logout")

    assert table_token("user_account") == people
    _, after = dashboard(client, count_queries)
    assert after == kept


def test_the_roster_filters_stay_kept_after_a_write_elsewhere(client, auth, make, count_queries):
    """The zones and countries are read in plain SQL that names its table (engineer)."""
    make.engineer(timezone="America/Bogota", country="CO")
    auth.login_as("account_manager")
    client.get("/engineers/")
    with count_queries() as kept:
        client.get("/engineers/")
    make.client(name="Acme")  # not the roster
    with count_queries() as after:
        assert client.get("/engineers/").status_code == 200
    assert after.count == kept.count
    make.engineer(timezone="Europe/Madrid", country="ES")
    page = client.get("/engineers/").text
    assert "Europe/Madrid" in page


def test_a_change_to_a_persons_name_renews_the_people(app, make):
    user = make.user(name="Ana Morales")
    before = table_token("user_account")
    with transaction():
        user.name = "Ana Morales Díaz"  # shown in lists (an account manager, a reviewer)
    assert table_token("user_account") != before


def test_a_skill_removed_from_an_engineer_renews_the_ranking(client, auth, make):
    """Removing a row from a delete-orphan collection deletes it in the flush without it
    being among the session's deleted objects beforehand: its table is renewed all the same."""
    req = make.request(skills={"Python": (3, True)})
    engineer = make.engineer(full_name="Ana Souza", skills={"Python": 4})
    auth.login_as("account_manager")
    path = f"/requests/{req.id}/matches"
    assert "Ana Souza" in client.get(path).text

    with transaction():
        engineer.skills.clear()

    assert "Ana Souza" not in client.get(path).text


def test_plain_sql_that_writes_inside_a_common_table_expression_is_a_write():
    assert cache._reads_only("WITH RECURSIVE z(tz) AS (SELECT 1) SELECT tz FROM z")
    assert not cache._reads_only("WITH gone AS (DELETE FROM skill RETURNING id) SELECT 1")
    assert not cache._reads_only("TRUNCATE engineer")
    assert not cache._reads_only("")
