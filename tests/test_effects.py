"""The one door for side effects (`inbox/effects.py`): on commit, by task name, never lost."""

import logging

import pytest
from django.db import transaction

from config.celery import app
from inbox import effects
from inbox.outbound_webhooks.models import WebhookDelivery
from tenants.models import AuditLog

pytestmark = pytest.mark.django_db

DOOR_TASKS = [
    value for name, value in vars(effects).items() if name.isupper() and isinstance(value, str)
]


def test_every_task_the_door_sends_and_every_periodic_task_is_registered():
    app.autodiscover_tasks(force=True)
    scheduled = [entry["task"] for entry in app.conf.beat_schedule.values()]
    assert len(DOOR_TASKS) >= 8
    assert [name for name in DOOR_TASKS + scheduled if name not in app.tasks] == []


def test_a_task_runs_only_once_the_transaction_commits(
    tenant_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            effects.task_on_commit("inbox.ping_database", tenant_a.pk, "effects.committed")
            assert not AuditLog.objects.filter(action="effects.committed").exists()
        # Still inside the test's own transaction: not committed, so not run.
        assert not AuditLog.objects.filter(action="effects.committed").exists()
    assert len(callbacks) == 1
    assert AuditLog.objects.filter(action="effects.committed").count() == 1


def test_a_rolled_back_transaction_sends_nothing(tenant_a, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        effects.task_on_commit("inbox.ping_database", tenant_a.pk, "effects.rolled_back")
        effects.live_hint(tenant_id=tenant_a.pk, event="conversation.updated", conversation_id=1)
        raise RuntimeError
    assert callbacks == []
    assert not AuditLog.objects.filter(action="effects.rolled_back").exists()


@pytest.fixture
def broker_down(settings):
    """A real Celery producer pointed at a port where no broker listens."""
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app._pool = None
    app.amqp._producer_pool = None
    yield
    app.conf.broker_url, app.conf.task_always_eager = previous
    app._pool = None
    app.amqp._producer_pool = None


def test_a_broker_that_refuses_the_task_is_logged_not_raised(tenant_a, broker_down, caplog):
    with caplog.at_level(logging.WARNING, logger="inbox.effects"):
        assert effects.task_send("inbox.ping_database", tenant_a.pk, "x") is False
    assert "could not enqueue inbox.ping_database; the sweeper will retry" in caplog.text


def test_an_unknown_task_name_is_logged_not_sent(caplog):
    with caplog.at_level(logging.WARNING, logger="inbox.effects"):
        assert effects.task_send("inbox.no_such_task", 1) is False
    assert "could not enqueue inbox.no_such_task" in caplog.text


def test_webhook_event_rows_belong_to_the_callers_transaction(
    tenant_a, webhook_events, django_capture_on_commit_callbacks
):
    with pytest.raises(RuntimeError), transaction.atomic():
        effects.webhook_event(tenant=tenant_a, event_type="contact.created", data={"id": 1})
        assert WebhookDelivery.objects.count() == 1  # written before the commit
        raise RuntimeError
    assert WebhookDelivery.objects.count() == 0  # and gone with the rollback
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        effects.webhook_event(tenant=tenant_a, event_type="contact.created", data={"id": 2})
    assert WebhookDelivery.objects.count() == 1
    assert len(callbacks) == 1  # its delivery is sent once the transaction commits


def test_the_payload_is_built_only_when_somebody_subscribed(tenant_a):
    built = []

    def build():
        built.append(1)
        return {"id": 1}

    effects.webhook_event(tenant=tenant_a, event_type="contact.created", data=build)
    assert built == [] and not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    ("base", "cap", "attempts", "low", "high"),
    [
        (10, 600, 1, 8, 12),
        (10, 600, 2, 16, 24),
        (10, 600, 4, 64, 96),
        (30, 3600, 20, 2880, 4320),
        (5, 600, 100_000, 480, 720),
    ],
)
def test_one_backoff_doubles_up_to_its_cap_with_jitter(base, cap, attempts, low, high):
    for _ in range(20):
        assert low <= effects.backoff_seconds(attempts, base=base, cap=cap) <= high
