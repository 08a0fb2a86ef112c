from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from inbox.outbound_webhooks import selectors, services
from inbox.outbound_webhooks.models import WebhookSubscription
from inbox.outbound_webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookSubscriptionCreateSerializer,
    WebhookSubscriptionSerializer,
    WebhookSubscriptionWithSecretSerializer,
)
from tenants.api import TenantScopedViewSet
from tenants.idempotency import IdempotentMixin


def _actor(request):
    return request.user if request.user.is_authenticated else None


class WebhookSubscriptionViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    """Outbound webhook subscriptions: Parley POSTs signed events to these URLs."""

    queryset = WebhookSubscription.objects.all()
    lookup_value_regex = r"\d{1,18}"
    serializer_class = WebhookSubscriptionSerializer
    read_permission = "webhooks.manage"
    write_permission = "webhooks.manage"

    @extend_schema(
        request=WebhookSubscriptionCreateSerializer,
        responses={201: WebhookSubscriptionWithSecretSerializer},
        description="Create a subscription. The response carries the signing secret, once.",
    )
    def create(self, request, *args, **kwargs):
        serializer = WebhookSubscriptionCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subscription = services.webhook_subscription_create(
            tenant=self.tenant,
            actor=_actor(request),
            url=data["url"],
            event_types=data["event_types"],
            description=data.get("description", ""),
            secret=data.get("secret", ""),
        )
        if data.get("is_active") is False:
            services.webhook_subscription_update(
                subscription=subscription, actor=_actor(request), is_active=False
            )
        return Response(
            WebhookSubscriptionWithSecretSerializer(subscription).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=WebhookSubscriptionSerializer, responses=WebhookSubscriptionSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self._update(request, partial=True)

    @extend_schema(request=WebhookSubscriptionSerializer, responses=WebhookSubscriptionSerializer)
    def update(self, request, *args, **kwargs):
        return self._update(request, partial=False)

    def _update(self, request, *, partial):
        subscription = self.get_object()
        serializer = self.get_serializer(subscription, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        subscription = services.webhook_subscription_update(
            subscription=subscription, actor=_actor(request), **serializer.validated_data
        )
        return Response(WebhookSubscriptionSerializer(subscription).data)

    def perform_destroy(self, instance):
        services.webhook_subscription_delete(subscription=instance, actor=_actor(self.request))

    @extend_schema(request=None, responses=WebhookSubscriptionWithSecretSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """Replace the signing secret; the new one is in the response, once."""
        subscription = self.get_object()
        services.webhook_subscription_rotate_secret(
            subscription=subscription, actor=_actor(request)
        )
        return Response(WebhookSubscriptionWithSecretSerializer(subscription).data)

    @extend_schema(responses=WebhookDeliverySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def deliveries(self, request, pk=None):
        """The latest 50 deliveries of this subscription, newest first."""
        subscription = self.get_object()
        deliveries = selectors.webhook_delivery_list(tenant=self.tenant, subscription=subscription)
        return Response(WebhookDeliverySerializer(deliveries, many=True).data)
