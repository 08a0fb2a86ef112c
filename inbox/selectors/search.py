"""Accent-insensitive search over the whole message history and contacts.

PostgreSQL's full-text search cannot find a word inside Thai text (no spaces between words,
the `simple` configuration makes the whole sentence one token), so search is substring
matching served by pg_trgm GIN indexes on `parley_search_norm(...)` (lower + unaccent, made
IMMUTABLE in migration 0004): a Thai word inside a Thai sentence, a Vietnamese word typed
without its accents and an English word are all found, at any age.

Contacts are also found by their channel identities (a WhatsApp number, a TikTok username)
and by their phone number in any format: a query that is a phone number becomes its
international and national digits (``inbox.phone_numbers.search_digits``, read with the
business's country), looked up in the digits of contacts' phones and in identities, each
through its own trigram index (migration 0007).
"""

from __future__ import annotations

from django.db.models import F, Func, Q, TextField, Value

from inbox.models import Contact, ContactIdentity, Message
from inbox.phone_numbers import search_digits

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


def phone_digits_expression():
    # Must match the indexed expression of contact_phone_digits_trgm exactly.
    return Func(
        F("phone"),
        Value("[^0-9]+"),
        Value(""),
        Value("g"),
        function="regexp_replace",
        output_field=TextField(),
    )


def identity_search_expression():
    # Must match the indexed expression of identity_search_trgm exactly.
    return Func(
        F("external_id"),
        F("username"),
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


def _contact_matches(tenant, query: str):
    """(contacts whose name, phone or email match, identities that match): two querysets,
    each served by its own trigram indexes."""
    text = SearchNorm(Value(query))
    by_contact = Q(search_text__contains=text)
    by_identity = Q(search_text__contains=text)
    for digits in search_digits(query, tenant.country):
        by_contact |= Q(phone_digits__contains=digits)
        by_identity |= Q(search_text__contains=digits)
    contacts = (
        Contact.objects.for_tenant(tenant)
        .annotate(search_text=contact_search_expression(), phone_digits=phone_digits_expression())
        .filter(by_contact)
    )
    identities = (
        ContactIdentity.objects.for_tenant(tenant)
        .annotate(search_text=identity_search_expression())
        .filter(by_identity)
    )
    return contacts, identities


def matching_contact_ids(*, tenant, query: str):
    """A subquery of the ids of the tenant's contacts whose name, phone (in any format), email
    or channel identity contains the query."""
    query = _usable(query)
    if not query:
        return Contact.objects.none().values("pk")
    contacts, identities = _contact_matches(tenant, query)
    return contacts.values("pk").union(identities.values("contact_id"))


def conversation_ids_matching(*, tenant, query: str) -> Q:
    """A filter for conversations whose messages or contact match the query."""
    if not _usable(query):
        return Q(pk__in=[])
    return Q(pk__in=matching_messages(tenant=tenant, query=query).values("conversation_id")) | Q(
        contact_id__in=matching_contact_ids(tenant=tenant, query=query)
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
    """The first contacts by name that match. Direct matches and matches through an identity
    are fetched apart (each an index scan and a top-N sort, not a join over all contacts)."""
    query = _usable(query)
    if not query:
        return []
    contacts, identities = _contact_matches(tenant, query)
    first = list(contacts.order_by("name", "id").values_list("pk", flat=True)[:limit])
    by_identity = Contact.objects.for_tenant(tenant).filter(pk__in=identities.values("contact_id"))
    first += by_identity.order_by("name", "id").values_list("pk", flat=True)[:limit]
    ordered = Contact.objects.for_tenant(tenant).filter(pk__in=first).order_by("name", "id")
    return list(ordered[:limit])
