"""Admins manage users: create, change role or access, reset passwords — with refusals."""

import re

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, selected_values
from tracker.extensions import db
from tracker.models import AuditEvent, User

NEW_PASSWORD = "another-long-passphrase"


def user_form(**kw):
    data = {"name": "Nia Newcomer", "role": "account_manager", "client_id": "", "is_active": "y"}
    data.update(kw)
    return data


def test_user_list_searches_and_filters(client, auth, make):
    auth.login_as("admin", name="Root Admin")
    make.user(name="Carla Client", role="client")
    make.user(name="Mario Manager")
    page = client.get("/admin/users?q=carla").text
    assert "Carla Client" in page
    assert "Mario Manager" not in page
    page = client.get("/admin/users?role=account_manager").text
    assert "Mario Manager" in page
    assert "Carla Client" not in page


def test_user_search_takes_like_wildcards_literally(client, auth, make):
    """% and _ typed in the search box are those characters, not LIKE's wildcards."""
    auth.login_as("admin", name="Root Admin")
    make.user(name="Percy 100% Sure")
    make.user(name="Percy Plain")
    make.user(name="Bora Underscore", email="bo_ra@example.com")
    make.user(name="Bobra Nowild", email="bobra@example.com")

    page = client.get("/admin/users", query_string={"q": "%"}).text
    assert "Percy 100% Sure" in page
    for other in ("Percy Plain", "Bora Underscore", "Bobra Nowild"):
        assert other not in page

    page = client.get("/admin/users", query_string={"q": "_"}).text
    assert "Bora Underscore" in page
    for other in ("Percy 100% Sure", "Percy Plain", "Bobra Nowild"):
        assert other not in page

    page = client.get("/admin/users", query_string={"q": "bo_ra"}).text
    assert "Bora Underscore" in page
    assert "Bobra Nowild" not in page


def test_admin_creates_a_user_who_can_sign_in(app, client, auth):
    auth.login_as("admin")
    response = client.post(
        "/admin/users/new",
        data=user_form(email="nia@agency.example", password=NEW_PASSWORD, confirm=NEW_PASSWORD),
    )
    assert response.status_code == 302
    created = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert created.changes["email"] == [None, "nia@agency.example"]
    assert created.changes["role"] == [None, "account_manager"]
    other = app.test_client()
    login = other.post("/login", data={"email": "nia@agency.example", "password": NEW_PASSWORD})
    assert login.status_code == 302


def test_client_user_needs_a_company(client, auth):
    auth.login_as("admin")
    response = client.post(
        "/admin/users/new",
        data=user_form(
            role="client", email="c@x.example", password=NEW_PASSWORD, confirm=NEW_PASSWORD
        ),
    )
    assert response.status_code == 400
    assert "Choose the client company this user belongs to." in response.text
    assert db.session.scalar(sa.select(User).where(User.email == "c@x.example")) is None


def test_common_password_is_refused_with_a_message(client, auth):
    auth.login_as("admin")
    response = client.post(
        "/admin/users/new",
        data=user_form(email="c@x.example", password="password1234", confirm="password1234"),
    )
    assert response.status_code == 400
    assert "This password is too common; choose another." in response.text
    assert db.session.scalar(sa.select(User).where(User.email == "c@x.example")) is None


def test_role_change_is_recorded_and_ends_the_users_sessions(app, client, auth, make):
    admin = auth.login_as("admin")
    target = make.user(role="account_manager")
    target_browser = app.test_client()
    target_browser.post("/login", data={"email": target.email, "password": PASSWORD})
    assert target_browser.get("/dashboard/").status_code == 200
    acme = make.client(name="Acme")

    response = client.post(
        f"/admin/users/{target.id}",
        data=user_form(name=target.name, role="client", client_id=acme.id),
    )

    assert response.status_code == 302
    db.session.refresh(target)
    assert (target.role, target.client_id) == ("client", acme.id)
    assert target_browser.get("/dashboard/").status_code == 302  # signed out
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.role_changed"))
    assert event.actor_id == admin.id
    assert event.changes["role"] == ["account_manager", "client"]


def test_admin_cannot_lock_themselves_out(client, auth):
    admin = auth.login_as("admin")
    response = client.post(
        f"/admin/users/{admin.id}", data=user_form(name=admin.name, role="admin", is_active="")
    )
    assert response.status_code == 409
    assert "cannot change your own role or deactivate yourself" in response.text
    db.session.refresh(admin)
    assert admin.is_active


