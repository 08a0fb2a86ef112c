"""Processing of one stored webhook event: claim it, parse it with its provider's module,
route it to its channel by account id, hand each part to the ingest services.

Idempotent: a redelivered event or message changes nothing (``ON CONFLICT DO NOTHING`` on
(channel, provider message id)); statuses never move backwards.
"""

from __future__ import annotations

import json
import logging

from django.db import transaction
from django.utils import timezone

from inbox.models import Channel, WebhookEvent
from inbox.pass_memo import memo
from inbox.providers import registry
from inbox.providers.base import ParsedBatch, PayloadError, clean_strings
from inbox.services.templates import template_status_apply

from .activity import activity_record, message_change_apply
from .comments import comment_apply
from .messages import message_receive
from .profiles import ProfileNames, profile_names_for_event, with_profile_names
from .updates import read_apply, referral_record, status_apply

log = logging.getLogger(__name__)

MAX_PROCESSING_ATTEMPTS = 5


def webhook_event_process(*, event_id: int) -> str | None:
    """Process one stored event; returns its final status (None if another worker has it or
    it was already done)."""
    try:
        # Slow provider calls happen before the transaction and its row locks.
        profile_names = profile_names_for_event(event_id)
        with transaction.atomic():
            event = (
                WebhookEvent.objects.select_for_update(skip_locked=True)
                .filter(pk=event_id, status=WebhookEvent.Status.PENDING)
                .first()
            )
            if event is None:
                return None
            _process(event, profile_names)
            return event.status
    except Exception as exc:
        log.exception("webhook event %s failed to process", event_id)
        _record_error(event_id, exc)
        raise


def process_claimed(event: WebhookEvent, parsed: ParsedBatch | None = None) -> None:
    """Process an event the caller has locked (the batch pipeline); its profile names, if its
    provider needs them, were looked up before (or are not needed). The event's own row is
    not saved here: the caller writes the batch's outcomes in one statement
    (``FINISH_FIELDS``). ``parsed``: the body as the caller already parsed it."""
    _process(event, {}, save=False, parsed=parsed)


def parse_event(event: WebhookEvent) -> ParsedBatch:
    """The event's body parsed by its provider's module (raises on a bad payload)."""
    return registry.get(event.provider).parse(clean_strings(json.loads(bytes(event.body))))


def route(provider: str, account_ids) -> dict[str, Channel]:
    """The channels the account ids name (once per processing pass). Routing is the one
    place that looks across tenants: the account id names the channel."""
    return memo(
        ("route", provider, tuple(sorted(account_ids))),
        lambda: {
            c.account_id: c
            for c in Channel.objects.select_related("tenant").filter(
                provider=provider, account_id__in=account_ids
            )
        },
    )


def _record_error(event_id: int, exc: Exception) -> None:
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.status != WebhookEvent.Status.PENDING:
            return
        event.attempts += 1
        event.error = f"{type(exc).__name__}: {exc}"[:2000]
        fields = ["attempts", "error"]
        if event.attempts >= MAX_PROCESSING_ATTEMPTS:
            event.status = WebhookEvent.Status.FAILED
            event.processed_at = timezone.now()
            fields += ["status", "processed_at"]
        event.save(update_fields=fields)


FINISH_FIELDS = ["status", "error", "processed_at", "attempts", "tenant", "channel"]


def _finish(event: WebhookEvent, status: str, error: str = "") -> None:
    event.status = status
    event.error = error
    event.processed_at = timezone.now()
    event.attempts += 1
    if getattr(event, "_save_on_finish", True):
        event.save(update_fields=FINISH_FIELDS)


def _process(
    event: WebhookEvent,
    profile_names: ProfileNames,
    *,
    save: bool = True,
    parsed: ParsedBatch | None = None,
) -> None:
    event._save_on_finish = save
    try:
        batch: ParsedBatch = parsed if parsed is not None else parse_event(event)
    except (ValueError, PayloadError, RecursionError) as exc:
        _finish(event, WebhookEvent.Status.FAILED, f"{type(exc).__name__}: {exc}")
        return
    batch = with_profile_names(batch, profile_names)
    if batch.is_empty():
        _finish(event, WebhookEvent.Status.PROCESSED, "; ".join(batch.ignored)[:2000])
        return
    if batch.templates:
        _templates_process(event, batch)
        if not batch.items():
            return
    channels = route(event.provider, batch.account_ids)
    if not channels:
        _finish(
            event,
            WebhookEvent.Status.UNROUTED,
            "no channel for account id(s) " + ", ".join(batch.account_ids),
        )
        return
    first = next(iter(channels.values()))
    event.channel, event.tenant = first, first.tenant
    skipped = [a for a in batch.account_ids if a not in channels]
    for msg in batch.messages:
        if msg.account_id in channels:
            message_receive(channel=channels[msg.account_id], inbound=msg)
    for ref in batch.referrals:
        if ref.account_id in channels:
            referral_record(channel=channels[ref.account_id], event=ref)
    for status in batch.statuses:
        if status.account_id in channels:
            status_apply(channel=channels[status.account_id], update=status)
    for read in batch.reads:
        if read.account_id in channels:
            read_apply(channel=channels[read.account_id], receipt=read)
    for activity in batch.activities:
        if activity.account_id in channels:
            activity_record(channel=channels[activity.account_id], event=activity)
    for change in batch.changes:
        if change.account_id in channels:
            message_change_apply(channel=channels[change.account_id], change=change)
    for comment in batch.comments:
        if comment.account_id in channels:
            comment_apply(channel=channels[comment.account_id], event=comment)
    note = "; ".join([*batch.ignored, *(f"no channel for {a}" for a in skipped)])
    _finish(event, WebhookEvent.Status.PROCESSED, note[:2000])


def _templates_process(event: WebhookEvent, batch: ParsedBatch) -> None:
    """Template status changes, routed by business account (one account may have several
    numbers, each a channel)."""
    accounts = {t.business_account_id for t in batch.templates}
    channels = list(
        Channel.objects.select_related("tenant").filter(
            provider=event.provider, waba_id__in=accounts
        )
    )
    if not channels:
        _finish(
            event,
            WebhookEvent.Status.UNROUTED,
            "no channel for business account(s) " + ", ".join(sorted(accounts)),
        )
        return
    event.channel, event.tenant = channels[0], channels[0].tenant
    for update in batch.templates:
        template_status_apply(
            channels=[c for c in channels if c.waba_id == update.business_account_id],
            update=update,
        )
    _finish(event, WebhookEvent.Status.PROCESSED, "; ".join(batch.ignored)[:2000])
