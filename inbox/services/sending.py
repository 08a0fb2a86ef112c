"""Sending: ``message_send`` (UI, API, automation) → queued row → ``message_deliver`` (task)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inbox import effects
from inbox.models import Channel, ContactIdentity, Conversation, Message
from inbox.outbound_webhooks.payloads import message_payload
from inbox.providers import registry
from inbox.providers.base import ProviderError
from inbox.selectors.reply_window import reply_tag, reply_window_problem
from tenants.locale import shipped

from . import http

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 10
BACKOFF_CAP_SECONDS = 600
# One provider call (PROVIDER_HTTP_TIMEOUT) and a few queries: a send that has not finished in
# SEND_TASK_TIME_LIMIT seconds was killed, and the sweeper may safely queue it again.
SEND_TASK_TIME_LIMIT = 45


class MessageRejected(Exception):
    """The message cannot be sent; ``reason`` is for the person who tried."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ReplyWindowClosed(MessageRejected):
    pass


def message_send(
    *,
    conversation: Conversation,
    text: str,
    author_user=None,
    author_kind: str = "agent",
    rule_name: str = "",
    reply_to: Message | None = None,
    now: datetime | None = None,
    locked: bool = False,
) -> Message:
    """Queue a reply. Raises ``ReplyWindowClosed`` / ``MessageRejected`` with the reason
    before anything is stored when the provider would refuse it. ``locked``: the caller
    already holds the conversation's row lock and read the row (with its channel) under it,
    in a savepoint of its own (an automation run), so the row is not read again."""
    now = now or timezone.now()
    text = (text or "").strip()
    if not text:
        raise MessageRejected(_("The message is empty."))
    with transaction.atomic(savepoint=not locked):  # a locking caller has its own savepoint
        if not locked:
            conversation = (
                Conversation.objects.select_for_update(of=("self",))
                .select_related("channel")
                .get(pk=conversation.pk, tenant=conversation.tenant_id)
            )
        refusal = send_refusal(
            conversation=conversation, text=text, author_kind=author_kind, now=now
        )
        if refusal is not None:
            raise refusal
        tag = reply_tag(conversation, author_kind, now)
        return message_queue(
            conversation=conversation,
            text=text,
            author_user=author_user,
            author_kind=author_kind,
            rule_name=rule_name,
            reply_to=reply_to,
            metadata={"tag": tag} if tag else {},
            now=now,
        )


def send_refusal(
    *, conversation: Conversation, text: str, author_kind: str, now: datetime
) -> MessageRejected | None:
    """Why the provider would refuse this text now (``ReplyWindowClosed`` for its window), or
    None: the one definition of ``message_send``'s checks, also asked by automation's
    set-based runs. ``conversation.channel`` is read."""
    channel = conversation.channel
    module = registry.get(channel.provider)
    if conversation.kind == Conversation.Kind.COMMENTS:
        return MessageRejected(
            _(
                "These are public comments: answer a comment with its own buttons, "
                "publicly or privately."
            )
        )
    if len(text) > module.MAX_TEXT_LENGTH:
        return MessageRejected(
            _("The message is too long for %(provider)s (%(n)d characters; at most %(max)d).")
            % {"provider": module.LABEL, "n": len(text), "max": module.MAX_TEXT_LENGTH}
        )
    if channel.status == Channel.Status.DISCONNECTED:
        return MessageRejected(_("This channel is disconnected; reconnect it to reply."))
    problem = reply_window_problem(conversation=conversation, author_kind=author_kind, now=now)
    if problem:
        return ReplyWindowClosed(problem)
    return None


