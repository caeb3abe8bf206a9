"""Every API route, every method, with someone else's ids: a client token with another
company's, an engineer token with another engineer's — 404 and nothing changed; a revoked or
expired token — 401 everywhere."""

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tracker.extensions import db
from tracker.models import (
    ApiToken,
    Client,
    Engineer,
    Invoice,
    IterationReview,
    PayStatement,
    Placement,
    Proposal,
    StaffingRequest,
    Timesheet,
    User,
    utcnow,
)
from tracker.models.enums import InvoiceStatus

# Rows an API call may write without changing anything a person sees: the token's last use,
# an idempotency claim, the audit trail of refusals.
BOOKKEEPING = {
    "api_token",
    "idempotent_request",
    "audit_event",
    "data_generation",
    "table_generation",
}
DOCS = {"api-docs.openapi_json", "api_docs_page"}


@pytest.fixture
def demo(app):
    from tracker.demo import data as demo_data

    demo_data.seed(engineers=60, clients=4)
    db.session.commit()


def api_rules(app):
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint not in DOCS
    ]


def fingerprint() -> dict:
    """Each table's rows and the sum of its versions: what a write would move."""
    found = {}
    for table in db.metadata.sorted_tables:
        if table.name in BOOKKEEPING:
            continue
        columns = [sa.func.count()]
        if "version_id" in table.c:
            columns.append(sa.func.coalesce(sa.func.sum(table.c.version_id), 0))
        if "updated_at" in table.c:
            columns.append(sa.func.max(table.c.updated_at))
        found[table.name] = tuple(db.session.execute(sa.select(*columns).select_from(table)).one())
    return found


def first(stmt):
    value = db.session.scalar(stmt.limit(1))
    assert value is not None, f"the demo data has no row for {stmt}"
    return value


def walk(app, api, ids: dict, never: set[str]) -> list[str]:
    """Call every route with these ids; what did not answer 404. A route whose ids are all
    of a kind the role never reads (`never`) may answer 403 (a wrong role) instead."""
    keys = itertools.count()
    wrong = []
    for rule in api_rules(app):
        if not rule.arguments:
            continue
        url = rule.build({name: ids[name] for name in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = api._client.open(
                url,
                method=method,
                json={},
                headers=api.headers({"If-Match": "*", "Idempotency-Key": f"walk-{next(keys)}"}),
            )
            allowed = {404, 403} if set(rule.arguments) <= never else {404}
            if response.status_code not in allowed:
                wrong.append(f"{method} {url}: {response.status_code} {response.text[:120]}")
    return wrong


def test_a_client_token_with_another_companys_ids_gets_404_and_changes_nothing(app, api, demo):
    user = first(sa.select(User).where(User.role == "client").order_by(User.id))
    other = first(sa.select(Client.id).where(Client.id != user.client_id).order_by(Client.id))
    others_placement = sa.select(Placement.id).where(Placement.client_id == other)
    ids = {
        "client_id": other,
        "request_id": first(
            sa.select(StaffingRequest.id).where(StaffingRequest.client_id == other)
        ),
        "proposal_id": first(
            sa.select(Proposal.id)
            .join(StaffingRequest, Proposal.request_id == StaffingRequest.id)
            .where(StaffingRequest.client_id == other)
        ),
        "placement_id": first(others_placement),
        "review_id": first(
            sa.select(IterationReview.id).where(IterationReview.placement_id.in_(others_placement))
        ),
        "timesheet_id": first(
            sa.select(Timesheet.id).where(Timesheet.placement_id.in_(others_placement))
        ),
        "invoice_id": first(
            sa.select(Invoice.id).where(
                Invoice.client_id == other, Invoice.status != InvoiceStatus.DRAFT
            )
        ),
        # Not a client's business at all, whoever they are about.
        "engineer_id": first(sa.select(Engineer.id)),
        "statement_id": first(sa.select(PayStatement.id)),
    }
    api.as_user(user)
    before = fingerprint()
    assert walk(app, api, ids, never={"engineer_id", "statement_id"}) == []
    db.session.expire_all()
    assert fingerprint() == before


def test_an_engineer_token_with_another_engineers_ids_gets_404_and_changes_nothing(app, api, demo):
    user = first(
        sa.select(User)
        .where(
            User.role == "engineer",
            User.engineer_id.in_(sa.select(Placement.engineer_id)),
        )
        .order_by(User.id)
    )
    mine = user.engineer_id
    others_placement = sa.select(Placement.id).where(Placement.engineer_id != mine)
    ids = {
        "engineer_id": first(sa.select(Engineer.id).where(Engineer.id != mine)),
        "placement_id": first(others_placement),
        "timesheet_id": first(
            sa.select(Timesheet.id).where(Timesheet.placement_id.in_(others_placement))
        ),
        "statement_id": first(sa.select(PayStatement.id).where(PayStatement.engineer_id != mine)),
        "review_id": first(
            sa.select(IterationReview.id).where(IterationReview.placement_id.in_(others_placement))
        ),
        "proposal_id": first(sa.select(Proposal.id).where(Proposal.engineer_id != mine)),
        # Records that are never an engineer's, whoever they are about.
        "client_id": first(sa.select(Client.id)),
        "request_id": first(sa.select(StaffingRequest.id)),
        "invoice_id": first(sa.select(Invoice.id)),
    }
    api.as_user(user)
    before = fingerprint()
    never = {"client_id", "request_id", "invoice_id", "review_id", "proposal_id"}
    assert walk(app, api, ids, never=never) == []
    db.session.expire_all()
    assert fingerprint() == before


@pytest.mark.parametrize("how", ["revoked", "expired"])
def test_a_revoked_or_expired_token_gets_401_on_every_route(app, api, make, how):
    user = api.as_role("admin")
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.user_id == user.id))
    if how == "revoked":
        token.revoked_at = utcnow()
    else:
        token.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    before = fingerprint()
    wrong = []
    for rule in api_rules(app):
        url = rule.build(dict.fromkeys(rule.arguments, 1), append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = api._client.open(url, method=method, json={}, headers=api.headers())
            if response.status_code != 401 or response.json["status"] != 401:
                wrong.append(f"{method} {url}: {response.status_code}")
    assert wrong == []
    assert fingerprint() == before
