"""The starting list of signal keywords: what it finds, what it deliberately does not, and how
a tenant that already has an older version is moved to the new one without losing its edits."""

import json
import unicodedata

import pytest
from django.apps import apps

from signals_app.keyword_lists import SHIPPED_PATH, keywords_install_shipped, shipped_rows
from signals_app.migrations import _starting_list
from signals_app.models import SignalKeyword
from signals_app.services import signals_in_text
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_matchers():
    from keywords import clear_matcher_cache

    clear_matcher_cache()
    yield
    clear_matcher_cache()


@pytest.mark.parametrize(
    "text,signal",
    [
        ("What payment methods do you have?", "payment"),
        ("Can I pay by card?", "payment"),
        ("Tôi muốn thanh toán", "payment"),
        ("thanh toan the nao vay shop", "payment"),
        (unicodedata.normalize("NFD", "Chuyển khoản được không ạ?"), "payment"),
        ("cho mình xin stk", "payment"),
        ("การชำระเงินทำยังไงคะ", "payment"),
        ("จ่ายยังไงคะ", "payment"),
        ("Bayar pakai apa kak?", "payment"),
        ("udah tf ya kak", "payment"),
        ("Dah bank in ye", "payment"),
        ("Jak probíhá platba?", "payment"),
        ("Pošlu platbu zítra", "payment"),
        ("Zaplatím na dobírku", "payment"),
        ("¿Cómo puedo pagar?", "payment"),
        ("te envío el comprobante", "payment"),
        ("お支払い方法を教えてください", "payment"),
        ("振込先を教えてください", "payment"),
        ("How do I order?", "order"),
        ("สั่งยังไงคะ", "order"),
        ("この商品を注文したいです", "order"),
        ("住所は東京都渋谷区です", "address"),
        ("予約できますか", "booking"),
        ("いくらですか", "lead"),
        ("Kolik to stojí?", "lead"),
        ("giá sao shop", "lead"),
    ],
)
def test_the_plain_words_of_a_signal_find_it(tenant_a, text, signal):
    keywords_install_shipped(tenant=tenant_a)
    assert signal in signals_in_text(tenant_a, text)


@pytest.mark.parametrize(
    "text",
    [
        "Hello, is this still available in red?",
        "Chào shop, áo này còn size M không ạ?",
        "Ck mình thích màu này lắm",  # "ck" alone is also "chồng" (husband): not a payment
        "Mùa hè này có mẫu mới không?",  # "mùa" (season) folds to "mua" (buy)
        "Gia đình mình 4 người",  # "gia" without its accent is not "giá" (price)
        "ไม่เอาค่ะ ขอบคุณค่ะ",  # "no thanks": not an order
        "Pesan saya belum dibalas",  # "pesan" alone is also "message"
        "Platí ta sleva i dnes?",  # "platí" is "is valid", not "pays"
        "Hola, ¿tienen talla M?",
        "こんにちは、在庫はありますか？",
    ],
)
def test_everyday_messages_are_not_signals(tenant_a, text):
    keywords_install_shipped(tenant=tenant_a)
    assert signals_in_text(tenant_a, text) == []


def test_the_live_list_is_the_newest_frozen_version():
    """Changing signal_keywords.json needs a new frozen version and a data migration."""
    live = json.loads(SHIPPED_PATH.read_text(encoding="utf-8"))
    newest = max(int(p.stem[1:]) for p in _starting_list.LISTS.glob("v*.json"))
    assert live["version"] == newest
    frozen = _starting_list.load(newest)
    assert {(r.signal, r.text.lower()) for r in shipped_rows()} == set(frozen)
    for row in shipped_rows():
        shipped = frozen[(row.signal, row.text.lower())]
        assert (row.text, row.language, row.mode, row.accent_insensitive) == (
            shipped["text"],
            shipped["language"],
            shipped["mode"],
            shipped["accent_insensitive"],
        )


def _install(tenant, version, origin="shipped"):
    SignalKeyword.objects.bulk_create(
        [
            SignalKeyword(tenant=tenant, origin=origin, **row)
            for row in _starting_list.load(version).values()
        ]
    )


def _keys(tenant):
    return {(k.signal, k.text.lower()): k for k in SignalKeyword.objects.filter(tenant=tenant)}


def test_an_existing_tenant_gets_the_new_words_and_keeps_its_own_edits(tenant_a):
    old, new = _starting_list.load(1), _starting_list.load(2)
    _install(tenant_a, 1)
    mine = SignalKeyword.objects.filter(tenant=tenant_a)
    mine.filter(signal="payment", text="paid").delete()  # deleted, kept in v2
    mine.filter(signal="payment", text="โอนแล้ว").delete()  # deleted, changed in v2
    mine.filter(signal="payment", text="zaplaceno").update(mode="contains")  # edited
    mine.filter(signal="order", text="beru to").update(origin="imported")  # their own list
    SignalKeyword.objects.create(  # a word v2 adds, imported by the tenant before
        tenant=tenant_a, signal="payment", text="platba", mode="contains", origin="imported"
    )
    assert signals_in_text(tenant_a, "Jak mohu zaplatit?") == []  # a running process's matcher

    _starting_list.upgrade(apps, 1, 2)

    assert signals_in_text(tenant_a, "Jak mohu zaplatit?") == ["payment"]

    keys = _keys(tenant_a)
    assert set(keys) == set(new) - {("payment", "paid"), ("payment", "โอนแล้ว")}
    assert keys[("payment", "platba")].origin == "imported"
    assert keys[("payment", "platba")].mode == "contains"
    zaplaceno = keys[("payment", "zaplaceno")]
    assert (zaplaceno.mode, zaplaceno.accent_insensitive) == ("contains", False)
    beru_to = keys[("order", "beru to")]
    assert (beru_to.origin, beru_to.accent_insensitive) == ("imported", False)
    # Untouched keywords follow the new version; the ones it dropped are gone.
    assert keys[("order", "สั่งซื้อ")].mode == "contains"
    assert keys[("lead", "precio")].accent_insensitive is True
    assert ("order", "เอาค่ะ") in old and ("order", "เอาค่ะ") not in keys
    assert "payment" in signals_in_text(tenant_a, "Jak probíhá platba?")

    _starting_list.upgrade(apps, 2, 1)  # the migration's way back

    keys = _keys(tenant_a)
    assert ("order", "เอาค่ะ") in keys and ("payment", "pay") not in keys
    assert keys[("payment", "platba")].origin == "imported"
    assert keys[("order", "สั่งซื้อ")].mode == "whole_word"


def test_a_tenant_with_its_own_list_or_none_is_left_alone(tenant_a, tenant_b):
    _install(tenant_a, 1, origin="imported")  # replaced the starting list by an import
    before = {(k, v.mode, v.origin) for k, v in _keys(tenant_a).items()}
    empty = TenantFactory()

    _starting_list.upgrade(apps, 1, 2)

    assert {(k, v.mode, v.origin) for k, v in _keys(tenant_a).items()} == before
    assert not SignalKeyword.objects.filter(tenant__in=[tenant_b, empty]).exists()