def messages_queue_many(rows: list[tuple[Conversation, Message]], *, now: datetime) -> None:
    """``message_queue`` for many replies at once (automation's set-based runs): the rows in
    one INSERT (in the given order), the replies' conversations in one UPDATE, their CRM
    events in one INSERT per tenant, and per row its live hint — per reply its delivery task
    on commit: the same door as one by one. Each pair: the conversation (locked by the
    caller; a reply's counters already moved in memory) and the unsaved message — a queued
    reply, or an activity line that is only stored and announced."""
    if not rows:
        return
    messages = Message.objects.bulk_create([message for _conversation, message in rows])
    replies = [m for m in messages if m.status == Message.Status.QUEUED]
    conversations = list({c.pk: c for c, m in rows if m.status == Message.Status.QUEUED}.values())
    if conversations:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE inbox_conversation c SET
                    business_messages_since_customer = v.since, last_message_at = v.last_at,
                    last_message_preview = v.preview, updated_at = %s
                FROM unnest(%s::bigint[], %s::int[], %s::timestamptz[], %s::text[])
                    AS v(id, since, last_at, preview)
                WHERE c.id = v.id
                """,
                [
                    timezone.now(),
                    [c.pk for c in conversations],
                    [c.business_messages_since_customer for c in conversations],
                    [c.last_message_at for c in conversations],
                    [c.last_message_preview for c in conversations],
                ],
            )
    by_tenant: dict[int, list[Message]] = {}
    for message in replies:
        by_tenant.setdefault(message.tenant_id, []).append(message)
    for tenant_replies in by_tenant.values():
        effects.webhook_events(
            tenant=tenant_replies[0].tenant,
            event_type="message.created",
            datas=[partial(message_payload, m) for m in tenant_replies],
        )
    for message in messages:
        _live_hint(message, "message.created")
    for message in replies:
        effects.task_on_commit(effects.MESSAGE_DELIVER, message.pk)


def message_queue(
    *,
    conversation: Conversation,
    text: str,
    author_user,
    author_kind: str,
    rule_name: str = "",
    reply_to: Message | None = None,
    metadata: dict,
    now: datetime,
) -> Message:
    """Store an outgoing message as queued and deliver it on commit. The caller holds the
    conversation's row lock and has checked that the provider accepts it (the reply window
    for free text, the template for ``metadata["template"]``)."""
    with transaction.atomic():
        message = Message.objects.create(
            tenant=conversation.tenant,
            conversation=conversation,
            channel=conversation.channel,
            kind=Message.Kind.MESSAGE,
            direction=Message.Direction.OUT,
            author_kind=author_kind,
            author_user=author_user,
            rule_name=rule_name,
            text=text,
            reply_to=reply_to,
            status=Message.Status.QUEUED,
            metadata=metadata,
            created_at=now,
        )
        conversation.business_messages_since_customer += 1
        conversation.last_message_at = max(conversation.last_message_at, now)
        conversation.last_message_preview = text[:200]
        conversation.save(
            update_fields=[
                "business_messages_since_customer",
                "last_message_at",
                "last_message_preview",
                "updated_at",
            ]
        )
        effects.webhook_event(
            tenant=conversation.tenant,
            event_type="message.created",
            data=partial(message_payload, message),
        )
        _live_hint(message, "message.created")
        effects.task_on_commit(effects.MESSAGE_DELIVER, message.pk)
    return message


def message_retry(*, message: Message, actor=None) -> Message:
    """The agent's "retry" on a failed message: re-check the window, queue it again."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("conversation__channel")
            .get(pk=message.pk, tenant=message.tenant_id)
        )
        if message.status != Message.Status.FAILED or message.direction != Message.Direction.OUT:
            raise MessageRejected(_("Only a failed outgoing message can be retried."))
        problem = reply_window_problem(
            conversation=message.conversation, author_kind=message.author_kind
        )
        if problem and not (message.metadata or {}).get("template"):
            raise ReplyWindowClosed(problem)
        message.status = Message.Status.QUEUED
        message.attempts = 0
        message.next_attempt_at = None
        message.error_code = ""
        message.error_message = ""
        message.save(
            update_fields=[
                "status",
                "attempts",
                "next_attempt_at",
                "error_code",
                "error_message",
                "updated_at",
            ]
        )
        Conversation.objects.filter(pk=message.conversation_id).update(
            business_messages_since_customer=F("business_messages_since_customer") + 1
        )
        _live_hint(message, "message.updated")
        effects.task_on_commit(effects.MESSAGE_DELIVER, message.pk)
    return message


def _live_hint(message: Message, event: str) -> None:
    effects.live_hint(
        tenant_id=message.tenant_id,
        event=event,
        conversation_id=message.conversation_id,
        message_id=message.pk,
    )


