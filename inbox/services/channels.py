"""Connecting, refreshing and disconnecting channels. Credentials are stored encrypted (the
``Channel.credentials`` field is an ``EncryptedJSONField``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import httpx
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inbox import effects
from inbox.ingest.intake import channel_secret_forget
from inbox.models import Channel
from inbox.providers import registry
from inbox.providers.base import ProviderError
from tenants.services import audit_log_record

from . import http

log = logging.getLogger(__name__)

# The periodic refresh looks this far ahead; each provider's ``credentials_need_refresh``
# decides (TikTok: 2 hours before expiry; Instagram Login: a week before its 60 days).
REFRESH_LOOKAHEAD = timedelta(days=8)


class ChannelConnectError(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _owned_elsewhere(provider: str, account_id: str, tenant) -> bool:
    # Account ids are unique across the installation: routing depends on it.
    return (
        Channel.objects.filter(provider=provider, account_id=account_id)
        .exclude(tenant=tenant)
        .exists()
    )


def _save_channel(*, tenant, actor, provider, account_id, name, credentials, **extra) -> Channel:
    if _owned_elsewhere(provider, account_id, tenant):
        raise ChannelConnectError(_("This account is already connected to another workspace."))
    with transaction.atomic():
        channel = (
            Channel.objects.for_tenant(tenant)
            .select_for_update()
            .filter(provider=provider, account_id=account_id)
            .first()
        )
        created = channel is None
        if created:
            channel = Channel(tenant=tenant, provider=provider, account_id=account_id)
        channel.name = name
        channel.credentials = credentials
        channel.status = Channel.Status.ACTIVE
        channel.last_error = ""
        for key, value in extra.items():
            setattr(channel, key, value)
        channel.save()
        if getattr(registry.get(provider), "HAS_TEMPLATES", False) and channel.waba_id:
            effects.task_on_commit(effects.TEMPLATES_SYNC, channel.pk)  # its message templates
        channel_secret_forget(provider, account_id)
        audit_log_record(
            tenant=tenant,
            actor=actor,
            action="channel.connected" if created else "channel.reconnected",
            target=channel,
            details={"provider": provider, "account_id": account_id},
        )
    return channel


def _connect(*, tenant, actor, provider: str, simulated: bool, client, finish) -> Channel:
    """Run the provider's connect step ``finish(client, base_url)`` (a ``ChannelDraft``),
    then save the channel."""
    own = client is None
    client = client or http.http_client(simulated=simulated)
    try:
        draft = finish(client, http.base_url(provider, simulated=simulated))
    except ProviderError as exc:
        raise ChannelConnectError(exc.message) from exc
    finally:
        if own:
            client.close()
    return _save_channel(
        tenant=tenant,
        actor=actor,
        provider=provider,
        account_id=draft.account_id,
        name=draft.name,
        credentials=draft.credentials,
        token_expires_at=draft.token_expires_at,
        settings={"simulator": True} if simulated else {},
        **draft.fields,
    )


def channel_connect_with_form(
    *,
    tenant,
    actor,
    provider: str,
    data: dict,
    simulated: bool = False,
    client: httpx.Client | None = None,
) -> Channel:
    """A provider connected with a form (WhatsApp, Messenger): the provider checks the
    credentials with a call before anything is saved."""
    module = registry.get(provider)
    return _connect(
        tenant=tenant,
        actor=actor,
        provider=provider,
        simulated=simulated,
        client=client,
        finish=lambda client, base_url: module.connect_with_form(
            client, base_url=base_url, data=data
        ),
    )


def channel_connect_with_code(
    *,
    tenant,
    actor,
    provider: str,
    code: str,
    redirect_uri: str,
    simulated: bool = False,
    client: httpx.Client | None = None,
    now: datetime | None = None,
    **extra,
) -> Channel:
    """Finish a provider's OAuth flow (TikTok, Zalo): exchange the code, check what was
    granted, store the tokens. ``extra``: what the provider asked for (``code_verifier`` with
    PKCE, ``data`` from its form)."""
    module = registry.get(provider)
    now = now or timezone.now()
    return _connect(
        tenant=tenant,
        actor=actor,
        provider=provider,
        simulated=simulated,
        client=client,
        finish=lambda client, base_url: module.connect_with_code(
            client, base_url=base_url, code=code, redirect_uri=redirect_uri, now=now, **extra
        ),
    )


def channel_refresh_token(
    *, channel: Channel, client: httpx.Client | None = None, now: datetime | None = None
) -> Channel:
    """Refresh a channel's token, holding the row lock: a refresh token may rotate (TikTok's
    does), so two concurrent refreshes would burn it."""
    now = now or timezone.now()
    module = registry.get(channel.provider)
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        if channel.token_expires_at and not module.credentials_need_refresh(
            credentials=channel.credentials, token_expires_at=channel.token_expires_at, now=now
        ):
            return channel  # somebody refreshed it meanwhile
        own = client is None
        client = client or http.client_for(channel)
        try:
            draft = module.refresh_credentials(
                client,
                base_url=http.base_url_for(channel),
                credentials=channel.credentials,
                now=now,
            )
        except ProviderError as exc:
            failure = exc
        else:
            failure = None
        finally:
            if own:
                client.close()
        if failure is not None:
            if failure.permanent:  # kept: the raise below must not roll this back
                channel.status = Channel.Status.ERROR
                channel.last_error = _("Token refresh failed: %(e)s") % {"e": failure.message}
                channel.save(update_fields=["status", "last_error", "updated_at"])
        else:
            _store_refreshed(channel, draft)
    if failure is not None:
        raise failure
    return channel


def _store_refreshed(channel: Channel, draft) -> None:
    """The new credentials, saved in the refresh's transaction (a rotated refresh token is
    stored before anything uses the new access token)."""
    channel.credentials = {**channel.credentials, **draft.credentials}
    channel.token_expires_at = draft.token_expires_at
    if channel.status == Channel.Status.ERROR:
        channel.status = Channel.Status.ACTIVE
        channel.last_error = ""
    channel.save(
        update_fields=["credentials", "token_expires_at", "status", "last_error", "updated_at"]
    )


def channel_credentials_fresh(
    *, channel: Channel, client: httpx.Client | None = None, now: datetime | None = None
) -> dict:
    """The channel's credentials, refreshing a token that is about to expire."""
    now = now or timezone.now()
    module = registry.get(channel.provider)
    if module.credentials_need_refresh(
        credentials=channel.credentials, token_expires_at=channel.token_expires_at, now=now
    ):
        channel = channel_refresh_token(channel=channel, client=client, now=now)
    return channel.credentials


