"""Notifications: who gets one, once per event, and a list that is each user's own."""

import re

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD, make_app
from tracker.extensions import db
from tracker.models import Notification, OutboxEmail
from tracker.services import notifications


def notify(users, **kw):
    defaults = dict(
        kind="proposal_waiting",
        title="Two engineers proposed for ML engineer",
        body="Ana Souza and Luis Pérez are waiting for your decision.",
        link="/portal/proposals",
    )
    created = notifications.notify(users, **{**defaults, **kw})
    db.session.commit()
    return created


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def state(notification_id: int):
    """A notification as the database has it now."""
    db.session.expire_all()
    return db.session.get(Notification, notification_id)


# --- the service --------------------------------------------------------------------------


def test_notify_writes_one_notification_and_one_email_per_active_recipient(make):
    acme = make.client()
    ann = make.user("client", client=acme, name="Ann Client", email="ann@acme.example")
    bob = make.user("client", client=acme, name="Bob Client")
    gone = make.user("client", client=acme, is_active=False)

    created = notify([ann, bob, gone, ann])

    assert sorted(n.user_id for n in created) == [ann.id, bob.id]
    assert count(Notification) == 2
    assert count(Notification, Notification.user_id == gone.id) == 0
    mails = db.session.scalars(sa.select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [(m.to_address, m.to_name) for m in mails] == [
        ("ann@acme.example", "Ann Client"),
        (bob.email, "Bob Client"),
    ]
    ann_mail = mails[0]
    assert ann_mail.status == "pending"
    assert ann_mail.attempts == 0
    assert ann_mail.subject == "Two engineers proposed for ML engineer"
    assert ann_mail.notification.user_id == ann.id
    assert "Ana Souza and Luis Pérez are waiting for your decision." in ann_mail.body_text
    assert "/portal/proposals" in ann_mail.body_text  # no APP_BASE_URL: the path
    assert ann_mail.body_text.startswith("Hello Ann Client,")


def test_the_email_link_is_absolute_when_the_base_url_is_known(app, make):
    app.config["APP_BASE_URL"] = "https://tracker.agency.example"
    user = make.user()
    notify([user], link="/placements/12")
    mail = db.session.scalar(sa.select(OutboxEmail))
    assert "https://tracker.agency.example/placements/12" in mail.body_text


def test_the_same_key_never_notifies_a_user_twice(make):
    first, second = make.user(), make.user()
    key = "review-due:placement:12:iteration:3"

    assert len(notify([first], key=key)) == 1
    assert notify([first], key=key) == []
    again = notify([first, second], key=key)  # only the one who has not heard of it yet

    assert [n.user_id for n in again] == [second.id]
    assert count(Notification, Notification.key == key) == 2
    assert count(OutboxEmail) == 2
    # Without a key, every call is an event of its own.
    notify([first])
    notify([first])
    assert count(Notification, Notification.user_id == first.id) == 3


def test_a_duplicate_key_in_the_same_transaction_is_skipped_too(make):
    user = make.user()
    notifications.notify([user], kind="review_due", title="t", body="b", key="k")
    notifications.notify([user], kind="review_due", title="t", body="b", key="k")
    db.session.commit()
    assert count(Notification) == 1
    assert count(OutboxEmail) == 1


def test_notify_never_commits_so_a_rolled_back_event_leaves_no_trace(make):
    user = make.user()
    notifications.notify([user], kind="client_decision", title="Accepted", body="Yes.")
    db.session.rollback()
    assert count(Notification) == 0
    assert count(OutboxEmail) == 0


def test_in_app_only_when_email_is_off(make):
    notify([make.user()], email=False)
    assert count(Notification) == 1
    assert count(OutboxEmail) == 0


def test_subject_is_one_line_and_fits(make):
    user = make.user()
    (created,) = notify([user], title="Line one\nBcc: someone@evil.example " + "x" * 300)
    assert "\n" not in created.title
    assert len(created.title) == 200
    assert created.title.endswith("…")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"link": "https://evil.example/"}, "path inside the app"),
        ({"link": "//evil.example"}, "path inside the app"),
        ({"link": "/x" * 300}, "path inside the app"),
        ({"key": "k" * 201}, "at most 200 characters"),
        ({"kind": "gossip"}, "gossip"),
    ],
)
def test_notify_refuses_a_programming_mistake_before_the_database_does(make, kw, message):
    user = make.user()
    event = {"kind": "review_due", "title": "t", "body": "b", **kw}
    with pytest.raises(ValueError, match=message):
        notifications.notify([user], **event)
    assert count(Notification) == 0


