"""The inbox's REST API: contacts, conversations and their messages, labels, channels.

Views only translate HTTP to the inbox's selectors and services (conversation_queryset,
message_send, conversation_assign, …): no business rules live here.
"""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from inbox.api_contact_merge import ContactMergeMixin
from inbox.api_templates import TemplateSendMixin
from inbox.automation.services.labels import label_create, label_delete, label_update
from inbox.models import Channel, Contact, ContactIdentity, Conversation, Label, Message, Team
from inbox.selectors.search import matching_contact_ids
from inbox.serializers import (
    AssignSerializer,
    ChannelSerializer,
    ContactSerializer,
    ConversationFilterSerializer,
    ConversationSerializer,
    LabelRefSerializer,
    LabelSerializer,
    MessageSendSerializer,
    MessageSerializer,
    StatusSerializer,
    TeamRefSerializer,
)
from tenants.api import TenantScopedViewSet
from tenants.api_filters import IdFilter, filtered
from tenants.idempotency import IdempotentMixin
from tenants.pagination import KeysetCursorPagination

# Object ids in URLs: digits that fit a bigint (anything else is a 404, never a database error).
ID_REGEX = r"\d{1,18}"
MAX_ID = 2**63 - 1


class Unprocessable(exceptions.APIException):
    """422: understood, but the inbox refuses it (reply window closed, empty message, …)."""

    status_code = 422
    default_detail = "The request cannot be carried out."
    default_code = "unprocessable"


def _actor(request):
    return request.user if request.user.is_authenticated else None


def _membership(request):
    return getattr(request._request, "membership", None)


# --- Labels ---------------------------------------------------------------------------------------
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
    lookup_value_regex = ID_REGEX
    serializer_class = LabelSerializer
    read_permission = "inbox.view"
    write_permission = "labels.manage"
    ordering = "name"

    # Through the same services as the labels page: audited, and a deleted label disables
    # the rules that required it.
    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = label_create(
            tenant=self.tenant,
            actor=_actor(self.request),
            name=data["name"],
            color=data.get("color", Label._meta.get_field("color").default),
            description=data.get("description", ""),
        )

    def perform_update(self, serializer):
        label = serializer.instance
        data = serializer.validated_data
        serializer.instance = label_update(
            tenant=self.tenant,
            actor=_actor(self.request),
            label=label,
            name=data.get("name", label.name),
            color=data.get("color", label.color),
            description=data.get("description", label.description),
        )

    def perform_destroy(self, instance):
        label_delete(tenant=self.tenant, actor=_actor(self.request), label=instance)


# --- Channels -------------------------------------------------------------------------------------
class ChannelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """Connected channels (read-only; credentials are never exposed)."""

    queryset = Channel.objects.all()
    lookup_value_regex = ID_REGEX
    serializer_class = ChannelSerializer
    read_permission = "inbox.view"
    write_permission = "channels.manage"
    filterset_fields = ["provider", "status"]

    def scoped_queryset(self, queryset):
        return queryset.defer("credentials")


# --- Contacts -------------------------------------------------------------------------------------
class ContactFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        help_text="Name, email, channel identity or phone contains (accent-insensitive, at least "
        "2 characters); a phone number matches in any format (+84 91 234 5678, 0912345678 "
        "read with the business's country, 84912345678).",
    )
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    phone = django_filters.CharFilter(field_name="phone")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    channel = IdFilter(
        method="filter_channel", help_text="Contacts with an identity on this channel."
    )

    class Meta:
        model = Contact
        fields = []

    def filter_q(self, queryset, name, value):
        if not value.strip():
            return queryset
        return queryset.filter(pk__in=matching_contact_ids(tenant=self.request.tenant, query=value))

    def filter_channel(self, queryset, name, value):
        return queryset.filter(identities__channel_id=value).distinct()


class ContactPagination(KeysetCursorPagination):
    ordering = ("-id",)


class ContactViewSet(
    ContactMergeMixin,
    IdempotentMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TenantScopedViewSet,
):
    """The tenant's contacts (customers), with their identities on each channel."""

    queryset = Contact.objects.all()
    lookup_value_regex = ID_REGEX
    serializer_class = ContactSerializer
    read_permission = "inbox.view"
    write_permission = "inbox.reply"
    filterset_class = ContactFilter
    pagination_class = ContactPagination

    def scoped_queryset(self, queryset):
        identities = (
            ContactIdentity.objects.for_tenant(self.tenant)
            .select_related("channel")
            .defer("channel__credentials", "channel__settings")
        )
        return queryset.prefetch_related(Prefetch("identities", queryset=identities))

    def perform_create(self, serializer):
        from inbox.services.contact_records import contact_create

        data = serializer.validated_data
        serializer.instance = contact_create(tenant=self.tenant, actor=_actor(self.request), **data)

    def perform_update(self, serializer):
        from inbox.services.contact_records import contact_update_details

        data = dict(serializer.validated_data)
        contact = serializer.instance
        basics = {k: data.pop(k) for k in ("name", "phone", "email") if k in data}
        if basics:
            from inbox.services.contacts import ContactEditError, contact_update

            try:
                contact = contact_update(contact=contact, actor=_actor(self.request), **basics)
            except ContactEditError as exc:
                raise exceptions.ValidationError(exc.errors) from exc
        if data:
            contact = contact_update_details(contact=contact, actor=_actor(self.request), **data)
        serializer.instance = contact


