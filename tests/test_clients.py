"""Clients: list, create, edit, archive — with history and the refusals."""

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import AuditEvent, Client


def client_form(**kw):
    data = {
        "name": "Globex Analytics",
        "industry": "Retail analytics",
        "country": "US",
        "timezone": "America/Chicago",
        "workday_start": "08:30",
        "workday_end": "17:00",
        "account_manager_id": "",
        "notes": "",
    }
    data.update(kw)
    return data


def clients_named(name):
    return db.session.scalars(sa.select(Client).where(Client.name == name)).all()


def test_create_client_records_history(client, auth):
    am = auth.login_as("account_manager")
    response = client.post("/clients/new", data=client_form(account_manager_id=am.id))
    assert response.status_code == 302
    created = clients_named("Globex Analytics")[0]
    assert response.headers["Location"] == f"/clients/{created.id}"
    assert (created.timezone, created.workday_start) == ("America/Chicago", time(8, 30))
    page = client.get(f"/clients/{created.id}").text
    assert "Client created" in page
    assert "America/Chicago" in page
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "client.created"))
    assert event.actor_id == am.id
    assert event.changes["name"] == [None, "Globex Analytics"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("timezone", "Mars/Olympus_Mons", "is not a time zone we know"),
        ("workday_end", "08:30", "The end of the working day must differ from its start."),
        ("name", "", "This field is required."),
        ("country", "XX", "Not a valid choice."),
        ("workday_start", "25:00", "Not a valid time value."),
    ],
)
def test_bad_client_input_gets_the_form_back_and_changes_nothing(
    client, auth, field, value, message
):
    auth.login_as("account_manager")
    response = client.post("/clients/new", data=client_form(**{field: value}))
    assert response.status_code == 400
    assert message in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 0


def test_duplicate_name_in_another_case_is_refused(client, auth, make):
    auth.login_as("account_manager")
    make.client(name="Globex Analytics")
    response = client.post("/clients/new", data=client_form(name="GLOBEX analytics"))
    assert response.status_code == 409
    assert "There is already a client named Globex Analytics." in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Client)) == 1


def test_edit_records_old_and_new_values(client, auth, make):
    auth.login_as("account_manager")
    acme = make.client(name="Acme", timezone="America/New_York")
    response = client.post(
        f"/clients/{acme.id}/edit",
        data=client_form(name="Acme", timezone="Europe/Berlin", version_id=acme.version_id),
    )
    assert response.status_code == 302
    db.session.refresh(acme)
    assert acme.timezone == "Europe/Berlin"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "client.updated"))
    assert event.changes["timezone"] == ["America/New_York", "Europe/Berlin"]
    assert "Europe/Berlin" in client.get(f"/clients/{acme.id}").text


def test_second_of_two_concurrent_edits_is_refused_and_the_form_kept(client, auth, make):
    auth.login_as("account_manager")
    acme = make.client(name="Acme")
    opened_version = acme.version_id
    first = client.post(
        f"/clients/{acme.id}/edit",
        data=client_form(name="Acme", industry="First edit", version_id=opened_version),
    )
    assert first.status_code == 302

    second = client.post(
        f"/clients/{acme.id}/edit",
        data=client_form(name="Acme", industry="Second edit", version_id=opened_version),
    )

    assert second.status_code == 409
    assert "changed by someone else since you opened it" in second.text
    assert 'value="Second edit"' in second.text  # the form is kept
    db.session.refresh(acme)
    assert acme.industry == "First edit"


def test_archive_hides_a_client_and_restore_brings_it_back(client, auth, make):
    auth.login_as("account_manager")
    acme = make.client(name="Acme")
    assert "Acme" in client.get("/clients/").text
    response = client.post(f"/clients/{acme.id}/archive", follow_redirects=True)
    assert "Acme archived." in response.text
    assert "Acme" not in client.get("/clients/").text
    assert "Acme" in client.get("/clients/?show=archived").text
    client.post(f"/clients/{acme.id}/restore")
    db.session.refresh(acme)
    assert acme.archived_at is None


def test_client_with_live_placements_cannot_be_archived(client, auth, make):
    auth.login_as("account_manager")
    acme = make.client(name="Acme")
    make.placement(request=make.request(client=acme))
    response = client.post(f"/clients/{acme.id}/archive", follow_redirects=True)
    assert "has 1 live placement; end them before archiving" in response.text
    db.session.refresh(acme)
    assert acme.archived_at is None


