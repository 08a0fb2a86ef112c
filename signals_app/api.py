"""Read-only API of the SignalReport outbox (e.g. for a CRM reconciling what reached TikTok)."""

import django_filters
from rest_framework import mixins, serializers

from tenants.api import TenantScopedViewSet
from tenants.api_filters import IdFilter

from .models import SignalReport


class SignalReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = SignalReport
        fields = [
            "id",
            "conversation",
            "signal",
            "event_name",
            "event_id",
            "tracking_id",
            "ad_id",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


class SignalReportFilter(django_filters.FilterSet):
    conversation = IdFilter(field_name="conversation_id")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = SignalReport
        fields = ["status", "signal", "conversation"]


class SignalReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """TikTok signal reports of the tenant: what was (or will be) sent to TikTok."""

    queryset = SignalReport.objects.all()
    serializer_class = SignalReportSerializer
    filterset_class = SignalReportFilter
    read_permission = "signals.view"
    write_permission = "signals.manage"
    ordering = "-created_at"
