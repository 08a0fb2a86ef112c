from django.contrib.auth import get_user_model
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from inbox.models import (
    Attachment,
    Channel,
    Contact,
    ContactIdentity,
    Conversation,
    Label,
    Message,
    Team,
)

User = get_user_model()
MAX_ID = 2**63 - 1
_DATETIME = serializers.DateTimeField()


def _dt(value):
    return None if value is None else _DATETIME.to_representation(value)


# What contact_update accepts: + - ( ) . and spaces around at least 5 digits, or blank.
PHONE_PATTERN = r"^(?:[\s\x1c-\x1f]+|[-+().\s\x1c-\x1f]*(?:[0-9][-+().\s\x1c-\x1f]*){5,})$"


def _has_null_character(value) -> bool:
    """PostgreSQL cannot store U+0000 in text or JSON."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_null_character(k) or _has_null_character(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_null_character(v) for v in value)
    return False


def _user_name(user) -> str:
    return user.get_full_name() or user.first_name or user.email


class LabelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "name", "color", "description", "created_at"]
        read_only_fields = ["id", "created_at"]

    def validate_name(self, value):
        tenant = self.context["request"].tenant
        clash = Label.objects.for_tenant(tenant).filter(name__iexact=value.strip())
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(
                _("A label with this name already exists."), code="unique"
            )
        return value.strip()


class LabelBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Label
        fields = ["id", "name", "color"]
        read_only_fields = fields


# --- Channels -------------------------------------------------------------------------------------
class ChannelSerializer(serializers.ModelSerializer):
    """A connected account. Credentials are never exposed."""

    class Meta:
        model = Channel
        fields = ["id", "provider", "name", "account_id", "status", "created_at", "updated_at"]
        read_only_fields = fields


# --- Contacts -------------------------------------------------------------------------------------
class ContactIdentitySerializer(serializers.ModelSerializer):
    provider = serializers.CharField(source="channel.provider", read_only=True)

    class Meta:
        model = ContactIdentity
        fields = ["channel_id", "provider", "external_id", "username"]
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    identities = ContactIdentitySerializer(many=True, read_only=True)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.RegexField(
        PHONE_PATTERN,
        max_length=40,
        required=False,
        allow_blank=True,
        error_messages={"invalid": "Enter a phone number (digits, spaces, + - ( ) .)."},
        help_text="Digits (at least 5), spaces and + - ( ) .",
    )
    # Blank is a valid value, so no `format: email` / `format: uri` in the schema.
    email = serializers.CharField(
        required=False, allow_blank=True, max_length=254, validators=[EmailValidator()]
    )
    avatar_url = serializers.CharField(read_only=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=10_000)
    custom_attributes = serializers.DictField(
        required=False,
        help_text="Free-form attributes. On update, keys are merged; a null value removes a key.",
    )

    class Meta:
        model = Contact
        fields = [
            "id",
            "name",
            "phone",
            "email",
            "avatar_url",
            "notes",
            "custom_attributes",
            "identities",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "avatar_url", "identities", "created_at", "updated_at"]

    def validate_custom_attributes(self, value):
        if len(str(value)) > 20_000:
            raise serializers.ValidationError(_("Custom attributes are too large."))
        if _has_null_character(value):
            raise serializers.ValidationError(_("Null characters are not allowed."))
        return value


class ContactBriefSerializer(serializers.ModelSerializer):
    email = serializers.CharField(read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "name", "phone", "email"]
        read_only_fields = fields


# --- Conversations --------------------------------------------------------------------------------
class UserBriefSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    email = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "name"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, user) -> str:
        return _user_name(user)


class TeamBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name"]
        read_only_fields = fields


class TeamSerializer(serializers.ModelSerializer):
    member_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=1000,
        help_text="User ids of the team's members (owners, admins or agents of the business); "
        "a write replaces the whole list.",
    )

    class Meta:
        model = Team
        fields = ["id", "name", "member_ids", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"name": {"max_length": 80}}

    def to_representation(self, team):
        return {
            "id": team.pk,
            "name": team.name,
            "member_ids": sorted(m.user_id for m in team.members.all()),
            "created_at": _dt(team.created_at),
        }

    def validate_name(self, value):
        if _has_null_character(value) or not value.strip():
            raise serializers.ValidationError(_("A team needs a name."))
        return value.strip()


class TeamRefSerializer(serializers.Serializer):
    team = serializers.IntegerField(
        allow_null=True, min_value=1, max_value=MAX_ID, help_text="A team id, or null for none."
    )


class ConversationSerializer(serializers.ModelSerializer):
    contact = ContactBriefSerializer(read_only=True)
    channel_id = serializers.IntegerField(read_only=True)
    provider = serializers.CharField(source="channel.provider", read_only=True)
    assignee = UserBriefSerializer(read_only=True, allow_null=True)
    team = TeamBriefSerializer(read_only=True, allow_null=True)
    labels = LabelBriefSerializer(many=True, read_only=True)

    class Meta:
        model = Conversation
        fields = [
            "id",
            "channel_id",
            "provider",
            "contact",
            "status",
            "snoozed_until",
            "priority",
            "assignee",
            "team",
            "labels",
            "last_message_at",
            "last_message_preview",
            "last_customer_message_at",
            "source",
            "ad_id",
            "campaign_id",
            "campaign_name",
            "tracking_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, c):
        """The same output as the declared fields, built directly: lists of 200
        conversations serialise several times faster than through nested serializers."""
        contact, assignee = c.contact, c.assignee
        return {
            "id": c.pk,
            "channel_id": c.channel_id,
            "provider": c.channel.provider,
            "contact": {
                "id": contact.pk,
                "name": contact.name,
                "phone": contact.phone,
                "email": contact.email,
            },
            "status": c.status,
            "snoozed_until": _dt(c.snoozed_until),
            "priority": c.priority,
            "assignee": None
            if assignee is None
            else {"id": assignee.pk, "email": assignee.email, "name": _user_name(assignee)},
            "team": None if c.team_id is None else {"id": c.team_id, "name": c.team.name},
            "labels": [
                {"id": lab.pk, "name": lab.name, "color": lab.color} for lab in c.labels.all()
            ],
            "last_message_at": _dt(c.last_message_at),
            "last_message_preview": c.last_message_preview,
            "last_customer_message_at": _dt(c.last_customer_message_at),
            "source": c.source,
            "ad_id": c.ad_id,
            "campaign_id": c.campaign_id,
            "campaign_name": c.campaign_name,
            "tracking_id": c.tracking_id,
            "created_at": _dt(c.created_at),
            "updated_at": _dt(c.updated_at),
        }


class ConversationFilterSerializer(serializers.Serializer):
    """The inbox's list filters, as query parameters."""

    status = serializers.ChoiceField(
        choices=["open", "pending", "resolved", "snoozed", "all"],
        required=False,
        default="all",
        help_text="Conversation status; `all` (the default in the API) for every status.",
    )
    assignee = serializers.RegexField(
        r"^(me|unassigned|all|[0-9]{1,18})$",
        required=False,
        default="all",
        help_text="`unassigned`, `all`, a user id, or `me` — a signed-in person only: an API "
        "key gets 403.",
    )
    channel = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Channel id."
    )
    label = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        help_text="Label id; repeat for several (every one must be on the conversation).",
    )
    unread = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only those unread by the signed-in person; an API key gets 403.",
    )
    team = serializers.RegexField(
        r"^(none|[0-9]{1,18})$",
        required=False,
        help_text="A team id, or `none` for conversations in no team.",
    )
    from_ad = serializers.BooleanField(required=False, default=False)
    campaign = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=64
    )
    has_signal = serializers.BooleanField(required=False, default=False)
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=200,
        help_text="Messages, contact names, emails, channel identities and phone numbers "
        "containing this (accent-insensitive, at least 2 characters); a phone number matches "
        "in any format.",
    )


class AssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="A member's user id, or null to unassign.",
    )


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Conversation.Status.choices)
    snoozed_until = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Required with status `snoozed`."
    )


class LabelRefSerializer(serializers.Serializer):
    label = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Label id.")


# --- Messages -------------------------------------------------------------------------------------
class AttachmentSerializer(serializers.ModelSerializer):
    url = serializers.CharField(read_only=True)

    class Meta:
        model = Attachment
        fields = ["id", "kind", "url", "mime_type", "size"]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    attachments = AttachmentSerializer(many=True, read_only=True)
    author_user_id = serializers.IntegerField(read_only=True, allow_null=True)
    reply_to_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "conversation_id",
            "kind",
            "direction",
            "author_kind",
            "author_user_id",
            "rule_name",
            "text",
            "status",
            "error_code",
            "error_message",
            "provider_message_id",
            "reply_to_id",
            "attachments",
            "created_at",
            "sent_at",
            "delivered_at",
            "read_at",
        ]
        read_only_fields = fields

    def to_representation(self, m):
        """The declared fields, built directly (see ConversationSerializer)."""
        return {
            "id": m.pk,
            "conversation_id": m.conversation_id,
            "kind": m.kind,
            "direction": m.direction,
            "author_kind": m.author_kind,
            "author_user_id": m.author_user_id,
            "rule_name": m.rule_name,
            "text": m.text,
            "status": m.status,
            "error_code": m.error_code,
            "error_message": m.error_message,
            "provider_message_id": m.provider_message_id,
            "reply_to_id": m.reply_to_id,
            "attachments": [
                {"id": a.pk, "kind": a.kind, "url": a.url, "mime_type": a.mime_type, "size": a.size}
                for a in m.attachments.all()
            ],
            "created_at": _dt(m.created_at),
            "sent_at": _dt(m.sent_at),
            "delivered_at": _dt(m.delivered_at),
            "read_at": _dt(m.read_at),
        }


class MessageSendSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20_000, trim_whitespace=True)
    reply_to = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        allow_null=True,
        help_text="Id of a message of this conversation.",
    )
    automated = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Sent by an automation rather than a person (stricter reply windows).",
    )
