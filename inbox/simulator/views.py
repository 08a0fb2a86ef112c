"""The simulator, served by Parley when DEBUG or SIMULATOR_ENABLED: the fake provider APIs,
a fake TikTok consent screen, and a page to send inbound messages as a customer."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from inbox.models import Channel
from inbox.providers import registry
from tenants.access import tenant_view

from .fake_providers import FakeProviders, SimulatedTimeout
from .models import SimulatorFailure, SimulatorRequest
from .payloads import comment_providers, simulate_comment, simulate_inbound
from .store import DatabaseStore

PREFIX = "/simulator/api"


def _enabled() -> None:
    if not settings.SIMULATOR_ENABLED:
        raise Http404


@csrf_exempt
def fake_api(request, rest: str):
    """``/simulator/api/<tiktok|graph>/...``: the fake providers over real HTTP."""
    _enabled()
    fake = FakeProviders(
        DatabaseStore(), public_base_url=request.build_absolute_uri("/")[:-1], prefix=PREFIX
    )
    target = request.get_full_path()
    headers = {k: v for k, v in request.headers.items()}
    try:
        status, out_headers, body = fake(request.method, target, headers, request.body)
    except SimulatedTimeout:
        time.sleep(settings.SIMULATOR_TIMEOUT_SECONDS)
        return HttpResponse("simulated timeout", status=504, content_type="text/plain")
    response = HttpResponse(body, status=status)
    for key, value in out_headers.items():
        response[key] = value
    return response


@login_required
def tiktok_authorize(request):
    """A stand-in for TikTok's consent screen (simulated channels only)."""
    _enabled()
    redirect_uri = request.GET.get("redirect_uri", "")
    state = request.GET.get("state", "")
    if not redirect_uri.startswith(request.build_absolute_uri("/")):
        return HttpResponse(_("The redirect URI must point at this Parley."), status=400)
    if request.GET.get("decision") == "allow":
        open_id = request.GET.get("open_id") or f"simbiz{int(time.time())}"
        return redirect(redirect_uri + "?" + urlencode({"code": f"sim.{open_id}", "state": state}))
    if request.GET.get("decision") == "deny":
        query = {
            "error": "access_denied",
            "error_description": "The user denied the authorization.",
            "state": state,
        }
        return redirect(redirect_uri + "?" + urlencode(query))
    return render(
        request,
        "inbox/simulator/tiktok_authorize.html",
        {"params": request.GET, "scopes": request.GET.get("scope", "").split(",")},
    )


@login_required
def zalo_authorize(request):
    """A stand-in for Zalo's OA permission screen (simulated channels only): the code it
    gives carries the PKCE challenge, which the fake's token call checks."""
    _enabled()
    redirect_uri = request.GET.get("redirect_uri", "")
    state = request.GET.get("state", "")
    challenge = request.GET.get("code_challenge", "")
    if not redirect_uri.startswith(request.build_absolute_uri("/")):
        return HttpResponse(_("The redirect URI must point at this Parley."), status=400)
    if request.GET.get("decision") == "allow":
        oa_id = request.GET.get("oa_id") or f"4{int(time.time())}"
        query = {"code": f"zsim.{oa_id}.{challenge}", "oa_id": oa_id, "state": state}
        return redirect(redirect_uri + "?" + urlencode(query))
    if request.GET.get("decision") == "deny":
        query = {"error": "access_denied", "error_description": "Denied.", "state": state}
        return redirect(redirect_uri + "?" + urlencode(query))
    return render(request, "inbox/simulator/zalo_authorize.html", {"params": request.GET})


class InboundForm(forms.Form):
    channel = forms.ModelChoiceField(queryset=Channel.objects.none(), label=gettext_lazy("Channel"))
    name = forms.CharField(label=gettext_lazy("Customer name"), max_length=80)
    text = forms.CharField(label=gettext_lazy("Message"), widget=forms.Textarea(attrs={"rows": 3}))
    ad_id = forms.RegexField(
        regex=r"^[0-9A-Za-z_-]{1,40}$",
        required=False,
        label=gettext_lazy("Arrived from ad (ad id, optional)"),
    )


