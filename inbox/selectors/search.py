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

Newest first, at any size (issue 20): `search_messages` never collects every match. It
reads the tenant's newest messages in time order (index msg_tenant_recent) and stops when a
page is full — a frequent word fills a page within a few hundred rows. When `RECENT_SCAN`
rows have passed without filling the page the word is rare (fewer than a page of matches
among them), and the rest of the page comes from the trigram index, restricted to messages
older than the scanned window, sorted by time. The scanned window is the selectivity
estimate, measured instead of guessed. The list's and the API's `q` use the same estimate
(`conversation_ids_matching`); with a frequent word they check conversations as the list
walks, each ruled out from its search signature when it can be (migration 0022).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, TextField, Value, Window
from django.db.models.functions import RowNumber
from django.utils.dateparse import parse_datetime

from inbox.models import Contact, ContactIdentity, Conversation, Message
from inbox.phone_numbers import search_digits

MIN_QUERY_LENGTH = 2
# Messages read newest first before a query that has not filled its page is judged by its
# density there: read on (at most RECENT_SCAN_MAX) or go to the trigram index, whichever
# reads fewer rows — the trigram index reads every older match (about density × messages),
# and beyond TRIGRAM_MAX of them reading on is cheaper. Reading on stops at RECENT_SCAN_MAX
# rows: a word that has not filled its page by then is sparse enough for the trigram index
# (at 10M, `0812` read 45,000 rows with a 60,000 cap and then needed the index for 706
# matches anyway).
RECENT_SCAN = 5_000
RECENT_SCAN_MAX = 20_000
TRIGRAM_MAX = 3_000
# Contacts matching a query beyond which the list's `q` walks the list (see conversation_match).
MANY_CONTACTS = 1_000
# Contacts read in name order before contact search goes to the match's indexes.
CONTACT_WALK = 1_000


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
    """A filter for conversations whose messages or contact match the query.

    A frequent query is checked conversation by conversation while the list walks newest
    first (it stops at the page); a rare one collects its few matches from the trigram
    index."""
    query = _usable(query)
    if not query:
        return Q(pk__in=[])
    return conversation_match(
        tenant=tenant, query=query, frequent=is_frequent(tenant=tenant, query=query)
    )


def conversation_match(*, tenant, query: str, frequent: bool) -> Q:
    """The filter of `conversation_ids_matching` for a query known to be frequent or rare."""
    query = _usable(query)
    contact_ids = matching_contact_ids(tenant=tenant, query=query)
    if frequent:
        return Q(contact_id__in=contact_ids) | Q(mentions(query))
    if len(contact_ids[:MANY_CONTACTS]) >= MANY_CONTACTS:
        # A common name: the list walk meets a match soon, test each conversation.
        by_message = matching_messages(tenant=tenant, query=query).values("conversation_id")
        return Q(contact_id__in=contact_ids) | Q(pk__in=by_message)
    # One IN over a UNION (not an OR of two): the planner starts from the few matches and
    # fetches their conversations, instead of walking the list testing each conversation.
    by_contact = Conversation.objects.for_tenant(tenant).filter(contact_id__in=contact_ids)
    by_message = matching_messages(tenant=tenant, query=query).values("conversation_id")
    return Q(pk__in=by_message.union(by_contact.values("pk")))


@dataclass
class SearchPage:
    hits: list
    next_cursor: str | None
    strategy: str  # "recent scan" | "recent scan + trigram index" (what served the page)


def encode_search_cursor(message) -> str:
    raw = f"{message.created_at.isoformat()}|{message.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_search_cursor(cursor: str):
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        moment, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        when = parse_datetime(moment)
        return (when, int(pk)) if when is not None else None
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def _before(position) -> Q:
    when, pk = position
    # `created_at <= when` is implied by the rest, but it is what bounds the index scan:
    # without it the OR walks msg_tenant_recent from the newest message (4 s for page 2 of a
    # rare word at 10M).
    return Q(created_at__lte=when) & (Q(created_at__lt=when) | Q(created_at=when, id__lt=pk))


def _searchable(tenant, visible, position):
    """The tenant's searchable messages older than `position`, among `visible` conversations
    (None: every conversation of the tenant, no join)."""
    qs = Message.objects.for_tenant(tenant).exclude(kind=Message.Kind.ACTIVITY)
    if position is not None:
        qs = qs.filter(_before(position))
    if visible is not None:
        qs = qs.filter(Exists(visible.filter(pk=OuterRef("conversation_id"))))
    return qs.order_by("-created_at", "-id")


