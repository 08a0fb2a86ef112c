"""Notifications page (a person's setting and devices), the subscribe endpoints the browser
calls, and what makes Parley installable: the manifest, the service worker, the offline page."""

from __future__ import annotations

import contextlib
import hashlib
import json

from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from tenants.access import tenant_view

from .models import NotificationSetting
from .selectors import notification_setting_for, subscriptions_of
from .services import (
    notification_setting_save,
    push_subscription_delete,
    push_subscription_save,
)
from .vapid import application_server_key, push_enabled

# What the service worker keeps for offline use, beside the offline page (static files only).
CACHED_ASSETS = (
    "css/app.css",
    "css/inbox.css",
    "js/app.js",
    "js/inbox.js",
    "vendor/htmx.min.js",
    "icons/parley-192.png",
)


@tenant_view("inbox.view")
def notification_settings(request):
    tenant, user = request.tenant, request.user
    if request.method == "POST":
        # The form offers only valid scopes: anything else is ignored.
        with contextlib.suppress(ValidationError):
            notification_setting_save(
                tenant=tenant,
                user=user,
                scope=request.POST.get("scope", ""),
                include_text=request.POST.get("include_text") == "1",
            )
        return redirect("push_settings", tenant_slug=tenant.slug)
    return render(
        request,
        "push/settings.html",
        {
            "nav": "notifications",
            "setting": notification_setting_for(tenant=tenant, user=user),
            "scopes": NotificationSetting.Scope.choices,
            "subscriptions": subscriptions_of(tenant=tenant, user=user),
            "enabled": push_enabled(),
            "vapid_key": application_server_key() if push_enabled() else "",
        },
    )


def _json_body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@require_POST
@tenant_view("inbox.view")
def subscription_create(request):
    """The browser's PushSubscription (JSON, as `subscription.toJSON()` gives it)."""
    if not push_enabled():
        return JsonResponse({"error": "push is not configured"}, status=503)
    body = _json_body(request)
    keys = body.get("keys") if isinstance(body.get("keys"), dict) else {}
    try:
        subscription = push_subscription_save(
            tenant=request.tenant,
            user=request.user,
            endpoint=str(body.get("endpoint") or ""),
            p256dh=str(keys.get("p256dh") or ""),
            auth=str(keys.get("auth") or ""),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except ValidationError as exc:
        return JsonResponse({"error": exc.message_dict}, status=400)
    return JsonResponse({"id": subscription.pk}, status=201)


@require_POST
@tenant_view("inbox.view")
def subscription_delete(request):
    # The page's script sends JSON; the device list's "Remove" button is a plain form.
    from_script = request.content_type == "application/json"
    source = _json_body(request) if from_script else request.POST
    endpoint = str(source.get("endpoint") or "")
    push_subscription_delete(tenant=request.tenant, user=request.user, endpoint=endpoint)
    if from_script:
        return HttpResponse(status=204)
    return redirect("push_settings", tenant_slug=request.tenant.slug)


@require_GET
@cache_control(max_age=3600)
def manifest(request):
    return render(request, "push/manifest.webmanifest", content_type="application/manifest+json")


@require_GET
@cache_control(no_cache=True)
def service_worker(request):
    """At the site's root so that it controls every page; caches static assets and the
    offline page only (never a conversation)."""
    urls = [static(path) for path in CACHED_ASSETS]
    context = {
        "asset_urls": urls,
        "cache_version": hashlib.sha256("|".join(urls).encode()).hexdigest()[:12],
    }
    response = render(request, "push/sw.js", context, content_type="application/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
def offline(request):
    return render(request, "push/offline.html")
