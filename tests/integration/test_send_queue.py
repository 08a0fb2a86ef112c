"""Replies travel on their own broker queue: with a real worker and a backlog of processing
tasks already queued, an agent's reply reaches the provider long before the backlog is
worked off, instead of waiting behind every task queued before it."""

from __future__ import annotations

import pytest

from inbox import effects
from inbox.ingest.pipeline import webhook_events_process_batch
from inbox.models import Conversation, Message, WebhookEvent
from inbox.simulator.models import SimulatorRequest
from tests.integration.waiting import wait_for
from tests.pipeline.events import now_ms, store, tiktok_body, tiktok_channel

BUSY_SHOP = "-000sendQueueBusyShop1"
OTHER_SHOP = "-000sendQueueOtherShp"
BACKLOG = 120


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_reply_does_not_wait_behind_a_processing_backlog(
    celery_worker_process, tenant_a, tenant_b
):
    tiktok_channel(tenant_a, BUSY_SHOP)
    other = tiktok_channel(tenant_b, OTHER_SHOP)
    start = now_ms()
    [first] = store(
        [tiktok_body(business=OTHER_SHOP, customer="sq-cust", text="còn hàng?", at_ms=start)]
    )
    webhook_events_process_batch(event_ids=[first])
    conversation = Conversation.objects.get(channel=other)

    backlog = store(
        [
            tiktok_body(business=BUSY_SHOP, customer=f"sq-{i}", text=f"đơn {i}", at_ms=start + i)
            for i in range(BACKLOG)
        ]
    )
    for event_id in backlog:  # one processing task each, all queued before the reply
        effects.task_send(effects.WEBHOOK_EVENT_PROCESS, event_id)

    from inbox.services.sending import message_send

    reply = message_send(conversation=conversation, text="Còn ạ, gửi hôm nay")
    wait_for(lambda: Message.objects.filter(pk=reply.pk, status="sent").exists())
    reached_fake = SimulatorRequest.objects.filter(provider="tiktok").latest("id").at

    done_before = WebhookEvent.objects.filter(
        pk__in=backlog, status="processed", processed_at__lte=reached_fake
    ).count()
    assert done_before < BACKLOG // 2, f"the reply waited for {done_before} of {BACKLOG} events"
    # Nothing of the backlog was lost or skipped for it.
    wait_for(
        lambda: WebhookEvent.objects.filter(pk__in=backlog, status="processed").count() == BACKLOG
    )
    assert Message.objects.filter(channel__account_id=BUSY_SHOP, direction="in").count() == BACKLOG
