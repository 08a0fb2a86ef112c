"""Processing throughput: stored TikTok webhook events through ONE real Celery worker (solo
pool, concurrency 1) on the real Redis and PostgreSQL.

    DATABASE_URL=... REDIS_URL=... python bench/processing.py [--events 1500]

Each event is a customer text message (200 distinct customers, so conversations are both
created and reused); processing = parse, route, contact/identity upsert, conversation, message
INSERT … ON CONFLICT, side-effect hooks. Bounded in time; the worker is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from config.celery import app  # noqa: E402
from inbox.models import Channel, Conversation, Message, WebhookEvent  # noqa: E402
from inbox.tasks import webhook_event_process_task, webhook_events_process_task  # noqa: E402
from tenants.models import Tenant  # noqa: E402

BUSINESS = "-000benchProcessing01"


def make_events(n: int) -> list[int]:
    rows = []
    now_ms = int(time.time() * 1000)
    for i in range(n):
        customer = f"-000benchcust{i % 200:04d}"
        msg_id = secrets.token_hex(10)
        content = {
            "conversation_id": f"0:1:{customer}",
            "message_id": msg_id,
            "timestamp": now_ms + i,
            "type": "text",
            "text": {"body": f"Xin chào, đơn hàng số {i} giao chưa ạ?"},
            "from": f"customer{i % 200}",
            "from_user": {"id": customer, "role": "personal_account"},
            "to_user": {"id": BUSINESS, "role": "business_account"},
        }
        body = json.dumps(
            {
                "client_key": "bench",
                "event": "im_receive_msg",
                "create_time": now_ms // 1000,
                "user_openid": BUSINESS,
                "content": json.dumps(content),
            }
        ).encode()
        rows.append(WebhookEvent(provider="tiktok", body=body, dedup_key=f"bench:{msg_id}"))
    return [e.pk for e in WebhookEvent.objects.bulk_create(rows)]


def wait_processed(ids: list[int], timeout: float) -> float:
    start = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = WebhookEvent.objects.filter(pk__in=ids, status="pending").count()
        if left == 0:
            return time.perf_counter() - start
        time.sleep(0.2)
    raise RuntimeError(f"{left} events still pending after {timeout} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1500)
    parser.add_argument("--timeout", type=float, default=240)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        sys.exit("set REDIS_URL: the benchmark needs a real broker and worker")
    call_command("migrate", "--noinput", verbosity=0)
    tenant, _ = Tenant.objects.get_or_create(slug="bench-processing", defaults={"name": "Bench"})
    channel, _ = Channel.objects.get_or_create(
        provider="tiktok",
        account_id=BUSINESS,
        defaults={"tenant": tenant, "name": "bench", "settings": {"simulator": True}},
    )
    Conversation.objects.filter(channel=channel).delete()
    WebhookEvent.objects.filter(dedup_key__startswith="bench:").delete()
    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=dict(os.environ, LOG_LEVEL="WARNING"),
        start_new_session=True,
    )
    results = {}
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError("the worker did not start")
        warm = make_events(50)
        for pk in warm:
            webhook_event_process_task.delay(pk)
        wait_processed(warm, 60)

        ids = make_events(args.events)
        t0 = time.perf_counter()
        for pk in ids:
            webhook_event_process_task.delay(pk)
        elapsed = wait_processed(ids, args.timeout) + 0 * t0
        results["one_task_per_event"] = {
            "events": len(ids),
            "seconds": elapsed,
            "events_per_s": len(ids) / elapsed,
        }

        ids = make_events(args.events)
        for i in range(0, len(ids), 20):
            webhook_events_process_task.delay(ids[i : i + 20])
        elapsed = wait_processed(ids, args.timeout)
        results["batches_of_20"] = {
            "events": len(ids),
            "seconds": elapsed,
            "events_per_s": len(ids) / elapsed,
        }
        results["messages_stored"] = Message.objects.filter(channel=channel).count()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "processing.json").write_text(json.dumps(results, indent=2))
    print("| enqueued as | events | seconds | events/s |")
    print("|---|---|---|---|")
    for key in ("one_task_per_event", "batches_of_20"):
        r = results[key]
        print(f"| {key} | {r['events']} | {r['seconds']:.1f} | {r['events_per_s']:.0f} |")
    print(f"messages stored: {results['messages_stored']}")


if __name__ == "__main__":
    main()
