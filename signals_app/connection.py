"""Connecting a tenant to TikTok Ads: OAuth (with refresh-token rotation) or a pasted Events
Manager token, the Message Event Set (created through the API or an existing id, verified with
a test event before it is saved), the signal → event mapping, and disconnecting."""

from __future__ import annotations

import contextlib
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inbox import effects
from tenants.services import audit_log_record

from . import client
from .models import Signal, SignalKeyword, SignalReport, TikTokAdsConnection
from .payload import SignalFields, build_events_body

TEST_EVENT_CODE = "PARLEY_TEST"
FAKE_EVENT_SET_CREATE_PATH = "/open_api/v1.3/event_set/create/"
REFRESH_MARGIN = timedelta(minutes=5)

# Why Parley asks for each permission (shown before the user goes to TikTok).
SCOPE_REASONS = {
    "message.metadata.manage": gettext_lazy(
        "Manage your conversations' metadata: which ad or campaign started a conversation. "
        "Never the content of a message."
    ),
    "event.track": gettext_lazy(
        "Report events: send the signals Parley detects (conversation started, payment, "
        "order, booking, lead…) to your Message Event Set, so TikTok can measure your ads."
    ),
    "webhook.manage": gettext_lazy(
        "Receive webhooks: be told by TikTok about changes to your ad account's messaging."
    ),
}


def required_scopes() -> list[str]:
    return [s.strip() for s in settings.TIKTOK_ADS_SCOPES if s.strip()]


def scope_explanations() -> list[tuple[str, str]]:
    return [
        (scope, SCOPE_REASONS.get(scope, _("Requested by your TikTok app configuration.")))
        for scope in required_scopes()
    ]


def connection_for(tenant) -> TikTokAdsConnection | None:
    return TikTokAdsConnection.objects.for_tenant(tenant).first()


def event_set_creation_available(*, simulated: bool) -> bool:
    return bool(settings.TIKTOK_EVENT_SET_CREATE_PATH) or simulated


def effective_mapping(connection: TikTokAdsConnection | None) -> dict[str, str]:
    mapping = dict(settings.TIKTOK_SIGNAL_EVENT_MAPPING)
    if connection is not None:
        mapping.update(connection.event_mapping or {})
    return {signal: mapping.get(signal, "") for signal in Signal.values}


# --- OAuth ------------------------------------------------------------------------------------


def oauth_new_state() -> str:
    return secrets.token_urlsafe(32)


