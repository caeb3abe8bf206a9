"""/api/v1/invoices and /api/v1/pay-statements (read): staff see everything, drafts included; a
client only its company's issued invoices, an engineer only their own issued pay statements."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.test_invoices import MONTH, TODAY, work
from tracker.models import db
from tracker.services import invoices, pay_statements, rates, transaction
from tracker.services.billing import month_end
from tracker.services.invoices import CreditRequest


@pytest.fixture
def world(make):
    """Two companies, each with a placement whose MONTH of hours is approved."""

    def company(name: str):
        manager = make.user(role="account_manager")
        client = make.client(account_manager=manager, name=name)
        placement = make.placement(
            engineer=make.engineer(),
            request=make.request(client=client),
            start=MONTH - timedelta(days=40),
            bill_rate=Decimal("90.00"),
            pay_rate=Decimal("55.00"),
        )
        rates.start_rates(placement, manager)
        db.session.commit()
        engineer_user = make.user(role="engineer", engineer=placement.engineer)
        client_user = make.user(role="client", client=client)
        work(placement, engineer_user, client_user, MONTH, month_end(MONTH))
        return {
            "placement": placement,
            "manager": manager,
            "engineer_user": engineer_user,
            "client_user": client_user,
        }

    return company("Northwind"), company("Initech")


def invoice_of(side, issue=True):
    with transaction():
        invoice, _ = invoices.draft(side["placement"].client, MONTH, side["manager"])
    if issue:
        with transaction():
            invoices.issue(invoice, side["manager"], today=TODAY)
    return invoice


def statement_of(side, issue=True):
    with transaction():
        statement, _ = pay_statements.draft(side["placement"].engineer, MONTH, side["manager"])
    if issue:
        with transaction():
            pay_statements.issue(statement, side["manager"], today=TODAY)
    return statement


# --------------------------------------------------------------------------------- invoices


def test_staff_read_every_invoice_with_its_lines_drafts_included(api, world):
    northwind, initech = world
    issued, draft = invoice_of(northwind), invoice_of(initech, issue=False)
    api.as_role("account_manager")

    listed = api.get("/api/v1/invoices")
    assert listed.status_code == 200, listed.json
    assert {i["id"] for i in listed.json["data"]} == {issued.id, draft.id}

    one = api.get(f"/api/v1/invoices/{issued.id}")
    assert one.status_code == 200
    assert one.headers["ETag"] == f'"{issued.version_id}"'
    body = one.json
    assert body["client_id"] == northwind["placement"].client_id
    assert body["status"] == "issued"
    assert body["number"] == issued.number
    assert body["total"] == f"{issued.total:.2f}"
    [line] = body["lines"]
    assert line["placement_id"] == northwind["placement"].id
    assert line["engineer_id"] == northwind["placement"].engineer_id
    assert line["rate"] == "90.00"
    assert line["amount"] == f"{issued.lines[0].amount:.2f}"

    drafted = api.get(f"/api/v1/invoices/{draft.id}").json
    assert (drafted["status"], drafted["number"]) == ("draft", None)


def test_the_invoice_list_filters(api, world):
    northwind, initech = world
    issued, draft = invoice_of(northwind), invoice_of(initech, issue=False)
    api.as_role("account_manager")

    def ids(query: str) -> set[int]:
        response = api.get(f"/api/v1/invoices{query}")
        assert response.status_code == 200, response.json
        return {i["id"] for i in response.json["data"]}

    assert ids(f"?client_id={northwind['placement'].client_id}") == {issued.id}
    assert ids("?status=draft") == {draft.id}
    assert ids(f"?month={MONTH:%Y-%m}") == {issued.id, draft.id}
    assert ids(f"?month={MONTH - timedelta(days=40):%Y-%m}") == set()
    assert ids("?kind=credit_note") == set()
    for bad in ("?month=2026-13", "?month=november", "?status=lost", "?client=1"):
        assert api.get(f"/api/v1/invoices{bad}").status_code == 422, bad


def test_a_client_reads_only_its_companys_issued_invoices(api, world):
    northwind, initech = world
    ours, theirs = invoice_of(northwind), invoice_of(initech)
    api.as_user(northwind["client_user"])

    assert [i["id"] for i in api.get("/api/v1/invoices").json["data"]] == [ours.id]
    assert api.get(f"/api/v1/invoices/{ours.id}").status_code == 200
    assert api.get(f"/api/v1/invoices/{theirs.id}").status_code == 404
    assert api.get("/api/v1/invoices/999999").status_code == 404
    assert api.get("/api/v1/invoices?status=draft").json["data"] == []
    others = api.get(f"/api/v1/invoices?client_id={initech['placement'].client_id}")
    assert others.json["data"] == []


def test_a_client_never_sees_a_draft_invoice(api, world):
    northwind, _ = world
    draft = invoice_of(northwind, issue=False)
    api.as_user(northwind["client_user"])

    assert api.get("/api/v1/invoices").json["data"] == []
    assert api.get(f"/api/v1/invoices/{draft.id}").status_code == 404


def test_a_client_reads_its_credit_notes_with_their_reason(api, world):
    northwind, _ = world
    ours = invoice_of(northwind)
    with transaction():
        credit = invoices.credit(
            ours,
            CreditRequest(reason="Two hours too many", amount=Decimal(180)),
            northwind["manager"],
            today=TODAY,
        )
    api.as_user(northwind["client_user"])

    shown = api.get(f"/api/v1/invoices/{credit.id}").json
    assert shown["kind"] == "credit_note"
    assert shown["credits_invoice_id"] == ours.id
    assert shown["total"] == "-180.00"
    assert shown["note"] == "Two hours too many"  # printed on the credit note, as in the portal
    assert {i["id"] for i in api.get("/api/v1/invoices").json["data"]} == {ours.id, credit.id}
    api.as_role("account_manager")
    assert api.get(f"/api/v1/invoices/{credit.id}").json["note"] == "Two hours too many"


def test_engineers_never_read_invoices(api, world):
    northwind, _ = world
    invoice = invoice_of(northwind)
    api.as_user(northwind["engineer_user"])

    assert api.get("/api/v1/invoices").status_code == 403
    assert api.get(f"/api/v1/invoices/{invoice.id}").status_code == 403


def test_invoice_list_statements_do_not_grow_with_rows(api, world, make, count_queries):
    northwind, initech = world
    invoice_of(northwind)
    api.as_role("account_manager")
    api.get("/api/v1/invoices")
    with count_queries() as few:
        assert len(api.get_afresh("/api/v1/invoices").json["data"]) == 1
    invoice_of(initech)
    with count_queries() as many:
        assert len(api.get_afresh("/api/v1/invoices").json["data"]) == 2
    assert many.count == few.count


# --------------------------------------------------------------------------- pay statements


def test_staff_read_every_pay_statement_drafts_included(api, world):
    northwind, initech = world
    issued, draft = statement_of(northwind), statement_of(initech, issue=False)
    api.as_role("admin")

    listed = api.get("/api/v1/pay-statements")
    assert listed.status_code == 200, listed.json
    assert {s["id"] for s in listed.json["data"]} == {issued.id, draft.id}
    filtered = api.get(f"/api/v1/pay-statements?engineer_id={initech['placement'].engineer_id}")
    assert [s["id"] for s in filtered.json["data"]] == [draft.id]
    assert [s["id"] for s in api.get("/api/v1/pay-statements?status=issued").json["data"]] == [
        issued.id
    ]
    assert api.get("/api/v1/pay-statements?month=13").status_code == 422

    one = api.get(f"/api/v1/pay-statements/{issued.id}")
    assert one.status_code == 200
    assert one.headers["ETag"] == f'"{issued.version_id}"'
    body = one.json
    assert body["engineer_id"] == northwind["placement"].engineer_id
    assert body["total"] == f"{issued.total:.2f}"
    [line] = body["lines"]
    assert line["rate"] == "55.00"
    assert (line["placement_id"], line["client_id"]) == (
        northwind["placement"].id,
        northwind["placement"].client_id,
    )


def test_an_engineer_reads_only_their_own_issued_statements(api, world):
    northwind, initech = world
    mine, theirs = statement_of(northwind), statement_of(initech)
    api.as_user(northwind["engineer_user"])

    assert [s["id"] for s in api.get("/api/v1/pay-statements").json["data"]] == [mine.id]
    assert api.get(f"/api/v1/pay-statements/{mine.id}").status_code == 200
    assert api.get(f"/api/v1/pay-statements/{theirs.id}").status_code == 404
    assert (
        api.get(f"/api/v1/pay-statements?engineer_id={initech['placement'].engineer_id}").json[
            "data"
        ]
        == []
    )


def test_an_engineer_never_sees_a_draft_statement(api, world):
    northwind, _ = world
    draft = statement_of(northwind, issue=False)
    api.as_user(northwind["engineer_user"])

    assert api.get("/api/v1/pay-statements").json["data"] == []
    assert api.get(f"/api/v1/pay-statements/{draft.id}").status_code == 404


def test_clients_never_read_pay_statements(api, world):
    northwind, _ = world
    statement = statement_of(northwind)
    api.as_user(northwind["client_user"])

    assert api.get("/api/v1/pay-statements").status_code == 403
    assert api.get(f"/api/v1/pay-statements/{statement.id}").status_code == 403


def test_pay_statement_list_statements_do_not_grow_with_rows(api, world, count_queries):
    northwind, initech = world
    statement_of(northwind)
    api.as_role("account_manager")
    api.get("/api/v1/pay-statements")
    with count_queries() as few:
        assert len(api.get_afresh("/api/v1/pay-statements").json["data"]) == 1
    statement_of(initech)
    with count_queries() as many:
        assert len(api.get_afresh("/api/v1/pay-statements").json["data"]) == 2
    assert many.count == few.count


def conforms(client, template: str, response) -> None:
    """The answer is what the published document says this operation answers."""
    import schemathesis

    assert response.status_code == 200, response.json
    spec = schemathesis.openapi.from_dict(client.get("/api/v1/openapi.json").json)
    spec[template]["GET"].validate_response(response)


def test_answers_with_data_keep_to_the_published_schema(api, client, world):
    northwind, initech = world
    ours = invoice_of(northwind)
    invoice_of(initech, issue=False)
    with transaction():
        credit = invoices.credit(
            ours,
            CreditRequest(reason="Credit", amount=Decimal(90)),
            northwind["manager"],
            today=TODAY,
        )
    statement = statement_of(northwind)
    statement_of(initech, issue=False)
    for user in (northwind["manager"], northwind["client_user"]):
        api.as_user(user)
        conforms(client, "/api/v1/invoices", api.get("/api/v1/invoices"))
        conforms(client, "/api/v1/invoices/{invoice_id}", api.get(f"/api/v1/invoices/{credit.id}"))
    for user in (northwind["manager"], northwind["engineer_user"]):
        api.as_user(user)
        conforms(client, "/api/v1/pay-statements", api.get("/api/v1/pay-statements"))
        path = f"/api/v1/pay-statements/{statement.id}"
        conforms(client, "/api/v1/pay-statements/{statement_id}", api.get(path))
