"""Customer names from the provider's profile API, for providers whose webhooks carry none
(Messenger, LINE, Zalo). Looked up before processing takes its locks: a slow or failing
profile API must never hold the event and identity rows (nor a database transaction) open."""

from __future__ import annotations

import dataclasses
import json
import logging

from inbox.models import Channel, ContactIdentity, WebhookEvent
from inbox.providers import registry
from inbox.providers.base import ParsedBatch, PayloadError, ProviderError, clean_strings
from inbox.services import http

log = logging.getLogger(__name__)

ProfileNames = dict[tuple[str, str], str]  # (account id, customer id) → name


def profile_names_for_event(event_id: int) -> ProfileNames:
    """Names of the new, nameless customers of a pending event (empty for providers whose
    webhooks carry names). Runs outside any transaction; a failed lookup leaves the name empty."""
    found = (
        WebhookEvent.objects.filter(pk=event_id, status=WebhookEvent.Status.PENDING)
        .values_list("provider", flat=True)
        .first()
    )
    if found is None:
        return {}
    try:
        module = registry.get(found)
    except LookupError:
        return {}
    if not module.HAS_PROFILE_API:
        return {}
    body = WebhookEvent.objects.filter(pk=event_id).values_list("body", flat=True).first()
    channels, unknown = _unknown_customers(module, body)
    names: ProfileNames = {}
    for account_id, customer_id in sorted(unknown):
        channel = channels.get(account_id)
        if channel is None:
            continue
        try:
            with http.client_for(channel) as client:
                name = module.fetch_profile_name(
                    client,
                    base_url=http.base_url_for(channel),
                    credentials=channel.credentials,
                    external_id=customer_id,
                    **http.provider_opts(module.NAME),
                )
        except ProviderError as exc:
            log.info("profile of a %s customer not fetched: %s", module.NAME, exc.code)
            continue
        if name:
            names[(account_id, customer_id)] = name
    return names


def profile_lookup_needed(provider: str, body) -> bool:
    """Whether processing this event should first ask the provider for customer names (a
    provider whose webhooks carry none, and a customer not yet known)."""
    try:
        module = registry.get(provider)
    except LookupError:
        return False
    return module.HAS_PROFILE_API and bool(_unknown_customers(module, body)[1])


def _unknown_customers(module, body) -> tuple[dict[str, Channel], set[tuple[str, str]]]:
    """The channels named by the event and its nameless customers not yet known there."""
    try:
        batch = module.parse(clean_strings(json.loads(bytes(body or b""))))
    except (ValueError, PayloadError, RecursionError):
        return {}, set()  # processing records the failure
    wanted = {
        (item.account_id, item.contact_external_id)
        for item in (*batch.messages, *batch.referrals, *batch.activities)
        if item.contact_external_id and not item.contact_name
    }
    if not wanted:
        return {}, set()
    channels = {
        c.account_id: c
        for c in Channel.objects.filter(
            provider=module.NAME, account_id__in={account for account, _ in wanted}
        )
    }
    known = set(
        ContactIdentity.objects.filter(
            channel__in=channels.values(), external_id__in={customer for _, customer in wanted}
        ).values_list("channel__account_id", "external_id")
    )
    return channels, wanted - known


def with_profile_names(batch: ParsedBatch, names: ProfileNames) -> ParsedBatch:
    """The batch with looked-up names filled in where the webhook carried none."""
    if not names:
        return batch

    def named(item):
        name = names.get((item.account_id, item.contact_external_id), "")
        if item.contact_name or not name:
            return item
        return dataclasses.replace(item, contact_name=name)

    return dataclasses.replace(
        batch,
        messages=tuple(named(m) for m in batch.messages),
        referrals=tuple(named(r) for r in batch.referrals),
        activities=tuple(named(a) for a in batch.activities),
    )
