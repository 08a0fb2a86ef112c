"""The operator page: failed and unrouted webhook events, and reprocessing one.

Unrouted events have no tenant, so the page is for the installation's staff only.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inbox.ingest.intake import webhook_event_reprocess
from inbox.models import WebhookEvent


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
