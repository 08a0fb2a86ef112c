import pytest

from inbox.models import Conversation
from signals_app.models import SignalReport
from signals_app.services import signals_conversation_attributed, tracking_id_find
from tests.factories import MessageFactory

from .conftest import drain, receive, tiktok_ad_conversation, whatsapp_conversation

pytestmark = pytest.mark.django_db


def _reports(conversation):
    return {r.signal: r for r in SignalReport.objects.filter(conversation=conversation)}


def test_a_tiktok_ad_conversation_reports_it_started_with_the_ad_data(tenant_a, connect):
    connect(tenant_a)
    conversation = tiktok_ad_conversation(tenant_a)
    receive(conversation, "Hello")
    reports = _reports(conversation)
    assert set(reports) == {"conversation_started"}
    started = reports["conversation_started"]
    assert started.event_name == "Contact"
    assert started.status == "pending"
    assert started.ad_id == conversation.ad_id
    assert started.advertiser_id == "7200000000000001"
    assert started.material_id == "mat-42"
    assert started.event_id == f"parley-{conversation.pk}-conversation_started"


def test_a_tracking_id_in_the_first_message_attributes_the_conversation(tenant_a, connect):
    connect(tenant_a)
    conversation = whatsapp_conversation(tenant_a)
    receive(conversation, "Hi! I saw this on TikTok ttid: ABCD1234xyz, is it in stock?")
    assert conversation.tracking_id == "ABCD1234xyz"
    assert conversation.source == Conversation.Source.TIKTOK_TRACKING
    assert conversation.attribution["tracking_id"] == "ABCD1234xyz"
    started = _reports(conversation)["conversation_started"]
    assert started.tracking_id == "ABCD1234xyz"
    assert started.ad_id == ""
    receive(conversation, "I have paid")
    assert _reports(conversation)["payment"].tracking_id == "ABCD1234xyz"


def test_a_tracking_id_after_the_first_message_is_ignored(tenant_a, connect):
    connect(tenant_a)
    conversation = whatsapp_conversation(tenant_a)
    receive(conversation, "Hello")
    receive(conversation, "ttid: ABCD1234xyz")
    assert conversation.tracking_id == ""
    assert conversation.source == Conversation.Source.ORGANIC
    assert not SignalReport.objects.filter(conversation=conversation).exists()


def test_the_tracking_id_pattern_is_a_setting(settings):
    settings.TIKTOK_TRACKING_ID_PATTERN = r"#TT(?P<tid>\d{6})"
    assert tracking_id_find("promo #TT123456 please") == "123456"
    assert tracking_id_find("ttid: ABCD1234xyz") == ""


def test_a_meta_referral_is_kept_but_never_sent_to_tiktok(tenant_a, connect, fake):
    connect(tenant_a)
    conversation = whatsapp_conversation(
        tenant_a,
        source="meta_ad",
        ad_id="23850000000000777",
        campaign_name="Meta retargeting",
        attribution={"source": "ADS", "ad_id": "23850000000000777", "provider": "whatsapp"},
    )
    receive(conversation, "I have paid")
    reports = _reports(conversation)
    assert set(reports) == {"payment"}
    assert reports["payment"].ad_id == ""
    drain(tenant_a)
    bodies = " ".join(r.body for r in fake.requests("/event/track/"))
    assert "23850000000000777" not in bodies
    assert "Meta retargeting" not in bodies
    conversation.refresh_from_db()
    assert conversation.source == "meta_ad"  # kept for reporting


def test_each_signal_is_reported_once_per_conversation(tenant_a, connect):
    connect(tenant_a)
    conversation = tiktok_ad_conversation(tenant_a)
    receive(conversation, "I have paid")
    receive(conversation, "paid again, bank transfer done")
    receive(conversation, "Hello")
    signals = list(
        SignalReport.objects.filter(conversation=conversation).values_list("signal", flat=True)
    )
    assert sorted(signals) == ["conversation_started", "payment"]


