"""What the sidebar tallies' triggers cost a write: the same writes with the triggers on and
off, interleaved, each round in one transaction that is rolled back (nothing stays).

    DATABASE_URL=... python bench/tally_writes.py [--ops 300] [--rounds 3]

Writes, through the ORM as the services do them: a conversation created; its status changed
(save(update_fields)); a label added and removed; a new message's touch of the conversation
(last_message_at / preview: the update trigger's WHEN clause skips it); a read marker written;
a customer's message on a conversation read up to then (the read tally's update trigger takes
the reader out). Reported: mean ms per
write, with and without the triggers, and the difference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from inbox.models import Channel, Contact, Conversation, Label  # noqa: E402
from inbox.services.conversations import conversation_mark_read  # noqa: E402
from tenants.models import Tenant  # noqa: E402

settings.DEBUG = False
User = get_user_model()
TRIGGERS = (
    ("inbox_conversation", "inbox_conversation_tally_insert_delete"),
    ("inbox_conversation", "inbox_conversation_tally_update"),
    ("inbox_conversation", "inbox_conversation_readtally_insert_delete"),
    ("inbox_conversation", "inbox_conversation_readtally_update"),
    ("inbox_conversation_labels", "inbox_conversation_labels_tally_insert"),
    ("inbox_conversation_labels", "inbox_conversation_labels_tally_delete"),
    ("inbox_conversation_labels", "inbox_conversation_labels_tally_update"),
    ("inbox_conversationread", "inbox_conversationread_readtally"),
)


def one_round(ops: int, triggers: bool) -> dict[str, float]:
    timings: dict[str, list[float]] = {}

    def timed(name, fn):
        start = time.perf_counter()
        fn()
        timings.setdefault(name, []).append((time.perf_counter() - start) * 1000)

    with transaction.atomic():
        if not triggers:
            with connection.cursor() as cursor:
                for table, trigger in TRIGGERS:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        tenant = Tenant.objects.create(name="tally bench", slug=f"tally-bench-{os.getpid()}")
        channel = Channel.objects.create(
            tenant=tenant, provider="whatsapp", name="c", account_id=f"tb-{os.getpid()}"
        )
        label = Label.objects.create(tenant=tenant, name="vip")
        contacts = Contact.objects.bulk_create(
            [Contact(tenant=tenant, name=f"c{i}") for i in range(ops)]
        )
        convs = []
        for contact in contacts:
            conv = Conversation(tenant=tenant, channel=channel, contact=contact)
            timed("create conversation", conv.save)
            convs.append(conv)
        for conv in convs:
            conv.last_message_at = timezone.now()
            conv.last_message_preview = "hello"
            timed(
                "new message touch (no group change)",
                lambda c=conv: c.save(update_fields=["last_message_at", "last_message_preview"]),
            )
        for conv in convs:
            conv.status = "pending"
            timed("status change", lambda c=conv: c.save(update_fields=["status"]))
        for conv in convs:
            timed("label added", lambda c=conv: c.labels.add(label))
        for conv in convs:
            conv.status = "open"
            timed("status change, with a label", lambda c=conv: c.save(update_fields=["status"]))
        for conv in convs:
            timed("label removed", lambda c=conv: c.labels.remove(label))
        reader = User.objects.create(username=f"tally-bench-{os.getpid()}")
        for conv in convs:
            timed(
                "read marker written (mark read)",
                lambda c=conv: conversation_mark_read(conversation=c, user=reader),
            )
        for conv in convs:
            conv.last_customer_message_at = timezone.now()
            timed(
                "customer message on a read conversation",
                lambda c=conv: c.save(
                    update_fields=["last_customer_message_at", "last_message_at"]
                ),
            )
        transaction.set_rollback(True)
    return {name: statistics.mean(values) for name, values in timings.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    one_round(50, True)  # warm-up
    results = {True: [], False: []}
    for _ in range(args.rounds):
        for triggers in (False, True):
            results[triggers].append(one_round(args.ops, triggers))
    print(f"{args.ops} writes of each kind x {args.rounds} rounds, mean ms per write")
    print("| write | triggers off | triggers on | difference |")
    print("|---|---|---|---|")
    for name in results[True][0]:
        off = statistics.median(r[name] for r in results[False])
        on = statistics.median(r[name] for r in results[True])
        print(f"| {name} | {off:.3f} | {on:.3f} | {on - off:+.3f} |")


if __name__ == "__main__":
    main()
