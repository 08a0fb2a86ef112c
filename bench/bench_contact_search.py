"""Search before and after phone-number and identity matching, interleaved in one run.

Usage (after `manage.py generate_load_data --tenant load-phone ...`):

    python bench/bench_contact_search.py --tenant load-phone \
        --baseline /work/wt/baseline/inbox/selectors/search.py [--runs 15]

Times, for each query, the inbox list's search filter (first page of 50 conversations, the
same visible-conversations query the list view runs), the search box (message hits, then
contact hits) and its contact hits alone,
with the baseline's `inbox/selectors/search.py` (loaded from the given file, on the same
database) and with the current one, alternating old/new run by run so that the shared
machine's load hits both alike. Reports medians and the new/old ratio.
"""

from __future__ import annotations

import argparse
import importlib.util
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

from inbox.models import Contact, Conversation  # noqa: E402
from inbox.selectors import search as current  # noqa: E402
from tenants.models import Tenant  # noqa: E402


def load_baseline(path: str):
    spec = importlib.util.spec_from_file_location("baseline_search", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def queries(tenant) -> dict[str, str]:
    phone = (
        Contact.objects.for_tenant(tenant)
        .filter(phone__startswith="+66 8")
        .order_by("pk")
        .values_list("phone", flat=True)
        .first()
    )
    digits = phone.replace("+", "").replace(" ", "")  # 668xxxxxxxx
    national = "0" + digits[2:]
    return {
        "thai word": "ผ้าไหม",
        "vietnamese without accents": "ao dai",
        "english word": "refund",
        "contact name": "Somchai",
        "phone +66 8x xxx xxxx": f"+66 {digits[2:4]} {digits[4:7]} {digits[7:]}",
        "phone national 08…": national,
        "phone digits 668…": digits,
    }


def list_page(module, tenant, query):
    qs = Conversation.objects.for_tenant(tenant).filter(
        module.conversation_ids_matching(tenant=tenant, query=query)
    )
    return list(qs.order_by("-last_message_at", "-id").values_list("pk", flat=True)[:50])


def contact_hits(module, tenant, query):
    return [c.pk for c in module.contact_search(tenant=tenant, query=query)]


def search_box(module, tenant, query):
    """What the search box runs: message hits among visible conversations, then contacts."""
    visible = Conversation.objects.for_tenant(tenant)
    hits = module.message_search(tenant=tenant, conversations=visible, query=query)
    return [m.pk for m in hits] + contact_hits(module, tenant, query)


def timed(fn, module, tenant, query) -> float:
    start = time.perf_counter()
    fn(module, tenant, query)
    return (time.perf_counter() - start) * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenant", default="load-phone")
    parser.add_argument("--baseline", required=True, help="the baseline's search.py")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    tenant = Tenant.objects.get(slug=args.tenant)
    tenant.country = tenant.country or "TH"
    old = load_baseline(args.baseline)
    print(f"tenant {tenant.slug} (country {tenant.country}): "
          f"{Conversation.objects.for_tenant(tenant).count()} conversations, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print("| operation | query | found old / new | old p50 ms | new p50 ms | new/old |")
    print("|---|---|---|---|---|---|")
    for name, query in queries(tenant).items():
        operations = (
            ("list page", list_page),
            ("search box", search_box),
            ("  of which contacts", contact_hits),
        )
        for operation, fn in operations:
            found_old, found_new = len(fn(old, tenant, query)), len(fn(current, tenant, query))
            old_ms, new_ms = [], []
            for _ in range(args.runs):
                old_ms.append(timed(fn, old, tenant, query))
                new_ms.append(timed(fn, current, tenant, query))
            a, b = statistics.median(old_ms), statistics.median(new_ms)
            print(
                f"| {operation} | {name} `{query}` | {found_old} / {found_new} "
                f"| {a:.1f} | {b:.1f} | {b / a:.2f} |"
            )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
