from rest_framework.routers import SimpleRouter

from inbox.outbound_webhooks.api import WebhookSubscriptionViewSet

router = SimpleRouter()
router.register(
    "webhook-subscriptions", WebhookSubscriptionViewSet, basename="webhook-subscription"
)

urlpatterns = router.urls
