"""Invoice pages for staff (issue 15): the list, its filters and exports, drafting a month, one
invoice and what may be done to it in its state, its PDF — and every refusal, told in words."""

import csv
import html
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests import test_invoices as billing
from tests.test_pages_html import duplicate_ids
from tracker.extensions import db
from tracker.models import Invoice
from tracker.models.enums import InvoiceStatus
from tracker.services import invoices, transaction
from tracker.services.billing import month_end, month_words, previous_month
from tracker.services.invoices import CreditRequest
from tracker.services.timesheets import week_of

TODAY, MONTH, NEXT = billing.TODAY, billing.MONTH, billing.NEXT
world = billing.world  # the placement at Northwind, its engineer's and client's accounts
work, drafted, issued, count = billing.work, billing.drafted, billing.issued, billing.count


def flashed(response) -> str:
    found = re.findall(r'class="alert[^"]*"[^>]*>\s*(.*?)\s*<button', response.text, re.S)
    return html.unescape(" ".join(found))


def fresh(invoice: Invoice) -> Invoice | None:
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


def listed(client, query: str = "") -> list[int]:
    page = client.get(f"/invoices/?{query}")
    assert page.status_code == 200, query
    return [int(i) for i in re.findall(r'<tr data-invoice="(\d+)"', page.text)]


@pytest.fixture
def billed(world, auth):
    """Northwind's MONTH issued long ago (overdue now), NEXT a draft; signed in as staff."""
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(NEXT))
    old = drafted(placement.client, am, MONTH)
    with transaction():
        invoices.issue(old, am, today=TODAY - timedelta(days=45))  # due 15 days ago
    draft = drafted(placement.client, am, NEXT)
    auth.login_as("account_manager")
    return placement, old, draft


# --- the list and its exports ---------------------------------------------------------------------


def test_the_list_shows_numbers_drafts_and_the_overdue_badge(client, billed):
    _placement, old, draft = billed

    page = client.get("/invoices/").text

    assert set(listed(client)) == {old.id, draft.id}
    assert old.number in page
    assert ">Draft</a>" in page
    assert "Northwind" in page
    assert month_words(MONTH) in page
    assert f"${old.total:,.2f}" in page
    assert page.count('data-testid="overdue"') == 1
    assert 'data-testid="out-of-date"' not in page
    assert "These filters were left out" not in page  # no filter given, none refused
    assert duplicate_ids(page) == []


def test_the_list_filters(client, billed, make):
    placement, old, draft = billed
    other = make.client(name="Globex")
    make.placement(request=make.request(client=other))  # a client one may filter on

    assert listed(client, f"month={NEXT:%Y-%m}") == [draft.id]
    assert listed(client, "status=issued") == [old.id]
    assert listed(client, "overdue=y") == [old.id]
    assert listed(client, f"client={placement.client.id}&kind=invoice") != []
    assert listed(client, f"client={other.id}") == []
    assert listed(client, "kind=credit_note") == []
    assert "No invoice matches these filters" in client.get("/invoices/?kind=credit_note").text
    assert listed(client, "sort=period") == [old.id, draft.id]
    assert listed(client, "sort=-period") == [draft.id, old.id]
    bad = client.get("/invoices/?month=2026-13&status=nonsense&client=abc&sort=nonsense")
    assert bad.status_code == 200
    assert "These filters were left out" in bad.text
    assert "YYYY-MM" in bad.text


def test_the_list_without_invoices_says_how_to_start(client, auth):
    auth.login_as("account_manager")
    page = client.get("/invoices/").text
    assert "No invoices yet" in page
    assert 'action="/invoices/draft"' in page


