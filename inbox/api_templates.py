"""Message templates in the REST API: a channel's synced templates (read), and sending one in a
conversation (``POST /api/v1/conversations/{id}/template/``, through ``template_send``)."""

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from inbox.models import MessageTemplate
from inbox.serializers import MessageSerializer
from inbox.services.templates import TemplateError, template_send, variable_key
from tenants.api import TenantScopedViewSet
from tenants.api_filters import IdFilter

ID_REGEX = r"\d{1,18}"


class TemplateRefused(exceptions.APIException):
    """422: the template cannot be sent; nothing was stored."""

    status_code = 422
    default_detail = "The template cannot be sent."
    default_code = "template_rejected"


class MessageTemplateSerializer(serializers.ModelSerializer):
    channel_id = serializers.IntegerField(read_only=True)
    variables = serializers.SerializerMethodField()

    class Meta:
        model = MessageTemplate
        fields = [
            "id",
            "channel_id",
            "name",
            "language",
            "category",
            "status",
            "rejection_reason",
            "parameter_format",
            "components",
            "purpose",
            "variables",
            "variable_map",
            "synced_at",
        ]
        read_only_fields = fields

    def get_variables(self, template) -> list[str]:
        """The names of the values a send needs, in order (``header.1``, ``body.1``, …)."""
        return [variable_key(kind, key) for kind, key in template.variables]


class TemplateSendSerializer(serializers.Serializer):
    template = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    variables = serializers.DictField(
        child=serializers.CharField(max_length=1024, allow_blank=True),
        required=False,
        help_text="Values by name (see the template's `variables`); unmapped ones are "
        "required, mapped ones are prefilled from the contact when left out.",
    )
    parameters = serializers.ListField(
        child=serializers.CharField(max_length=1024, allow_blank=True),
        required=False,
        max_length=100,
        help_text="Or: every value in the template's order.",
    )
    automated = serializers.BooleanField(default=False)


class MessageTemplateFilter(django_filters.FilterSet):
    channel = IdFilter(field_name="channel_id")
    status = django_filters.ChoiceFilter(choices=MessageTemplate.Status.choices)
    name = django_filters.CharFilter(field_name="name")
    language = django_filters.CharFilter(field_name="language")

    class Meta:
        model = MessageTemplate
        fields = []


class MessageTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """The channels' message templates as last synced (WhatsApp); read-only."""

    queryset = MessageTemplate.objects.all()
    lookup_value_regex = ID_REGEX
    serializer_class = MessageTemplateSerializer
    read_permission = "inbox.view"
    write_permission = "channels.manage"
    filterset_class = MessageTemplateFilter

    def scoped_queryset(self, queryset):
        return queryset.order_by("name", "language", "id")


class TemplateSendMixin:
    """``POST /conversations/{id}/template/`` on the conversations viewset."""

    @extend_schema(
        request=TemplateSendSerializer,
        responses={
            201: MessageSerializer,
            422: OpenApiResponse(
                description="The template cannot be sent (not approved, paused, another "
                "channel's, a variable missing or too many); nothing was stored."
            ),
        },
        description="Send an approved message template (allowed when the reply window is "
        "closed). The message's text is the rendered template.",
    )
    @action(detail=True, methods=["post"])
    def template(self, request, pk=None):
        conversation = self.get_object()
        serializer = TemplateSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        template = (
            MessageTemplate.objects.for_tenant(self.tenant).filter(pk=data["template"]).first()
        )
        if template is None:
            raise serializers.ValidationError(
                {"template": "No such template."}, code="does_not_exist"
            )
        variables = data.get("parameters")
        if variables is None:
            variables = data.get("variables") or {}
        try:
            message = template_send(
                conversation=conversation,
                template=template,
                variables=variables,
                author_user=request.user if request.user.is_authenticated else None,
                author_kind="bot" if data["automated"] else "agent",
            )
        except TemplateError as exc:
            raise TemplateRefused(exc.reason, code="template_rejected") from exc
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)