def _recipient(message: Message) -> str:
    conversation = message.conversation
    identity = (
        ContactIdentity.objects.for_tenant(message.tenant_id)
        .filter(channel=message.channel, contact=conversation.contact_id)
        .first()
    )
    recipient = registry.get(message.channel.provider).send_recipient(
        conversation_external_id=conversation.provider_conversation_id or "",
        contact_external_id=identity.external_id if identity is not None else "",
    )
    if not recipient:
        raise ProviderError(
            _("This contact has no identity on the channel."), code="no_recipient", permanent=True
        )
    return recipient


# Every send of one message carries the same key: a provider that honours it (LINE's
# X-Line-Retry-Key) never delivers a retried send twice.
RETRY_KEY_NAMESPACE = uuid.UUID("5b0c1c52-8f0e-4a52-9d7e-7d0e2f7a6c11")


def retry_key(message: Message) -> str:
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"message:{message.pk}"))


def _unused_reply_token(message: Message) -> tuple[str, datetime | None]:
    """The newest reply token the customer's last message (or follow) brought, unless one of
    our sends already used it (LINE: a token answers once). Only the first attempt uses it: a
    retry after a lost answer must not risk a second copy."""
    if message.attempts != 1 or not registry.get(message.channel.provider).REPLY_TOKENS:
        return "", None
    latest = (
        Message.objects.for_tenant(message.tenant_id)
        .filter(
            conversation=message.conversation_id,
            direction=Message.Direction.IN,
            metadata__has_key="reply_token",
        )
        .order_by("-created_at", "-id")
        .values_list("metadata__reply_token", "created_at")
        .first()
    )
    if latest is None or not latest[0]:
        return "", None
    used = (
        Message.objects.for_tenant(message.tenant_id)
        .filter(
            conversation=message.conversation_id,
            direction=Message.Direction.OUT,
            metadata__reply_token=latest[0],
        )
        .exists()
    )
    return ("", None) if used else (str(latest[0]), latest[1])


# A rule's action on a comment, queued as an activity line (``inbox.services.comment_jobs``):
# delivered through the same claim, retries and give-up as a message, by its own door.
COMMENT_ACTION_KEY = "comment_action"


def delivery_task(message: Message) -> str:
    """The task that delivers this queued row (a message, or a rule's comment action)."""
    if (message.metadata or {}).get(COMMENT_ACTION_KEY):
        return effects.COMMENT_ACTION_DELIVER
    return effects.MESSAGE_DELIVER