def test_password_reset_checks_the_rules_and_replaces_the_password(app, client, auth, make):
    auth.login_as("admin")
    target = make.user()

    weak = client.post(
        f"/admin/users/{target.id}/password",
        data={"pw-password": "short", "pw-confirm": "short"},
    )
    assert weak.status_code == 400
    assert "Use at least 12 characters." in weak.text

    ok = client.post(
        f"/admin/users/{target.id}/password",
        data={"pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD},
    )
    assert ok.status_code == 302
    browser = app.test_client()
    assert (
        browser.post("/login", data={"email": target.email, "password": PASSWORD}).status_code
        == 401
    )
    assert (
        browser.post("/login", data={"email": target.email, "password": NEW_PASSWORD}).status_code
        == 302
    )


def test_admin_changing_own_password_stays_signed_in(client, auth):
    admin = auth.login_as("admin")
    response = client.post(
        f"/admin/users/{admin.id}/password",
        data={"pw-password": NEW_PASSWORD, "pw-confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_unknown_user_is_404(client, auth):
    auth.login_as("admin")
    assert client.get("/admin/users/9999").status_code == 404


def test_user_list_queries_do_not_grow_with_rows(client, auth, make, count_queries):
    auth.login_as("admin")
    companies = [make.client() for _ in range(3)]

    def fill(n):
        for i in range(n):
            make.user(role="client", client=companies[i % 3])

    fill(10)
    with count_queries() as small:
        client.get("/admin/users?per_page=200")
    fill(190)
    with count_queries() as large:
        response = client.get("/admin/users?per_page=200")
    assert response.text.count('href="/admin/users/') >= 200
    assert large.count == small.count


# --- no role by omission, one company rule (issue 11.1) ----------------------------------


def test_new_user_form_preselects_no_role(client, auth):
    auth.login_as("admin")
    page = client.get("/admin/users/new").text
    assert selected_values(page, "role") in ([], [""])
    assert "— choose a role —" in page


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("", "Choose what this user may do."),  # left as the form starts: refused, no admin
        ("admin", "Only client users belong to a client company"),  # not silently dropped
        ("account_manager", "Only client users belong to a client company"),
    ],
)
def test_a_new_user_with_a_company_needs_the_client_role(client, auth, make, role, message):
    auth.login_as("admin")
    acme = make.client(name="Acme")
    response = client.post(
        "/admin/users/new",
        data=user_form(
            role=role,
            client_id=acme.id,
            email="c@x.example",
            password=NEW_PASSWORD,
            confirm=NEW_PASSWORD,
        ),
    )
    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(sa.select(User).where(User.email == "c@x.example")) is None


def test_editing_a_client_user_to_staff_with_the_company_left_is_refused(client, auth, make):
    auth.login_as("admin")
    acme = make.client(name="Acme")
    carla = make.user(role="client", client=acme)
    response = client.post(
        f"/admin/users/{carla.id}",
        data=user_form(name=carla.name, role="admin", client_id=acme.id),
    )
    assert response.status_code == 400
    assert "Only client users belong to a client company" in response.text
    db.session.refresh(carla)
    assert (carla.role, carla.client_id) == ("client", acme.id)
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity_type == "User", AuditEvent.entity_id == carla.id)
        )
        == 0
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "admin", "--client", "Acme"], "Only client users belong to a client company"),
        (["--role", "account_manager", "--client", "Acme"], "Only client users belong"),
        (["--role", "client"], "Choose the client company this user belongs to."),
    ],
)
def test_create_user_command_applies_the_same_company_rule(runner, make, args, message):
    make.client(name="Acme")
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "c@x.example",
            "--name",
            "C",
            "--password",
            NEW_PASSWORD,
            *args,
        ]
    )
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(sa.select(User).where(User.email == "c@x.example")) is None


# --- a company change is a change (issue 11.3) ---------------------------------------------


def test_moving_a_client_user_to_another_company_is_recorded_and_signs_them_out(
    app, client, auth, make
):
    admin = auth.login_as("admin")
    acme, globex = make.client(name="Acme"), make.client(name="Globex")
    carla = make.user(role="client", client=acme, name="Carla")
    carla_browser = app.test_client()
    carla_browser.post("/login", data={"email": carla.email, "password": PASSWORD})
    assert carla_browser.get("/portal/").status_code == 200

    response = client.post(
        f"/admin/users/{carla.id}",
        data=user_form(name="Carla", role="client", client_id=globex.id),
        follow_redirects=True,
    )

    assert "Saved." in response.text
    assert "Nothing changed." not in response.text
    db.session.refresh(carla)
    assert carla.client_id == globex.id
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.updated"))
    assert event.actor_id == admin.id
    assert event.changes == {"client": ["Acme", "Globex"], "client_id": [acme.id, globex.id]}
    # The history on the user's page, each company by name and linked to its page.
    linked = f'<del><a href="/clients/{acme.id}">Acme</a></del> → <a href="/clients/{globex.id}">Globex</a>'
    assert linked in re.sub(r"\s+", " ", response.text)
    assert carla_browser.get("/portal/").status_code == 302  # signed out everywhere


def test_a_new_client_users_company_is_in_their_history(client, auth, make):
    auth.login_as("admin")
    acme = make.client(name="Acme")
    data = user_form(role="client", client_id=acme.id, email="c@acme.example",
                     password=NEW_PASSWORD, confirm=NEW_PASSWORD)  # fmt: skip
    page = client.post("/admin/users/new", data=data, follow_redirects=True).text
    created = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "user.created"))
    assert created.changes["client"] == [None, "Acme"]
    assert "password_hash" not in created.changes
    assert 'data-field="client"' in page


def test_a_moved_user_no_longer_reads_the_old_companys_notifications(app, client, auth, make):
    from tracker.models import Notification, OutboxEmail
    from tracker.services import notifications

    auth.login_as("admin")
    acme, globex = make.client(name="Acme"), make.client(name="Globex")
    carla = make.user(role="client", client=acme, name="Carla")
    notifications.notify([carla], kind="proposal_waiting", title="We propose Ana for “Acme secret”",
                         body="Ana for “Acme secret”")  # fmt: skip
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEmail)) == 1

    client.post(f"/admin/users/{carla.id}",
                data=user_form(name="Carla", role="client", client_id=globex.id))  # fmt: skip

    assert db.session.scalars(sa.select(Notification)).all() == []
    assert db.session.scalars(sa.select(OutboxEmail)).all() == []  # not sent to her any more
    carla_browser = app.test_client()
    carla_browser.post("/login", data={"email": carla.email, "password": PASSWORD})
    assert "Acme secret" not in carla_browser.get("/notifications/").text
