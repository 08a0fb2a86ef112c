"""The comments API: `/api/v1/posts/` and `/api/v1/comments/` (read with `inbox.view`; act
with `inbox.reply`). Comments are those of conversations the caller may see; every action
goes through `inbox.services.comments` (the provider's limits checked there, 422 when
refused)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from inbox.api import ID_REGEX, Unprocessable, _actor, _membership
from inbox.models import Comment, Post
from inbox.selectors.conversations import visible_conversations
from inbox.services.comments import CommentActionRefused, comment_act
from tenants.api import TenantScopedViewSet
from tenants.api_filters import IdFilter
from tenants.idempotency import IdempotentMixin
from tenants.pagination import KeysetCursorPagination


class PostSerializer(serializers.ModelSerializer):
    provider_post_id = serializers.CharField(source="external_id", read_only=True)
    channel_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "channel_id",
            "provider_post_id",
            "caption",
            "thumbnail_url",
            "permalink",
            "media_type",
            "ad_id",
            "ad_title",
            "created_at",
        ]
        read_only_fields = fields


class CommentSerializer(serializers.ModelSerializer):
    provider_comment_id = serializers.CharField(source="external_id", read_only=True)
    parent_provider_comment_id = serializers.CharField(source="parent_external_id", read_only=True)
    channel_id = serializers.IntegerField(read_only=True)
    conversation_id = serializers.IntegerField(read_only=True, allow_null=True)
    message_id = serializers.IntegerField(read_only=True, allow_null=True)
    contact_id = serializers.IntegerField(read_only=True, allow_null=True)
    private_reply_conversation_id = serializers.IntegerField(read_only=True, allow_null=True)
    is_reply = serializers.BooleanField(read_only=True)
    post = PostSerializer(read_only=True)

    class Meta:
        model = Comment
        fields = [
            "id",
            "channel_id",
            "conversation_id",
            "message_id",
            "contact_id",
            "provider_comment_id",
            "parent_provider_comment_id",
            "post",
            "author_name",
            "is_own",
            "is_reply",
            "is_live",
            "text",
            "state",
            "liked",
            "answered",
            "private_reply_conversation_id",
            "commented_at",
            "edited_at",
        ]
        read_only_fields = fields


class CommentTextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=8000, trim_whitespace=True)


class CommentFilter(django_filters.FilterSet):
    post = IdFilter(field_name="post_id")
    conversation = IdFilter(field_name="conversation_id")
    channel = IdFilter(field_name="channel_id")
    state = django_filters.ChoiceFilter(choices=Comment.State.choices)

    class Meta:
        model = Comment
        fields = ["post", "conversation", "channel", "state"]


class CommentPagination(KeysetCursorPagination):
    ordering = ("-commented_at", "-id")


class PostPagination(KeysetCursorPagination):
    ordering = ("-created_at", "-id")


REFUSED = OpenApiResponse(
    description="The provider's rules refuse this action (TikTok's 150 characters, one "
    "private reply per comment within 7 days, …); nothing was done."
)


class PostViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet):
    """The business's posts and videos that have comments."""

    queryset = Post.objects.all()
    lookup_value_regex = ID_REGEX
    serializer_class = PostSerializer
    read_permission = "inbox.view"
    pagination_class = PostPagination
    filter_backends = []


class CommentViewSet(
    IdempotentMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantScopedViewSet
):
    """Public comments under the business's posts and videos, and the actions on them."""

    queryset = Comment.objects.all()
    lookup_value_regex = ID_REGEX
    serializer_class = CommentSerializer
    read_permission = "inbox.view"
    write_permission = "inbox.reply"
    pagination_class = CommentPagination
    filterset_class = CommentFilter

    def scoped_queryset(self, queryset):
        user = self.request.user if self.request.user.is_authenticated else None
        visible = visible_conversations(
            tenant=self.tenant, user=user, membership=_membership(self.request)
        )
        return queryset.filter(placeholder=False, conversation__in=visible).select_related("post")

    def _act(self, request, name, *, text=""):
        comment = self.get_object()
        try:
            result = comment_act(comment=comment, action=name, text=text, actor=_actor(request))
        except CommentActionRefused as exc:
            raise Unprocessable(exc.reason, code="comment_action_refused") from exc
        return comment, result

    def _with_text(self, request, name):
        serializer = CommentTextSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._act(request, name, text=serializer.validated_data["text"])

    @extend_schema(
        request=CommentTextSerializer,
        responses={201: CommentSerializer, 422: REFUSED},
        description="Reply publicly, threaded under the comment; answers the shop's new comment.",
    )
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        _comment, reply = self._with_text(request, "reply")
        return Response(CommentSerializer(reply).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CommentTextSerializer,
        responses={200: CommentSerializer, 422: REFUSED},
        description="Reply privately (one message per comment, within 7 days): opens a "
        "direct-message conversation, `private_reply_conversation_id`.",
    )
    @action(detail=True, methods=["post"], url_path="private-reply")
    def private_reply(self, request, pk=None):
        comment, _conversation = self._with_text(request, "private_reply")
        return Response(CommentSerializer(Comment.objects.get(pk=comment.pk)).data)

    def _simple(self, request, name):
        comment, _result = self._act(request, name)
        return Response(CommentSerializer(Comment.objects.get(pk=comment.pk)).data)

    @extend_schema(request=None, responses={200: CommentSerializer, 422: REFUSED})
    @action(detail=True, methods=["post"])
    def hide(self, request, pk=None):
        return self._simple(request, "hide")

    @extend_schema(request=None, responses={200: CommentSerializer, 422: REFUSED})
    @action(detail=True, methods=["post"])
    def unhide(self, request, pk=None):
        return self._simple(request, "unhide")

    @extend_schema(request=None, responses={200: CommentSerializer, 422: REFUSED})
    @action(detail=True, methods=["post"])
    def like(self, request, pk=None):
        return self._simple(request, "like")

    @extend_schema(request=None, responses={200: CommentSerializer, 422: REFUSED})
    @action(detail=True, methods=["post"])
    def unlike(self, request, pk=None):
        return self._simple(request, "unlike")

    @extend_schema(
        request=None,
        responses={200: CommentSerializer, 422: REFUSED},
        description="Delete the comment at the provider (TikTok: the account's own comments "
        "only); it stays listed with `state: deleted` and no text.",
    )
    @action(detail=True, methods=["post"])
    def delete(self, request, pk=None):
        return self._simple(request, "delete")