def test_the_database_refuses_a_second_report_of_a_signal(tenant_a, connect):
    from django.db import IntegrityError, transaction

    connect(tenant_a)
    conversation = whatsapp_conversation(tenant_a)
    receive(conversation, "paid")
    with pytest.raises(IntegrityError), transaction.atomic():
        SignalReport.objects.create(
            tenant=tenant_a,
            conversation=conversation,
            signal="payment",
            event_name="Purchase",
            event_id="another-id",
        )


def test_a_signal_is_reported_without_a_tracking_id(tenant_a, connect):
    connect(tenant_a)
    conversation = whatsapp_conversation(tenant_a)
    receive(conversation, "I want to order two of them")
    reports = _reports(conversation)
    assert set(reports) == {"order"}
    assert reports["order"].tracking_id == ""
    assert reports["order"].event_name == "PlaceAnOrder"


@pytest.mark.parametrize(
    "text,signal",
    [
        ("da chuyen khoan roi nha shop", "payment"),  # Vietnamese typed without accents
        ("Đã chuyển khoản rồi ạ", "payment"),
        ("โอนแล้วค่ะ", "payment"),
        ("Sudah transfer ya kak", "payment"),
        ("Zaplaceno, děkuji", "payment"),
        ("Ya pagué, gracias", "payment"),
        ("dah bayar", "payment"),
        ("Can I book an appointment?", "booking"),
        ("Cho mình đặt lịch thứ 6", "booking"),
        ("My address is 12 Main St", "address"),
    ],
)
def test_the_starting_list_finds_signals_in_many_languages(tenant_a, connect, text, signal):
    connect(tenant_a)
    conversation = whatsapp_conversation(tenant_a)
    receive(conversation, text)
    assert signal in _reports(conversation)


def test_only_customer_messages_are_analysed(tenant_a, connect):
    connect(tenant_a)
    conversation = whatsapp_conversation(tenant_a)
    from django.db import transaction

    from signals_app.services import signals_detect_for_message

    with transaction.atomic():
        message = MessageFactory(
            conversation=conversation, text="paid", direction="out", author_kind="agent"
        )
        signals_detect_for_message(message=message)
    assert not SignalReport.objects.exists()


def test_a_detection_failure_never_loses_the_message(tenant_a, connect, monkeypatch):
    connect(tenant_a)

    def boom(*args, **kwargs):
        raise RuntimeError("matcher broken")

    monkeypatch.setattr("signals_app.services.signals_in_text", boom)
    conversation = whatsapp_conversation(tenant_a)
    message = receive(conversation, "paid")
    message.refresh_from_db()
    assert not SignalReport.objects.exists()


def test_without_a_connection_attribution_is_kept_and_nothing_is_queued(tenant_a):
    conversation = whatsapp_conversation(tenant_a)
    receive(conversation, "ttid: ABCD1234xyz I have paid")
    assert conversation.tracking_id == "ABCD1234xyz"
    assert not SignalReport.objects.exists()


def test_while_disconnected_signals_are_shown_as_cancelled(tenant_a, connect):
    from signals_app.connection import disconnect

    connect(tenant_a)
    disconnect(tenant=tenant_a, actor=None)
    conversation = whatsapp_conversation(tenant_a)
    receive(conversation, "I have paid")
    assert _reports(conversation)["payment"].status == "cancelled"


def test_a_referral_arriving_on_its_own_queues_conversation_started(tenant_a, connect):
    connect(tenant_a)
    conversation = tiktok_ad_conversation(tenant_a)
    signals_conversation_attributed(conversation=conversation)
    signals_conversation_attributed(conversation=conversation)
    assert list(_reports(conversation)) == ["conversation_started"]


def test_a_signal_mapped_to_nothing_is_not_reported(tenant_a, connect):
    from signals_app.connection import mapping_update

    connection = connect(tenant_a)
    mapping_update(connection=connection, actor=None, event_source="crm", mapping={"payment": ""})
    conversation = whatsapp_conversation(tenant_a)
    receive(conversation, "I have paid, my address is 1 Main St")
    assert set(_reports(conversation)) == {"address"}
