"""The `data` of each outbound webhook event: one builder per entity, used by every producer
of its events (the inbox, the API, the workers, automation), so a CRM sees one shape per event
type (docs/api.md). Order and booking events use the API's own serializers
(`inbox.commerce.services`); `signal.reported` is built by `signals_app.sending`."""

from __future__ import annotations


def _iso(value):
    return value.isoformat() if value else None


def message_payload(message) -> dict:
    """`message.created`, `message.updated`."""
    return {
        "id": message.pk,
        "conversation_id": message.conversation_id,
        "channel_id": message.channel_id,
        "kind": message.kind,
        "direction": message.direction,
        "author_kind": message.author_kind,
        "text": message.text,
        "status": message.status,
        "provider_message_id": message.provider_message_id,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "created_at": _iso(message.created_at),
    }


def comment_payload(comment) -> dict:
    """`comment.created`, `comment.updated`."""
    post = comment.post
    return {
        "id": comment.pk,
        "channel_id": comment.channel_id,
        "conversation_id": comment.conversation_id,
        "message_id": comment.message_id,
        "contact_id": comment.contact_id,
        "provider_comment_id": comment.external_id,
        "parent_provider_comment_id": comment.parent_external_id,
        "post": {
            "id": post.pk,
            "provider_post_id": post.external_id,
            "caption": post.caption,
            "permalink": post.permalink,
            "ad_id": post.ad_id,
        },
        "author_name": comment.author_name,
        "is_own": comment.is_own,
        "text": comment.text,
        "state": comment.state,
        "liked": comment.liked,
        "answered": comment.answered,
        "private_reply_conversation_id": comment.private_reply_conversation_id,
        "commented_at": _iso(comment.commented_at),
        "edited_at": _iso(comment.edited_at),
    }


def conversation_payload(conversation) -> dict:
    """`conversation.created`, `conversation.updated`."""
    return {
        "id": conversation.pk,
        "channel_id": conversation.channel_id,
        "contact_id": conversation.contact_id,
        "status": conversation.status,
        "snoozed_until": _iso(conversation.snoozed_until),
        "assignee_id": conversation.assignee_id,
        "team": None
        if conversation.team_id is None
        else {"id": conversation.team_id, "name": conversation.team.name},
        "priority": conversation.priority,
        "label_ids": sorted(conversation.labels.values_list("pk", flat=True)),
        "source": conversation.source,
        "ad_id": conversation.ad_id,
        "last_message_at": _iso(conversation.last_message_at),
    }


def csat_payload(survey) -> dict:
    """`conversation.rated`: the customer's satisfaction rating (1–5) of a conversation."""
    return {
        "id": survey.pk,
        "conversation_id": survey.conversation_id,
        "channel_id": survey.channel_id,
        "contact_id": survey.conversation.contact_id,
        "rating": survey.rating,
        "reply_text": survey.reply.text if survey.reply_id else "",
        "asked_at": _iso(survey.asked_at),
        "rated_at": _iso(survey.rated_at),
    }


def contact_payload(contact) -> dict:
    """`contact.created`, `contact.updated`."""
    return {
        "id": contact.pk,
        "name": contact.name,
        "phone": contact.phone,
        "email": contact.email,
        "custom_attributes": contact.custom_attributes or {},
        "identities": [
            {"channel_id": channel_id, "external_id": external_id}
            for channel_id, external_id in contact.identities.order_by("pk").values_list(
                "channel_id", "external_id"
            )
        ],
    }
