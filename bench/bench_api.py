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


def prepare_tenant(slug: str) -> dict:
    """The tenant's API key and the list of (endpoint, url) variants to time."""
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

    def next_of(url):
        response = client.get(url, **headers)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
        link = response.json()["next"]
        return link.split("testserver", 1)[-1] if link else None

    base = "/api/v1/conversations/"
    variants = [("conversations", base)]
    for qs in [
        "status=open",
        "assignee=unassigned",
        f"assignee={agent.user_id}&status=open",
        f"label={label.pk}",
        f"channel={channel}",
        "from_ad=true",
        "status=resolved",
    ]:
        variants.append(("conversations", f"{base}?{qs}"))
    variants.append(("conversations", next_of(base)))  # page 2
    variants.append(("contacts", "/api/v1/contacts/"))
    variants.append(("contacts", next_of("/api/v1/contacts/")))
    for pk in [longest, *sample]:
        url = f"/api/v1/conversations/{pk}/messages/"
        variants.append(("messages", url))
        page2 = next_of(url)
        if page2:
            variants.append(("messages", page2))
    variants.append(("labels and channels", "/api/v1/labels/"))
    variants.append(("labels and channels", "/api/v1/channels/"))
    variants.append(("200 per page", f"{base}?page_size=200"))
    variants.append(("200 per page", "/api/v1/contacts/?page_size=200"))
    return {
        "tenant": tenant,
        "slug": slug,
        "client": client,
        "headers": headers,
        "variants": variants,
        "conversations": Conversation.objects.for_tenant(tenant).count(),
        "messages": Message.objects.for_tenant(tenant).count(),
        "contacts": Contact.objects.for_tenant(tenant).count(),
    }


