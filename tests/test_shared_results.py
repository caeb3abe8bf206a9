"""Pages whose part below the navigation is rendered once for all staff and reused
(tracker.templating.shared_fragment): every member of staff sees the same HTML there, with
nothing of their own in it (their name, their CSRF token stay in the page around it), and
another query string gets a fragment of its own."""

import re

import pytest

from tests.conftest import AuthActions
from tracker.models import User

SHARED_PAGES = {
    # page: what its shared part shows of the agency below
    "/dashboard/": "Data engineer",  # an urgent request with no proposal yet
    "/engineers/": "Ana Souza",
    "/requests/": "Vision engineer",
}
STAFF = {"account_manager": "Marta Quintero", "admin": "Olga Brandt"}


def agency(make) -> None:
    """A small agency; no record names any user, so no name may appear in a shared part."""
    client = make.client(name="Northwind Robotics")
    ana = make.engineer(full_name="Ana Souza", skills={"PyTorch": 5})
    make.engineer(
        full_name="Bruno Lima",
        skills={"Go": 3},
        country="AR",
        timezone="America/Argentina/Buenos_Aires",
    )
    vision = make.request(client=client, title="Vision engineer", skills={"PyTorch": (4, True)})
    make.request(client=client, title="Platform engineer", status="draft")
    make.request(client=client, title="Data engineer", priority="urgent")
    placement = make.placement(engineer=ana, request=vision)
    make.review(placement)


def sign_in(client, auth: AuthActions, role: str) -> User:
    """Sign in as a member of staff and open their landing page, which shows (and so spends)
    the welcome message: the next pages carry no flash."""
    auth.logout()
    user = auth.login_as(role, name=STAFF[role])
    assert client.get("/", follow_redirects=True).status_code == 200
    return user


def split(page: str) -> tuple[str, str]:
    """(the page around, the part below the navigation: <main>)."""
    head, rest = page.split("<main", 1)
    below, tail = rest.split("</main>", 1)
    return head + tail, below


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token"
    return match[1]


@pytest.mark.parametrize("url", SHARED_PAGES)
def test_every_member_of_staff_sees_the_same_page_below_the_navigation(client, auth, make, url):
    agency(make)
    seen = {}
    for role, name in STAFF.items():
        sign_in(client, auth, role)

        response = client.get(url)

        assert response.status_code == 200
        around, below = split(response.text)
        assert SHARED_PAGES[url] in below
        assert name in around  # the user menu
        assert name not in below
        token = csrf_token(around)  # the sign-out form's
        assert token not in below
        assert 'name="csrf_token"' not in below
        seen[role] = below
    assert seen["account_manager"] == seen["admin"]


@pytest.mark.parametrize(
    ("url", "shown", "left_out"),
    [
        ("/engineers/?q=Bruno", "Bruno Lima", "Ana Souza"),
        ("/engineers/?country=AR", "Bruno Lima", "Ana Souza"),
        ("/requests/?status=draft", "Platform engineer", "Vision engineer"),
        ("/requests/?priority=urgent", "Data engineer", "Vision engineer"),
    ],
)
def test_another_query_string_gets_a_part_of_its_own(client, auth, make, url, shown, left_out):
    agency(make)
    sign_in(client, auth, "account_manager")
    unfiltered = url.split("?")[0]

    everyone = split(client.get(unfiltered).text)[1]
    filtered = split(client.get(url).text)[1]
    everyone_again = split(client.get(unfiltered).text)[1]

    assert shown in everyone
    assert left_out in everyone
    assert shown in filtered
    assert left_out not in filtered
    assert everyone_again == everyone
    # Seen by another member of staff, each query string still answers its own part.
    sign_in(client, auth, "admin")
    assert split(client.get(url).text)[1] == filtered
    assert split(client.get(unfiltered).text)[1] == everyone