def _recent_scan(tenant, visible, position, query, wanted, scan=RECENT_SCAN):
    """Read the next `scan` searchable messages older than `position`, newest first.

    Returns (the ids of at most `wanted` of them containing the query, the window's last
    (created_at, id) when it was read to its end — None when the page filled first or the
    history ended inside the window). One pass: the window's last row comes back with the
    matches (`rn = scan`), so a window that does not fill the page is not read twice."""
    numbered = _searchable(tenant, visible, position).annotate(
        rn=Window(RowNumber(), order_by=[F("created_at").desc(), F("id").desc()])
    )
    sql, params = numbered.values("id", "created_at", "text", "rn")[:scan].query.sql_with_params()
    # `sql` is Django-compiled with placeholders; values travel in params. The outer filter
    # runs over the index-ordered window and stops at `wanted` rows. parley_search_norm_scan
    # equals parley_search_norm, without unaccent on ASCII text (migration 0021).
    match = "strpos(parley_search_norm_scan(w.text), parley_search_norm(%s)) > 0"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.id, w.created_at, {match}, w.rn FROM ({sql}) AS w "  # noqa: S608
            f"WHERE {match} OR w.rn = %s ORDER BY w.created_at DESC, w.id DESC LIMIT %s",
            [query, *params, query, scan, wanted],
        )
        rows = cursor.fetchall()
    ids = [pk for pk, _at, hit, _rn in rows if hit]
    end = next(((at, pk) for pk, at, _hit, rn in rows if rn == scan), None)
    return ids, (end if len(ids) < wanted else None)


def _trigram_sql(tenant, visible, position, query, wanted):
    qs = (
        _searchable(tenant, visible, position)
        .annotate(search_text=SearchNorm("text"))
        .filter(search_text__contains=SearchNorm(Value(query)))
        .values("id")[:wanted]
    )
    return qs.query.sql_with_params()


def _planned_ids(sql, params, *, off: tuple[str, ...]) -> list[int]:
    """The query's ids, planned with the given scan types off (`enable_<type> = off`).
    SET LOCAL lasts until the end of the transaction, which may be a caller's: the settings
    are put back once the query is read, so no later query in it plans without them. (On an
    error the savepoint's rollback undoes them.)"""
    with transaction.atomic(), connection.cursor() as cursor:
        for scan in off:
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
        for scan in off:
            cursor.execute(f"RESET enable_{scan}")
        return ids


def _trigram_ids(sql, params) -> list[int]:
    # Only bitmap scans: the trigram index, then a sort of its (few) matches by time. (An
    # ordered index scan would walk the whole history for a rare word.)
    return _planned_ids(sql, params, off=("seqscan", "indexscan"))


def _estimated_messages() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'inbox_message'")
        row = cursor.fetchone()
    return max(float(row[0]) if row else 0.0, 0.0)


def search_messages(
    *,
    tenant,
    query: str,
    visible=None,
    cursor: str = "",
    limit: int = 20,
    scan: int = RECENT_SCAN,
    scan_max: int = RECENT_SCAN_MAX,
    trigram_max: int = TRIGRAM_MAX,
) -> SearchPage:
    """The newest messages and notes containing the query, after `cursor` (infinite scroll).

    `visible`: the conversations the member may see, or None when they see the whole tenant.
    Same hits in the same order as reading every message newest first: each step covers the
    messages just older than the previous one's, without gaps."""
    query = _usable(query)
    if not query:
        return SearchPage([], None, "")
    position = decode_search_cursor(cursor)
    wanted = limit + 1
    ids: list[int] = []
    scanned, window, strategy = 0, scan, "recent scan"
    while True:
        found, end = _recent_scan(tenant, visible, position, query, wanted - len(ids), window)
        ids += found
        if len(ids) >= wanted:
            break
        if end is None:  # the start of the history: everything was read
            break
        scanned, position = scanned + window, end
        density = len(ids) / scanned
        # A word seen in the scanned messages but too often for the trigram index to be
        # cheaper (its matches would all be read and sorted): read on, a window as long as
        # the page needs at this density but at most 4× the last one (the density is measured
        # again on each window), `scan_max` rows in all; a rarer word goes to the trigram
        # index.
        if density and density * _estimated_messages() > trigram_max:
            needed = int((wanted - len(ids)) / density * 1.5) + 1
            if scanned < scan_max:
                window = max(1, min(needed, 4 * window, scan_max - scanned))
                strategy = "recent scan (longer)"
                continue
        strategy = f"{strategy} + trigram index"
        ids += _trigram_ids(*_trigram_sql(tenant, visible, position, query, wanted - len(ids)))
        break
    by_id = Message.objects.select_related("conversation__contact", "conversation__channel")
    found = by_id.in_bulk(ids)
    hits = [found[pk] for pk in ids if pk in found]
    next_cursor = encode_search_cursor(hits[limit - 1]) if len(hits) > limit else None
    return SearchPage(hits[:limit], next_cursor, strategy)


