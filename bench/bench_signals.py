"""TikTok signals outbox benchmark.

10,000 pending SignalReports of one tenant are drained by two real Celery workers (solo pool,
one process each) through Redis, against the built-in TikTok Events API fake answering every
track request after 50 ms. Reports: drain time, request count (ideal: 10,000 / 1,000 = 10),
events per second, and the drain time as a ratio to the latency floor of the same run
(requests × 50 ms / 2 workers).

    DATABASE_URL=postgres://… REDIS_URL=redis://127.0.0.1:6379/4 python bench/bench_signals.py
    … --no-write   # print only; otherwise the "## TikTok signals" section of docs/benchmarks.md
                   # is replaced (other sections are kept)

Bounded: the drain is abandoned after 60 s; the bench tenant and its rows are deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

N_REPORTS = 10_000
WORKERS = 2
LATENCY_MS = 50
DRAIN_LIMIT_S = 60


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--reports", type=int, default=N_REPORTS)
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"):
        print("Set DATABASE_URL and REDIS_URL (two real workers are started).", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.utils import timezone

    from config.celery import app
    from inbox.models import Channel, Contact, Conversation
    from signals_app.connection import token_connect
    from signals_app.fake_tiktok_ads import FakeTikTokAds
    from signals_app.models import SignalReport
    from signals_app.simulator_models import FakeTikTokBehaviour, FakeTikTokRequest
    from signals_app.tasks import signals_send_pending
    from tenants.models import Tenant

    slug = f"bench-signals-{int(time.time())}"
    tenant = Tenant.objects.create(name="Bench signals", slug=slug)
    token = f"evt.bench-{slug}"
    behaviour = None
    workers: list[subprocess.Popen] = []
    first_request = (
        FakeTikTokRequest.objects.order_by("-id").values_list("id", flat=True).first()
    ) or 0
    try:
        token_connect(
            tenant=tenant,
            actor=None,
            event_set_id="7300000000000000001",
            access_token=token,
            simulated=True,
        )
        channel = Channel.objects.create(
            tenant=tenant, provider="whatsapp", name="bench", account_id=f"{slug}-wa"
        )
        contact = Contact.objects.create(tenant=tenant, name="Bench")
        now = timezone.now()
        conversations = Conversation.objects.bulk_create(
            [
                Conversation(tenant=tenant, channel=channel, contact=contact, last_message_at=now)
                for _ in range(args.reports)
            ],
            batch_size=2000,
        )
        SignalReport.objects.bulk_create(
            [
                SignalReport(
                    tenant=tenant,
                    conversation=c,
                    signal="payment",
                    event_name="Purchase",
                    event_id=f"parley-{c.pk}-payment",
                    tracking_id=f"TRK{c.pk}",
                    next_attempt_at=now,
                    created_at=now,
                )
                for c in conversations
            ],
            batch_size=2000,
        )
        behaviour = FakeTikTokAds.inject(
            "latency", count=None, latency_ms=LATENCY_MS, path_contains="/event/track/"
        )
        # Connecting enqueued a send already: start from an empty queue, so the clock below
        # sees the whole drain.
        app.control.purge()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        log_dir = ROOT / ".data"
        log_dir.mkdir(exist_ok=True)
        for n in range(WORKERS):
            log = open(log_dir / f"bench-signals-worker-{n}.log", "wb")  # noqa: SIM115
            workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "config",
                        "worker",
                        "-P",
                        "solo",
                        "-n",
                        f"bench{n}-{slug}@%h",
                        "--loglevel=INFO",
                        "--without-heartbeat",
                        "--without-mingle",
                        "--without-gossip",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            if len(app.control.ping(timeout=0.5) or []) >= WORKERS:
                break
        else:
            raise RuntimeError("the workers did not answer within 40 s")

        pending = SignalReport.objects.filter(tenant=tenant, status="pending")
        drain_first_request = (
            FakeTikTokRequest.objects.order_by("-id").values_list("id", flat=True).first() or 0
        )
        started = time.monotonic()
        signals_send_pending.delay(tenant.pk)
        drained_in = None
        while time.monotonic() - started < DRAIN_LIMIT_S:
            if not pending.exists():
                drained_in = time.monotonic() - started
                break
            time.sleep(0.05)
        sent = SignalReport.objects.filter(tenant=tenant, status="sent").count()
        requests = FakeTikTokRequest.objects.filter(
            id__gt=drain_first_request,
            path__contains="/event/track/",
            headers__contains={"Access-Token": token},
        )
        request_count = requests.count()
        sizes = [len(json.loads(body)["data"]) for body in requests.values_list("body", flat=True)]
    finally:
        for proc in workers:
            proc.terminate()
        for proc in workers:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if behaviour is not None:
            FakeTikTokBehaviour.objects.filter(pk=behaviour.pk).delete()
        FakeTikTokRequest.objects.filter(
            id__gt=first_request, headers__contains={"Access-Token": token}
        ).delete()
        tenant.delete()

    per_worker = []
    for n in range(WORKERS):
        log_text = (ROOT / ".data" / f"bench-signals-worker-{n}.log").read_text(errors="replace")
        per_worker.append(len(re.findall(r"signals\.send_pending\[[^\]]+\] succeeded", log_text)))
    floor = request_count * LATENCY_MS / 1000 / WORKERS
    ideal = -(-args.reports // 1000)
    if drained_in is not None:
        drained = f"{drained_in:.2f} s (target ≤ {DRAIN_LIMIT_S} s)"
        rate = f"{sent / drained_in:,.0f}"
        ratio = f"{drained_in / floor:.1f}×" if floor else "—"
    else:
        drained, rate, ratio = f"NOT within {DRAIN_LIMIT_S} s", "—", "—"
    lines = [
        "## TikTok signals",
        "",
        f"`bench/bench_signals.py` — {args.reports:,} pending reports of one tenant, {WORKERS} "
        f"Celery workers (solo pool) on Redis, the TikTok Events API fake answering after "
        f"{LATENCY_MS} ms. Python {platform.python_version()}, {os.cpu_count()} cores.",
        "",
        "| Figure | Value |",
        "|---|---|",
        f"| Drained in | {drained} |",
        f"| Reports sent | {sent:,} / {args.reports:,} |",
        f"| Requests to TikTok | {request_count} (ideal {ideal}), "
        f"batch sizes {sorted(set(sizes))} |",
        f"| Tasks run per worker | {per_worker} |",
        f"| Events per second | {rate} |",
        f"| Drain time ÷ latency floor (requests × {LATENCY_MS} ms ÷ {WORKERS}) | {ratio} |",
        "",
        "The time above the latency floor is the database work of each batch: leasing 1,000 rows "
        "(`SELECT … FOR UPDATE SKIP LOCKED`), building the payload, recording the request in the "
        "fake's table and marking 1,000 rows sent.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        path = ROOT / "docs" / "benchmarks.md"
        current = path.read_text() if path.exists() else "# Benchmarks\n"
        pattern = re.compile(r"^## TikTok signals\n.*?(?=^## |\Z)", re.S | re.M)
        if pattern.search(current):
            current = pattern.sub(text + "\n", current)
        else:
            current = current.rstrip("\n") + "\n\n" + text
        path.write_text(current)
    return 0 if drained_in is not None else 1


if __name__ == "__main__":
    sys.exit(main())
