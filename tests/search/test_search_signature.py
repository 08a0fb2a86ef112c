"""Conversation search signatures (migration 0022): never wrong, and they do rule out.

The list's `q` asks each conversation it walks whether a message contains the query; the
signature may only answer "no" when no message does. Random texts in the shops' scripts
(Thai with its combining vowels and tone marks, Vietnamese with and without accents,
Japanese, Czech, Latin, digits, punctuation and underscores, which pg_trgm splits words on)
and random queries cut out of them: every conversation that contains a query is admitted by
its signature, and the list's `q` equals a naive reading. Derandomized.
"""

import importlib

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.models import Conversation, ConversationSearchSignature, Message
from inbox.selectors.search import conversation_match
from tests.factories import ContactFactory, ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db

ALPHABET = (
    "สวัสดีค่ะราคาเท่าไหร่ส่งฟรี"  # Thai, with combining vowels and tone marks
    "áàảãạăắđêếệôơớưứĐÁ"  # Vietnamese
    "送料無料サイズ"  # Japanese
    "čřšžýíéůČŘ"  # Czech
    "abcdefrundxyzABC0123456789"
    " _-%+.,!?\n"
)
texts = st.text(alphabet=ALPHABET, min_size=0, max_size=40)


def _norm(text: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT parley_search_norm(%s)", [text])
        return cursor.fetchone()[0]


def _admits(conversation_id: int, query: str) -> bool | None:
    """The signature's answer for the query, None when the conversation has none."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT parley_search_signature_admits(bits, "
            "parley_search_query_bits(parley_search_norm(%s))) "
            "FROM inbox_conversationsearchsignature WHERE conversation_id = %s",
            [query, conversation_id],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _listed(tenant, query: str) -> set[int]:
    return set(
        Conversation.objects.for_tenant(tenant)
        .filter(conversation_match(tenant=tenant, query=query, frequent=True))
        .values_list("pk", flat=True)
    )


def _conversation(tenant):
    contact = ContactFactory(tenant=tenant, name="-", phone="", email="")
    return ConversationFactory(tenant=tenant, contact=contact)


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), threads=st.lists(st.lists(texts, max_size=4), min_size=1, max_size=4))
def test_a_signature_never_rules_out_a_conversation_that_matches(db, tenant_a, data, threads):
    with transaction.atomic():
        convs = []
        for thread in threads:
            conv = _conversation(tenant_a)
            for text in thread:
                MessageFactory(conversation=conv, text=text)
            convs.append((conv, thread))
        pool = [t for _c, thread in convs for t in thread if len(t.strip()) >= 2] or ["ราคา"]
        text = data.draw(st.sampled_from(pool))
        start = data.draw(st.integers(0, len(text)))
        query = text[start : data.draw(st.integers(start, len(text)))]
        query = data.draw(st.sampled_from([query, query.upper(), "refund", "สวัสดี"]))
        if len(" ".join(query.split())) < 2:
            transaction.set_rollback(True)
            return
        needle = _norm(" ".join(query.split()))
        expected = set()
        for conv, thread in convs:
            if any(needle in _norm(t) for t in thread):
                expected.add(conv.pk)
                # None: no message of it has a trigram, so it has no signature and is read.
                assert _admits(conv.pk, query) in (True, None), (query, thread)
        assert _listed(tenant_a, query) == expected
        transaction.set_rollback(True)


def test_a_signature_rules_out_a_conversation_without_the_word(tenant_a):
    shirts = _conversation(tenant_a)
    MessageFactory(conversation=shirts, text="Áo dài size M màu đỏ, giá bao nhiêu?")
    MessageFactory(conversation=shirts, text="ผ้าไหมสีแดง ส่งฟรีไหมคะ")
    refund = _conversation(tenant_a)
    MessageFactory(conversation=refund, text="I want a REFUND for order 1234")

    assert _admits(shirts.pk, "refund") is False
    assert _admits(shirts.pk, "ส่งฟรี") is True
    assert _admits(shirts.pk, "gia bao") is True  # typed without accents
    assert _listed(tenant_a, "refund") == {refund.pk}
    assert _listed(tenant_a, "ส่งฟรี") == {shirts.pk}


def test_notes_count_and_activity_lines_do_not(tenant_a):
    conv = _conversation(tenant_a)
    MessageFactory(conversation=conv, kind="note", text="customer asked for a refund")
    other = _conversation(tenant_a)
    MessageFactory(conversation=other, kind="activity", text="refund rule fired")
    MessageFactory(conversation=other, text="hello")

    assert _listed(tenant_a, "refund") == {conv.pk}
    assert _admits(other.pk, "refund") is False


def test_a_message_moved_or_edited_is_found_in_its_conversation(tenant_a):
    source, target = _conversation(tenant_a), _conversation(tenant_a)
    MessageFactory(conversation=target, text="hello")
    moved = MessageFactory(conversation=source, text="chuyển khoản rồi nhé")
    edited = MessageFactory(conversation=target, text="hi")

    # A contact merge moves messages between conversations.
    Message.objects.filter(pk=moved.pk).update(conversation=target)
    assert target.pk in _listed(tenant_a, "chuyen khoan")
    Message.objects.filter(pk=edited.pk).update(text="số tài khoản 0123456789")
    assert _listed(tenant_a, "tai khoan") >= {target.pk}
    assert _listed(tenant_a, "456789") == {target.pk}


def test_the_migration_fill_gives_the_triggers_signatures(tenant_a):
    convs = [_conversation(tenant_a) for _ in range(3)]
    for i, conv in enumerate(convs):
        for text in ["xin chào", "ราคาเท่าไหร่", f"order {i}2345", "送料無料ですか"][: i + 2]:
            MessageFactory(conversation=conv, text=text)
    by_trigger = dict(ConversationSearchSignature.objects.values_list("conversation_id", "bits"))
    assert set(by_trigger) >= {c.pk for c in convs}

    ConversationSearchSignature.objects.all().delete()
    migration = importlib.import_module("inbox.migrations.0022_conversation_search_signature")
    migration.fill(None, connection.schema_editor())

    by_fill = dict(ConversationSearchSignature.objects.values_list("conversation_id", "bits"))
    assert by_fill == by_trigger