def message_search(*, tenant, conversations, query: str, limit: int = 20) -> list:
    """The newest messages matching the query among these conversations (one page)."""
    return search_messages(tenant=tenant, query=query, visible=conversations, limit=limit).hits


def is_frequent(*, tenant, query: str, scan=RECENT_SCAN, enough: int = 20) -> bool:
    """Whether the query is in so many messages that checking conversations newest first
    costs less than collecting its matches from the trigram index: judged by its density
    among the tenant's newest `scan` messages (the cheap selectivity estimate of the list's
    `q`)."""
    query = _usable(query)
    if not query:
        return False
    hits = len(_recent_scan(tenant, None, None, query, enough, scan)[0])
    return hits / scan * _estimated_messages() > 10 * TRIGRAM_MAX


def mentions(query: str):
    """A conversation has a message or note containing the query — checked conversation by
    conversation (parley_conversation_mentions): its search signature first, which rules out
    most conversations that do not match from one row (migration 0022), then its messages."""
    needle = SearchNorm(Value(query))
    return Func(
        F("pk"),
        needle,
        Func(needle, function="parley_search_query_bits"),
        function="parley_conversation_mentions",
        output_field=BooleanField(),
    )


def _first_by_name(tenant, matches, limit: int, walk: int, *, indexed: bool) -> list:
    """The first `limit` of `matches` (the tenant's contacts) in (name, id) order.

    A query with trigrams first takes at most `walk // 5` + 1 of its matches from its own
    indexes (bitmap only, so the heap part stops there): if that is all of them, they are
    sorted here. A common query instead tests the tenant's contacts in name order (index
    contact_tenant_name) in growing chunks, `walk` at most, stopping when the page is full:
    a common name, number or mail domain fills it within a few hundred. Whatever is still
    missing comes from the matches past the walked contacts, sorted. Sorting every match of
    a common query cost 76 ms at 500k contacts (22,632 for `+66 81`); letting the planner
    walk the name index may read it to the end for matches that sit late in name order
    (`Nguyen`: 2.3 s). A query without trigrams (`indexed` false) has no index to go to: it
    walks, and the rest is planned freely."""
    scope = Contact.objects.for_tenant(tenant)
    bitmap_only = ("seqscan", "indexscan") if indexed else ()
    if indexed:
        sql, params = matches.values("id")[: walk // 5 + 1].query.sql_with_params()
        few = _planned_ids(sql, params, off=bitmap_only)
        if len(few) <= walk // 5:
            return list(scope.filter(pk__in=few).order_by("name", "id")[:limit])
    ids: list[int] = []
    after = Q()
    walked, chunk = 0, max(1, walk // 10)
    while walked < walk:
        chunk = min(chunk, walk - walked)
        window = list(scope.filter(after).order_by("name", "id").values_list("name", "id")[:chunk])
        if not window:
            break
        in_window = matches.filter(pk__in=[pk for _name, pk in window]).order_by("name", "id")
        # Tested row by row through the primary key: a bitmap of the match's own index would
        # read all its matches again.
        ids += _planned_ids(*in_window.values("id").query.sql_with_params(), off=("bitmapscan",))
        if len(ids) >= limit or len(window) < chunk:
            break
        walked, (name, pk) = walked + chunk, window[-1]
        after, chunk = Q(name__gt=name) | Q(name=name, id__gt=pk), chunk * 3
    else:
        rest = matches.filter(after).order_by("name", "id")
        sql, params = rest.values("id")[: limit - len(ids)].query.sql_with_params()
        ids += _planned_ids(sql, params, off=bitmap_only)
    by_id = scope.in_bulk(ids[:limit])
    return [by_id[pk] for pk in ids[:limit] if pk in by_id]


def contact_search(*, tenant, query: str, limit: int = 10, walk: int = CONTACT_WALK) -> list:
    """The first contacts by name that match. Direct matches and matches through an identity
    are fetched apart (each bounded, not a join over all contacts)."""
    query = _usable(query)
    if not query:
        return []
    contacts, identities = _contact_matches(tenant, query)
    direct = _first_by_name(tenant, contacts, limit, walk, indexed=len(query) >= 3)
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
