"""Accent-insensitive search over the whole message history and contacts.

PostgreSQL's full-text search cannot find a word inside Thai text (no spaces between words,
the `simple` configuration makes the whole sentence one token), so search is substring
matching served by pg_trgm GIN indexes on `parley_search_norm(...)` (lower + unaccent, made
IMMUTABLE in migration 0004): a Thai word inside a Thai sentence, a Vietnamese word typed
without its accents and an English word are all found, at any age.
"""

from __future__ import annotations

from django.db.models import F, Func, Q, TextField, Value

from inbox.models import Contact, Message

MIN_QUERY_LENGTH = 2


class SearchNorm(Func):
    """parley_search_norm(x): lower-cased, accents removed (IMMUTABLE, indexable)."""

    function = "parley_search_norm"
    output_field = TextField()


def contact_search_expression():
    # Must match the indexed expression of contact_search_trgm exactly:
    # parley_search_norm(name || ' ' || phone || ' ' || email). (Concat() would wrap each
    # part in COALESCE and miss the index; the columns are NOT NULL anyway.)
    return Func(
        F("name"),
        F("phone"),
        F("email"),
        template="parley_search_norm(%(expressions)s)",
        arg_joiner=" || ' ' || ",
        output_field=TextField(),
    )


def _usable(query: str) -> str:
    query = " ".join((query or "").split())
    return query if len(query) >= MIN_QUERY_LENGTH else ""


def matching_messages(*, tenant, query: str):
    """Messages and notes of the tenant whose text contains the query (unordered)."""
    query = _usable(query)
    if not query:
        return Message.objects.none()
    return (
        Message.objects.for_tenant(tenant)
        .exclude(kind=Message.Kind.ACTIVITY)
        .annotate(search_text=SearchNorm("text"))
        .filter(search_text__contains=SearchNorm(Value(query)))
    )


def matching_contacts(*, tenant, query: str):
    query = _usable(query)
    if not query:
        return Contact.objects.none()
    return (
        Contact.objects.for_tenant(tenant)
        .annotate(search_text=contact_search_expression())
        .filter(search_text__contains=SearchNorm(Value(query)))
    )


def conversation_ids_matching(*, tenant, query: str) -> Q:
    """A filter for conversations whose messages or contact match the query."""
    if not _usable(query):
        return Q(pk__in=[])
    return Q(pk__in=matching_messages(tenant=tenant, query=query).values("conversation_id")) | Q(
        contact_id__in=matching_contacts(tenant=tenant, query=query).values("pk")
    )


def message_search(*, tenant, conversations, query: str, limit: int = 20) -> list:
    """The newest messages matching the query among these (visible) conversations."""
    qs = (
        matching_messages(tenant=tenant, query=query)
        .filter(conversation__in=conversations.values("pk"))
        .select_related("conversation__contact", "conversation__channel")
        .order_by("-created_at", "-id")
    )
    return list(qs[:limit])


def contact_search(*, tenant, query: str, limit: int = 10) -> list:
    return list(matching_contacts(tenant=tenant, query=query).order_by("name", "id")[:limit])
