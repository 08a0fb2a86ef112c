"""The API keeps the contract its schema states, checked the way an integrator would.

Schemathesis (with the repository's `schemathesis.toml`) calls the WSGI application in the
test's own thread and transaction with **all** its checks — no 5xx, documented status codes,
content types, headers and bodies, schema-valid requests accepted, schema-violating ones
refused, unsupported methods, ignored auth, use after free, … — on every operation: positive
and negative data in the examples and fuzzing phases, then sequences of operations linked by
the ids they return (the stateful phase). The throttle is raised so that 429 hides nothing.
Generation is derandomized, so every run makes the same requests: it cannot pass once and
fail the next time. The coverage phase (hundreds of boundary cases per operation) is left to
`schemathesis run` against a running server (docs/api.md), where it is clean too.
"""

import tomllib
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.config import SchemathesisConfig

from tenants.services import api_key_create

ROOT = Path(__file__).resolve().parents[2]
# Per operation and phase; with the state machine, about two minutes on two busy cores.
MAX_EXAMPLES = 10
DETERMINISTIC = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _config(headers: dict | None = None) -> SchemathesisConfig:
    config = tomllib.loads((ROOT / "schemathesis.toml").read_text())
    config["headers"] = headers or {}
    config["generation"].update({"mode": "all", "deterministic": True, "database": "none"})
    config["phases"] = {
        "examples": {"enabled": True},
        "coverage": {"enabled": False},
        "fuzzing": {"enabled": True},
        "stateful": {"enabled": True},
    }
    return SchemathesisConfig.from_dict(config)


def _load_schema(headers: dict | None = None):
    from config.wsgi import application

    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, config=_config(headers)
    )


schema = _load_schema()


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


@pytest.fixture
def world(db, tenant_a, owner_a, settings, _keep_the_test_connection, monkeypatch):
    """A business with a channel, a conversation with a message and a label: something for
    the operations to find. Returns the headers of a read-write API key."""
    from tenants.api_auth import ApiKeyRateThrottle
    from tests.factories import (
        ChannelFactory,
        ContactIdentityFactory,
        ConversationFactory,
        LabelFactory,
        MessageFactory,
    )

    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "1000000/min", raising=False)
    settings.CRM_WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True  # as in development (bin/run)
    channel = ChannelFactory(tenant=tenant_a)
    conversation = ConversationFactory(tenant=tenant_a, channel=channel)
    ContactIdentityFactory(contact=conversation.contact, channel=channel)
    conversation.labels.add(LabelFactory(tenant=tenant_a))
    MessageFactory(conversation=conversation)
    raw = api_key_create(tenant=tenant_a, name="schemathesis", read_only=False).raw_key
    return {"Authorization": f"Bearer {raw}"}


def test_the_schema_covers_the_whole_api():
    assert len(list(schema.get_all_operations())) >= 43


@schema.parametrize()
@settings(DETERMINISTIC, max_examples=MAX_EXAMPLES)
def test_every_operation_keeps_the_contract(case, world):
    case.call_and_validate(headers=world)


def test_sequences_of_operations_keep_the_contract(world):
    """Create, read, change and delete in the orders the schema's links allow."""

    class Workflow(_load_schema(headers=world).as_state_machine()):
        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The key is the configured credential, as `-H` is for `schemathesis run`.
            case.validate_response(
                response,
                additional_checks=additional_checks,
                headers=world,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    run_state_machine_as_test(
        Workflow,
        settings=settings(DETERMINISTIC, max_examples=MAX_EXAMPLES, stateful_step_count=6),
    )
