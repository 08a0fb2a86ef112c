"""Side-effect helpers: live updates, automation enqueue, CRM event payloads."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def broadcast_safely(*, tenant_id: int, event: str, data: dict) -> None:
    from inbox.realtime import broadcast

    try:
        broadcast(tenant_id=tenant_id, event=event, data=data)
    except Exception:  # live updates are best effort; the database is the truth
        log.warning("broadcast %s failed", event, exc_info=True)


def enqueue(task, *args, countdown: float | None = None) -> bool:
    """Send a task to the broker; if the broker is down, the sweeper picks the work up."""
    try:
        if countdown:
            task.apply_async(args=args, countdown=countdown)
        else:
            task.delay(*args)
        return True
    except Exception:
        log.warning("could not enqueue %s; the sweeper will retry", task.name, exc_info=True)
        return False


def enqueue_automation(message_id: int) -> None:
    from inbox.automation.tasks import automation_run_for_message_task

    enqueue(automation_run_for_message_task, message_id)


def enqueue_media_prefetch(message_id: int) -> None:
    from inbox.tasks import attachments_prefetch_task

    enqueue(attachments_prefetch_task, message_id)


def message_data(message) -> dict:
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "channel_id": message.channel_id,
        "kind": message.kind,
        "direction": message.direction,
        "author_kind": message.author_kind,
        "text": message.text,
        "status": message.status,
        "provider_message_id": message.provider_message_id,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }


def conversation_data(conversation) -> dict:
    return {
        "id": conversation.pk,
        "channel_id": conversation.channel_id,
        "contact_id": conversation.contact_id,
        "status": conversation.status,
        "source": conversation.source,
        "ad_id": conversation.ad_id,
        "assignee_id": conversation.assignee_id,
        "last_message_at": conversation.last_message_at.isoformat()
        if conversation.last_message_at
        else None,
    }


def contact_data(contact, identity=None) -> dict:
    data = {"id": contact.pk, "name": contact.name, "phone": contact.phone, "email": contact.email}
    if identity is not None:
        data["identity"] = {"channel_id": identity.channel_id, "external_id": identity.external_id}
    return data
