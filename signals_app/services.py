"""TikTok signals — writes: attribution and signal detection on inbound messages.

`signals_detect_for_message` runs inside the transaction that stores an inbound customer
message (the channels' `message_receive`): it records the TikTok tracking ID of the first
customer message and writes `SignalReport` outbox rows in that same transaction. Sending is in
`signals_app.sending`, connecting in `signals_app.connection`, keywords in
`signals_app.keyword_lists`.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inbox import effects
from inbox.automation.keyword_versions import SIGNALS, cached_matcher
from inbox.models import Conversation, Message
from inbox.pass_memo import memo
from keywords import KeywordMatcher, KeywordSpec

from .models import Signal, SignalKeyword, SignalReport, TikTokAdsConnection

log = logging.getLogger(__name__)

TIKTOK_SOURCES = (Conversation.Source.TIKTOK_AD, Conversation.Source.TIKTOK_TRACKING)


# --- tracking IDs -----------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def tracking_id_find(text: str) -> str:
    """The TikTok tracking ID in a message (settings.TIKTOK_TRACKING_ID_PATTERN), or ''."""
    if not text or not settings.TIKTOK_TRACKING_ID_PATTERN:
        return ""
    match = _compiled(settings.TIKTOK_TRACKING_ID_PATTERN).search(text)
    if match is None:
        return ""
    value = match.groupdict().get("tid") or match.group(0)
    return value.strip()[:128]


def conversation_tracking_record(*, conversation: Conversation, tracking_id: str) -> None:
    attribution = dict(conversation.attribution or {})
    attribution["tracking_id"] = tracking_id
    attribution.setdefault("tracking_found_at", timezone.now().isoformat())
    conversation.tracking_id = tracking_id
    conversation.attribution = attribution
    fields = ["tracking_id", "attribution", "updated_at"]
    if conversation.source == Conversation.Source.ORGANIC:
        conversation.source = Conversation.Source.TIKTOK_TRACKING
        fields.append("source")
    conversation.save(update_fields=fields)


# --- keyword matching ---------------------------------------------------------------------------


def signal_matcher(tenant) -> KeywordMatcher:
    """The tenant's signal-keyword matcher, cached per process (no query unless the
    tenant's signal keywords changed: ``keyword_lists`` bumps their version)."""

    def build():
        return [
            KeywordSpec(
                key=kw.signal,
                text=kw.text,
                mode=kw.mode,
                accent_insensitive=kw.accent_insensitive,
            )
            for kw in SignalKeyword.objects.for_tenant(tenant).only(
                "signal", "text", "mode", "accent_insensitive"
            )
        ]

    return cached_matcher(scope=SIGNALS, tenant_id=tenant.pk, build=build)


def signals_in_text(tenant, text: str) -> list[str]:
    if not text:
        return []
    return sorted({str(key) for key in signal_matcher(tenant).matched_keys(text)})


# --- detection --------------------------------------------------------------------------------


def signals_detect_for_message(*, message) -> None:
    """Detect attribution and signals in a stored inbound message, inside its transaction.

    Never breaks the caller: a failure here is logged and rolled back to a savepoint, the
    message itself is kept."""
    if not message.is_from_customer:
        return
    try:
        if not _may_signal(message):
            return  # most messages: no savepoint, no query
        with transaction.atomic():
            _detect(message)
    except Exception:
        log.exception("signal detection failed for message %s", message.pk)


def signals_detect_for_messages(*, messages) -> None:
    """``signals_detect_for_message`` for a processing pass's messages, set-based: the
    reports of all of them read in one query and written in one INSERT (the unique constraint
    still decides races), in one savepoint. A message bringing a tracking ID (its
    conversation's first message decides) goes one by one, in order; should the set-based
    write fail, each message is detected one by one, each in its savepoint."""
    wanted: dict[int, tuple] = {}  # conversation id -> (connection, conversation, signals)
    for message in messages:
        if not message.is_from_customer:
            continue
        try:
            if not _may_signal(message):
                continue
            conversation = message.conversation
            if not conversation.tracking_id and tracking_id_find(message.text):
                signals_detect_for_message(message=message)
                continue
            connection = _connection(conversation.tenant)
            if connection is None or connection.status == TikTokAdsConnection.Status.SETUP:
                continue
            signals = _signals(conversation, message.text)
        except Exception:
            log.exception("signal detection failed for message %s", message.pk)
            continue
        if signals:
            entry = wanted.setdefault(conversation.pk, (connection, conversation, []))
            entry[2].extend(signals)
    if not wanted:
        return
    try:
        with transaction.atomic():
            signal_reports_create_many(list(wanted.values()))
    except Exception:
        log.exception("set-based signal detection of %s conversations failed", len(wanted))
        for message in messages:
            signals_detect_for_message(message=message)


def _connection(tenant) -> TikTokAdsConnection | None:
    return memo(
        ("tiktok_ads_connection", tenant.pk),
        lambda: TikTokAdsConnection.objects.for_tenant(tenant).first(),
    )


def _signals(conversation: Conversation, text: str) -> list[str]:
    signals = []
    if conversation.source in TIKTOK_SOURCES or conversation.tracking_id:
        signals.append(Signal.CONVERSATION_STARTED.value)
    return signals + signals_in_text(conversation.tenant, text)


