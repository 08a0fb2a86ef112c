"""Search answers exactly what reading every message newest first would answer.

Random messages (Thai, Vietnamese with and without accents, Latin, Japanese, phone digits,
equal timestamps, notes, activity rows, another tenant, conversations a restricted agent does
not see) and random queries (substrings of the texts, unaccented, upper-cased, or anything).
The recency window is made tiny so every page mixes the two ways of answering — the
recency scan and the trigram index — and the pages are followed through their cursors to
the end. Derandomized: the same examples on every run.
"""

import unicodedata
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.models import Conversation, Message
from inbox.selectors.search import conversation_match, search_messages
from tests.factories import ContactFactory, ConversationFactory, TenantFactory

pytestmark = pytest.mark.django_db

WORDS = [
    "ผ้าไหม", "สีแดง", "ส่งฟรี", "ราคา", "áo dài", "giá", "màu đỏ", "Đà Nẵng", "hỏi",
    "refund", "Size", "price", "送料無料", "サイズ", "0812345678", "+66 81 234 5678", "66812",
    "cena", "černá", "ab", "a_b", "50%", "x",
]  # fmt: skip


def unaccented(text: str) -> str:
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


texts = st.lists(st.sampled_from(WORDS), min_size=0, max_size=4).map(" ".join)
rows = st.lists(
    st.tuples(
        texts,
        st.integers(0, 3),  # conversation
        st.integers(0, 6),  # minutes ago (ties on purpose)
        st.sampled_from(["message", "message", "note", "activity"]),
    ),
    min_size=0,
    max_size=25,
)


@st.composite
def queries(draw, messages):
    pool = [m[0] for m in messages if m[0]] or ["ราคา"]
    text = draw(st.sampled_from(pool))
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, len(text)))
    query = text[start:end]
    how = draw(st.sampled_from(["as is", "unaccented", "upper", "any word"]))
    if how == "unaccented":
        query = unaccented(query)
    elif how == "upper":
        query = query.upper()
    elif how == "any word":
        query = draw(st.sampled_from(WORDS))
    return query


def _norm(texts):
    with connection.cursor() as cursor:
        cursor.execute("SELECT parley_search_norm(t) FROM unnest(%s::text[]) AS t", [texts])
        return [r[0] for r in cursor.fetchall()]


def naive_hits(tenant, query, visible_ids=None):
    """Every message of the tenant read one by one, newest first."""
    query = " ".join(query.split())
    if len(query) < 2:
        return []
    messages = list(
        Message.objects.for_tenant(tenant)
        .exclude(kind="activity")
        .order_by("-created_at", "-id")
        .values_list("pk", "text", "conversation_id")
    )
    needle = _norm([query])[0]
    normalized = _norm([m[1] for m in messages])
    return [
        pk
        for (pk, _t, conv), text in zip(messages, normalized, strict=True)
        if needle in text and (visible_ids is None or conv in visible_ids)
    ]


def all_pages(tenant, query, visible, scan, limit, scan_max=60_000, trigram_max=0):
    found, cursor, pages = [], "", 0
    while True:
        page = search_messages(
            tenant=tenant,
            query=query,
            visible=visible,
            cursor=cursor,
            limit=limit,
            scan=scan,
            scan_max=scan_max,
            trigram_max=trigram_max,
        )
        found += [m.pk for m in page.hits]
        assert len(page.hits) <= limit
        pages += 1
        assert pages < 100
        if not page.next_cursor:
            return found
        cursor = page.next_cursor


def _load(tenant, other, messages):
    now = timezone.now()
    # Contacts whose name, phone and email match no query: only messages decide here.
    convs = [
        ConversationFactory(
            tenant=tenant, contact=ContactFactory(tenant=tenant, name="-", phone="", email="")
        )
        for _ in range(4)
    ]
    foreign = ConversationFactory(tenant=other)
    objs = []
    for text, conv, minutes, kind in messages:
        c = convs[conv]
        at = now - timedelta(minutes=minutes)
        objs.append(
            Message(
                tenant=tenant,
                conversation=c,
                channel=c.channel,
                text=text,
                kind=kind,
                direction="in",
                author_kind="customer",
                created_at=at,
            )  # fmt: skip
        )
        objs.append(
            Message(
                tenant=other,
                conversation=foreign,
                channel=foreign.channel,
                text=text,
                kind=kind,
                direction="in",
                author_kind="customer",
                created_at=at,
            )  # fmt: skip
        )
    Message.objects.bulk_create(objs)
    return convs


@settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.data(),
    messages=rows,
    scan=st.integers(1, 6),
    limit=st.integers(1, 4),
    scan_max=st.integers(1, 30),
    trigram_max=st.sampled_from([0, 10**9]),  # read on when the word was seen / never
)
def test_search_pages_equal_a_naive_newest_first_scan(
    db, data, messages, scan, limit, scan_max, trigram_max
):
    with transaction.atomic():
        tenant, other = TenantFactory(), TenantFactory()
        convs = _load(tenant, other, messages)
        query = data.draw(queries(messages))
        expected = naive_hits(tenant, query)
        assert all_pages(tenant, query, None, scan, limit, scan_max, trigram_max) == expected
        # A restricted member: only conversations 0 and 2 are visible.
        visible_ids = {convs[0].pk, convs[2].pk}
        visible = Conversation.objects.for_tenant(tenant).filter(pk__in=visible_ids)
        assert all_pages(tenant, query, visible, scan, limit, scan_max, trigram_max) == naive_hits(
            tenant, query, visible_ids
        )
        # The list's `q`: both ways (frequent and rare) keep the same conversations.
        if len(" ".join(query.split())) >= 2:
            naive_convs = set(
                Message.objects.filter(pk__in=expected).values_list("conversation_id", flat=True)
            )
            for frequent in (True, False):
                listed = set(
                    Conversation.objects.for_tenant(tenant)
                    .filter(conversation_match(tenant=tenant, query=query, frequent=frequent))
                    .values_list("pk", flat=True)
                )
                assert listed == naive_convs, frequent
        transaction.set_rollback(True)


def test_contacts_match_too_in_the_list_query(tenant_a):
    contact = ContactFactory(tenant=tenant_a, name="Somchai Sukjai")
    conv = ConversationFactory(tenant=tenant_a, contact=contact)
    ConversationFactory(tenant=tenant_a)
    for frequent in (True, False):
        q = conversation_match(tenant=tenant_a, query="somchai", frequent=frequent)
        assert set(
            Conversation.objects.for_tenant(tenant_a).filter(q).values_list("pk", flat=True)
        ) == {conv.pk}
