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
Customer = tuple[str, str, str]  # (provider, account id, customer id)


def profile_names_for_event(event_id: int) -> ProfileNames:
    """Names of the new, nameless customers of a pending event (empty for providers whose
    webhooks carry names). Runs outside any transaction; a failed lookup leaves the name empty."""
    found = (
        WebhookEvent.objects.filter(pk=event_id, status=WebhookEvent.Status.PENDING)
        .values_list("provider", "body")
        .first()
    )
    if found is None:
        return {}
    provider, body = found
    try:
        parsed = registry.get(provider).parse(clean_strings(json.loads(bytes(body or b""))))
    except (LookupError, ValueError, PayloadError, RecursionError):
        return {}  # processing records the failure
    unknown = unknown_customers({event_id: (provider, parsed)})
    return profile_names_fetch(unknown.get(event_id, set()))


def unknown_customers(
    events: dict[int, tuple[str, ParsedBatch | None]],
) -> dict[int, set[Customer]]:
    """Per event (id → provider and parsed body), its nameless customers not yet known, for
    providers whose webhooks carry no names: one query for all the events of a pass."""
    wanted: dict[int, set[Customer]] = {}
    for event_id, (provider, parsed) in events.items():
        if parsed is None or not _has_profile_api(provider):
            continue
        nameless = {
            (provider, item.account_id, item.contact_external_id)
            for item in (*parsed.messages, *parsed.referrals, *parsed.activities)
            if item.contact_external_id and not item.contact_name
        }
        if nameless:
            wanted[event_id] = nameless
    if not wanted:
        return {}
    every = set().union(*wanted.values())
    known = set(
        ContactIdentity.objects.filter(
            channel__provider__in={provider for provider, _, _ in every},
            channel__account_id__in={account for _, account, _ in every},
            external_id__in={customer for _, _, customer in every},
        ).values_list("channel__provider", "channel__account_id", "external_id")
    )
    unknown = {event_id: nameless - known for event_id, nameless in wanted.items()}
    return {event_id: customers for event_id, customers in unknown.items() if customers}


def profile_names_fetch(customers: set[Customer]) -> ProfileNames:
    """The names the providers' profile APIs give for these customers (one HTTP client per
    channel). Call it outside any transaction; a failed lookup leaves the name out."""
    names: ProfileNames = {}
    by_channel: dict[tuple[str, str], list[str]] = {}
    for provider, account_id, customer_id in sorted(customers):
        by_channel.setdefault((provider, account_id), []).append(customer_id)
    channels = {
        (c.provider, c.account_id): c
        for c in Channel.objects.filter(
            provider__in={provider for provider, _ in by_channel},
            account_id__in={account for _, account in by_channel},
        )
    }
    for (provider, account_id), customer_ids in by_channel.items():
        module = registry.get(provider)
        channel = channels.get((provider, account_id))
        if channel is None:
            continue
        with http.client_for(channel) as client:
            for customer_id in customer_ids:
                try:
                    name = module.fetch_profile_name(
                        client,
                        base_url=http.base_url_for(channel),
                        credentials=channel.credentials,
                        external_id=customer_id,
                        **http.provider_opts(module.NAME),
                    )
                except ProviderError as exc:
                    log.info("profile of a %s customer not fetched: %s", provider, exc.code)
                    continue
                except Exception:  # never keep the events waiting on a name
                    log.warning("profile of a %s customer failed", provider, exc_info=True)
                    continue
                if name:
                    names[(account_id, customer_id)] = name
    return names


def _has_profile_api(provider: str) -> bool:
    try:
        return registry.get(provider).HAS_PROFILE_API
    except LookupError:
        return False


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
