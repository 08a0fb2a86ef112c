import json
from datetime import timedelta

import pytest
from django.utils import timezone

from signals_app import sending
from signals_app.models import SignalReport, TikTokAdsConnection
from signals_app.tasks import signals_send_pending, signals_sweep
from tests.factories import ConversationFactory

from .conftest import drain, receive, tiktok_ad_conversation, whatsapp_conversation

pytestmark = pytest.mark.django_db


def _pending(tenant, n, signal="payment"):
    """n pending reports of n conversations (bulk, as the outbox would hold them)."""
    conversation = ConversationFactory(tenant=tenant)
    conversations = [conversation] + [
        ConversationFactory(tenant=tenant, channel=conversation.channel) for _ in range(n - 1)
    ]
    SignalReport.objects.bulk_create(
        [
            SignalReport(
                tenant=tenant,
                conversation=c,
                signal=signal,
                event_name="Purchase",
                event_id=f"parley-{c.pk}-{signal}",
                tracking_id=f"trk{c.pk}",
            )
            for c in conversations
        ]
    )
    return conversations


def test_reports_are_sent_in_batches_of_at_most_1000(tenant_a, connect, fake):
    connect(tenant_a)
    fake.reset()
    _pending(tenant_a, 2500)
    drain(tenant_a)
    requests = list(fake.requests("/event/track/"))
    sizes = [len(json.loads(r.body)["data"]) for r in requests]
    assert sizes == [1000, 1000, 500]
    assert SignalReport.objects.filter(status="sent").count() == 2500
    assert SignalReport.objects.filter(sent_at__isnull=True).count() == 0
    connection = TikTokAdsConnection.objects.get(tenant=tenant_a)
    assert connection.last_success_at is not None


def test_the_task_drains_a_backlog_by_enqueuing_the_next_batch(tenant_a, connect, fake, settings):
    settings.TIKTOK_SIGNALS_BATCH_SIZE = 10
    connect(tenant_a)
    fake.reset()
    _pending(tenant_a, 35)
    signals_send_pending.delay(tenant_a.pk)
    assert SignalReport.objects.filter(status="sent").count() == 35
    assert fake.requests("/event/track/").count() == 4


def test_the_request_carries_the_tenants_event_set_and_source(tenant_a, connect, fake):
    connect(tenant_a)
    fake.reset()
    conversation = tiktok_ad_conversation(tenant_a)
    receive(conversation, "I have paid")
    drain(tenant_a)
    body = json.loads(fake.requests("/event/track/").get().body)
    assert body["event_source"] == "crm"
    assert body["event_source_id"] == "7300000000000000123"
    names = sorted(e["event"] for e in body["data"])
    assert names == ["Contact", "Purchase"]
    purchase = next(e for e in body["data"] if e["event"] == "Purchase")
    assert purchase["event_id"] == f"parley-{conversation.pk}-payment"
    assert purchase["properties"]["ad_id"] == conversation.ad_id
    assert isinstance(purchase["event_time"], int)


@pytest.mark.parametrize("code", [40100, 40016, 40133])
def test_throttling_backs_off_without_spending_attempts(tenant_a, connect, fake, code):
    connect(tenant_a)
    _pending(tenant_a, 5)
    fake.inject("error", code=code, count=1, path_contains="/event/track/")
    claim = sending.signal_reports_claim(tenant_id=tenant_a.pk)
    outcome = sending.signal_reports_send(claim=claim)
    assert outcome.retry_in and outcome.retry_in > 0
    assert set(SignalReport.objects.values_list("status", "attempts")) == {("pending", 0)}
    assert all(r.next_attempt_at > timezone.now() for r in SignalReport.objects.all())
    connection = TikTokAdsConnection.objects.get(tenant=tenant_a)
    assert connection.throttled_until > timezone.now()
    assert connection.throttle_strikes == 1
    # While throttled nothing is claimed; once the backoff is over it is sent.
    assert sending.signal_reports_claim(tenant_id=tenant_a.pk) is None
    past = timezone.now() - timedelta(seconds=1)
    TikTokAdsConnection.objects.update(throttled_until=past)
    SignalReport.objects.update(next_attempt_at=past)
    drain(tenant_a)
    assert SignalReport.objects.filter(status="sent").count() == 5
    assert TikTokAdsConnection.objects.get(tenant=tenant_a).throttle_strikes == 0


def test_repeated_throttling_backs_off_longer(tenant_a, connect, fake):
    connect(tenant_a)
    _pending(tenant_a, 1)
    fake.inject("error", code=40100, count=None, path_contains="/event/track/")
    delays = []
    for _ in range(4):
        TikTokAdsConnection.objects.update(throttled_until=None)
        SignalReport.objects.update(next_attempt_at=timezone.now())
        claim = sending.signal_reports_claim(tenant_id=tenant_a.pk)
        delays.append(sending.signal_reports_send(claim=claim).retry_in)
    assert delays[3] > delays[0] * 4