def test_the_two_exports_follow_the_filters(client, billed):
    placement, old, _draft = billed

    invoices_csv = client.get("/invoices/export.csv?status=issued")
    lines_csv = client.get("/invoices/lines.csv?status=issued")

    for response in (invoices_csv, lines_csv):
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(invoices_csv.text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["number", "kind", "status", "client"]
    assert rows[1:] == [
        [
            old.number,
            "invoice",
            "issued",
            "Northwind",
            MONTH.isoformat(),
            month_end(MONTH).isoformat(),
            old.issued_on.isoformat(),
            old.due_on.isoformat(),
            "",
            f"{old.total:.2f}",
            "USD",
            "",
            str(old.id),
        ]
    ]
    lines = list(csv.reader(io.StringIO(lines_csv.text.lstrip("\ufeff"))))
    assert lines[0][:5] == ["number", "kind", "status", "client", "line"]
    assert [r[0] for r in lines[1:]] == [old.number]
    assert lines[1][6] == "Ana Souza"
    assert lines[1][12] == f"{old.lines[0].amount:.2f}"


# --- drafting a month ----------------------------------------------------------------------------


def test_drafting_a_month_creates_once_then_finds_nothing_to_bill(client, auth, world):
    placement, eng, client_user, _am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    auth.login_as("account_manager")
    month = f"{MONTH:%Y-%m}"

    first = client.post("/invoices/draft", data={"draft-month": month})
    assert first.status_code == 302
    assert first.headers["Location"] == f"/invoices/?month={month}"
    page = client.get(first.headers["Location"])
    assert f"{month_words(MONTH)}: 1 draft created, 0 rebuilt." in flashed(page)
    assert count(Invoice) == 1

    again = client.post("/invoices/draft", data={"draft-month": month}, follow_redirects=True)
    assert f"{month_words(MONTH)}: nothing to bill" in flashed(again)
    assert count(Invoice) == 1


def test_drafting_refuses_a_bad_month(client, auth, world):
    auth.login_as("account_manager")
    for month in ("2026-13", "November", ""):
        response = client.post("/invoices/draft", data={"draft-month": month})
        assert response.status_code == 302
        page = client.get(response.headers["Location"])
        assert "Give the month as YYYY-MM" in flashed(page), month
    assert count(Invoice) == 0


def test_the_list_offers_last_month_to_draft(client, auth):
    auth.login_as("account_manager")
    page = client.get("/invoices/").text
    assert f'value="{previous_month(TODAY):%Y-%m}"' in page


def test_drafting_one_clients_month(client, auth, world):
    placement, eng, client_user, _am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    auth.login_as("account_manager")
    data = {"one-client_id": placement.client.id, "one-month": f"{MONTH:%Y-%m}"}

    response = client.post("/invoices/draft-client", data=data)

    [invoice] = db.session.scalars(sa.select(Invoice)).all()
    assert response.headers["Location"] == f"/invoices/{invoice.id}"
    page = client.get(response.headers["Location"])
    assert f"Drafted Northwind's invoice for {month_words(MONTH)}" in flashed(page)
    nothing = client.post(
        "/invoices/draft-client", data={**data, "one-month": f"{NEXT:%Y-%m}"}, follow_redirects=True
    )
    assert "there is nothing to bill" in flashed(nothing)
    nobody = client.post("/invoices/draft-client", data={**data, "one-client_id": ""})
    assert "Choose the client to bill" in flashed(client.get(nobody.headers["Location"]))
    assert count(Invoice) == 1


# --- one invoice ----------------------------------------------------------------------------------


def test_the_draft_page_shows_lines_total_and_its_actions(client, billed):
    _placement, _old, draft = billed
    [line] = draft.lines

    page = client.get(f"/invoices/{draft.id}").text

    assert "Draft invoice " + month_words(NEXT) in page
    assert "Ana Souza — ML platform" in page
    assert invoices.days_text(line) in page
    assert f"{float(line.hours):g} h" in page
    assert "$90.00" in page
    assert f'data-testid="total">${draft.total:,.2f}<' in page
    assert 'data-testid="draft-actions"' in page
    assert "cannot be changed afterwards" in page  # the Issue button's confirmation
    assert 'data-confirm="Delete this draft?' in page
    assert f'name="version_id" value="{draft.version_id}"' in page
    assert 'data-testid="pay"' not in page
    assert 'data-testid="credit"' not in page
    assert f'href="/invoices/{draft.id}.pdf"' in page
    assert "Invoice drafted" in page  # its history
    assert duplicate_ids(page) == []


def test_issuing_numbers_the_invoice(client, billed):
    _placement, old, draft = billed

    response = client.post(
        f"/invoices/{draft.id}/issue", data={"version_id": draft.version_id}, follow_redirects=True
    )

    draft = fresh(draft)
    assert draft.status == InvoiceStatus.ISSUED
    number = f"INV-{TODAY.year}-{int(old.number[-4:]) + 1:04d}"
    assert draft.number == number
    assert f"Issued {number} to Northwind" in flashed(response)
    assert f'<h1 class="h3 mb-0">{number}</h1>' in response.text
    assert 'data-testid="pay"' in response.text
    assert 'data-testid="credit"' in response.text
    assert duplicate_ids(response.text) == []
    assert 'data-testid="draft-actions"' not in response.text


def test_a_stale_page_is_refused_and_nothing_changes(client, billed):
    _placement, old, draft = billed
    stale = {"version_id": draft.version_id + 5}

    for action in ("issue", "rebuild", "delete"):
        response = client.post(f"/invoices/{draft.id}/{action}", data=stale)
        assert response.status_code == 302, action
        assert response.headers["Location"] == f"/invoices/{draft.id}"
        assert "changed by someone else" in flashed(client.get(response.headers["Location"]))
    assert fresh(draft).status == InvoiceStatus.DRAFT
    response = client.post(
        f"/invoices/{old.id}/pay",
        data={"pay-version_id": old.version_id + 5, "pay-paid_on": TODAY.isoformat()},
        follow_redirects=True,
    )
    assert "changed by someone else" in flashed(response)
    assert fresh(old).status == InvoiceStatus.ISSUED


def test_an_out_of_date_draft_says_so_and_is_rebuilt(client, world, auth):
    placement, eng, client_user, am = world
    second_week = week_of(MONTH) + timedelta(days=7)
    work(placement, eng, client_user, MONTH, second_week - timedelta(days=1))
    draft = drafted(placement.client, am)
    work(placement, eng, client_user, second_week, month_end(MONTH))
    auth.login_as("account_manager")

    assert 'data-testid="out-of-date"' in client.get("/invoices/").text
    page = client.get(f"/invoices/{draft.id}").text
    assert 'data-testid="stale"' in page
    assert "Hours were approved, or rates changed, since this draft was built" in page
    refused = client.post(
        f"/invoices/{draft.id}/issue", data={"version_id": draft.version_id}, follow_redirects=True
    )
    assert "is out of date" in flashed(refused)
    before = fresh(draft).total

    rebuilt = client.post(
        f"/invoices/{draft.id}/rebuild",
        data={"version_id": fresh(draft).version_id},
        follow_redirects=True,
    )

    assert "Rebuilt Draft invoice" in flashed(rebuilt)
    assert fresh(draft).total > before
    assert 'data-testid="stale"' not in rebuilt.text


def test_paying_refuses_a_future_or_bad_date_then_records_it(client, billed):
    _placement, old, _draft = billed
    url = f"/invoices/{old.id}/pay"
    version = {"pay-version_id": old.version_id}

    for paid_on, message in (
        ((TODAY + timedelta(days=1)).isoformat(), "The payment date is in the future"),
        ("31/12/2026", "Paid on:"),
        ("", "Give the day the payment arrived"),
        ((TODAY - timedelta(days=400)).isoformat(), "before the invoice was issued"),
    ):
        response = client.post(url, data={**version, "pay-paid_on": paid_on})
        assert response.status_code == 302, paid_on
        assert message in flashed(client.get(response.headers["Location"])), paid_on
    assert fresh(old).status == InvoiceStatus.ISSUED

    paid = client.post(
        url, data={**version, "pay-paid_on": TODAY.isoformat()}, follow_redirects=True
    )

    assert f"{old.number} is paid" in flashed(paid)
    old = fresh(old)
    assert (old.status, old.paid_on) == (InvoiceStatus.PAID, TODAY)
    assert 'data-testid="pay"' not in paid.text
    assert 'data-testid="overdue"' not in paid.text


def test_a_credit_note_too_large_or_without_reason_is_refused(client, billed):
    _placement, old, _draft = billed
    url = f"/invoices/{old.id}/credit"
    base = {"credit-version_id": old.version_id, "credit-reason": "Goodwill"}
    too_much = f"{old.total + Decimal('0.01'):.2f}"

    for data, message in (
        ({"credit-amount": too_much}, "more than what is left to credit"),
        ({"credit-amount": "10", "credit-reason": " "}, "Say why the invoice is credited"),
        ({"credit-amount": "abc"}, "is not an amount"),
        ({}, "Choose the lines to credit, or an amount"),
        ({"credit-lines": "999999"}, "not a line of this invoice"),
        ({"credit-lines": "x"}, "Lines to credit"),
    ):
        response = client.post(url, data={**base, **data})
        assert response.status_code == 302, data
        assert response.headers["Location"] == f"/invoices/{old.id}"
        assert message in flashed(client.get(response.headers["Location"])), data
    assert count(Invoice, Invoice.kind == "credit_note") == 0


def test_a_credit_note_is_issued_and_linked_both_ways(client, billed):
    _placement, old, _draft = billed
    [line] = old.lines

    response = client.post(
        f"/invoices/{old.id}/credit",
        data={
            "credit-version_id": old.version_id,
            "credit-lines": str(line.id),
            "credit-reason": "Wrong rate",
        },
    )

    [note] = db.session.scalars(sa.select(Invoice).where(Invoice.kind == "credit_note")).all()
    assert response.headers["Location"] == f"/invoices/{note.id}"
    page = client.get(response.headers["Location"])
    assert f"Issued credit note {note.number}: ${old.total:,.2f} off {old.number}" in flashed(page)
    assert 'data-testid="credit-note"' in page.text
    assert f'href="/invoices/{old.id}" data-testid="credits">{old.number}<' in page.text
    assert "Wrong rate" in page.text
    original = client.get(f"/invoices/{old.id}").text
    assert f'href="/invoices/{note.id}"' in original
    assert "Fully credited" in original
    assert invoices.creditable(fresh(old)) == 0


def test_deleting_a_draft_frees_its_hours(client, billed):
    _placement, _old, draft = billed
    draft_id = draft.id
    assert 'data-confirm="Delete this draft?' in client.get(f"/invoices/{draft.id}").text

    response = client.post(f"/invoices/{draft.id}/delete", data={"version_id": draft.version_id})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/invoices/?month={NEXT:%Y-%m}"
    assert "Deleted the draft invoice of Northwind" in flashed(
        client.get(response.headers["Location"])
    )
    assert db.session.get(Invoice, draft_id) is None
    assert client.get(f"/invoices/{draft_id}").status_code == 404


def test_an_issued_invoice_is_not_deleted_rebuilt_or_issued_again(client, billed):
    _placement, old, _draft = billed
    for action, message in (
        ("delete", "cannot be deleted"),
        ("rebuild", "cannot be rebuilt"),
        ("issue", "issued once"),
    ):
        response = client.post(f"/invoices/{old.id}/{action}", data={"version_id": old.version_id})
        assert response.status_code == 302
        assert message in flashed(client.get(response.headers["Location"])), action
    assert fresh(old).number == old.number


def test_the_pdf_downloads_with_its_name(client, billed):
    pytest.importorskip("tracker.reports.invoice_pdf")
    _placement, old, draft = billed

    for invoice, name in ((old, f"{old.number}.pdf"), (draft, f"draft-northwind-{NEXT:%Y-%m}.pdf")):
        response = client.get(f"/invoices/{invoice.id}.pdf")
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
        assert response.data.startswith(b"%PDF")


def test_an_unknown_invoice_is_404(client, auth):
    auth.login_as("account_manager")
    assert client.get("/invoices/999999").status_code == 404
    assert client.get("/invoices/999999.pdf").status_code == 404
    for action in ("rebuild", "issue", "delete", "pay", "credit"):
        assert client.post(f"/invoices/999999/{action}").status_code == 404, action


# --- who reaches these pages ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["client", "engineer"])
def test_clients_and_engineers_get_403_everywhere(client, auth, world, role):
    placement, eng, client_user, am = world
    work(placement, eng, client_user, MONTH, month_end(MONTH))
    invoice = issued(placement.client, am)
    auth.login_as(role)
    base = f"/invoices/{invoice.id}"
    for path in ("/invoices/", "/invoices/export.csv", "/invoices/lines.csv", base, f"{base}.pdf"):
        assert client.get(path).status_code == 403, path
    posts = ["/invoices/draft", "/invoices/draft-client"]
    posts += [f"{base}/{action}" for action in ("rebuild", "issue", "delete", "pay", "credit")]
    for path in posts:
        data = {"version_id": invoice.version_id, "credit-amount": "1", "credit-reason": "x"}
        assert client.post(path, data=data).status_code == 403, path
    assert count(Invoice) == 1
    assert fresh(invoice).status == InvoiceStatus.ISSUED


def test_a_credit_note_page_offers_no_payment_nor_credit(client, billed):
    _placement, old, _draft = billed
    with transaction():
        note = invoices.credit(
            old, CreditRequest(reason="Discount", amount=Decimal("10.00")), None, today=TODAY
        )
    page = client.get(f"/invoices/{note.id}").text
    assert "-$10.00" in page or "$-10.00" in page
    assert 'data-testid="pay"' not in page
    assert 'data-testid="credit"' not in page
    refused = client.post(
        f"/invoices/{note.id}/pay",
        data={"pay-version_id": note.version_id, "pay-paid_on": TODAY.isoformat()},
        follow_redirects=True,
    )
    assert "A credit note is not paid" in flashed(refused)
