"""Two real Celery worker processes drain one backlog of stored webhook events from the same
PostgreSQL and Redis, coordinated by nothing but the database's row locks: every message is
stored once and every keyword message answered once."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from inbox.automation.models import MessageAutomation
from inbox.models import Channel, Message, WebhookEvent
from tests.pipeline.events import now_ms, price_rule, store, tiktok_body

from .conftest import ROOT

SHOPS = ["-000twoWorkersShop01", "-000twoWorkersShop02", "-000twoWorkersShop03"]


def _second_worker() -> subprocess.Popen:
    """Another worker like the fixture's, with the environment the fixture gave the first
    (the test database, the private Redis), under its own node name."""
    from django.db import connection

    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        REDIS_URL=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15",
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@"
            f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        PYTHONUNBUFFERED="1",
    )
    if db["HOST"] and db["HOST"].startswith("/"):
        from urllib.parse import quote

        env["DATABASE_URL"] = f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}/{db['NAME']}"
    log = open(ROOT / ".data" / "celery-test-worker-2.log", "wb")  # noqa: SIM115
    return subprocess.Popen(
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
            f"second-{os.getpid()}@%h",
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


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_drain_one_backlog_without_doubles(
    celery_worker_process, tenant_a, tenant_b
):
    channels = [
        Channel.objects.create(
            tenant=tenant_a if i < 2 else tenant_b,
            provider="tiktok",
            name=shop,
            account_id=shop,
            credentials={"access_token": f"act.{shop}"},
            settings={"simulator": True},
        )
        for i, shop in enumerate(SHOPS)
    ]
    for tenant in (tenant_a, tenant_b):
        price_rule(tenant)
    start = now_ms()
    ids = store(
        [
            tiktok_body(
                business=SHOPS[i % 3],
                customer=f"-000twoWorkersCust{i % 45:03d}",
                text=f"price please {i}" if i % 4 == 0 else f"hello {i}",
                at_ms=start + i,
            )
            for i in range(450)
        ]
    )
    second = _second_worker()
    try:
        deadline = time.monotonic() + 90
        while len(celery_worker_process.control.ping(timeout=0.5)) < 2:
            assert second.poll() is None, "the second worker exited"
            assert time.monotonic() < deadline, "the second worker did not answer"
        for _ in range(6):  # wake-ups, as the ingest dispatcher sends them
            celery_worker_process.send_task("inbox.webhook_events_process", args=[[]])
        deadline = time.monotonic() + 120
        while WebhookEvent.objects.filter(pk__in=ids, status="pending").exists() or (
            MessageAutomation.objects.count() < 450
        ):
            assert time.monotonic() < deadline, "the backlog was not drained"
            time.sleep(0.3)
    finally:
        second.terminate()
        second.wait(timeout=20)

    events = WebhookEvent.objects.filter(pk__in=ids)
    assert set(events.values_list("status", "attempts")) == {("processed", 1)}
    inbound = Message.objects.filter(channel__in=channels, direction="in")
    assert inbound.count() == 450
    assert inbound.values("provider_message_id").distinct().count() == 450
    replies = Message.objects.filter(channel__in=channels, author_kind="bot", kind="message")
    # One conversation per customer and shop; the keyword every 4th message; cooldown 0 —
    # so one reply per keyword message, never two.
    assert replies.count() == len([i for i in range(450) if i % 4 == 0])