def test_list_searches_filters_and_sorts(client, auth, make):
    auth.login_as("account_manager")
    make.client(name="Zeta Corp", country="DE", timezone="Europe/Berlin")
    make.client(name="Alpha Inc", country="US")
    make.client(name="Beta Health", industry="Healthcare", country="US")
    page = client.get("/clients/?q=health").text
    assert "Beta Health" in page
    assert "Alpha Inc" not in page
    page = client.get("/clients/?country=DE").text
    assert "Zeta Corp" in page
    assert "Alpha Inc" not in page
    page = client.get("/clients/?sort=-name").text
    assert page.index("Zeta Corp") < page.index("Beta Health") < page.index("Alpha Inc")


def test_detail_shows_requests_and_placements(client, auth, make):
    auth.login_as("account_manager")
    acme = make.client(name="Acme")
    make.request(client=acme, title="Vision engineer")
    placement = make.placement(
        request=make.request(client=acme), start=date.today() - timedelta(days=10)
    )
    page = client.get(f"/clients/{acme.id}").text
    assert "Vision engineer" in page
    assert placement.engineer.full_name in page
    assert f"/requests/?client_id={acme.id}&amp;status=all" in page
    assert f"/reviews/?client={acme.id}" in page


def test_unknown_client_is_404(client, auth):
    auth.login_as("account_manager")
    assert client.get("/clients/999").status_code == 404
    assert client.post("/clients/999/archive").status_code == 404


def test_list_queries_do_not_grow_with_rows(client, auth, make, count_queries):
    auth.login_as("account_manager")
    managers = [make.user(role="account_manager") for _ in range(3)]

    def fill(n):
        for i in range(n):
            c = make.client(account_manager=managers[i % 3])
            make.request(client=c)

    fill(10)
    with count_queries() as small:
        assert client.get("/clients/").status_code == 200
    fill(190)
    with count_queries() as large:
        response = client.get("/clients/?per_page=200")
    assert response.text.count('href="/clients/') >= 200
    assert large.count == small.count


def test_a_new_account_manager_is_in_the_history_by_name(client, auth, make):
    auth.login_as("account_manager", name="Ana Admin")
    old, new = make.user(name="Olga Old"), make.user(name="Nico New")
    acme = make.client(name="Acme", account_manager_id=old.id)
    data = client_form(name="Acme", account_manager_id=new.id, version_id=acme.version_id)
    response = client.post(f"/clients/{acme.id}/edit", data=data, follow_redirects=True)
    assert response.status_code == 200
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "client.updated"))
    assert event.changes["account_manager"] == ["Olga Old", "Nico New"]
    assert "<del>Olga Old</del> → Nico New" in response.text


def test_payment_terms_are_saved_shown_and_used_for_due_dates(client, auth, make):
    auth.login_as("account_manager")
    acme = make.client(name="Acme")
    assert 'name="payment_terms_days"' in client.get(f"/clients/{acme.id}/edit").text
    response = client.post(
        f"/clients/{acme.id}/edit",
        data=client_form(name="Acme", payment_terms_days="45", version_id=acme.version_id),
    )
    assert response.status_code == 302
    db.session.refresh(acme)
    assert acme.payment_terms_days == 45
    assert "45 days from the issue date" in client.get(f"/clients/{acme.id}").text
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "client.updated"))
    assert event.changes["payment_terms_days"] == [30, 45]


def test_a_new_client_pays_in_30_days_unless_told(client, auth):
    auth.login_as("account_manager")
    client.post("/clients/new", data=client_form())
    assert clients_named("Globex Analytics")[0].payment_terms_days == 30


@pytest.mark.parametrize("value", ["400", "-1"])
def test_payment_terms_past_a_year_are_refused(client, auth, make, value):
    auth.login_as("account_manager")
    acme = make.client(name="Acme")
    response = client.post(
        f"/clients/{acme.id}/edit",
        data=client_form(name="Acme", payment_terms_days=value, version_id=acme.version_id),
    )
    assert response.status_code == 400
    assert "Payment terms are from 0 to 365 days after the invoice&#39;s issue date." in (
        response.text
    )
    db.session.refresh(acme)
    assert acme.payment_terms_days == 30


def test_the_service_refuses_payment_terms_past_a_year(app, make):
    from tracker.services import DomainError, clients
    from tracker.services.clients import ClientInput

    acme = make.client(name="Acme")
    data = ClientInput(
        name="Acme", country="US", timezone="America/New_York",
        workday_start=time(9), workday_end=time(17), payment_terms_days=400,
    )  # fmt: skip
    with pytest.raises(DomainError, match="from 0 to 365 days"):
        clients.update_client(acme, data, make.user(), version=acme.version_id)
