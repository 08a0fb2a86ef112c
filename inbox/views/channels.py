"""Channel pages: the list, connect (each provider's form or OAuth steps, from its module),
disconnect."""

from __future__ import annotations

import secrets

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inbox.models import Channel
from inbox.providers import registry
from inbox.providers.base import pkce_verifier
from inbox.selectors.channel_usage import channel_usage
from inbox.services.channels import (
    ChannelConnectError,
    channel_connect_with_code,
    channel_connect_with_form,
    channel_disconnect,
)
from inbox.services.csat import csat_setting_update
from tenants.access import access_channel, membership_for, tenant_view
from tenants.permissions import has_perm


def _simulator_allowed() -> bool:
    return bool(settings.SIMULATOR_ENABLED)


def _provider(name: str):
    try:
        return registry.get(name)
    except LookupError:
        raise Http404 from None


@tenant_view("channels.manage")
def channel_list(request):
    channels = list(Channel.objects.for_tenant(request.tenant).order_by("provider", "name"))
    for channel in channels:
        channel.usage = channel_usage(channel)
    return render(
        request,
        "inbox/channels/list.html",
        {
            "channels": channels,
            "providers": list(registry.PROVIDERS.values()),
            "section": "channels",
            "simulator": _simulator_allowed(),
            "template_providers": [
                name for name, m in registry.PROVIDERS.items() if getattr(m, "HAS_TEMPLATES", 0)
            ],
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
    if module.CONNECT == "oauth" and not module.OAUTH_FORM:
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
        if module.CONNECT == "oauth":  # what the provider asked first, then its OAuth flow
            return _oauth_start(request, module, simulated=simulated, data=data)
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
        {
            "form": form,
            "provider": module,
            "section": "channels",
            "webhook_url": request.build_absolute_uri(reverse("provider_webhook", args=[provider])),
        },
    )


def _oauth_session_key(provider: str) -> str:
    return f"{provider}_oauth"


def _oauth_start(request, module, *, simulated: bool | None = None, data: dict | None = None):
    if simulated is None:
        simulated = request.POST.get("simulator") == "1"
    simulated = _simulator_allowed() and simulated
    state = secrets.token_urlsafe(24)
    pending = {"state": state, "tenant": request.tenant.slug, "simulator": simulated}
    extra = {}
    if module.PKCE:
        pending["code_verifier"] = extra["code_verifier"] = pkce_verifier()
    if module.OAUTH_FORM:
        pending["data"] = data or {}
    request.session[_oauth_session_key(module.NAME)] = pending
    authorize = ""
    if simulated:
        authorize = request.build_absolute_uri(reverse(module.fake().AUTHORIZE_URL_NAME))
    url = module.oauth_authorize_url(
        redirect_uri=request.build_absolute_uri(
            reverse("channel_oauth_callback", args=[module.NAME])
        ),
        state=state,
        authorize_url=authorize,
        **extra,
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
    extra = {}
    if module.PKCE:
        extra["code_verifier"] = pending.get("code_verifier", "")
    if module.OAUTH_FORM:
        extra["data"] = pending.get("data") or {}
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
            **extra,
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


@tenant_view("channels.manage")
@require_POST
def channel_csat_view(request, channel_id: int):
    """Turn the satisfaction question (CSAT) after resolving on or off for a channel."""
    channel = access_channel(request.membership, channel_id, write=True)
    channel = csat_setting_update(channel=channel, enabled=request.POST.get("enabled") == "1")
    if channel.csat_enabled:
        text = _("%(name)s now asks customers for a rating after a conversation is resolved.")
    else:
        text = _("%(name)s no longer asks customers for a rating.")
    messages.success(request, text % {"name": channel.name})
    return redirect("channel_list", request.tenant.slug)
