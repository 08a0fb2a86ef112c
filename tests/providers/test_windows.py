from datetime import UTC, datetime, timedelta

from inbox.providers import messenger, tiktok, whatsapp

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def problem(module, age, sent=0, tag=""):
    last = None if age is None else NOW - age
    return module.reply_window_problem(
        last_customer_message_at=last, business_messages_since_customer=sent, now=NOW, tag=tag
    )


def test_tiktok_48_hours_and_ten_messages():
    assert problem(tiktok, timedelta(hours=47)) is None
    assert "48 hours" in problem(tiktok, timedelta(hours=48, seconds=1))
    assert problem(tiktok, timedelta(hours=1), sent=9) is None
    assert "at most 10" in problem(tiktok, timedelta(hours=1), sent=10)
    assert "write first" in problem(tiktok, None)


def test_whatsapp_24_hours():
    assert problem(whatsapp, timedelta(hours=23, minutes=59)) is None
    assert "24 hours" in problem(whatsapp, timedelta(hours=24, seconds=1))
    assert problem(whatsapp, timedelta(hours=1), sent=50) is None


def test_messenger_24_hours_or_7_days_with_human_agent():
    assert problem(messenger, timedelta(hours=23)) is None
    assert "HUMAN_AGENT" in problem(messenger, timedelta(hours=30))
    assert problem(messenger, timedelta(days=6), tag="HUMAN_AGENT") is None
    assert "7 days" in problem(messenger, timedelta(days=8), tag="HUMAN_AGENT")
    assert messenger.tag_for_reply(last_customer_message_at=NOW - timedelta(hours=2), now=NOW) == ""
    assert (
        messenger.tag_for_reply(last_customer_message_at=NOW - timedelta(days=2), now=NOW)
        == "HUMAN_AGENT"
    )
