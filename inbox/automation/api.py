"""The macros API: `/api/v1/macros/` (read: `inbox.view`; write: `automation.manage`) and
`POST /api/v1/macros/{id}/run/` (`inbox.reply`, on a conversation the caller may see)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from inbox.automation.models import Macro
from inbox.automation.services.macros import ACTION_TYPES, MacroError, macro_delete, macro_run
from inbox.automation.services.macros import macro_save as save
from inbox.selectors.conversations import ConversationFilters, conversation_queryset
from tenants.api import TenantScopedViewSet
from tenants.api_auth import TenantPermission
from tenants.idempotency import IdempotentMixin
from tenants.permissions import has_perm

ID_REGEX = r"\d{1,18}"
MAX_ID = 2**63 - 1


class MacroActionSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=list(ACTION_TYPES))
    value = serializers.CharField(
        max_length=4000,
        allow_blank=True,
        help_text="A label, team, canned response, message template or user id (`me`: "
        "whoever runs the macro; `none`: unassign / no team), a status (`open`, `pending`, "
        "`resolved`), a priority (0–4), or a private note's text.",
    )


class MacroSerializer(serializers.ModelSerializer):
    actions = MacroActionSerializer(many=True, help_text="Run in this order.")

    class Meta:
        model = Macro
        fields = ["id", "name", "actions", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {"name": {"max_length": 120}}


class MacroRunSerializer(serializers.Serializer):
    conversation = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class ActionOutcomeSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    type = serializers.CharField()
    label = serializers.CharField()
    ok = serializers.BooleanField()
    error = serializers.CharField(allow_blank=True)


class MacroRunResultSerializer(serializers.Serializer):
    conversation = serializers.IntegerField()
    ok = serializers.BooleanField(help_text="Every action was carried out.")
    summary = serializers.CharField()
    actions = ActionOutcomeSerializer(many=True)


def _actor(request):
    return request.user if request.user.is_authenticated else None


class RunPermission(TenantPermission):
    """Running a macro writes on a conversation: `inbox.reply` (a read-only key: 403)."""

    def has_permission(self, request, view):
        if view.action != "run":
            return super().has_permission(request, view)
        if request.auth is not None:
            return super().has_permission(request, view)
        return has_perm(request._request.membership, "inbox.reply")


class MacroViewSet(
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantScopedViewSet,
):
    """Macros: named, ordered actions run on a conversation in one call."""

    queryset = Macro.objects.all()
    lookup_value_regex = ID_REGEX
    serializer_class = MacroSerializer
    read_permission = "inbox.view"
    write_permission = "automation.manage"
    ordering = "name"

    permission_classes = [RunPermission]

    def _save(self, serializer, macro=None):
        data = serializer.validated_data
        try:
            serializer.instance = save(
                tenant=self.tenant,
                actor=_actor(self.request),
                name=data.get("name", macro.name if macro else ""),
                actions=data.get("actions", macro.actions if macro else []),
                macro=macro,
            )
        except MacroError as error:
            code = "unique" if "exists" in str(error) else "rule"
            raise exceptions.ValidationError({"detail": [str(error)]}, code=code) from error

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        macro_delete(tenant=self.tenant, actor=_actor(self.request), macro=instance)

    @extend_schema(
        request=MacroRunSerializer,
        responses={
            200: MacroRunResultSerializer,
            422: OpenApiResponse(description="No such conversation (or not visible)."),
        },
        description="Run the macro's actions in order on a conversation. An action that "
        "fails is reported in `actions` (with its `error`); the others stay done.",
    )
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        macro = self.get_object()
        serializer = MacroRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        conversation = (
            conversation_queryset(
                tenant=self.tenant,
                user=_actor(request),
                membership=getattr(request._request, "membership", None),
                filters=ConversationFilters(status="all"),
            )
            .select_related("tenant", "channel", "contact")
            .filter(pk=serializer.validated_data["conversation"])
            .first()
        )
        if conversation is None:
            raise exceptions.ValidationError(
                {"conversation": ["No such conversation."]}, code="does_not_exist"
            )
        result = macro_run(macro=macro, conversation=conversation, actor=_actor(request))
        return Response(
            {
                "conversation": conversation.pk,
                "ok": not result.failed,
                "summary": result.summary(),
                "actions": [
                    {
                        "position": o.position,
                        "type": o.type,
                        "label": o.label,
                        "ok": o.ok,
                        "error": o.error,
                    }
                    for o in result.outcomes
                ],
            }
        )