def test_unread_count_and_mark_read_touch_only_the_users_own(make):
    me, other = make.user(), make.user()
    mine = notify([me]) + notify([me]) + notify([me])
    (theirs,) = notify([other])

    assert notifications.unread_count(me) == 3
    assert notifications.mark_read(me, [mine[0].id, theirs.id]) == 1
    db.session.commit()
    assert notifications.unread_count(me) == 2
    assert notifications.unread_count(other) == 1
    assert notifications.mark_read(me) == 2
    db.session.commit()
    assert notifications.unread_count(me) == 0
    assert notifications.unread_count(other) == 1
    assert [n.id for n in notifications.recent(me, limit=2)] == [mine[2].id, mine[1].id]


def test_account_managers_of_a_client_fall_back_so_nothing_is_lost(make):
    admin = make.user("admin")
    assert notifications.account_managers_of(make.client()) == [admin]  # no manager at all

    am, other_am = make.user("account_manager"), make.user("account_manager")
    make.user("account_manager", is_active=False)
    acme = make.client(account_manager_id=am.id)
    assert notifications.account_managers_of(acme) == [am]

    am.is_active = False
    db.session.commit()
    assert notifications.account_managers_of(acme) == [other_am]
    assert notifications.account_managers_of(make.client()) == [other_am]


def test_client_users_are_the_active_users_of_that_company(make):
    acme, globex = make.client(), make.client()
    ann = make.user("client", client=acme)
    make.user("client", client=acme, is_active=False)
    make.user("client", client=globex)
    assert notifications.client_users(acme) == [ann]


# --- the pages ----------------------------------------------------------------------------


def test_the_list_shows_only_the_users_own_newest_first_unread_highlighted(client, auth, make):
    me = auth.login_as("account_manager")
    other = make.user()
    notify([me], title="Older, read already", kind="client_review")
    notify([me], title="Newer, unread", body="Globex accepted\nAna Souza.")
    notify([other], title="Somebody else's news")
    notifications.mark_read(me, [n.id for n in notifications.recent(me)][-1:])
    db.session.commit()

    page = client.get("/notifications/").text

    assert "Somebody else" not in page
    assert page.index("Newer, unread") < page.index("Older, read already")
    assert "1 unread" in page
    unread = re.findall(r'data-unread="(true|false)"', page)
    assert unread == ["true", "false"]
    assert "list-group-item-primary" in page
    assert "Globex accepted\nAna Souza." in page  # the body as written, line breaks kept
    assert 'data-testid="mark-all-read"' in page


def test_the_bell_shows_the_unread_count_on_every_page(client, auth, make):
    me = auth.login_as("account_manager")
    notify([me])
    notify([me])
    notify([make.user()])

    for path in ("/dashboard/", "/notifications/"):
        page = client.get(path).text
        bell = re.search(r'data-testid="notification-bell".*?</a>', page, re.S).group(0)
        assert re.search(
            r'data-testid="unread-count">2<span class="visually-hidden"> unread notifications', bell
        )
        assert 'href="/notifications/"' in page

    client.post("/notifications/read")
    bell = client.get("/dashboard/").text
    assert 'data-testid="unread-count"' not in bell
    assert "No unread notifications" in bell


def test_bell_partial_renders_from_the_context_processor(app, make):
    from flask import render_template_string
    from flask_login import login_user

    user = make.user()
    notify([user])
    with app.test_request_context("/"):
        login_user(user)
        html = render_template_string('{% include "_bell.html" %}')
    assert (
        '<span class="badge rounded-pill text-bg-danger" data-testid="unread-count">1<span' in html
    )
    assert 'href="/notifications/"' in html


def test_mark_one_read_changes_only_that_one_and_never_another_users(client, auth, make):
    me = auth.login_as("account_manager")
    first, second = notify([me]) + notify([me])
    (theirs,) = notify([make.user()])

    response = client.post("/notifications/read", data={"id": first.id})
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications/"
    assert state(first.id).read_at is not None
    assert state(second.id).read_at is None

    response = client.post("/notifications/read", data={"id": theirs.id})
    assert response.status_code == 302
    assert state(theirs.id).read_at is None
    assert state(second.id).read_at is None

    assert client.post("/notifications/read", data={"id": "x1"}).status_code == 400


@pytest.mark.parametrize(
    ("raw_id", "status"),
    [("²", 400), ("٣", 400), ("-1", 400), (str(2**31), 404), (str(2**63), 404), ("0", 404)],
)
def test_mark_read_of_an_id_that_is_no_notification_changes_nothing(client, auth, raw_id, status):
    me = auth.login_as("account_manager")
    (mine,) = notify([me])
    response = client.post("/notifications/read", data={"id": raw_id})
    assert response.status_code == status
    if status == 400:
        assert "The id must be a number." in response.text
    assert state(mine.id).read_at is None


