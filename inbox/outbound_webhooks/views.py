"""Settings pages for outbound CRM webhooks (owners and admins: `webhooks.manage`)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inbox.outbound_webhooks import selectors, services
from inbox.outbound_webhooks.forms import WebhookSubscriptionForm
from tenants.access import access_webhook_delivery, access_webhook_subscription, tenant_view


def _errors(request, exc: ValidationError, form=None) -> None:
    if form is not None and hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    for message in exc.messages:
        messages.error(request, message)


def _context(request, **extra):
    return {"nav": "settings", "section": "webhooks", **extra}


@tenant_view("webhooks.manage")
def webhook_list(request):
    form = WebhookSubscriptionForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.webhook_subscription_create(
                tenant=request.tenant, actor=request.user, **form.cleaned_data
            )
            form = WebhookSubscriptionForm()
        except ValidationError as exc:
            _errors(request, exc, form)
    return render(
        request,
        "crm/webhooks.html",
        _context(
            request,
            form=form,
            created=created,
            subscriptions=selectors.webhook_subscription_list(tenant=request.tenant),
        ),
    )


@tenant_view("webhooks.manage")
def webhook_detail(request, webhooksubscription_id):
    subscription = access_webhook_subscription(request.membership, webhooksubscription_id)
    initial = {
        "url": subscription.url,
        "description": subscription.description,
        "event_types": subscription.event_types,
    }
    form = WebhookSubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_subscription_update(
                subscription=subscription, actor=request.user, **form.cleaned_data
            )
            messages.success(request, _("Webhook saved."))
            return redirect("webhook_detail", request.tenant.slug, subscription.pk)
        except ValidationError as exc:
            _errors(request, exc, form)
    deliveries = list(
        selectors.webhook_delivery_list(tenant=request.tenant, subscription=subscription)
    )
    return render(
        request,
        "crm/webhook_detail.html",
        _context(request, form=form, subscription=subscription, deliveries=deliveries),
    )


@require_POST
@tenant_view("webhooks.manage")
def webhook_toggle(request, webhooksubscription_id):
    subscription = access_webhook_subscription(request.membership, webhooksubscription_id)
    services.webhook_subscription_update(
        subscription=subscription, actor=request.user, is_active=not subscription.is_active
    )
    if subscription.is_active:
        messages.success(request, _("Webhook enabled."))
    else:
        messages.success(request, _("Webhook paused."))
    return redirect("webhook_detail", request.tenant.slug, subscription.pk)


@require_POST
@tenant_view("webhooks.manage")
def webhook_rotate_secret(request, webhooksubscription_id):
    subscription = access_webhook_subscription(request.membership, webhooksubscription_id)
    secret = services.webhook_subscription_rotate_secret(
        subscription=subscription, actor=request.user
    )
    deliveries = list(
        selectors.webhook_delivery_list(tenant=request.tenant, subscription=subscription)
    )
    form = WebhookSubscriptionForm(
        initial={
            "url": subscription.url,
            "description": subscription.description,
            "event_types": subscription.event_types,
        }
    )
    return render(
        request,
        "crm/webhook_detail.html",
        _context(
            request,
            form=form,
            subscription=subscription,
            deliveries=deliveries,
            new_secret=secret,
        ),
    )


@require_POST
@tenant_view("webhooks.manage")
def webhook_delete(request, webhooksubscription_id):
    subscription = access_webhook_subscription(request.membership, webhooksubscription_id)
    services.webhook_subscription_delete(subscription=subscription, actor=request.user)
    messages.success(request, _("Webhook deleted."))
    return redirect("webhook_list", request.tenant.slug)


@require_POST
@tenant_view("webhooks.manage")
def webhook_redeliver(request, webhookdelivery_id):
    delivery = access_webhook_delivery(request.membership, webhookdelivery_id)
    try:
        services.webhook_delivery_redeliver(delivery=delivery, actor=request.user)
        messages.success(request, _("Delivery queued again."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("webhook_detail", request.tenant.slug, delivery.subscription_id)
