"""Every main page renders for its role with the demo data, with unique element ids."""

import collections
import re

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import Invoice, PayStatement, Placement, Proposal, StaffingRequest, User
from tracker.models.enums import InvoiceKind, InvoiceStatus

STAFF_PAGES = [
    "/dashboard/", "/clients/", "/clients/{client}", "/clients/{client}/edit", "/clients/new",
    "/engineers/", "/engineers/{engineer}", "/engineers/{engineer}/edit", "/engineers/new",
    "/engineers/skills", "/engineers/import", "/requests/", "/requests/{request}",
    "/requests/{request}/edit", "/requests/new", "/requests/{request}/matches", "/placements/",
    "/placements/{placement}", "/reviews/", "/placements/{placement}/iterations/1/review",
    "/timesheets/", "/invoices/", "/invoices/{invoice}", "/invoices/{draft_invoice}",
    "/invoices/{credit_note}", "/pay-statements/", "/pay-statements/{statement}",
    "/pay-statements/{draft_statement}",
]  # fmt: skip
CLIENT_PAGES = [
    "/portal/", "/portal/requests/", "/portal/requests/new", "/portal/proposals/",
    "/portal/placements/", "/portal/requests/{client_request}",
    "/portal/placements/{client_placement}", "/portal/timesheets/", "/portal/invoices/",
    "/portal/invoices/{client_invoice}", "/portal/invoices/{client_credit_note}",
]  # fmt: skip


@pytest.fixture
def demo(app):
    from tracker.demo import data as demo_data

    demo_data.seed(engineers=60, clients=4)
    db.session.commit()
    # The first client user of a client with a credit note: the demo has one or two.
    credited = sa.select(Invoice.client_id).where(Invoice.kind == InvoiceKind.CREDIT_NOTE)
    client_user = db.session.scalar(
        sa.select(User).where(User.role == "client", User.client_id.in_(credited)).order_by(User.id)
    )
    cid = client_user.client_id
    issued = sa.select(Invoice.id).where(Invoice.status != InvoiceStatus.DRAFT)
    return {
        "client": cid,
        "engineer": 1,
        "request": db.session.scalar(sa.select(sa.func.min(StaffingRequest.id))),
        "placement": db.session.scalar(
            sa.select(Placement.id).where(Placement.reviews_count > 0).limit(1)
        ),
        "client_request": db.session.scalar(
            sa.select(StaffingRequest.id).where(StaffingRequest.client_id == cid).limit(1)
        ),
        "client_placement": db.session.scalar(
            sa.select(Placement.id).where(Placement.client_id == cid).limit(1)
        ),
        "client_user": client_user.email,
        "proposal": db.session.scalar(sa.select(Proposal.id).limit(1)),
        "invoice": db.session.scalar(issued.where(Invoice.kind == InvoiceKind.INVOICE).limit(1)),
        "draft_invoice": db.session.scalar(
            sa.select(Invoice.id).where(Invoice.status == InvoiceStatus.DRAFT).limit(1)
        ),
        "credit_note": db.session.scalar(
            issued.where(Invoice.kind == InvoiceKind.CREDIT_NOTE).limit(1)
        ),
        "client_invoice": db.session.scalar(
            issued.where(Invoice.client_id == cid, Invoice.kind == InvoiceKind.INVOICE).limit(1)
        ),
        "client_credit_note": db.session.scalar(
            issued.where(Invoice.client_id == cid, Invoice.kind == InvoiceKind.CREDIT_NOTE).limit(1)
        ),
        "statement": db.session.scalar(
            sa.select(PayStatement.id).where(PayStatement.status != InvoiceStatus.DRAFT).limit(1)
        ),
        "draft_statement": db.session.scalar(
            sa.select(PayStatement.id).where(PayStatement.status == InvoiceStatus.DRAFT).limit(1)
        ),
    }


def duplicate_ids(html: str) -> list[str]:
    counts = collections.Counter(re.findall(r'\sid="([^"]+)"', html))
    return [i for i, n in counts.items() if n > 1]


def test_staff_pages(app, client, demo):
    client.post(
        "/login", data={"email": "am@agency.example", "password": app.config["DEMO_PASSWORD"]}
    )
    for template in STAFF_PAGES:
        path = template.format(**demo)
        response = client.get(path)
        assert response.status_code == 200, path
        assert duplicate_ids(response.text) == [], path


def test_engineer_pages(app, client, demo):
    """Every page of an engineer's own area, with their placements and weeks."""
    engineer_user = db.session.scalar(
        sa.select(User).where(User.role == "engineer").order_by(User.id)
    )
    assert engineer_user is not None, "the demo has engineer accounts"
    client.post(
        "/login", data={"email": engineer_user.email, "password": app.config["DEMO_PASSWORD"]}
    )
    paths = ["/me/", "/me/timesheets/", "/me/profile", "/me/pay/"]
    for path in list(paths):
        paths += re.findall(r'href="(/me/(?:placements|pay)/[^"#?]+)"', client.get(path).text)
    for path in dict.fromkeys(paths):
        response = client.get(path)
        assert response.status_code == 200, path
        assert duplicate_ids(response.text) == [], path
    assert any("/weeks/" in p for p in paths)
    assert any(re.fullmatch(r"/me/pay/\d+", p) for p in paths), "the demo pays engineers"


def test_client_pages(app, client, demo):
    client.post(
        "/login", data={"email": demo["client_user"], "password": app.config["DEMO_PASSWORD"]}
    )
    for template in CLIENT_PAGES:
        path = template.format(**demo)
        response = client.get(path)
        assert response.status_code == 200, path
        assert duplicate_ids(response.text) == [], path