def test_mark_all_read_marks_only_the_users_own(client, auth, make):
    me = auth.login_as("account_manager")
    mine = notify([me]) + notify([me])
    (theirs,) = notify([make.user()])

    response = client.post("/notifications/read", follow_redirects=True)

    assert "All notifications marked as read." in response.text
    assert all(state(n.id).read_at is not None for n in mine)
    assert state(theirs.id).read_at is None


def test_mark_read_goes_back_to_the_page_it_came_from_but_only_inside_the_app(client, auth, make):
    me = auth.login_as("account_manager")
    first, second = notify([me]) + notify([me])
    back = client.post(
        "/notifications/read", data={"id": first.id, "next": "/notifications/?page=2"}
    )
    assert back.headers["Location"] == "/notifications/?page=2"
    away = client.post("/notifications/read", data={"id": second.id, "next": "//evil.example"})
    assert away.headers["Location"] == "/notifications/"


def test_open_marks_read_and_goes_to_the_link(client, auth, make):
    me = auth.login_as("account_manager")
    (n,) = notify([me], link="/placements/12?tab=reviews")

    response = client.post(f"/notifications/{n.id}/open")

    assert response.status_code == 302
    assert response.headers["Location"] == "/placements/12?tab=reviews"
    assert state(n.id).read_at is not None


@pytest.mark.parametrize("link", ["//evil.example", "https://evil.example/x", "javascript:x", None])
def test_open_never_leaves_the_app(client, auth, link):
    me = auth.login_as("account_manager")
    # Written directly: notify() itself refuses such links.
    bad = Notification(user_id=me.id, kind="review_due", title="t", body="b", link=link)
    db.session.add(bad)
    db.session.commit()

    response = client.post(f"/notifications/{bad.id}/open")

    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications/"
    assert state(bad.id).read_at is not None


def test_opening_another_users_notification_is_not_found_and_changes_nothing(client, auth, make):
    auth.login_as("account_manager")
    (theirs,) = notify([make.user()])
    assert client.post(f"/notifications/{theirs.id}/open").status_code == 404
    assert client.post("/notifications/999999/open").status_code == 404
    assert state(theirs.id).read_at is None


def test_a_client_user_has_a_list_of_their_own(client, auth, make):
    acme = make.client()
    ann = auth.login_as("client", client=acme)
    notify(notifications.client_users(acme), title="Proposal waiting for you")
    notify([make.user("client", client=make.client())], title="Another company's news")

    page = client.get("/notifications/")
    assert page.status_code == 200
    assert "Proposal waiting for you" in page.text
    assert "Another company" not in page.text

    (mine,) = notifications.recent(ann)
    opened = client.post(f"/notifications/{mine.id}/open")
    assert opened.headers["Location"] == "/portal/proposals"
    assert notifications.unread_count(ann) == 0


def test_empty_list_says_so(client, auth):
    auth.login_as("admin")
    page = client.get("/notifications/").text
    assert "No notifications yet." in page
    assert "Everything is read" in page
    assert 'data-testid="mark-all-read"' not in page


def test_the_list_pages(client, auth, make):
    me = auth.login_as("account_manager")
    for i in range(30):
        notify([me], title=f"Event number {i:02d}")
    first = client.get("/notifications/").text
    assert "Event number 29" in first
    assert "Event number 04" not in first
    assert "1–25 of 30" in first
    second = client.get("/notifications/?page=2").text
    assert "Event number 04" in second
    assert "Event number 05" not in second


def test_list_queries_do_not_grow_with_notifications(client, auth, make, count_queries):
    me = auth.login_as("client")
    for _ in range(3):
        notify([me])
    with count_queries() as few:
        assert client.get("/notifications/").status_code == 200
    for _ in range(40):
        notify([me])
    with count_queries() as many:
        assert client.get("/notifications/").status_code == 200
    assert many.count == few.count, (few.statements, many.statements)


def test_state_changes_need_the_csrf_token(database_uri, make):
    app = make_app(database_uri, WTF_CSRF_ENABLED=True)
    token_in = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
    with app.app_context():
        user = make.user()
        (n,) = notify([user])
        client = app.test_client()
        login = client.get("/login").text
        client.post(
            "/login",
            data={
                "email": user.email,
                "password": PASSWORD,
                "csrf_token": token_in.search(login)[1],
            },
        )
        page = client.get("/notifications/").text

        assert client.post("/notifications/read").status_code == 400
        assert client.post(f"/notifications/{n.id}/open").status_code == 400
        assert state(n.id).read_at is None

        token = token_in.search(page)[1]
        assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 302
        assert state(n.id).read_at is not None
