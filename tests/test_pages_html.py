"""Every main page renders for its role with the demo data, with unique element ids."""

import collections
import re

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import Placement, Proposal, StaffingRequest, User

STAFF_PAGES = [
    "/dashboard/", "/clients/", "/clients/{client}", "/clients/{client}/edit", "/clients/new",
    "/engineers/", "/engineers/{engineer}", "/engineers/{engineer}/edit", "/engineers/new",
    "/engineers/skills", "/engineers/import", "/requests/", "/requests/{request}",
    "/requests/{request}/edit", "/requests/new", "/requests/{request}/matches", "/placements/",
    "/placements/{placement}", "/reviews/", "/placements/{placement}/iterations/1/review",
    "/timesheets/",
]  # fmt: skip
CLIENT_PAGES = [
    "/portal/", "/portal/requests/", "/portal/requests/new", "/portal/proposals/",
    "/portal/placements/", "/portal/requests/{client_request}",
    "/portal/placements/{client_placement}", "/portal/timesheets/",
]  # fmt: skip


@pytest.fixture
def demo(app):
    from tracker.demo import data as demo_data

    demo_data.seed(engineers=60, clients=4)
    db.session.commit()
    client_user = db.session.scalar(sa.select(User).where(User.role == "client").order_by(User.id))
    cid = client_user.client_id
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
    paths = ["/me/", "/me/timesheets/", "/me/profile"]
    for path in list(paths):
        paths += re.findall(r'href="(/me/placements/[^"#?]+)"', client.get(path).text)
    for path in dict.fromkeys(paths):
        response = client.get(path)
        assert response.status_code == 200, path
        assert duplicate_ids(response.text) == [], path
    assert any("/weeks/" in p for p in paths)


def test_client_pages(app, client, demo):
    client.post(
        "/login", data={"email": demo["client_user"], "password": app.config["DEMO_PASSWORD"]}
    )
    for template in CLIENT_PAGES:
        path = template.format(**demo)
        response = client.get(path)
        assert response.status_code == 200, path
        assert duplicate_ids(response.text) == [], path
