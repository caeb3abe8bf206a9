"""Schemathesis against the published /api/v1/openapi.json, every operation, every check, with a
staff token and a client token: no server error and no answer that breaks the schema.

Examples per operation are bounded (SCHEMATHESIS_MAX_EXAMPLES, default 25) so CI stays fast;
run with a larger figure locally to search harder.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from tracker.api.core import CROSS_FIELD_RULE
from tracker.extensions import db

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25"))


def _published_spec() -> dict:
    """The document the app publishes (it does not depend on the data: any app gives it)."""
    from tests.conftest import make_app

    spec_app = make_app("sqlite:///:memory:")
    return spec_app.test_client().get("/api/v1/openapi.json").json


schema = schemathesis.openapi.from_dict(_published_spec())
# The token of the test that runs: set by its fixture, sent by the auth provider below, so
# Schemathesis knows the Authorization header is taken care of.
CURRENT: dict[str, str] = {}


@schema.auth()
class TokenAuth:
    def get(self, case, context):
        return CURRENT.get("token", "")

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def positive_data_acceptance(ctx, response, case):
    """Schemathesis' own check, with two answers it cannot know about: a 412 (the If-Match it
    made up is not the record's version) and a 422 of type
    `cross-field-rule` (an end before its start, a pay rate above the bill rate — rules that
    relate two fields, which JSON Schema cannot state). Any other 422 for a schema-valid
    request still fails: every one-field rule is in the published schema."""
    if response.status_code == 422 and response.json().get("type", "").endswith(CROSS_FIELD_RULE):
        return None
    if response.status_code == 412:  # an If-Match the generator made up: the stored version wins
        return None
    return checks.positive_data_acceptance(ctx, response, case)


def call_and_validate(case, app, headers: dict):
    """Run the case against this test's app (its own database) with every check; the token
    (`headers`) goes in through the auth provider."""
    case.operation.schema.app = app
    case.call_and_validate(
        app=app,
        excluded_checks=[checks.positive_data_acceptance],
        additional_checks=[positive_data_acceptance],
    )


def _headers(api, make, role: str) -> dict:
    """A token of the role, with a little data to find."""
    company = make.client(name="Schemathesis Co")
    make.request(client=company)
    if role == "client":
        api.as_role("client", client=company)
    else:
        api.as_role(role)
    db.session.remove()
    CURRENT["token"] = api.secret
    return api.headers()


@pytest.fixture
def staff_headers(api, make):
    return _headers(api, make, "account_manager")


@pytest.fixture
def client_headers(api, make):
    return _headers(api, make, "client")


BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


@schema.parametrize()
@BOUNDED
def test_every_operation_keeps_to_its_schema_for_staff(case, app, staff_headers):
    call_and_validate(case, app, staff_headers)


@schema.parametrize()
@BOUNDED
def test_every_operation_keeps_to_its_schema_for_a_client(case, app, client_headers):
    call_and_validate(case, app, client_headers)
