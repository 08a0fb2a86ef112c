"""How long a batch of signal reports stays exposed to a re-send: the time (and the SQL
statements) between TikTok's answer reaching the worker and the commit that marks the batch
sent. A worker killed inside that window leaves a batch TikTok has but Parley does not know it
sent; the batch goes again when its lease runs out (TikTok deduplicates it on event_id).

Run it from the checkout to measure (old and new code alike: it only calls
`signal_reports_claim` / `signal_reports_send`):

    cd <checkout> && DATABASE_URL=postgres://…/<own db> \\
        python <this checkout>/bench/reliability/resend_window.py --batches 1,10,1000 --rounds 5

The fake TikTok answers in-process (a simulated connection): the window measured is Parley's
own part of it, which the sender controls. With `--subscribed` the tenant has a CRM webhook
subscription to `signal.reported` (its outbox rows are written in the same transaction).
Writes nothing; the bench tenant is deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", default="1,10,1000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--subscribed", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from inbox.models import Channel, Contact, Conversation
    from signals_app import client, sending
    from signals_app.connection import token_connect
    from signals_app.models import SignalReport
    from tenants.models import Tenant

    tenant = Tenant.objects.create(name="resend window bench", slug=f"rw-{os.getpid()}")
    try:
        token_connect(
            tenant=tenant,
            actor=None,
            event_set_id="7300000000000000444",
            access_token="evt.resend-window-bench",
            simulated=True,
        )
        if args.subscribed:
            from inbox.outbound_webhooks.services import webhook_subscription_create

            webhook_subscription_create(
                tenant=tenant,
                actor=None,
                url="https://crm.invalid/hook",
                event_types=["signal.reported"],
            )
        channel = Channel.objects.create(
            tenant=tenant, provider="whatsapp", name="rw", account_id=f"rw-{os.getpid()}"
        )
        contact = Contact.objects.create(tenant=tenant, name="rw")

        state = {"answer": None, "commit": None, "statements": 0}
        track = client.events_track

        def timed_track(**kwargs):
            answer = track(**kwargs)
            state["answer"] = time.perf_counter()
            return answer

        client.events_track = timed_track
        commit = connection.commit

        def timed_commit():
            commit()
            if state["answer"] is not None and state["commit"] is None:
                state["commit"] = time.perf_counter()

        connection.commit = timed_commit

        def count(execute, sql, params, many, context):
            if state["answer"] is not None and state["commit"] is None:
                state["statements"] += 1
            return execute(sql, params, many, context)

        results = {}
        for size in [int(b) for b in args.batches.split(",")]:
            windows, statements = [], []
            for _ in range(args.rounds):
                conversations = Conversation.objects.bulk_create(
                    Conversation(tenant=tenant, channel=channel, contact=contact)
                    for _ in range(size)
                )
                SignalReport.objects.bulk_create(
                    SignalReport(
                        tenant=tenant,
                        conversation=c,
                        signal="payment",
                        event_name="Purchase",
                        event_id=f"rw-{c.pk}-payment",
                        next_attempt_at=timezone.now(),
                    )
                    for c in conversations
                )
                claim = sending.signal_reports_claim(tenant_id=tenant.pk)
                assert claim is not None and len(claim.ids) == size, claim
                state.update(answer=None, commit=None, statements=0)
                with connection.execute_wrapper(count):
                    sending.signal_reports_send(claim=claim)
                assert state["commit"] is not None
                windows.append((state["commit"] - state["answer"]) * 1000)
                statements.append(state["statements"])
                assert not SignalReport.objects.filter(tenant=tenant, status="pending").exists()
            results[size] = {
                "window_ms_median": round(statistics.median(windows), 2),
                "window_ms_max": round(max(windows), 2),
                "statements": statistics.median(statements),
            }
        print(json.dumps({"cwd": str(Path.cwd()), "subscribed": args.subscribed, **results}))
    finally:
        SignalReport.objects.filter(tenant=tenant).delete()
        tenant.delete()


if __name__ == "__main__":
    main()