def bench(slugs: list[str], runs: int) -> list[dict]:
    """Interleaved: each round times every variant of every tenant once, so load changes on
    a shared machine hit all of them alike (and the scaling ratio stays fair)."""
    prepared = [prepare_tenant(slug) for slug in slugs]
    timings = [{} for _ in prepared]
    for t in prepared:  # warm-up
        for _op, url in t["variants"]:
            t["client"].get(url, **t["headers"])
    db_ms = [0.0]

    def db_timer(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            db_ms[0] += (time.perf_counter() - start) * 1000

    with connection.execute_wrapper(db_timer):
        for _round in range(runs):
            for i, t in enumerate(prepared):
                for op, url in t["variants"]:
                    db_ms[0] = 0.0
                    start = time.perf_counter()
                    response = t["client"].get(url, **t["headers"])
                    elapsed = (time.perf_counter() - start) * 1000
                    assert response.status_code == 200, (url, response.status_code)
                    timings[i].setdefault(op, []).append(elapsed)
                    timings[i].setdefault((op, url), []).append(elapsed)
                    timings[i].setdefault(("db", op), []).append(db_ms[0])
    results = []
    for t, ops in zip(prepared, timings, strict=True):
        ApiKey.objects.for_tenant(t["tenant"]).filter(name="bench").delete()
        if os.environ.get("BENCH_DETAIL"):
            for key, values in ops.items():
                if isinstance(key, tuple) and key[0] != "db":
                    print(
                        f"{t['slug']} {key[0]:>20} {key[1].split('?', 1)[-1][:50]:<50} "
                        f"p50 {statistics.median(values):6.1f} p95 {p95(values):6.1f}"
                    )
        results.append(
            {
                "tenant": t["slug"],
                "conversations": t["conversations"],
                "messages": t["messages"],
                "contacts": t["contacts"],
                "ops": {
                    name: (statistics.median(v), p95(v), len(v))
                    for name, v in ops.items()
                    if isinstance(name, str)
                },
                "db": {
                    name[1]: (statistics.median(v), p95(v), len(v))
                    for name, v in ops.items()
                    if isinstance(name, tuple) and name[0] == "db"
                },
            }
        )
    return results


VARIANTS = {
    "conversations": "all (API default), open, unassigned, an agent's open, a label, a channel, "
    "from ad, resolved, page 2 by cursor",
    "contacts": "first page, page 2 by cursor",
    "messages": "the longest thread + 4 random conversations, first page and page 2",
    "labels and channels": "both lists",
    "200 per page": "conversations and contacts at the largest page size (not a target)",
}


def combine(runs: list[dict]) -> dict:
    """Several whole runs of one tenant: per endpoint the median p50 / p95, and the p95 range."""
    out = {k: v for k, v in runs[0].items() if k not in ("ops", "db")}
    for part in ("ops", "db"):
        out[part] = {}
        for name in runs[0][part]:
            p50s = [r[part][name][0] for r in runs]
            p95s = [r[part][name][1] for r in runs]
            out[part][name] = (
                statistics.median(p50s),
                statistics.median(p95s),
                (min(p95s), max(p95s)),
            )
    return out


def render(main: dict, other: dict | None, runs: int) -> str:
    lines = [
        "## REST API",
        "",
        "Measured by `bench/bench_api.py` on this shared 2-core machine (PostgreSQL 15, same "
        "host), in-process through the whole DRF stack (API-key authentication, throttling, "
        "tenant scoping, filters, cursor pagination, serialisation); 50 objects per page "
        f"unless stated; {runs} timed rounds after a warm-up, each round timing every variant "
        "of both tenants once (interleaved, so the machine's load hits them alike).",
        "",
        f"Machine load average (1 min) before / after the run: {main['load'][0]:.1f} / "
        f"{main['load'][1]:.1f} (other sessions share the 2 cores; p95 moves with it).",
        "",
        f"Data (`generate_load_data`): tenant `{main['tenant']}` with "
        f"{main['conversations']:,} conversations, {main['messages']:,} messages, "
        f"{main['contacts']:,} contacts.",
        "",
        f"Figures: the median over {main['repeat']} whole runs (p95 range over the runs in "
        "brackets).",
        "",
        "| endpoint | variants | p50 ms | p95 ms [range] | target p95 "
        "| of which SQL p50 / p95 ms |",
        "|---|---|---|---|---|---|",
    ]
    for name, (p50, p_95, spread) in main["ops"].items():
        target = "—" if name == "200 per page" else "< 50"
        d50, d95, _ = main["db"][name]
        lines.append(
            f"| {name} | {VARIANTS[name]} | {p50:.1f} | {p_95:.1f} [{spread[0]:.0f}–"
            f"{spread[1]:.0f}] | {target} | {d50:.1f} / {d95:.1f} |"
        )
    if other:
        lines += [
            "",
            f"Scaling: tenant `{other['tenant']}` has {other['conversations']:,} conversations "
            f"and {other['messages']:,} messages (10x less).",
            "",
            f"| endpoint | p50 / p95 at {other['conversations']:,} conv. "
            f"| p50 / p95 at {main['conversations']:,} conv. | p95 ratio (target < 1.3) "
            "| p50 ratio | SQL p50 ratio |",
            "|---|---|---|---|---|---|",
        ]
        for name in main["ops"]:
            a50, a95, _ = other["ops"][name]
            b50, b95, _ = main["ops"][name]
            da, db = other["db"][name][0], main["db"][name][0]
            lines.append(
                f"| {name} | {a50:.1f} / {a95:.1f} | {b50:.1f} / {b95:.1f} | {b95 / a95:.2f} "
                f"| {b50 / a50:.2f} | {db / da:.2f} |"
            )
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
    parser.add_argument(
        "--repeat", type=int, default=1, help="whole runs; figures are the median over them"
    )
    args = parser.parse_args()
    slugs = [args.tenant, args.compare] if args.compare else [args.tenant]
    load_before = os.getloadavg()[0]
    repeats = [bench(slugs, args.runs) for _ in range(args.repeat)]
    results = [combine([r[i] for r in repeats]) for i in range(len(slugs))]
    results[0]["load"] = (load_before, os.getloadavg()[0])
    results[0]["repeat"] = args.repeat
    main_results, other = results[0], (results[1] if args.compare else None)
    section = render(main_results, other, args.runs)
    print(section)
    if args.write:
        write_section(Path(args.write), section)


if __name__ == "__main__":
    main()