def message_deliver(
    *, message_id: int, now: datetime | None = None, deliver: Callable | None = None
) -> str | None:
    """Claim a queued message (conditional UPDATE), call the provider, record the outcome.
    Returns the resulting status, or None when the claim failed (not due, or taken).
    ``deliver(message, now)`` replaces the send for a comment action's line (and only such a
    line is claimed then; without it, such a line is never claimed as a message)."""
    now = now or timezone.now()
    claimable = Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    if deliver is None:
        claimable = claimable.exclude(metadata__has_key=COMMENT_ACTION_KEY)
    else:
        claimable = claimable.filter(metadata__has_key=COMMENT_ACTION_KEY)
    claimed = claimable.update(
        status=Message.Status.SENDING, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return None
    message = Message.objects.select_related("conversation", "channel__tenant").get(pk=message_id)
    channel = message.channel
    module = registry.get(channel.provider)
    # A provider's refusal is stored in plain words, in the business's language.
    with translation.override(shipped(channel.tenant.default_language) or "en"):
        if deliver is not None:
            return deliver(message, now)
        return _deliver(message, channel, module, now)


def _deliver(message: Message, channel, module, now) -> str | None:
    from .channels import channel_credentials_fresh

    reply_token, reply_token_at = _unused_reply_token(message)
    try:
        recipient = _recipient(message)
        with http.client_for(channel) as client:
            credentials = channel_credentials_fresh(channel=channel, client=client, now=now)
            template = (message.metadata or {}).get("template")
            call = {
                "base_url": http.base_url_for(channel),
                "credentials": credentials,
                "account_id": channel.account_id,
                "recipient": recipient,
                **http.provider_opts(channel.provider),
            }
            if template:
                result = module.send_template(client, template=template, **call)
            else:
                result = module.send_text(
                    client,
                    text=message.text,
                    tag=(message.metadata or {}).get("tag", ""),
                    idempotency_key=retry_key(message),
                    reply_token=reply_token,
                    reply_token_at=reply_token_at,
                    now=now,
                    **call,
                )
    except ProviderError as exc:
        return _delivery_failed(message, exc, now)
    return _delivery_succeeded(
        message, result.provider_message_id, now, reply_token=getattr(result, "reply_token", "")
    )


def _delivery_succeeded(message: Message, provider_message_id: str, now, *, reply_token="") -> str:
    values = {
        "provider_message_id": provider_message_id,
        "status": Message.Status.SENT,
        "sent_at": now,
        "next_attempt_at": None,
        "error_code": "",
        "error_message": "",
        "updated_at": timezone.now(),
    }
    if reply_token:  # spent: the next reply goes another way
        values["metadata"] = {**(message.metadata or {}), "reply_token": reply_token}
    mine = Message.objects.filter(pk=message.pk, status=Message.Status.SENDING)
    try:
        with transaction.atomic():
            mine.update(**values)
            _delivery_announce(message, values)
    except IntegrityError:
        # The webhook echo of this very send arrived first and was stored on its own: drop
        # that copy, keep ours (the one the agent sees, with its author).
        with transaction.atomic():
            Message.objects.filter(
                channel=message.channel_id, provider_message_id=provider_message_id
            ).exclude(pk=message.pk).delete()
            mine.update(**values)
            _delivery_announce(message, values)
    if message.kind != Message.Kind.MESSAGE:
        return message.status
    if http.is_simulated(message.channel) and message.channel.settings.get("simulate_statuses"):
        effects.task_on_commit(effects.SIMULATOR_STATUSES, message.pk, countdown=2)
    return message.status


def _delivery_announce(message: Message, values: dict | None = None) -> None:
    """The new status, to CRMs (in this transaction) and to the agents' pages. ``values``:
    what was just written to the row, set on the instance (else it is read again)."""
    if values is None:
        message.refresh_from_db()
    for name, value in (values or {}).items():
        setattr(message, name, value)
    effects.webhook_event(
        tenant=message.channel.tenant,
        event_type="message.updated",
        data=partial(message_payload, message),
    )
    _live_hint(message, "message.updated")


def _delivery_failed(message: Message, exc: ProviderError, now) -> str:
    if not exc.permanent and message.attempts < MAX_ATTEMPTS:
        delay = effects.backoff_seconds(
            message.attempts, base=BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS
        )
        Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
            status=Message.Status.QUEUED,
            next_attempt_at=now + timedelta(seconds=delay),
            error_code=(exc.code or "")[:40],
            error_message=exc.message,
            updated_at=timezone.now(),
        )
        log.info("message %s: transient error %s, retry in %.0fs", message.pk, exc.code, delay)
        effects.task_on_commit(delivery_task(message), message.pk, countdown=delay)
        return Message.Status.QUEUED
    human = exc.message
    if not exc.permanent:
        human = _("Gave up after %(n)d attempts: %(error)s") % {
            "n": message.attempts,
            "error": exc.message,
        }
    with transaction.atomic():
        _delivery_give_up(message, exc, human)
    return message.status


def _delivery_give_up(message: Message, exc: ProviderError, human: str) -> None:
    from .channels import channel_mark_error

    Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
        status=Message.Status.FAILED,
        error_code=(exc.code or "")[:40],
        error_message=human,
        next_attempt_at=None,
        updated_at=timezone.now(),
    )
    if message.kind == Message.Kind.MESSAGE:  # a comment action never counted as a message
        Conversation.objects.filter(pk=message.conversation_id).update(
            business_messages_since_customer=Greatest(F("business_messages_since_customer") - 1, 0)
        )
    if exc.code in registry.get(message.channel.provider).TOKEN_ERROR_CODES:
        channel_mark_error(channel=message.channel, error=exc.message)
    _delivery_announce(message)