@pytest.mark.parametrize("kind", ["http_500", "http_503"])
def test_a_transient_error_is_retried_with_backoff(tenant_a, connect, fake, kind):
    connect(tenant_a)
    _pending(tenant_a, 3)
    fake.inject(kind, count=1, path_contains="/event/track/")
    claim = sending.signal_reports_claim(tenant_id=tenant_a.pk)
    outcome = sending.signal_reports_send(claim=claim)
    assert outcome.deferred == 3 and outcome.failed == 0
    report = SignalReport.objects.first()
    assert report.status == "pending" and report.attempts == 1
    assert report.next_attempt_at > timezone.now() + timedelta(seconds=5)
    assert "HTTP 50" in report.last_error
    SignalReport.objects.update(next_attempt_at=timezone.now())
    drain(tenant_a)
    assert SignalReport.objects.filter(status="sent").count() == 3


def test_a_transient_error_fails_the_report_after_the_last_attempt(
    tenant_a, connect, fake, settings
):
    settings.TIKTOK_SIGNALS_MAX_ATTEMPTS = 3
    connect(tenant_a)
    _pending(tenant_a, 2)
    fake.inject("error", code=51065, count=None, path_contains="/event/track/")
    for _ in range(3):
        SignalReport.objects.update(next_attempt_at=timezone.now())
        claim = sending.signal_reports_claim(tenant_id=tenant_a.pk)
        sending.signal_reports_send(claim=claim)
    report = SignalReport.objects.first()
    assert report.status == "failed"
    assert report.attempts == 3
    assert "51065" in report.last_error and "Gave up after 3 attempts" in report.last_error


def test_a_permanent_error_fails_the_reports_with_the_reason(tenant_a, connect, fake):
    connect(tenant_a)
    _pending(tenant_a, 4)
    fake.inject("error", code=40002, count=1, path_contains="/event/track/")
    drain(tenant_a)
    assert set(SignalReport.objects.values_list("status", flat=True)) == {"failed"}
    assert SignalReport.objects.first().last_error.startswith("40002: Invalid parameter")
    assert "40002" in TikTokAdsConnection.objects.get(tenant=tenant_a).last_error


def test_failed_reports_can_be_retried(tenant_a, connect, fake):
    connect(tenant_a)
    _pending(tenant_a, 2)
    fake.inject("error", code=40002, count=1, path_contains="/event/track/")
    drain(tenant_a)
    assert sending.signal_reports_retry_failed(tenant=tenant_a) == 2
    drain(tenant_a)
    assert set(SignalReport.objects.values_list("status", flat=True)) == {"sent"}


def test_a_refused_pasted_token_pauses_reporting_until_reconnected(tenant_a, connect, fake):
    connect(tenant_a)
    _pending(tenant_a, 2)
    fake.inject("error", code=40105, count=1, path_contains="/event/track/")
    drain(tenant_a)
    connection = TikTokAdsConnection.objects.get(tenant=tenant_a)
    assert connection.status == "error"
    assert "Reconnect" in connection.last_error
    assert set(SignalReport.objects.values_list("status", "attempts")) == {("pending", 0)}
    assert sending.signal_reports_claim(tenant_id=tenant_a.pk) is None
    connect(tenant_a)  # reconnecting resumes
    drain(tenant_a)
    assert set(SignalReport.objects.values_list("status", flat=True)) == {"sent"}


def test_a_tenant_never_reports_with_another_tenants_token(tenant_a, tenant_b, connect, fake):
    connect(tenant_a, token="evt.token-of-tenant-a")
    connect(tenant_b, token="evt.token-of-tenant-b", event_set="7300000000000000999")
    fake.reset()
    a = _pending(tenant_a, 30)
    b = _pending(tenant_b, 20)
    signals_sweep.delay()
    events = fake.events_received()
    assert len(events) == 50
    a_ids = {f"parley-{c.pk}-payment" for c in a}
    b_ids = {f"parley-{c.pk}-payment" for c in b}
    for event in events:
        if event["event_id"] in a_ids:
            assert event["_token"] == "evt.token-of-tenant-a"
            assert event["_event_source_id"] == "7300000000000000123"
        else:
            assert event["event_id"] in b_ids
            assert event["_token"] == "evt.token-of-tenant-b"
            assert event["_event_source_id"] == "7300000000000000999"


