"""Inbox tasks: thin wrappers that take ids and call services."""

import logging

from celery import shared_task

from inbox import effects
from inbox.ingest.pipeline import webhook_events_drain
from inbox.ingest.processing import webhook_event_process
from inbox.ingest.sweep import sweep_pending
from inbox.models import Channel, Message
from inbox.providers.base import ProviderError
from inbox.services.channels import channels_refresh_expiring
from inbox.services.comment_fetch import comments_catch_up, comments_fetch, post_fetch
from inbox.services.comment_jobs import comment_action_deliver
from inbox.services.conversations import conversations_wake_snoozed
from inbox.services.csat import csat_ask
from inbox.services.media import attachments_prefetch, post_thumbnail_fetch
from inbox.services.sending import SEND_TASK_TIME_LIMIT, message_deliver
from inbox.services.tallies import tally_fold
from inbox.services.templates import TemplateError, templates_sync, templates_sync_all
from inbox.simulator.payloads import simulate_statuses
from tenants.models import AuditLog

log = logging.getLogger(__name__)


@shared_task(name="inbox.ping_database")
def ping_database(tenant_id: int, action: str) -> None:
    """A health check for operators and tests: proves a worker reaches the database."""
    AuditLog.objects.create(tenant_id=tenant_id, action=action)


@shared_task(name=effects.WEBHOOK_EVENT_PROCESS)
def webhook_event_process_task(event_id: int) -> str | None:
    return webhook_event_process(event_id=event_id)


@shared_task(name=effects.WEBHOOK_EVENTS_PROCESS)
def webhook_events_process_task(event_ids: list[int]) -> int:
    """A wake-up from the ingest dispatcher (the ids it stored): the worker claims pending
    events fairly, in batches, until the backlog is drained — the named ones among them, or
    another worker has them already."""
    effects.task_started(effects.WEBHOOK_EVENTS_PROCESS)
    result = webhook_events_drain()
    if result.claimed and result.more_left:  # a long backlog: the next task goes on
        effects.task_send(effects.WEBHOOK_EVENTS_PROCESS, [])
    return result.claimed


@shared_task(
    name=effects.MESSAGE_DELIVER,
    soft_time_limit=SEND_TASK_TIME_LIMIT - 15,
    time_limit=SEND_TASK_TIME_LIMIT,
)
def message_deliver_task(message_id: int) -> str | None:
    return message_deliver(message_id=message_id)


@shared_task(
    name=effects.COMMENT_ACTION_DELIVER,
    soft_time_limit=SEND_TASK_TIME_LIMIT - 15,
    time_limit=SEND_TASK_TIME_LIMIT,
)
def comment_action_deliver_task(message_id: int) -> str | None:
    """A rule's hide/reply on a comment, retried like a message (``comment_jobs``)."""
    return comment_action_deliver(message_id=message_id)


@shared_task(name=effects.SIMULATOR_STATUSES)
def simulator_statuses_task(message_id: int) -> int:
    """Simulated channels only: the fake customer receives and reads our message."""
    message = (
        Message.objects.select_related("channel", "conversation").filter(pk=message_id).first()
    )
    return len(simulate_statuses(message=message)) if message else 0


@shared_task(name=effects.MEDIA_PREFETCH)
def attachments_prefetch_task(message_id: int) -> int:
    return attachments_prefetch(message_id=message_id)


@shared_task(name="inbox.sweep_pending")
def sweep_pending_task() -> dict:
    return sweep_pending()


@shared_task(name="inbox.wake_snoozed_conversations")
def wake_snoozed_conversations() -> int:
    """Reopen snoozed conversations whose time has come."""
    return conversations_wake_snoozed()


@shared_task(name="inbox.tally_fold")
def tally_fold_task() -> int:
    return tally_fold()


@shared_task(name="inbox.channels_refresh_tokens")
def channels_refresh_tokens_task() -> int:
    return channels_refresh_expiring()


@shared_task(name=effects.TEMPLATES_SYNC)
def templates_sync_task(channel_id: int) -> int:
    """A channel's message templates, fetched from its provider (on connect, on a template
    status webhook about one Parley has not seen)."""
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return 0
    try:
        result = templates_sync(channel=channel)
    except TemplateError as exc:
        log.warning("template sync of channel %s failed: %s", channel_id, exc.reason)
        return 0
    return result.added + result.updated


@shared_task(name="inbox.templates_sync_all")
def templates_sync_all_task() -> int:
    return templates_sync_all()


@shared_task(name=effects.CSAT_ASK)
def csat_ask_task(conversation_id: int) -> str:
    """After a conversation is resolved: the satisfaction question (when its channel asks)."""
    survey = csat_ask(conversation_id=conversation_id)
    return survey.status if survey is not None else ""


@shared_task(name=effects.COMMENTS_FETCH)
def comments_fetch_task(channel_id: int, post_id: str, comment_id: str = "") -> int:
    """A comment the webhook announced without its author (TikTok), or a whole post's
    comments (the backfill of a new post, on every provider that lists comments)."""
    channel = Channel.objects.select_related("tenant").get(pk=channel_id)
    try:
        return comments_fetch(
            channel=channel, post_id=post_id, comment_ids=(comment_id,) if comment_id else ()
        )
    except ProviderError as exc:  # the catch-up reads the post's comments again later
        log.info("comments of %s (channel %s) not fetched: %s", post_id, channel_id, exc.code)
        return 0


@shared_task(name="inbox.comments_catch_up")
def comments_catch_up_task() -> int:
    """Every channel whose provider lists comments: its recent posts read again."""
    total = 0
    for channel in Channel.objects.select_related("tenant").exclude(status="disconnected"):
        try:
            total += comments_catch_up(channel=channel)
        except ProviderError as exc:
            log.info("comments catch-up of channel %s failed: %s", channel.pk, exc.code)
    return total


@shared_task(name=effects.POST_FETCH)
def post_fetch_task(channel_id: int, post_id: str) -> None:
    channel = Channel.objects.select_related("tenant").get(pk=channel_id)
    try:
        post = post_fetch(channel=channel, post_id=post_id)
    except ProviderError as exc:  # the post shows its id until the next comment asks again
        log.info("post %s of channel %s not fetched: %s", post_id, channel_id, exc.code)
        return
    try:
        post_thumbnail_fetch(post=post)
    except ProviderError as exc:  # the thread fetches it again on demand
        log.info("picture of post %s not fetched: %s", post.pk, exc.code)