# --- Conversations --------------------------------------------------------------------------------
class ConversationPagination(KeysetCursorPagination):
    ordering = ("-last_message_at", "-id")


class MessagePagination(KeysetCursorPagination):
    ordering = ("-created_at", "-id")


class MessageFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=Message.Kind.choices)
    direction = django_filters.ChoiceFilter(choices=Message.Direction.choices)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Message
        fields = []


def _filters_from(request):
    """The inbox's ConversationFilters from validated query parameters."""
    from inbox.selectors.conversations import ConversationFilters

    params = ConversationFilterSerializer(
        data={
            **{k: v for k, v in request.query_params.items() if k != "label"},
            **(
                {"label": request.query_params.getlist("label")}
                if "label" in request.query_params
                else {}
            ),
        }
    )
    params.is_valid(raise_exception=True)
    data = params.validated_data
    signed_in = request.user is not None and request.user.is_authenticated
    if not signed_in and (data["assignee"] == "me" or data["unread"]):
        raise exceptions.PermissionDenied(
            "`assignee=me` and `unread=true` need a signed-in person; an API key is not one."
        )
    return ConversationFilters(
        status=data["status"],
        assignee=str(data["assignee"]),
        channel_id=data.get("channel"),
        label_ids=tuple(sorted(set(data.get("label", [])))),
        unread_only=data["unread"],
        from_ad=data["from_ad"],
        campaign_id=data.get("campaign", "").strip(),
        has_signal=data["has_signal"],
        query=data.get("q", ""),
        team=data.get("team", ""),
    )


# What ConversationSerializer reads: never the attribution JSON, credentials or passwords.
CONVERSATION_COLUMNS = (
    *[
        f
        for f in ConversationSerializer.Meta.fields
        if f not in ("provider", "contact", "assignee", "team", "labels")
    ],
    "tenant_id",
    "contact_id",
    "assignee_id",
    "channel__provider",
    "contact__name",
    "contact__phone",
    "contact__email",
    "assignee__email",
    "assignee__first_name",
    "assignee__last_name",
    "team_id",
    "team__name",
)


