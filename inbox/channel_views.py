"""Channel pages: connect (each provider's form or OAuth steps, from its module), disconnect;
attachment media served through Parley; the operator page for failed and unrouted webhook
events."""

from __future__ import annotations

import logging
import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inbox.ingest.intake import webhook_event_reprocess
from inbox.models import Attachment, Channel, WebhookEvent
from inbox.providers import registry
from inbox.providers.base import ProviderError
from inbox.services.channels import (
    ChannelConnectError,
    channel_connect_with_code,
    channel_connect_with_form,
    channel_disconnect,
)
from inbox.services.media import attachment_fetch
from tenants.access import access_attachment, access_channel, membership_for, tenant_view
from tenants.permissions import has_perm

log = logging.getLogger(__name__)


def _simulator_allowed() -> bool:
    return bool(settings.SIMULATOR_ENABLED)


def _provider(name: str):
    try:
        return registry.get(name)
    except LookupError:
        raise Http404 from None


@tenant_view("channels.manage")
def channel_list(request):
    channels = Channel.objects.for_tenant(request.tenant).order_by("provider", "name")
    return render(
        request,
        "inbox/channels/list.html",
        {
            "channels": channels,
            "providers": list(registry.PROVIDERS.values()),
            "section": "channels",
            "simulator": _simulator_allowed(),
            "webhook_urls": {
                name: request.build_absolute_uri(reverse("provider_webhook", args=[name]))
                for name in registry.PROVIDERS
            },
        },
    )


@tenant_view("channels.manage")
def channel_connect(request, provider: str):
    """Connect a channel the provider's way: its form (checked with a call to the provider),
    or the start of its OAuth flow (POST)."""
    module = _provider(provider)
    if module.CONNECT == "oauth":
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return _oauth_start(request, module)
    form = module.connect_form(request.POST or None)
    if _simulator_allowed():
        form.fields["simulator"] = forms.BooleanField(
            label=_("Use the built-in simulator instead of %(provider)s")
            % {"provider": module.LABEL},
            required=False,
        )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        simulated = bool(data.pop("simulator", False))
        try:
            channel = channel_connect_with_form(
                tenant=request.tenant,
                actor=request.user,
                provider=provider,
                data=data,
                simulated=simulated,
            )
        except ChannelConnectError as exc:
            form.add_error(None, exc.reason)
        else:
            messages.success(request, _("%(name)s is connected.") % {"name": channel.name})
            return redirect("channel_list", request.tenant.slug)
    return render(
        request,
        "inbox/channels/connect_form.html",
        {"form": form, "provider": module, "section": "channels"},
    )


def _oauth_session_key(provider: str) -> str:
    return f"{provider}_oauth"


def _oauth_start(request, module):
    simulated = _simulator_allowed() and request.POST.get("simulator") == "1"
    state = secrets.token_urlsafe(24)
    request.session[_oauth_session_key(module.NAME)] = {
        "state": state,
        "tenant": request.tenant.slug,
        "simulator": simulated,
    }
    authorize = ""
    if simulated:
        authorize = request.build_absolute_uri(reverse(module.fake().AUTHORIZE_URL_NAME))
    url = module.oauth_authorize_url(
        redirect_uri=request.build_absolute_uri(
            reverse("channel_oauth_callback", args=[module.NAME])
        ),
        state=state,
        authorize_url=authorize,
    )
    return redirect(url)


@login_required
def channel_oauth_callback(request, provider: str):
    """The provider redirects here (one redirect URI per app); the tenant comes from the
    state kept in the session."""
    module = _provider(provider)
    pending = request.session.pop(_oauth_session_key(provider), None)
    state = request.GET.get("state", "")
    if not pending or not state or not secrets.compare_digest(pending["state"], state):
        return HttpResponse(
            _("This %(provider)s authorization is invalid or expired.")
            % {"provider": module.LABEL},
            status=400,
        )
    membership = membership_for(request.user, pending["tenant"])
    if membership is None:
        raise Http404
    if not has_perm(membership, "channels.manage"):
        return HttpResponse(status=403)
    slug = membership.tenant.slug
    if request.GET.get("error"):
        messages.error(
            request,
            _("%(provider)s did not connect: %(e)s")
            % {
                "provider": module.LABEL,
                "e": request.GET.get("error_description") or request.GET["error"],
            },
        )
        return redirect("channel_list", slug)
    try:
        channel = channel_connect_with_code(
            tenant=membership.tenant,
            actor=request.user,
            provider=provider,
            code=request.GET.get("code", ""),
            redirect_uri=request.build_absolute_uri(
                reverse("channel_oauth_callback", args=[provider])
            ),
            simulated=bool(pending.get("simulator")),
        )
    except ChannelConnectError as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, _("%(name)s is connected.") % {"name": channel.name})
    return redirect("channel_list", slug)


@tenant_view("channels.manage")
@require_POST
def channel_disconnect_view(request, channel_id: int):
    channel = access_channel(request.membership, channel_id)
    channel_disconnect(channel=channel, actor=request.user)
    messages.success(request, _("%(name)s is disconnected.") % {"name": channel.name})
    return redirect("channel_list", request.tenant.slug)


@tenant_view("inbox.view")
def attachment_media(request, attachment_id: int):
    """Serve an attachment's bytes, fetching them from the provider on first use (never
    hot-linked: the browser only talks to Parley). Received media is also prefetched in the
    background right after the message arrives."""
    # Agents who see only their own conversations see only those conversations' files.
    attachment = access_attachment(request.membership, attachment_id)
    try:
        attachment = attachment_fetch(attachment=attachment)
    except ProviderError as exc:
        log.info("attachment %s: %s", attachment.pk, exc.code)
        return HttpResponse(exc.message, status=502, content_type="text/plain")
    if not attachment.file:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"), content_type=attachment.mime_type or "application/octet-stream"
    )
    if attachment.kind not in (Attachment.Kind.IMAGE, Attachment.Kind.STICKER):
        response["Content-Disposition"] = "attachment"
    response["Cache-Control"] = "private, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'; sandbox"
    return response


# --- operators ------------------------------------------------------------------------------


def _operator(request) -> None:
    # Unrouted events have no tenant: only the installation's staff see them.
    if not (request.user.is_authenticated and request.user.is_staff):
        raise Http404


def webhook_event_list(request):
    _operator(request)
    status = request.GET.get("status", "")
    qs = WebhookEvent.objects.filter(
        status__in=[WebhookEvent.Status.FAILED, WebhookEvent.Status.UNROUTED]
    )
    if status in (WebhookEvent.Status.FAILED, WebhookEvent.Status.UNROUTED):
        qs = qs.filter(status=status)
    events = qs.select_related("tenant").order_by("-received_at")[:200]
    return render(
        request, "inbox/channels/webhook_events.html", {"events": events, "status": status}
    )


@require_POST
def webhook_event_reprocess_view(request, webhook_event_id: int):
    _operator(request)
    event = WebhookEvent.objects.filter(pk=webhook_event_id).first()
    if event is None:
        raise Http404
    webhook_event_reprocess(event=event)
    event.refresh_from_db()
    messages.success(
        request,
        _("Event %(id)s reprocessed: %(status)s.") % {"id": event.pk, "status": event.status},
    )
    return redirect("webhook_event_list")
