"""Every route needs a sign-in unless allow-listed, and roles are enforced on the server."""

import pytest
from werkzeug.routing import Rule

from tracker.auth.access import PUBLIC_ENDPOINTS

# Endpoints any signed-in user may use, whatever the role.
ANY_SIGNED_IN = {"auth.index", "auth.logout"}
ROLES = ("admin", "account_manager", "client", "engineer")


def concrete_url(rule: Rule) -> str:
    """The rule's path with every variable filled by a plausible value."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]
        values[name] = 1 if type(converter).__name__ in ("IntegerConverter",) else "x"
    return rule.build(values, append_unknown=False)[1]


def app_rules(app, *, public: bool) -> list[Rule]:
    """The pages' routes (the API's, under /api/v1/, answer tokens: tests/api/)."""
    return [
        r
        for r in app.url_map.iter_rules()
        if (r.endpoint in PUBLIC_ENDPOINTS) == public and not r.rule.startswith("/api/")
    ]


def test_public_allow_list_is_small_and_explicit():
    assert (
        frozenset({"auth.login", "auth.invitation", "static", "bootstrap.static", "health", "ping"})
        == PUBLIC_ENDPOINTS
    )


def test_every_other_route_sends_anonymous_users_to_login(app, client):
    rules = app_rules(app, public=False)
    assert len(rules) >= 5
    for rule in rules:
        url = concrete_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, f"{method} {url} answered {response.status_code}"
            assert response.headers["Location"].startswith("/login"), f"{method} {url}"


def test_public_routes_answer_anonymous_users(client):
    assert client.get("/login").status_code == 200
    assert client.get("/health").json == {"status": "ok", "database": "ok"}
    assert client.get("/ping").text == "pong"
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200


def test_every_protected_view_declares_its_roles(app):
    """A view without role_required would be open to every signed-in role, clients included."""
    for rule in app_rules(app, public=False):
        if rule.endpoint in ANY_SIGNED_IN:
            continue
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "allowed_roles", None), f"{rule.endpoint} has no role_required"


@pytest.mark.parametrize("role", ROLES)
def test_roles_outside_a_views_allow_list_get_403(app, client, auth, role):
    auth.login_as(role)
    checked = 0
    for rule in app_rules(app, public=False):
        view = app.view_functions[rule.endpoint]
        allowed = getattr(view, "allowed_roles", None)
        if allowed is None or role in allowed:
            continue
        url = concrete_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 403, f"{role}: {method} {url} -> {response.status_code}"
            checked += 1
    if role != "admin":
        assert checked > 0


def test_client_user_gets_403_page_on_the_dashboard(client, auth):
    auth.login_as("client")
    response = client.get("/dashboard/")
    assert response.status_code == 403
    assert "Not allowed" in response.text


def test_staff_do_not_get_the_portal(client, auth):
    auth.login_as("account_manager")
    assert client.get("/portal/").status_code == 403


def test_account_manager_cannot_manage_users(client, auth):
    auth.login_as("account_manager")
    assert client.get("/admin/users").status_code == 403
    assert client.post("/admin/users/new", data={"name": "x"}).status_code == 403


def test_navigation_follows_the_role(client, auth):
    auth.login_as("client")
    page = client.get("/portal/").text
    assert 'href="/portal/"' in page
    assert 'href="/dashboard/"' not in page
    assert 'href="/admin/users"' not in page


def test_engineers_get_their_own_area_only(client, auth):
    auth.login_as("engineer")
    assert client.get("/", follow_redirects=False).headers["Location"] == "/me/"
    page = client.get("/me/").text
    assert 'href="/me/timesheets/"' in page
    assert 'href="/dashboard/"' not in page
    assert 'href="/portal/"' not in page
    assert client.get("/portal/").status_code == 403
    assert client.get("/dashboard/").status_code == 403


def test_staff_and_clients_do_not_get_the_engineers_area(client, auth):
    for role in ("account_manager", "client"):
        auth.login_as(role)
        assert client.get("/me/").status_code == 403, role
        auth.logout()


def test_admin_sees_user_management_in_navigation(client, auth):
    auth.login_as("admin")
    page = client.get("/dashboard/").text
    assert 'href="/admin/users"' in page
