"""Reads of satisfaction ratings (CSAT) for the thread, the contact panel and the API."""

from __future__ import annotations

from inbox.models import Contact, Conversation, CsatSurvey


def conversation_surveys(*, conversation: Conversation):
    return CsatSurvey.objects.for_tenant(conversation.tenant_id).filter(conversation=conversation)


def contact_ratings(*, contact: Contact, visible, limit: int = 5) -> list[CsatSurvey]:
    """The contact's latest ratings, from the conversations this member may see."""
    return list(
        CsatSurvey.objects.for_tenant(contact.tenant_id)
        .filter(
            conversation__contact=contact,
            conversation__in=visible,
            status=CsatSurvey.Status.RATED,
        )
        .select_related("conversation__channel")
        .order_by("-rated_at", "-id")[:limit]
    )
