"""The signals sender against the TikTok Events API fake over HTTP (a live server), run as a
separate process that is SIGKILLed between TikTok receiving a batch and the answer coming
back — the one way a report is sent twice. TikTok (and the fake) count it once; Parley marks
it sent and writes its CRM event once.

The fake is told to hold the batch (recorded as received, not yet counted nor answered) until
the test releases it, so the kill lands in that window every time, not by luck or timing."""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.utils import timezone

from inbox.simulator.fake_tiktok_ads import MOUNT, FakeTikTokAds
from signals_app.connection import token_connect
from signals_app.models import SignalReport, TikTokAdsConnection
from signals_app.simulator_models import FakeTikTokBehaviour, FakeTikTokEvent, FakeTikTokRequest
from tests.factories import ConversationFactory
from tests.requirements import missing

ROOT = Path(__file__).resolve().parents[2]
SENDER = (
    "import sys, django; django.setup(); "
    "from signals_app.tasks import signals_send_pending; "
    "signals_send_pending(int(sys.argv[1]))"
)


def _redis_url() -> str:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        missing(f"no Redis at {url}")
    return url


def _database_url() -> str:
    db = connection.settings_dict
    if db["HOST"] and db["HOST"].startswith("/"):
        return f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}/{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@"
        f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


def _sender(live_server, tenant) -> subprocess.Popen:
    """A worker sending the tenant's due reports: the Celery task's code, in its own process."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": _redis_url(),
        "TIKTOK_ADS_API_URL": live_server.url + MOUNT,
        "PROVIDER_HTTP_TIMEOUT": "60",  # longer than any hold below
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-c", SENDER, str(tenant.pk)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def _finish(proc: subprocess.Popen) -> None:
    out, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, out.decode("utf-8", "replace")


def _connected_over_http(tenant):
    token_connect(
        tenant=tenant,
        actor=None,
        event_set_id="7300000000000000555",
        access_token="evt.crash-test-token",
        simulated=True,
    )
    # Reports go over HTTP to TIKTOK_ADS_API_URL (the live server), as to TikTok.
    TikTokAdsConnection.objects.filter(tenant=tenant).update(simulated=False)


def _pending(tenant, n):
    reports = []
    for _ in range(n):
        conversation = ConversationFactory(tenant=tenant)
        reports.append(
            SignalReport.objects.create(
                tenant=tenant,
                conversation=conversation,
                signal="payment",
                event_name="Purchase",
                event_id=f"parley-{conversation.pk}-payment",
            )
        )
    return reports


def _tiktok_received_the_batch() -> bool:
    return (
        FakeTikTokRequest.objects.filter(path__contains="event/track")
        .exclude(body__contains="test_event_code")  # the connect test
        .exists()
    )


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_batch_resent_after_the_worker_was_killed_is_counted_once_by_tiktok(
    live_server, tenant_a, webhook_events
):
    _connected_over_http(tenant_a)
    reports = _pending(tenant_a, 3)
    held = FakeTikTokAds.inject("hold", latency_ms=120_000, count=1, path_contains="event/track")

    worker = _sender(live_server, tenant_a)
    _wait(_tiktok_received_the_batch, "TikTok received the batch")
    worker.kill()  # SIGKILL: TikTok has the batch, Parley never hears the answer
    worker.wait(timeout=10)
    FakeTikTokBehaviour.objects.filter(pk=held.pk).delete()  # TikTok goes on and counts it
    _wait(lambda: FakeTikTokEvent.objects.count() == 3, "TikTok counted the batch")

    # Nothing was recorded as sent; the batch stays leased to the dead worker for at least
    # three HTTP timeouts (a live worker's batch is never taken over) …
    left = list(SignalReport.objects.order_by("id"))
    assert {r.status for r in left} == {"pending"}
    assert all(r.next_attempt_at > timezone.now() + timedelta(seconds=30) for r in left)
    assert webhook_events.types().count("signal.reported") == 0

    # … then the sweeper re-drives it (the lease's end is moved here, not waited for).
    SignalReport.objects.update(next_attempt_at=timezone.now())
    _finish(_sender(live_server, tenant_a))

    assert set(SignalReport.objects.values_list("status", flat=True)) == {"sent"}
    # TikTok received every event twice and counts each once.
    counted = {e.event_id: (e.received, e.counted) for e in FakeTikTokAds.events_counted()}
    assert counted == {r.event_id: (2, 1) for r in reports}
    assert FakeTikTokAds.resends() == 3
    # The CRM hears of each signal once.
    assert webhook_events.types().count("signal.reported") == 3


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_an_answer_arriving_after_another_worker_sent_the_batch_marks_nothing_twice(
    live_server, tenant_a, webhook_events
):
    _connected_over_http(tenant_a)
    reports = _pending(tenant_a, 2)
    held = FakeTikTokAds.inject("hold", latency_ms=120_000, count=1, path_contains="event/track")

    slow = _sender(live_server, tenant_a)
    _wait(_tiktok_received_the_batch, "TikTok received the first copy")
    # The lease ran out while TikTok was still answering the first worker: a second worker
    # takes the batch, sends it and marks it sent.
    SignalReport.objects.update(next_attempt_at=timezone.now())
    _finish(_sender(live_server, tenant_a))
    assert set(SignalReport.objects.values_list("status", flat=True)) == {"sent"}
    assert webhook_events.types().count("signal.reported") == 2
    # Then the first worker gets its (late) answer: nothing more to mark, no second CRM event.
    FakeTikTokBehaviour.objects.filter(pk=held.pk).delete()
    _finish(slow)

    assert set(SignalReport.objects.values_list("status", flat=True)) == {"sent"}
    assert webhook_events.types().count("signal.reported") == 2
    counted = {e.event_id: (e.received, e.counted) for e in FakeTikTokAds.events_counted()}
    assert counted == {r.event_id: (2, 1) for r in reports}