def channel_mark_error(*, channel: Channel, error: str) -> None:
    Channel.objects.filter(pk=channel.pk).update(
        status=Channel.Status.ERROR, last_error=error[:2000], updated_at=timezone.now()
    )


def channel_disconnect(*, channel: Channel, actor) -> Channel:
    """Revoke the token at the provider where it has a revoke call (best effort), forget the
    credentials."""
    try:
        with http.client_for(channel) as client:
            registry.get(channel.provider).revoke_credentials(
                client, base_url=http.base_url_for(channel), credentials=channel.credentials
            )
    except ProviderError as exc:
        log.warning("revoking channel %s failed: %s", channel.pk, exc.code)
    channel_secret_forget(channel.provider, channel.account_id)
    channel.credentials = {}
    channel.status = Channel.Status.DISCONNECTED
    channel.token_expires_at = None
    channel.last_error = ""
    channel.save(
        update_fields=["credentials", "status", "token_expires_at", "last_error", "updated_at"]
    )
    audit_log_record(
        tenant=channel.tenant,
        actor=actor,
        action="channel.disconnected",
        target=channel,
        details={"provider": channel.provider, "account_id": channel.account_id},
    )
    return channel


def channels_refresh_expiring(*, now: datetime | None = None) -> int:
    """Periodic: refresh every token its provider says is due (only channels whose provider
    issues expiring tokens have ``token_expires_at``)."""
    now = now or timezone.now()
    candidates = Channel.objects.filter(
        token_expires_at__isnull=False,
        status__in=[Channel.Status.ACTIVE, Channel.Status.ERROR],
        token_expires_at__lte=now + REFRESH_LOOKAHEAD,
    ).values_list("pk", "provider", "token_expires_at", "credentials")
    ids = [
        pk
        for pk, provider, expires, credentials in candidates
        if registry.get(provider).credentials_need_refresh(
            credentials=credentials, token_expires_at=expires, now=now
        )
    ]
    done = 0
    for pk in ids:
        try:
            channel_refresh_token(channel=Channel.objects.get(pk=pk), now=now)
            done += 1
        except ProviderError as exc:
            log.warning("refreshing channel %s failed: %s", pk, exc.code)
    return done
