"""Connecting, refreshing and disconnecting channels. Credentials are stored encrypted (the
``Channel.credentials`` field is an ``EncryptedJSONField``)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from inbox.models import Channel
from inbox.providers import messenger, tiktok, whatsapp
from inbox.providers.base import ProviderError
from tenants.services import audit_log_record

from . import http

log = logging.getLogger(__name__)

TOKEN_ERROR_CODES = {"40102", "40104", "40105", "190"}
REFRESH_AHEAD = timedelta(hours=2)


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
        audit_log_record(
            tenant=tenant,
            actor=actor,
            action="channel.connected" if created else "channel.reconnected",
            target=channel,
            details={"provider": provider, "account_id": account_id},
        )
    return channel


def channel_connect_tiktok(
    *,
    tenant,
    actor,
    code: str,
    redirect_uri: str,
    simulated: bool = False,
    client: httpx.Client | None = None,
    now: datetime | None = None,
) -> Channel:
    """Finish the OAuth flow: exchange the code, check scopes, store the tokens."""
    now = now or timezone.now()
    own = client is None
    client = client or http.http_client(simulated=simulated)
    try:
        tokens = tiktok.exchange_code(
            client,
            base_url=http.base_url("tiktok", simulated=simulated),
            client_id=settings.TIKTOK_CLIENT_KEY,
            client_secret=settings.TIKTOK_CLIENT_SECRET,
            code=code,
            redirect_uri=redirect_uri,
            now=now,
        )
    except ProviderError as exc:
        raise ChannelConnectError(exc.message) from exc
    finally:
        if own:
            client.close()
    missing = tiktok.missing_scopes(tokens.scopes)
    if missing:
        raise ChannelConnectError(
            _(
                "TikTok did not grant the permissions Parley needs: %(scopes)s. Connect again and "
                "allow them."
            )
            % {"scopes": ", ".join(missing)}
        )
    return _save_channel(
        tenant=tenant,
        actor=actor,
        provider="tiktok",
        account_id=tokens.open_id,
        name=f"TikTok {tokens.open_id[-6:]}",
        credentials=tokens.as_credentials(),
        token_expires_at=tokens.expires_at,
        settings={"simulator": True} if simulated else {},
    )


def channel_connect_meta(
    *,
    tenant,
    actor,
    provider: str,
    account_id: str,
    access_token: str,
    name: str = "",
    waba_id: str = "",
    simulated: bool = False,
    client: httpx.Client | None = None,
) -> Channel:
    """WhatsApp (phone_number_id + token) or Messenger (page id + page token), validated
    with a call to the provider before saving."""
    module = whatsapp if provider == "whatsapp" else messenger
    account_id = account_id.strip()
    own = client is None
    client = client or http.http_client(simulated=simulated)
    try:
        info = module.validate_credentials(
            client,
            base_url=http.base_url(provider, simulated=simulated),
            credentials={"access_token": access_token.strip()},
            account_id=account_id,
            version=settings.META_GRAPH_API_VERSION,
        )
    except ProviderError as exc:
        raise ChannelConnectError(exc.message) from exc
    finally:
        if own:
            client.close()
    display = info.get("verified_name") or info.get("name") or info.get("display_phone_number")
    return _save_channel(
        tenant=tenant,
        actor=actor,
        provider=provider,
        account_id=account_id,
        name=name or display or f"{module.LABEL} {account_id}",
        credentials={"access_token": access_token.strip()},
        waba_id=waba_id.strip(),
        settings={"simulator": True} if simulated else {},
    )


def channel_refresh_token(
    *, channel: Channel, client: httpx.Client | None = None, now: datetime | None = None
) -> Channel:
    """Refresh a TikTok channel's token, holding the row lock: the refresh token rotates, so
    two concurrent refreshes would burn it."""
    now = now or timezone.now()
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        if channel.token_expires_at and channel.token_expires_at > now + REFRESH_AHEAD:
            return channel  # somebody refreshed it meanwhile
        own = client is None
        client = client or http.client_for(channel)
        try:
            tokens = tiktok.refresh_token(
                client,
                base_url=http.base_url_for(channel),
                client_id=settings.TIKTOK_CLIENT_KEY,
                client_secret=settings.TIKTOK_CLIENT_SECRET,
                refresh_token=channel.credentials.get("refresh_token", ""),
                now=now,
            )
        except ProviderError as exc:
            if exc.permanent:
                channel.status = Channel.Status.ERROR
                channel.last_error = _("Token refresh failed: %(e)s") % {"e": exc.message}
                channel.save(update_fields=["status", "last_error", "updated_at"])
            raise
        finally:
            if own:
                client.close()
        channel.credentials = {**channel.credentials, **tokens.as_credentials()}
        channel.token_expires_at = tokens.expires_at
        if channel.status == Channel.Status.ERROR:
            channel.status = Channel.Status.ACTIVE
            channel.last_error = ""
        channel.save(
            update_fields=["credentials", "token_expires_at", "status", "last_error", "updated_at"]
        )
    return channel


def channel_credentials_fresh(
    *, channel: Channel, client: httpx.Client | None = None, now: datetime | None = None
) -> dict:
    """The channel's credentials, refreshing a TikTok token that is about to expire."""
    now = now or timezone.now()
    if channel.provider == "tiktok":
        expires = channel.token_expires_at or parse_datetime(
            channel.credentials.get("expires_at", "") or ""
        )
        if expires is not None and expires <= now + REFRESH_AHEAD:
            channel = channel_refresh_token(channel=channel, client=client, now=now)
    return channel.credentials


def channel_mark_error(*, channel: Channel, error: str) -> None:
    Channel.objects.filter(pk=channel.pk).update(
        status=Channel.Status.ERROR, last_error=error[:2000], updated_at=timezone.now()
    )


def channel_disconnect(*, channel: Channel, actor) -> Channel:
    """Revoke the TikTok token (best effort), forget the credentials."""
    if channel.provider == "tiktok" and channel.credentials.get("access_token"):
        try:
            with http.client_for(channel) as client:
                tiktok.revoke(
                    client,
                    base_url=http.base_url_for(channel),
                    client_id=settings.TIKTOK_CLIENT_KEY,
                    client_secret=settings.TIKTOK_CLIENT_SECRET,
                    access_token=channel.credentials["access_token"],
                )
        except ProviderError as exc:
            log.warning("revoking channel %s failed: %s", channel.pk, exc.code)
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
    """Periodic: refresh every TikTok token expiring within ``REFRESH_AHEAD``."""
    now = now or timezone.now()
    ids = list(
        Channel.objects.filter(
            provider="tiktok",
            status__in=[Channel.Status.ACTIVE, Channel.Status.ERROR],
            token_expires_at__lte=now + REFRESH_AHEAD,
        ).values_list("pk", flat=True)
    )
    done = 0
    for pk in ids:
        try:
            channel_refresh_token(channel=Channel.objects.get(pk=pk), now=now)
            done += 1
        except ProviderError as exc:
            log.warning("refreshing channel %s failed: %s", pk, exc.code)
    return done