def _may_signal(message) -> bool:
    """Whether ``_detect`` could write anything, judged in the process: a tracking ID, a
    TikTok-attributed conversation or a signal keyword."""
    conversation = message.conversation
    return bool(
        conversation.tracking_id
        or conversation.source in TIKTOK_SOURCES
        or tracking_id_find(message.text)
        or signals_in_text(conversation.tenant, message.text)
    )


def _detect(message) -> None:
    conversation = message.conversation
    tenant = conversation.tenant
    tracking_id = tracking_id_find(message.text) if not conversation.tracking_id else ""
    if tracking_id:  # only the first customer message's counts
        earlier = (
            Message.objects.for_tenant(tenant)
            .filter(
                conversation_id=conversation.pk,
                kind=Message.Kind.MESSAGE,
                author_kind=Message.AuthorKind.CUSTOMER,
            )
            .exclude(pk=message.pk)
            .exists()
        )
        if not earlier:
            conversation_tracking_record(conversation=conversation, tracking_id=tracking_id)
    connection = _connection(tenant)
    if connection is None or connection.status == TikTokAdsConnection.Status.SETUP:
        return
    signals = _signals(conversation, message.text)
    if signals:
        signal_reports_create(connection=connection, conversation=conversation, signals=signals)


def signals_conversation_attributed(*, conversation: Conversation) -> None:
    """A conversation was attributed to a TikTok ad (e.g. `im_referral_msg` arriving on its
    own): queue its "conversation started" signal. Call inside the receiving transaction."""
    if conversation.source not in TIKTOK_SOURCES and not conversation.tracking_id:
        return
    try:
        with transaction.atomic():
            connection = TikTokAdsConnection.objects.for_tenant(conversation.tenant).first()
            if connection is None or connection.status == TikTokAdsConnection.Status.SETUP:
                return
            signal_reports_create(
                connection=connection,
                conversation=conversation,
                signals=[Signal.CONVERSATION_STARTED.value],
            )
    except Exception:
        log.exception("signal attribution failed for conversation %s", conversation.pk)


def _ad_fields(conversation: Conversation) -> dict:
    """TikTok ad attribution only: a Meta referral is kept for reporting, never sent."""
    if conversation.source != Conversation.Source.TIKTOK_AD:
        return {}
    attribution = conversation.attribution or {}
    return {
        "ad_id": (conversation.ad_id or str(attribution.get("ad_id") or ""))[:64],
        "advertiser_id": str(attribution.get("advertiser_id") or "")[:64],
        "material_id": str(attribution.get("material_id") or "")[:64],
    }


def event_id_for(conversation_id: int, signal: str) -> str:
    """Stable, so a resend is deduplicated by TikTok (event_id + event_source_id + event)."""
    return f"parley-{conversation_id}-{signal}"


def signal_reports_create(
    *, connection: TikTokAdsConnection, conversation: Conversation, signals: list[str]
) -> int:
    """Queue each signal at most once per conversation (the unique constraint decides races).
    Returns how many new reports are pending."""
    return signal_reports_create_many([(connection, conversation, signals)])


def signal_reports_create_many(wanted: list[tuple]) -> int:
    """``signal_reports_create`` for many (connection, conversation, signals) at once: the
    existing reports in one query, the new ones in one INSERT, a send task per tenant."""
    existing = set(
        SignalReport.objects.filter(
            tenant_id__in={conversation.tenant_id for _c, conversation, _s in wanted},
            conversation_id__in=[conversation.pk for _c, conversation, _s in wanted],
        ).values_list("conversation_id", "signal")
    )
    rows = []
    tenants = set()
    for connection, conversation, signals in wanted:
        new = _report_rows(connection, conversation, signals, existing)
        rows += new
        if new and connection.collects_reports:
            tenants.add(conversation.tenant_id)
    if not rows:
        return 0
    SignalReport.objects.bulk_create(rows, ignore_conflicts=True)
    for tenant_id in sorted(tenants):
        effects.task_on_commit(effects.SIGNALS_SEND, tenant_id)
    return sum(1 for row in rows if row.status == SignalReport.Status.PENDING)


def _report_rows(connection, conversation, signals, existing) -> list[SignalReport]:
    pending = connection.collects_reports
    now = timezone.now()
    ad = _ad_fields(conversation)
    rows = []
    for signal in dict.fromkeys(signals):
        if (conversation.pk, signal) in existing:
            continue
        event_name = connection.event_name_for(signal)
        if not event_name:
            continue  # mapped to nothing: not reported
        rows.append(
            SignalReport(
                tenant_id=conversation.tenant_id,
                conversation_id=conversation.pk,
                signal=signal,
                tracking_id=conversation.tracking_id,
                event_name=event_name,
                event_id=event_id_for(conversation.pk, signal),
                status=SignalReport.Status.PENDING if pending else SignalReport.Status.CANCELLED,
                last_error="" if pending else "TikTok Ads was not connected.",
                next_attempt_at=now,
                created_at=now,
                **ad,
            )
        )
    return rows