def oauth_authorize_url(*, state: str, redirect_uri: str, simulated: bool) -> str:
    base = reverse("signals_fake_authorize") if simulated else settings.TIKTOK_ADS_AUTH_URL
    query = urlencode(
        {
            "client_key": settings.TIKTOK_ADS_CLIENT_KEY,
            "response_type": "code",
            "scope": ",".join(required_scopes()),
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{base}?{query}"


def _store_tokens(connection: TikTokAdsConnection, data: dict) -> None:
    now = timezone.now()
    connection.credentials = {
        "access_token": str(data.get("access_token") or ""),
        "refresh_token": str(data.get("refresh_token") or ""),
    }
    connection.token_expires_at = now + timedelta(seconds=int(data.get("expires_in") or 86400))
    refresh_in = data.get("refresh_token_expires_in")
    connection.refresh_expires_at = now + timedelta(seconds=int(refresh_in)) if refresh_in else None


def oauth_complete(
    *, tenant, actor, auth_code: str, redirect_uri: str, simulated: bool
) -> TikTokAdsConnection:
    """Exchange the callback's code for tokens; the connection then waits for its event set."""
    try:
        data = client.oauth_exchange(
            auth_code=auth_code, redirect_uri=redirect_uri, simulated=simulated
        )
    except client.TikTokApiError as exc:
        raise ValidationError(_("TikTok refused the authorization: %(r)s") % {"r": exc.reason})
    granted = {s.strip() for s in str(data.get("scope") or "").split(",") if s.strip()}
    missing = [s for s in required_scopes() if s not in granted]
    if missing:
        raise ValidationError(
            _(
                "TikTok did not grant every permission Parley needs (missing: %(m)s). "
                "Connect again and allow them."
            )
            % {"m": ", ".join(missing)}
        )
    if not data.get("access_token"):
        raise ValidationError(_("TikTok returned no access token."))
    with transaction.atomic():
        connection = TikTokAdsConnection.objects.select_for_update().filter(
            tenant=tenant
        ).first() or TikTokAdsConnection(tenant=tenant, method=TikTokAdsConnection.Method.OAUTH)
        connection.method = TikTokAdsConnection.Method.OAUTH
        connection.account_id = str(data.get("open_id") or "")[:128]
        connection.scopes = sorted(granted)
        connection.simulated = simulated
        connection.status = TikTokAdsConnection.Status.SETUP
        connection.last_error = ""
        if not connection.event_source:
            connection.event_source = settings.TIKTOK_EVENT_SOURCE
        _store_tokens(connection, data)
        connection.save()
        audit_log_record(
            tenant=tenant,
            actor=actor,
            action="signals.oauth_authorized",
            target=connection,
            details={"account_id": connection.account_id, "scopes": connection.scopes},
        )
    return connection


def _revoke_replaced(connection: TikTokAdsConnection) -> None:
    """Best effort: an OAuth token about to be replaced by a new connection is revoked."""
    token = (connection.credentials or {}).get("access_token")
    if connection.method != TikTokAdsConnection.Method.OAUTH or not token:
        return
    with contextlib.suppress(client.TikTokApiError):  # it is overwritten (deleted) anyway
        client.oauth_revoke(access_token=token, simulated=connection.simulated)


def connection_refresh(*, connection: TikTokAdsConnection, force: bool = False):
    """Refresh the OAuth token under the connection's row lock: TikTok rotates the refresh
    token on every refresh, so two workers must never refresh with the same one."""
    used = (connection.credentials or {}).get("access_token")
    with transaction.atomic():
        conn = TikTokAdsConnection.objects.select_for_update().get(pk=connection.pk)
        current = (conn.credentials or {}).get("access_token")
        if force and current and current != used:
            return conn  # another worker refreshed meanwhile
        if (
            not force
            and conn.token_expires_at
            and conn.token_expires_at > (timezone.now() + REFRESH_MARGIN)
        ):
            return conn
        refresh_token = (conn.credentials or {}).get("refresh_token")
        if conn.method != TikTokAdsConnection.Method.OAUTH or not refresh_token:
            raise client.TikTokApiError("No refresh token.", kind="token")
        data = client.oauth_refresh(refresh_token=refresh_token, simulated=conn.simulated)
        if not data.get("access_token"):
            raise client.TikTokApiError("TikTok returned no access token.", kind="token")
        _store_tokens(conn, data)
        conn.save(update_fields=["credentials", "token_expires_at", "refresh_expires_at"])
    return conn


def connection_access_token(connection: TikTokAdsConnection) -> str:
    if (
        connection.method == TikTokAdsConnection.Method.OAUTH
        and connection.token_expires_at
        and connection.token_expires_at <= timezone.now() + REFRESH_MARGIN
    ):
        connection = connection_refresh(connection=connection)
    token = (connection.credentials or {}).get("access_token")
    if not token:
        raise client.TikTokApiError("Not connected: no access token.", kind="token")
    return token


def connections_refresh_due() -> int:
    """Refresh OAuth tokens that expire within the hour (the sweeper calls this)."""
    soon = timezone.now() + timedelta(hours=1)
    count = 0
    for connection in TikTokAdsConnection.objects.filter(
        method=TikTokAdsConnection.Method.OAUTH,
        status__in=[TikTokAdsConnection.Status.CONNECTED, TikTokAdsConnection.Status.SETUP],
        token_expires_at__lte=soon,
    ):
        try:
            connection_refresh(connection=connection, force=True)
            count += 1
        except client.TikTokApiError as exc:
            TikTokAdsConnection.objects.filter(pk=connection.pk).update(
                status=TikTokAdsConnection.Status.ERROR,
                last_error=_("Refreshing the TikTok token failed (%(r)s). Reconnect TikTok Ads.")
                % {"r": exc.reason},
            )
    return count


# --- the event set ----------------------------------------------------------------------------


def _test_event(*, event_source: str, event_set_id: str, token: str, simulated: bool) -> None:
    body = build_events_body(
        event_source=event_source,
        event_source_id=event_set_id,
        signals=[
            SignalFields(
                signal=Signal.CONVERSATION_STARTED.value,
                event_name=settings.TIKTOK_SIGNAL_EVENT_MAPPING.get(
                    Signal.CONVERSATION_STARTED.value, "Contact"
                )
                or "Contact",
                event_id=f"parley-test-{secrets.token_hex(8)}",
                occurred_at=timezone.now(),
            )
        ],
        test_event_code=TEST_EVENT_CODE,
    )
    try:
        client.events_track(access_token=token, body=body, simulated=simulated)
    except client.TikTokApiError as exc:
        raise ValidationError(
            _("TikTok refused the test event (%(r)s): nothing was saved.") % {"r": exc.reason}
        )


def _connected(connection: TikTokAdsConnection, actor) -> None:
    now = timezone.now()
    connection.status = TikTokAdsConnection.Status.CONNECTED
    connection.connected_at = now
    connection.connected_by = actor if getattr(actor, "is_authenticated", False) else None
    connection.disconnected_at = None
    connection.last_error = ""
    connection.throttled_until = None
    connection.throttle_strikes = 0
    if not SignalKeyword.objects.for_tenant(connection.tenant).exists():
        from .keyword_lists import keywords_install_shipped

        keywords_install_shipped(tenant=connection.tenant, actor=None)
    effects.task_on_commit(effects.SIGNALS_SEND, connection.tenant_id)


def event_set_choose(
    *, connection: TikTokAdsConnection, actor, event_set_id: str = "", create_name: str = ""
) -> TikTokAdsConnection:
    """Create the Message Event Set (when the endpoint exists) or take an existing id, check it
    with a test event, then save the connection as connected."""
    try:
        token = connection_access_token(connection)
    except client.TikTokApiError as exc:
        raise ValidationError(_("The TikTok token is not usable (%(r)s).") % {"r": exc.reason})
    connection.refresh_from_db()
    created = False
    if create_name:
        if not event_set_creation_available(simulated=connection.simulated):
            raise ValidationError(_("Creating an event set through TikTok's API is not available."))
        path = settings.TIKTOK_EVENT_SET_CREATE_PATH or FAKE_EVENT_SET_CREATE_PATH
        try:
            event_set_id = client.event_set_create(
                path=path,
                access_token=token,
                account_id=connection.account_id,
                name=create_name,
                simulated=connection.simulated,
            )
        except client.TikTokApiError as exc:
            raise ValidationError(
                _("TikTok could not create the event set (%(r)s).") % {"r": exc.reason}
            )
        created = True
    event_set_id = (event_set_id or "").strip()
    if not event_set_id:
        raise ValidationError(_("Enter the id of your Message Event Set."))
    _test_event(
        event_source=connection.event_source or settings.TIKTOK_EVENT_SOURCE,
        event_set_id=event_set_id,
        token=token,
        simulated=connection.simulated,
    )
    with transaction.atomic():
        connection = TikTokAdsConnection.objects.select_for_update().get(pk=connection.pk)
        connection.event_set_id = event_set_id[:64]
        connection.event_set_created = created
        _connected(connection, actor)
        connection.save()
        audit_log_record(
            tenant=connection.tenant,
            actor=actor,
            action="signals.connected",
            target=connection,
            details={
                "method": connection.method,
                "event_set_id": connection.event_set_id,
                "event_set_created": created,
            },
        )
    return connection


def token_connect(
    *, tenant, actor, event_set_id: str, access_token: str, simulated: bool = False
) -> TikTokAdsConnection:
    """The second way: an event set id and an access token created in TikTok Events Manager."""
    event_set_id, access_token = event_set_id.strip(), access_token.strip()
    if not event_set_id or not access_token:
        raise ValidationError(_("Enter both the event set id and the access token."))
    existing = connection_for(tenant)
    event_source = (existing.event_source if existing else "") or settings.TIKTOK_EVENT_SOURCE
    _test_event(
        event_source=event_source,
        event_set_id=event_set_id,
        token=access_token,
        simulated=simulated,
    )
    if existing is not None:
        _revoke_replaced(existing)
    with transaction.atomic():
        connection = TikTokAdsConnection.objects.select_for_update().filter(
            tenant=tenant
        ).first() or TikTokAdsConnection(tenant=tenant)
        connection.method = TikTokAdsConnection.Method.TOKEN
        connection.account_id = ""
        connection.scopes = []
        connection.simulated = simulated
        connection.event_source = event_source
        connection.event_set_id = event_set_id[:64]
        connection.event_set_created = False
        connection.credentials = {"access_token": access_token}
        connection.token_expires_at = None
        connection.refresh_expires_at = None
        _connected(connection, actor)
        connection.save()
        audit_log_record(
            tenant=tenant,
            actor=actor,
            action="signals.connected",
            target=connection,
            details={"method": connection.method, "event_set_id": connection.event_set_id},
        )
    return connection


def mapping_update(
    *, connection: TikTokAdsConnection, actor, event_source: str, mapping: dict[str, str]
) -> TikTokAdsConnection:
    clean = {}
    defaults = settings.TIKTOK_SIGNAL_EVENT_MAPPING
    for signal in Signal.values:
        if signal not in mapping:
            continue  # not given: the default
        value = (mapping.get(signal) or "").strip()[:64]
        if value != defaults.get(signal, ""):
            clean[signal] = value
    connection.event_source = (event_source or settings.TIKTOK_EVENT_SOURCE).strip()[:32]
    connection.event_mapping = clean
    connection.save(update_fields=["event_source", "event_mapping", "updated_at"])
    audit_log_record(
        tenant=connection.tenant,
        actor=actor,
        action="signals.mapping_updated",
        target=connection,
        details={"event_source": connection.event_source, "mapping": effective_mapping(connection)},
    )
    return connection


# --- disconnecting ------------------------------------------------------------------------------


def disconnect(*, tenant, actor) -> dict:
    """Revoke the token where possible, delete it, stop reporting, cancel pending reports."""
    connection = connection_for(tenant)
    if connection is None or connection.status == TikTokAdsConnection.Status.DISCONNECTED:
        return {"revoked": False, "cancelled": 0}
    token = (connection.credentials or {}).get("access_token")
    revoked, revoke_error = False, ""
    if connection.method == TikTokAdsConnection.Method.OAUTH and token:
        try:
            client.oauth_revoke(access_token=token, simulated=connection.simulated)
            revoked = True
        except client.TikTokApiError as exc:
            revoke_error = exc.reason
    with transaction.atomic():
        connection = TikTokAdsConnection.objects.select_for_update().get(pk=connection.pk)
        connection.status = TikTokAdsConnection.Status.DISCONNECTED
        connection.credentials = {}
        connection.token_expires_at = None
        connection.refresh_expires_at = None
        connection.throttled_until = None
        connection.disconnected_at = timezone.now()
        connection.save()
        cancelled = (
            SignalReport.objects.for_tenant(tenant)
            .filter(status=SignalReport.Status.PENDING)
            .update(
                status=SignalReport.Status.CANCELLED,
                last_error=_("Cancelled: TikTok Ads was disconnected."),
            )
        )
        details = {"method": connection.method, "revoked": revoked, "cancelled": cancelled}
        if revoke_error:
            details["revoke_error"] = revoke_error
        audit_log_record(
            tenant=tenant,
            actor=actor,
            action="signals.disconnected",
            target=connection,
            details=details,
        )
    return details