class ConversationViewSet(
    IdempotentMixin,
    TemplateSendMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantScopedViewSet,
):
    """Conversations, filtered like the inbox; with their messages and the agent actions."""

    queryset = Conversation.objects.all()
    lookup_value_regex = ID_REGEX
    serializer_class = ConversationSerializer
    read_permission = "inbox.view"
    write_permission = "inbox.reply"
    pagination_class = ConversationPagination
    filter_backends = []

    def scoped_queryset(self, queryset):
        from inbox.selectors.conversations import ConversationFilters, conversation_queryset

        user = self.request.user if self.request.user.is_authenticated else None
        filters = (
            _filters_from(self.request)
            if self.action == "list"
            else ConversationFilters(status="all")
        )
        qs = conversation_queryset(
            tenant=self.tenant, user=user, membership=_membership(self.request), filters=filters
        )
        labels = Label.objects.for_tenant(self.tenant).only("id", "name", "color")
        return (
            qs.select_related("contact", "channel", "assignee", "team")
            .only(*CONVERSATION_COLUMNS)
            .prefetch_related(Prefetch("labels", queryset=labels.order_by("name")))
        )

    @extend_schema(parameters=[ConversationFilterSerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    # --- messages ---
    @extend_schema(
        methods=["GET"],
        responses=MessageSerializer(many=True),
        parameters=[
            OpenApiParameter("kind", str, enum=Message.Kind.values),
            OpenApiParameter("direction", str, enum=Message.Direction.values),
            OpenApiParameter("created_after", OpenApiTypes.DATETIME, description="ISO 8601"),
        ],
        description="The conversation's messages, notes and activity, newest first.",
    )
    @extend_schema(
        methods=["POST"],
        request=MessageSendSerializer,
        responses={
            201: MessageSerializer,
            422: OpenApiResponse(
                description="The reply window is closed, or the provider "
                "would refuse the message; nothing was stored."
            ),
        },
        description="Send a message to the customer (queued, then delivered by the channel).",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=MessagePagination)
    def messages(self, request, pk=None):
        conversation = self.get_object()
        if request.method == "POST":
            return self._send(request, conversation)
        filterset = MessageFilter(
            request.query_params,
            queryset=Message.objects.for_tenant(self.tenant)
            .filter(conversation=conversation)
            .defer("metadata")
            .prefetch_related("attachments"),
        )
        messages = filtered(filterset)
        page = self.paginate_queryset(messages)
        return self.get_paginated_response(MessageSerializer(page, many=True).data)

    def _send(self, request, conversation):
        from inbox.services.sending import MessageRejected, ReplyWindowClosed, message_send

        serializer = MessageSendSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        reply_to = None
        if data.get("reply_to"):
            reply_to = (
                Message.objects.for_tenant(self.tenant)
                .filter(conversation=conversation, pk=data["reply_to"])
                .first()
            )
            if reply_to is None:
                raise exceptions.ValidationError(
                    {"reply_to": "No such message here."}, code="does_not_exist"
                )
        try:
            message = message_send(
                conversation=conversation,
                text=data["text"],
                author_user=_actor(request),
                author_kind="bot" if data["automated"] else "agent",
                reply_to=reply_to,
            )
        except ReplyWindowClosed as exc:
            raise Unprocessable(exc.reason, code="reply_window_closed") from exc
        except MessageRejected as exc:
            raise Unprocessable(exc.reason, code="message_rejected") from exc
        return Response(MessageSerializer(message).data, status=status.HTTP_201_CREATED)

    # --- actions ---
    def _run(self, service, **kwargs):
        from inbox.services.conversations import ConversationActionError

        try:
            service(**kwargs)
        except ConversationActionError as exc:
            raise exceptions.ValidationError({"detail": str(exc)}, code="rule") from exc
        return Response(ConversationSerializer(self.get_object()).data)

    @extend_schema(request=AssignSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign the conversation to a member (or unassign it with null)."""
        from inbox.services.conversations import (
            ConversationActionError,
            assignable_member,
            conversation_assign,
        )

        conversation = self.get_object()
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assignee = None
        if serializer.validated_data["assignee"] is not None:
            try:
                assignee = assignable_member(
                    tenant=self.tenant, user_id=serializer.validated_data["assignee"]
                )
            except ConversationActionError as exc:
                raise exceptions.ValidationError({"assignee": [str(exc)]}, code="rule") from exc
        return self._run(
            conversation_assign,
            conversation=conversation,
            assignee=assignee,
            actor=_actor(request),
        )

    @extend_schema(request=TeamRefSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def team(self, request, pk=None):
        """Queue the conversation to a team (or to none with null); the agent stays."""
        from inbox.services.teams import conversation_assign_team

        conversation = self.get_object()
        serializer = TeamRefSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        team = None
        if serializer.validated_data["team"] is not None:
            team = Team.objects.for_tenant(self.tenant).filter(pk=serializer.validated_data["team"])
            team = team.first()
            if team is None:
                raise exceptions.ValidationError({"team": "No such team."}, code="does_not_exist")
        return self._run(
            conversation_assign_team, conversation=conversation, team=team, actor=_actor(request)
        )

    @extend_schema(request=StatusSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Open, pend, resolve or snooze (until `snoozed_until`) the conversation."""
        from inbox.services.conversations import conversation_set_status

        conversation = self.get_object()
        serializer = StatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._run(
            conversation_set_status,
            conversation=conversation,
            status=serializer.validated_data["status"],
            snoozed_until=serializer.validated_data.get("snoozed_until"),
            actor=_actor(request),
        )

    def _label(self, label_id):
        label = Label.objects.for_tenant(self.tenant).filter(pk=label_id).first()
        if label is None:
            raise exceptions.ValidationError({"label": "No such label."}, code="does_not_exist")
        return label

    @extend_schema(request=LabelRefSerializer, responses=ConversationSerializer)
    @action(detail=True, methods=["post"])
    def labels(self, request, pk=None):
        """Put a label on the conversation."""
        from inbox.services.conversations import conversation_add_label

        conversation = self.get_object()
        serializer = LabelRefSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        label = self._label(serializer.validated_data["label"])
        return self._run(
            conversation_add_label, conversation=conversation, label=label, actor=_actor(request)
        )

    @extend_schema(
        request=None,
        responses={200: ConversationSerializer},
        parameters=[OpenApiParameter("label_id", int, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["delete"], url_path=r"labels/(?P<label_id>\d{1,18})")
    def remove_label(self, request, pk=None, label_id=None):
        """Take a label off the conversation."""
        from inbox.services.conversations import conversation_remove_label

        conversation = self.get_object()
        label = Label.objects.for_tenant(self.tenant).filter(pk=label_id).first()
        if label is None:
            raise exceptions.NotFound()
        return self._run(
            conversation_remove_label,
            conversation=conversation,
            label=label,
            actor=_actor(request),
        )
