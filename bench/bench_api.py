"""REST API benchmark: the list endpoints a CRM polls, with an API key.

Usage (after `manage.py generate_load_data` for two tenants, 10x apart):

    python manage.py generate_load_data --tenant api-10k --conversations 10000 --messages 100000
    python manage.py generate_load_data --tenant api-100k --conversations 100000 \
        --messages 1000000
    python bench/bench_api.py --tenant api-100k --compare api-10k [--runs 30]
        [--write docs/benchmarks.md]

Each request goes through Django's full stack in-process (routing, API-key authentication,
throttling, tenant scoping, filters, cursor pagination, serialisation, JSON rendering) with
the test client; `--runs` timed runs per variant after one warm-up; p50/p95 over all runs.
`--compare` runs the same on a tenant with 10x less data and reports the ratio.
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
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from inbox.models import Contact, Conversation, Label, Message  # noqa: E402
from tenants.api_auth import ApiKeyRateThrottle  # noqa: E402
from tenants.models import ApiKey, Membership, Tenant  # noqa: E402
from tenants.services import api_key_create  # noqa: E402

settings.DEBUG = False
ApiKeyRateThrottle.rate = "100000000/min"  # measure the endpoints, not the limiter


def p95(values):
    values = sorted(values)
    return values[max(0, int(round(0.95 * len(values))) - 1)]


def timed(client, url, runs, headers):
    response = client.get(url, **headers)  # warm-up
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, **headers)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out, response


def bench_tenant(slug: str, runs: int) -> dict:
    tenant = Tenant.objects.get(slug=slug)
    ApiKey.objects.for_tenant(tenant).filter(name="bench").delete()
    raw = api_key_create(tenant=tenant, name="bench", read_only=True).raw_key
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    client = Client()
    agent = Membership.objects.filter(tenant=tenant, role="agent").first()
    label = Label.objects.for_tenant(tenant).order_by("pk").first()
    channel = Conversation.objects.for_tenant(tenant).values_list("channel_id", flat=True)[:1][0]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conversation_id FROM inbox_message WHERE tenant_id = %s "
            "GROUP BY conversation_id ORDER BY count(*) DESC LIMIT 1",
            [tenant.pk],
        )
        longest = cursor.fetchone()[0]
    sample = list(
        Conversation.objects.for_tenant(tenant).order_by("?").values_list("pk", flat=True)[:4]
    )

    results = {
        "tenant": slug,
        "conversations": Conversation.objects.for_tenant(tenant).count(),
        "messages": Message.objects.for_tenant(tenant).count(),
        "contacts": Contact.objects.for_tenant(tenant).count(),
    }
    ops: dict[str, list[float]] = {}

    detail = []

    def run(op, url):
        values, response = timed(client, url, runs, headers)
        ops.setdefault(op, []).extend(values)
        detail.append((op, url.split("?", 1)[-1][:60], statistics.median(values), p95(values)))
        return response

    base = "/api/v1/conversations/"
    first = run("conversations", base)
    for qs in [
        "status=open",
        "assignee=unassigned",
        f"assignee={agent.user_id}&status=open",
        f"label={label.pk}",
        f"channel={channel}",
        "from_ad=true",
        "status=resolved",
        "page_size=200",
    ]:
        run("conversations", f"{base}?{qs}")
    run("conversations", first.json()["next"].split("testserver", 1)[-1])  # page 2

    first = run("contacts", "/api/v1/contacts/")
    run("contacts", first.json()["next"].split("testserver", 1)[-1])
    run("contacts", "/api/v1/contacts/?page_size=200")

    for pk in [longest, *sample]:
        first = run("messages", f"/api/v1/conversations/{pk}/messages/")
        if first.json()["next"]:
            run("messages", first.json()["next"].split("testserver", 1)[-1])

    run("labels and channels", "/api/v1/labels/")
    run("labels and channels", "/api/v1/channels/")

    results["ops"] = {
        name: (statistics.median(values), p95(values), len(values)) for name, values in ops.items()
    }
    ApiKey.objects.for_tenant(tenant).filter(name="bench").delete()
    results["detail"] = detail
    if os.environ.get("BENCH_DETAIL"):
        for row in detail:
            print(f"{slug} {row[0]:>20} {row[1]:<60} p50 {row[2]:6.1f} p95 {row[3]:6.1f}")
    return results


VARIANTS = {
    "conversations": "all (API default), open, unassigned, an agent's open, a label, a channel, "
    "from ad, resolved, 200 per page, page 2 by cursor",
    "contacts": "first page, page 2 by cursor, 200 per page",
    "messages": "the longest thread + 4 random conversations, first page and page 2",
    "labels and channels": "both lists",
}


def render(main: dict, other: dict | None, runs: int) -> str:
    lines = [
        "## REST API",
        "",
        "Measured by `bench/bench_api.py` on this shared 2-core machine (PostgreSQL 15, same "
        "host), in-process through the whole DRF stack (API-key authentication, throttling, "
        "tenant scoping, filters, cursor pagination, serialisation); 50 objects per page "
        f"unless stated; {runs} timed runs per variant after a warm-up.",
        "",
        f"Data (`generate_load_data`): tenant `{main['tenant']}` with "
        f"{main['conversations']:,} conversations, {main['messages']:,} messages, "
        f"{main['contacts']:,} contacts.",
        "",
        "| endpoint | variants | p50 ms | p95 ms | target p95 |",
        "|---|---|---|---|---|",
    ]
    for name, (p50, p_95, _n) in main["ops"].items():
        lines.append(f"| {name} | {VARIANTS[name]} | {p50:.1f} | {p_95:.1f} | < 50 |")
    if other:
        lines += [
            "",
            f"Scaling: tenant `{other['tenant']}` has {other['conversations']:,} conversations "
            f"and {other['messages']:,} messages (10x less).",
            "",
            f"| endpoint | p95 at {other['conversations']:,} conv. "
            f"| p95 at {main['conversations']:,} conv. | ratio (target < 1.3) |",
            "|---|---|---|---|",
        ]
        for name in main["ops"]:
            a, b = other["ops"][name][1], main["ops"][name][1]
            lines.append(f"| {name} | {a:.1f} | {b:.1f} | {b / a:.2f} |")
    lines.append("")
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start = text.find("## REST API")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    path.write_text(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenant", default="api-100k")
    parser.add_argument("--compare", default="")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--write", default="")
    args = parser.parse_args()
    main_results = bench_tenant(args.tenant, args.runs)
    other = bench_tenant(args.compare, args.runs) if args.compare else None
    section = render(main_results, other, args.runs)
    print(section)
    if args.write:
        write_section(Path(args.write), section)


if __name__ == "__main__":
    main()