class CommentForm(forms.Form):
    channel = forms.ModelChoiceField(queryset=Channel.objects.none(), label=gettext_lazy("Channel"))
    post_id = forms.RegexField(
        regex=r"^[0-9A-Za-z_]{1,60}$",
        label=gettext_lazy("Post or video id"),
        initial="7311982046100000001",
    )
    name = forms.CharField(label=gettext_lazy("Customer name"), max_length=80)
    text = forms.CharField(label=gettext_lazy("Comment"), widget=forms.Textarea(attrs={"rows": 2}))
    parent_id = forms.RegexField(
        regex=r"^[0-9A-Za-z_]{1,80}$",
        required=False,
        label=gettext_lazy("In reply to comment (id, optional)"),
    )


def _fake_api_choices() -> list[tuple[str, str]]:
    """One choice per fake API (WhatsApp and Messenger share Graph's)."""
    labels: dict[str, list[str]] = {}
    for provider in registry.PROVIDERS.values():
        labels.setdefault(provider.FAKE_API_PATH, []).append(provider.LABEL)
    return [("", gettext_lazy("Any"))] + [
        (path, " / ".join(names)) for path, names in labels.items()
    ]


class FailureForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Failure"),
        choices=[
            ("http_500", "HTTP 500"),
            ("timeout", gettext_lazy("Timeout")),
            ("error", gettext_lazy("Provider error")),
        ],
    )
    code = forms.CharField(required=False, max_length=20, label=gettext_lazy("Error code"))
    provider = forms.ChoiceField(
        label=gettext_lazy("Provider"), choices=_fake_api_choices, required=False
    )
    count = forms.IntegerField(label=gettext_lazy("How many"), min_value=1, max_value=50, initial=1)


@tenant_view("inbox.reply")
def simulator_page(request):
    _enabled()
    channels = Channel.objects.for_tenant(request.tenant).order_by("name")
    commenting = request.method == "POST" and "cm-text" in request.POST
    form = InboundForm(None if commenting else (request.POST or None), prefix="in")
    form.fields["channel"].queryset = channels
    failure_form = FailureForm(prefix="f")
    comment_form = CommentForm(request.POST if commenting else None, prefix="cm")
    comment_form.fields["channel"].queryset = channels.filter(provider__in=comment_providers())
    if commenting and comment_form.is_valid():
        data = comment_form.cleaned_data
        results = simulate_comment(
            channel=data["channel"],
            post_id=data["post_id"],
            name=data["name"],
            text=data["text"],
            parent_id=data["parent_id"],
        )
        codes = ", ".join(str(r.status) for r in results)
        messages.success(request, _("Webhook sent (answered %(codes)s).") % {"codes": codes})
        return redirect("simulator_page", request.tenant.slug)
    if request.method == "POST" and not commenting and form.is_valid():
        data = form.cleaned_data
        results = simulate_inbound(
            channel=data["channel"], name=data["name"], text=data["text"], ad_id=data["ad_id"]
        )
        codes = ", ".join(str(r.status) for r in results)
        messages.success(request, _("Webhook sent (answered %(codes)s).") % {"codes": codes})
        return redirect("simulator_page", request.tenant.slug)
    recent = SimulatorRequest.objects.order_by("-id")[:30]
    return render(
        request,
        "inbox/simulator/page.html",
        {
            "form": form,
            "failure_form": failure_form,
            "comment_form": comment_form,
            "recent": recent,
            "pending_failures": SimulatorFailure.objects.count(),
        },
    )


@tenant_view("channels.manage")
def simulator_failures(request):
    _enabled()
    form = FailureForm(request.POST or None, prefix="f")
    if request.method == "POST" and form.is_valid():
        from .fake_providers import FakeProviders as _Fake

        data = form.cleaned_data
        _Fake(DatabaseStore()).inject(
            data["kind"],
            data["count"],
            code=data["code"] or None,
            provider=data["provider"] or None,
        )
        messages.success(request, _("Failures queued."))
    return redirect("simulator_page", request.tenant.slug)