def test_two_workers_never_claim_the_same_reports(tenant_a, connect, settings):
    settings.TIKTOK_SIGNALS_BATCH_SIZE = 10
    connect(tenant_a)
    _pending(tenant_a, 25)
    first = sending.signal_reports_claim(tenant_id=tenant_a.pk)
    second = sending.signal_reports_claim(tenant_id=tenant_a.pk)
    third = sending.signal_reports_claim(tenant_id=tenant_a.pk)
    assert sending.signal_reports_claim(tenant_id=tenant_a.pk) is None
    ids = first.ids + second.ids + third.ids
    assert len(ids) == len(set(ids)) == 25
    assert first.full and second.full and not third.full


def test_the_sweeper_redrives_an_expired_lease(tenant_a, connect, fake):
    connect(tenant_a)
    _pending(tenant_a, 3)
    claim = sending.signal_reports_claim(tenant_id=tenant_a.pk)  # the worker then dies
    assert claim is not None
    assert signals_sweep.delay().get() == 0  # the lease still runs
    SignalReport.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    signals_sweep.delay()
    assert set(SignalReport.objects.values_list("status", flat=True)) == {"sent"}


def test_a_sent_report_is_emitted_to_crm_webhooks(tenant_a, connect, webhook_events):
    connect(tenant_a)
    conversation = whatsapp_conversation(tenant_a)
    receive(conversation, "I have paid")
    drain(tenant_a)
    emitted = [e for e in webhook_events if e[1] == "signal.reported"]
    assert len(emitted) == 1
    tenant_id, _event_type, data = emitted[0]
    assert tenant_id == tenant_a.pk
    assert data["signal"] == "payment"
    assert data["conversation_id"] == conversation.pk


def test_on_commit_the_new_reports_are_sent(
    tenant_a, connect, fake, django_capture_on_commit_callbacks
):
    connect(tenant_a)
    conversation = whatsapp_conversation(tenant_a)
    with django_capture_on_commit_callbacks(execute=True):
        receive(conversation, "I have paid")
    assert SignalReport.objects.get().status == "sent"


def test_an_unexpected_error_is_retried_not_lost(tenant_a, connect, monkeypatch):
    connect(tenant_a)
    _pending(tenant_a, 2)

    def broken(**kwargs):
        raise ValueError("surprise")

    monkeypatch.setattr("signals_app.client.events_track", broken)
    drain(tenant_a)
    report = SignalReport.objects.first()
    assert report.status == "pending"
    assert report.last_error == "Unexpected error: ValueError"
    assert report.next_attempt_at > timezone.now()


def test_when_tiktok_is_back_reports_waiting_out_a_long_backoff_go_at_once(tenant_a, connect, fake):
    """After a long outage the backoff can reach half an hour: the first accepted batch
    releases the rest instead of leaving them waiting."""
    connect(tenant_a)
    _pending(tenant_a, 3)
    SignalReport.objects.update(
        attempts=12, next_attempt_at=timezone.now() + timedelta(minutes=30), last_error="HTTP 503"
    )
    _pending(tenant_a, 1)  # a new report, due now
    claim = sending.signal_reports_claim(tenant_id=tenant_a.pk)
    outcome = sending.signal_reports_send(claim=claim)
    assert outcome.sent >= 1 and outcome.retry_in == 0
    assert SignalReport.objects.filter(next_attempt_at__gt=timezone.now()).count() == 0
    drain(tenant_a)
    assert SignalReport.objects.filter(status="sent").count() == 4


def test_one_queued_send_per_tenant_takes_the_reports_of_passes_after_it(tenant_a, connect, fake):
    """A pass that stores a signal asks for a send; while one is queued and not started, the
    next passes' asks add nothing (it will claim their reports too); once it started, the next
    ask queues a new one."""
    from django.core.cache import cache

    from inbox import effects

    connect(tenant_a)
    fake.reset()
    _pending(tenant_a, 2)
    queued = effects._queued_key(effects.SIGNALS_SEND, (tenant_a.pk,))
    cache.add(queued, 1, timeout=60)  # a send is in the queue, its task not started
    effects.task_send_once(effects.SIGNALS_SEND, tenant_a.pk)  # eager here: would send now
    assert SignalReport.objects.filter(status="pending").count() == 2

    signals_send_pending.delay(tenant_a.pk)  # the queued one starts: takes both
    assert SignalReport.objects.filter(status="sent").count() == 2
    assert cache.get(queued) is None and fake.requests("/event/track/").count() == 1

    _pending(tenant_a, 1)
    effects.task_send_once(effects.SIGNALS_SEND, tenant_a.pk)  # none queued: sent
    assert SignalReport.objects.filter(status="sent").count() == 3
