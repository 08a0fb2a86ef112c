"""Satisfaction ratings (CSAT) in the REST API: each question asked after a resolution, and the
customer's rating (read-only; filter by conversation or status)."""

import django_filters
from rest_framework import mixins, serializers

from inbox.models import CsatSurvey
from inbox.selectors.conversations import visible_conversations
from tenants.api import TenantScopedViewSet
from tenants.api_filters import IdFilter

ID_REGEX = r"\d{1,18}"


class CsatSurveySerializer(serializers.ModelSerializer):
    conversation_id = serializers.IntegerField(read_only=True)
    channel_id = serializers.IntegerField(read_only=True)
    reply_text = serializers.SerializerMethodField()

    class Meta:
        model = CsatSurvey
        fields = [
            "id",
            "conversation_id",
            "channel_id",
            "status",
            "rating",
            "reply_text",
            "asked_at",
            "expires_at",
            "rated_at",
            "skip_reason",
        ]
        read_only_fields = fields

    def get_reply_text(self, survey) -> str:
        return survey.reply.text if survey.reply_id else ""


class CsatSurveyFilter(django_filters.FilterSet):
    conversation = IdFilter(field_name="conversation_id")
    status = django_filters.ChoiceFilter(choices=CsatSurvey.Status.choices)
    rating = IdFilter(field_name="rating")

    class Meta:
        model = CsatSurvey
        fields = []


class CsatSurveyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Satisfaction questions and ratings (``status``: asked, rated, or skipped with the
    reason in ``skip_reason``), newest first."""

    queryset = CsatSurvey.objects.all()
    lookup_value_regex = ID_REGEX
    serializer_class = CsatSurveySerializer
    read_permission = "inbox.view"
    write_permission = "inbox.reply"
    filterset_class = CsatSurveyFilter

    def scoped_queryset(self, queryset):
        user = self.request.user if self.request.user.is_authenticated else None
        membership = getattr(self.request._request, "membership", None)
        visible = visible_conversations(tenant=self.tenant, user=user, membership=membership)
        return (
            queryset.filter(conversation__in=visible)
            .select_related("reply")
            .order_by("-created_at", "-id")
        )
