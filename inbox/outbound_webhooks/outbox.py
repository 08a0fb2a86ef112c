"""The outbound webhook outbox: one delivery row per matching subscription, written in the
caller's transaction. Sending them is `inbox.effects.webhook_event`'s job (on commit)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from inbox.outbound_webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookSubscription
from inbox.pass_memo import memo


def deliveries_record(*, tenant, event_type: str, data: dict | Callable[[], dict]) -> list[int]:
    """Write the event's delivery rows; their ids (none when nobody subscribed). ``data`` may
    be a function that builds it, called only when somebody subscribed to the event."""
    return deliveries_record_many(tenant=tenant, event_type=event_type, datas=[data])


def deliveries_record_many(
    *, tenant, event_type: str, datas: list[dict | Callable[[], dict]]
) -> list[int]:
    """`deliveries_record` for many events of one type at once: one subscription read (once
    per processing pass) and one INSERT for all of them (a sender marking a batch keeps its
    transaction short)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown outbound webhook event type {event_type!r}")
    active = memo(
        ("webhook_subscriptions", getattr(tenant, "pk", tenant)),
        lambda: list(WebhookSubscription.objects.for_tenant(tenant).filter(is_active=True)),
    )
    subscriptions = [s for s in active if s.wants(event_type)]
    if not subscriptions or not datas:
        return []
    now = timezone.now()
    rows = []
    for data in datas:
        event_id = uuid.uuid4()
        payload = {
            "id": str(event_id),
            "type": event_type,
            "created_at": now.isoformat(),
            "tenant": tenant.slug,
            "data": json.loads(
                json.dumps(data() if callable(data) else data, cls=DjangoJSONEncoder)
            ),
        }
        rows += [
            WebhookDelivery(
                tenant=tenant,
                subscription=subscription,
                delivery_id=uuid.uuid4(),
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
            for subscription in subscriptions
        ]
    return [d.pk for d in WebhookDelivery.objects.bulk_create(rows)]
