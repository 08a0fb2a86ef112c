from rest_framework import mixins

from inbox.models import Label
from inbox.serializers import LabelSerializer
from tenants.api import TenantScopedViewSet
from tenants.idempotency import IdempotentMixin


class LabelViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    """Conversation labels of the tenant."""

    queryset = Label.objects.all()
    serializer_class = LabelSerializer
    read_permission = "inbox.view"
    write_permission = "labels.manage"
    ordering = "name"

    def perform_create(self, serializer):
        serializer.save(tenant=self.tenant)
