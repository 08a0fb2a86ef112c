"""Channel pages: connect (TikTok OAuth, WhatsApp/Messenger forms), disconnect; attachment
media served through Parley; the operator page for failed and unrouted webhook events."""

from __future__ import annotations

import logging
import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inbox.ingest.intake import webhook_event_reprocess
from inbox.models import Attachment, Channel, WebhookEvent
from inbox.providers import registry, tiktok
from inbox.providers.base import ProviderError
from inbox.services.channels import (
    ChannelConnectError,
    channel_connect_meta,
    channel_connect_tiktok,
    channel_disconnect,
)
from inbox.services.media import attachment_fetch
from tenants.access import access_attachment, access_channel, membership_for, tenant_view
from tenants.permissions import has_perm

log = logging.getLogger(__name__)
OAUTH_SESSION_KEY = "tiktok_oauth"


class MetaChannelForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Display name"), max_length=120, required=False)
    account_id = forms.RegexField(
        regex=r"^\d{5,32}$",
        label=gettext_lazy("Id"),
        error_messages={"invalid": gettext_lazy("Enter the numeric id from Meta.")},
    )
    waba_id = forms.RegexField(
        regex=r"^\d{5,32}$", label=gettext_lazy("WhatsApp business account id"), required=False
    )
    access_token = forms.CharField(
        label=gettext_lazy("Access token"), widget=forms.PasswordInput(render_value=False)
    )
    simulator = forms.BooleanField(
        label=gettext_lazy("Use the built-in simulator instead of Meta"), required=False
    )


def _simulator_allowed() -> bool:
    return bool(settings.SIMULATOR_ENABLED)


@tenant_view("channels.manage")
def channel_list(request):
    channels = Channel.objects.for_tenant(request.tenant).order_by("provider", "name")
    return render(
        request,
        "inbox/channels/list.html",
        {
            "channels": channels,
            "section": "channels",
            "simulator": _simulator_allowed(),
            "webhook_urls": {
                p: request.build_absolute_uri(reverse("provider_webhook", args=[p]))
                for p in registry.PROVIDERS
            },
        },
    )


def _connect_meta(request, provider: str):
    module = registry.get(provider)
    form = MetaChannelForm(request.POST or None)
    if provider != "whatsapp":
        del form.fields["waba_id"]
    if not _simulator_allowed():
        del form.fields["simulator"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            channel = channel_connect_meta(
                tenant=request.tenant,
                actor=request.user,
                provider=provider,
                account_id=data["account_id"],
                access_token=data["access_token"],
                name=data.get("name", ""),
                waba_id=data.get("waba_id", ""),
                simulated=bool(data.get("simulator")),
            )
        except ChannelConnectError as exc:
            form.add_error(None, exc.reason)
        else:
            messages.success(request, _("%(name)s is connected.") % {"name": channel.name})
            return redirect("channel_list", request.tenant.slug)
    return render(
        request,
        "inbox/channels/connect_meta.html",
        {"form": form, "provider": module, "section": "channels"},
    )


@tenant_view("channels.manage")
def channel_connect_whatsapp(request):
    return _connect_meta(request, "whatsapp")


@tenant_view("channels.manage")
def channel_connect_messenger(request):
    return _connect_meta(request, "messenger")


@tenant_view("channels.manage")
@require_POST
def channel_connect_tiktok_start(request):
    simulated = _simulator_allowed() and request.POST.get("simulator") == "1"
    state = secrets.token_urlsafe(24)
    request.session[OAUTH_SESSION_KEY] = {
        "state": state,
        "tenant": request.tenant.slug,
        "simulator": simulated,
    }
    authorize = (
        request.build_absolute_uri(reverse("simulator_tiktok_authorize"))
        if simulated
        else settings.TIKTOK_AUTH_URL
    )
    url = tiktok.authorization_url(
        client_key=settings.TIKTOK_CLIENT_KEY,
        redirect_uri=request.build_absolute_uri(reverse("channel_tiktok_callback")),
        state=state,
        authorize_url=authorize,
    )
    return redirect(url)


@login_required
def channel_tiktok_callback(request):
    """TikTok redirects here (one redirect URI per app); the tenant comes from the state."""
    pending = request.session.pop(OAUTH_SESSION_KEY, None)
    state = request.GET.get("state", "")
    if not pending or not state or not secrets.compare_digest(pending["state"], state):
        return HttpResponse(_("This TikTok authorization is invalid or expired."), status=400)
    membership = membership_for(request.user, pending["tenant"])
    if membership is None:
        raise Http404
    if not has_perm(membership, "channels.manage"):
        return HttpResponse(status=403)
    slug = membership.tenant.slug
    if request.GET.get("error"):
        messages.error(
            request,
            _("TikTok did not connect: %(e)s")
            % {"e": request.GET.get("error_description") or request.GET["error"]},
        )
        return redirect("channel_list", slug)
    try:
        channel = channel_connect_tiktok(
            tenant=membership.tenant,
            actor=request.user,
            code=request.GET.get("code", ""),
            redirect_uri=request.build_absolute_uri(reverse("channel_tiktok_callback")),
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
