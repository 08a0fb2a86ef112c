"""At most one processing wake-up waits in the broker queue: a webhook stored while one is
queued is claimed by that one, and the next wake-up is published once a task has started."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from inbox import effects
from inbox.ingest.dispatch import wake_workers
from inbox.models import Message, WebhookEvent
from inbox.tasks import webhook_events_process_task

from .events import now_ms, store, tiktok_body, tiktok_channel

WAKE_KEY = effects._queued_key(effects.WEBHOOK_EVENTS_PROCESS, ())

SHOP = "-000pipelineWakeShop01"

pytestmark = pytest.mark.django_db(transaction=True)


def _pending() -> int:
    return WebhookEvent.objects.filter(status="pending").count()


def test_a_queued_wake_up_takes_events_stored_after_it_and_then_the_next_one_is_sent(tenant_a):
    cache.delete(WAKE_KEY)
    tiktok_channel(tenant_a, SHOP)
    start = now_ms()
    first = store([tiktok_body(business=SHOP, customer="-000wake1", text="one", at_ms=start)])
    cache.add(WAKE_KEY, 1, timeout=60)  # a wake-up is in the queue, its task not started
    wake_workers(first)  # not published again (tasks run eagerly here: it would process now)
    assert _pending() == 1

    webhook_events_process_task.delay([])  # the queued wake-up's task starts: claims it
    assert _pending() == 0 and Message.objects.count() == 1
    assert cache.get(WAKE_KEY) is None

    second = store([tiktok_body(business=SHOP, customer="-000wake2", text="two", at_ms=start + 1)])
    wake_workers(second)  # nothing queued now: published (and, eager, processed)
    assert _pending() == 0 and Message.objects.count() == 2


def test_the_auto_reply_of_an_event_processed_on_its_own_goes_on_the_replies_lane():
    from config.celery import app
    from inbox import effects

    queue = app.amqp.router.route({}, effects.AUTOMATION_RUN)["queue"]
    assert queue.name == app.amqp.router.route({}, effects.MESSAGE_DELIVER)["queue"].name == "send"
