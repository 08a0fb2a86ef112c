"""Accent-insensitive search over the whole message history and contacts.

PostgreSQL's full-text search cannot find a word inside Thai text (no spaces between words,
the `simple` configuration makes the whole sentence one token), so search is substring
matching served by pg_trgm GIN indexes on `parley_search_norm(...)` (lower + unaccent, made
IMMUTABLE in migration 0004): a Thai word inside a Thai sentence, a Vietnamese word typed
without its accents and an English word are all found, at any age.

Contacts are also found by their channel identities (a WhatsApp number, a TikTok username)
and by their phone number in any format: a query that is a phone number becomes its
international and national digits (``inbox.phone_numbers.search_digits``, read with the
business's country); every way of writing a number ends with the same digits, so stored
phones and identities are matched by how their digits end, a B-tree prefix scan on the
reversed digits (migration 0008).
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


def phone_digits_reversed():
    # Must match the indexed expression of contact_phone_digits_suffix exactly.
    digits = Func(F("phone"), Value("[^0-9]+"), Value(""), Value("g"), function="regexp_replace")
    return Func(digits, function="reverse", output_field=TextField())


def external_id_reversed():
    # Must match the indexed expression of identity_external_id_suffix exactly.
    return Func(F("external_id"), function="reverse", output_field=TextField())


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
    each served by its own indexes. A phone number is matched by the end of the digits."""
    text = SearchNorm(Value(query))
    by_contact = Q(search_text__contains=text)
    by_identity = Q(search_text__contains=text)
    for digits in search_digits(query, tenant.country):
        by_contact |= Q(phone_reversed__startswith=digits[::-1])
        by_identity |= Q(external_id_reversed__startswith=digits[::-1])
    contacts = (
        Contact.objects.for_tenant(tenant)
        .annotate(search_text=contact_search_expression(), phone_reversed=phone_digits_reversed())
        .filter(by_contact)
    )
    identities = (
        ContactIdentity.objects.for_tenant(tenant)
        .annotate(
            search_text=identity_search_expression(), external_id_reversed=external_id_reversed()
        )
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
    direct = list(contacts.order_by("name", "id")[:limit])
    scope = Contact.objects.for_tenant(tenant)
    through = list(
        scope.filter(pk__in=identities.values("contact_id"))
        .exclude(pk__in=[c.pk for c in direct])
        .order_by("name", "id")[:limit]
    )
    if not through:
        return direct
    both = scope.filter(pk__in=[c.pk for c in direct + through])
    return list(both.order_by("name", "id")[:limit])
