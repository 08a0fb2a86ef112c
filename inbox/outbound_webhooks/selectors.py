from inbox.outbound_webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def webhook_subscription_list(*, tenant):
    return WebhookSubscription.objects.for_tenant(tenant).order_by("-created_at", "-id")


def webhook_subscriptions_disabled(*, tenant):
    return webhook_subscription_list(tenant=tenant).filter(
        disabled_at__isnull=False, is_active=False
    )


def webhook_delivery_list(*, tenant, subscription, limit: int = 50):
    return (
        WebhookDelivery.objects.for_tenant(tenant)
        .filter(subscription=subscription)
        .order_by("-created_at", "-id")[:limit]
    )


def webhook_attempt_list(*, tenant, delivery):
    return WebhookAttempt.objects.for_tenant(tenant).filter(delivery=delivery)
