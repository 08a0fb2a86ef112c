"""Property-based API tests: schemathesis generates requests from /api/schema/ and checks
that no answer is a 5xx and every answer conforms to the schema (status code, content type,
body). Kept small (a few examples per operation) so it runs in CI in well under 2 minutes."""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tenants.services import api_key_create

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def _keep_the_test_connection():
    """Calling the WSGI app directly fires request_finished, which would close the test's
    connection (and its transaction); Django's test client disconnects it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _load_schema():
    from config.wsgi import application

    # The coverage phase (hundreds of boundary cases per operation) is left to local runs
    # (`SCHEMATHESIS_COVERAGE=1`); CI runs the examples and fuzzing phases, a few cases each.
    coverage = bool(os.environ.get("SCHEMATHESIS_COVERAGE"))
    config = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": coverage}}})
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=config)


schema = _load_schema()


@pytest.fixture
def world(db, tenant_a, settings, _keep_the_test_connection):
    from tests.factories import (
        ChannelFactory,
        ContactIdentityFactory,
        ConversationFactory,
        LabelFactory,
        MessageFactory,
    )

    settings.CRM_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    channel = ChannelFactory(tenant=tenant_a)
    conversation = ConversationFactory(tenant=tenant_a, channel=channel)
    ContactIdentityFactory(contact=conversation.contact, channel=channel)
    conversation.labels.add(LabelFactory(tenant=tenant_a))
    MessageFactory(conversation=conversation)


@pytest.fixture
def api_key(tenant_a):
    return api_key_create(tenant=tenant_a, name="schemathesis", read_only=False).raw_key


@schema.parametrize()
@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_conforms_to_its_schema(case, world, api_key, monkeypatch):
    from tenants.api_auth import ApiKeyRateThrottle

    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "100000/min", raising=False)
    case.call_and_validate(headers={"Authorization": f"Bearer {api_key}"}, checks=CHECKS)
