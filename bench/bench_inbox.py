"""Inbox benchmark: list, filter counts, search and thread open, through the real views.

Usage (after `manage.py generate_load_data`):

    python bench/bench_inbox.py --tenant load-1m [--compare load-100k] [--runs 30]
        [--write docs/benchmarks.md]

Each operation is a GET through Django's test client (URL routing, tenant resolution,
selectors, SQL and template rendering), signed in as the tenant's owner. Several variants
per operation (pre-filters, page 2, search words in Thai / unaccented Vietnamese / English),
`--runs` timed runs each after one warm-up; p50/p95 over all runs. `--compare` benchmarks a
second tenant (same conversations, 10x fewer messages) and reports the scaling ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from inbox.models import Conversation, Label, Message, Team  # noqa: E402
from tenants.models import Membership, Tenant  # noqa: E402

settings.DEBUG = False  # no query log overhead

SEARCHES = {
    "thai word in Thai text": "ผ้าไหม",
    "vietnamese without accents": "ao dai",
    "english word": "refund",
    "czech word without accents": "cerna",
    "japanese word": "送料無料",
    "indonesian word": "gratis ongkir",
    "template sentence": "opening hours on sunday",
    "rare phrase (~1 in 100,000 messages)": "water damaged parcel",
    "rare vietnamese phrase without accents": "hop bi mop meo",
    "very rare phrase (~1 in 2,000,000)": "grandmother's brooch",
    "no match at all": "zebra umbrella",
    "phone digits in messages": "0812",
    "contact phone digits": "+66 81",
}
# Scans of these tables are what a query costs; the plan summary names each one.
PLAN_TABLES = ("inbox_message", "inbox_conversation", "inbox_conversation_labels")


def _scans(node, out):
    relation = node.get("Relation Name") or ""
    index = node.get("Index Name") or ""
    if relation in PLAN_TABLES or index.startswith(("msg_", "conv_")):
        rows = int(node.get("Actual Rows", 0) * node.get("Actual Loops", 1))
        out.append(f"{node['Node Type']} {index or relation} ({rows:,} rows)")
    for child in node.get("Plans", []):
        _scans(child, out)


def plans_of(client, url, **extra) -> str:
    """The plan type of each query a request runs on the big tables (EXPLAIN ANALYZE,
    replayed with the request's SET LOCAL settings): which index, how many rows read —
    a search that collects every match shows as a trigram bitmap scan with all the
    matches' rows, a page-bounded scan as msg_tenant_recent with a few hundred."""
    import json

    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url, **extra)
    summaries = []
    with transaction.atomic(), connection.cursor() as cursor:
        for query in ctx.captured_queries:
            sql = query["sql"]
            if sql.startswith("SET LOCAL"):
                cursor.execute(sql)
                summaries.append(sql.removeprefix("SET LOCAL ").strip())
                continue
            if not sql.startswith("SELECT") or not any(t in sql for t in PLAN_TABLES):
                continue
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            scans = []
            _scans(plan[0]["Plan"], scans)
            if scans:
                summaries.append(" + ".join(scans))
        transaction.set_rollback(True)
    return "; ".join(summaries)


def signature_summary(tenant, query: str = "refund") -> str:
    """The search signatures of the tenant's conversations (migration 0022): how many, how
    full, and the share a frequent word's list `q` passes over without reading messages."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), avg((SELECT sum(bit_count(w::bit(64))) FROM unnest(s.bits) w)), "
            "count(*) FILTER (WHERE NOT parley_search_signature_admits("
            "s.bits, parley_search_query_bits(parley_search_norm(%s)))) "
            "FROM inbox_conversationsearchsignature s "
            "JOIN inbox_conversation c ON c.id = s.conversation_id WHERE c.tenant_id = %s",
            [query, tenant.pk],
        )
        rows, bits, ruled_out = cursor.fetchone()
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('inbox_conversationsearchsignature'))"
        )
        size = cursor.fetchone()[0]
    return (
        f"{rows:,} signatures, {float(bits or 0):.0f} of 4,096 bits set on average; "
        f"`{query}` rules out {ruled_out / max(rows, 1):.0%} of them from the signature alone; "
        f"table {size} (all tenants)"
    )


def p95(values):
    values = sorted(values)
    return values[max(0, int(round(0.95 * len(values))) - 1)]


def timed(client, url, runs, **extra):
    response = client.get(url, **extra)  # warm-up
    assert response.status_code == 200, (url, response.status_code)
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url, **extra)
        out.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def bench_tenant(slug: str, runs: int) -> dict:
    tenant = Tenant.objects.get(slug=slug)
    owner = Membership.objects.filter(tenant=tenant, role="owner").select_related("user").first()
    agent = Membership.objects.filter(tenant=tenant, role="agent").select_related("user").first()
    client = Client()
    client.force_login(owner.user)
    base = f"/t/{slug}/inbox/"
    labels = list(Label.objects.for_tenant(tenant).values_list("pk", flat=True)[:2])
    channel = Conversation.objects.for_tenant(tenant).values_list("channel_id", flat=True)[:1][0]
    n_conv = Conversation.objects.for_tenant(tenant).count()
    n_msg = Message.objects.for_tenant(tenant).count()
    n_open = Conversation.objects.for_tenant(tenant).filter(status="open").count()

    list_variants = [
        "",
        "assignee=unassigned",
        f"assignee={agent.user_id}",
        f"label={labels[0]}",
        "from_ad=1",
        "campaign=cmp-7",
        f"channel={channel}",
        "status=all",
        "unread=1",
    ]
    # Page 2 of the default list, through the cursor of page 1.
    from inbox.selectors.conversations import ConversationFilters, conversation_page

    page1 = conversation_page(
        tenant=tenant, user=owner.user, membership=owner, filters=ConversationFilters()
    )
    list_variants.append(f"cursor={page1.next_cursor}")

    results = {"tenant": slug, "conversations": n_conv, "messages": n_msg, "open": n_open}
    per_op = {}
    per_op["list"] = []
    for qs in list_variants:
        per_op["list"] += timed(client, f"{base}list/?{qs}", runs)
    per_op["counts"] = []
    counts_detail = {}
    team = Team.objects.for_tenant(tenant).values_list("pk", flat=True).first()
    count_variants = ["", f"label={labels[0]}", f"label={labels[0]}&label={labels[1]}"]
    count_variants += [f"label={labels[0]}&assignee=unassigned", f"label={labels[0]}&unread=1"]
    count_variants += ["channel=" + str(channel), "from_ad=1", "assignee=unassigned"]
    if team:
        count_variants += [f"team={team}", f"team={team}&label={labels[0]}"]
    for qs in count_variants:
        values = timed(client, f"{base}counts/?{qs}", runs)
        counts_detail[qs or "(open, no filter)"] = (
            statistics.median(values),
            p95(values),
            plans_of(client, f"{base}counts/?{qs}"),
        )
        per_op["counts"] += values
    per_op["search"] = []
    search_detail = {}
    for name, q in SEARCHES.items():
        url = f"{base}search/?q={quote(q)}"
        values = timed(client, url, runs)
        search_detail[name] = (q, statistics.median(values), p95(values), plans_of(client, url))
        per_op["search"] += values
    # Infinite scroll: the second page of a frequent and of a rare word's results.
    from inbox.selectors.search import search_messages

    for name, q in (("page 2, english word", "refund"), ("page 2, rare phrase", "water damaged")):
        first = search_messages(tenant=tenant, query=q)
        if not first.next_cursor:
            continue
        url = f"{base}search/?q={quote(q)}&cursor={first.next_cursor}"
        values = timed(client, url, runs)
        search_detail[name] = (q, statistics.median(values), p95(values), plans_of(client, url))
        per_op["search"] += values
    # The list's (and the API's) `q`: conversations mentioning a frequent and a rare word.
    for name, q in (("list q, english word", "refund"), ("list q, rare phrase", "water damaged")):
        url = f"{base}list/?q={quote(q)}"
        values = timed(client, url, runs)
        search_detail[name] = (q, statistics.median(values), p95(values), plans_of(client, url))
        per_op["search"] += values
    # Thread open: the longest thread and some typical ones.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conversation_id FROM inbox_message WHERE tenant_id = %s "
            "GROUP BY conversation_id ORDER BY count(*) DESC LIMIT 1",
            [tenant.pk],
        )
        longest = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM inbox_message WHERE conversation_id = %s", [longest])
        longest_len = cursor.fetchone()[0]
    sample = list(
        Conversation.objects.for_tenant(tenant).order_by("?").values_list("pk", flat=True)[:5]
    )
    per_op["thread"] = []
    for pk in [longest, *sample]:
        per_op["thread"] += timed(client, f"{base}c/{pk}/", runs, HTTP_HX_REQUEST="true")
    # Baseline: the same list view on an empty tenant, same user, same run (machine speed).
    empty, _created = Tenant.objects.get_or_create(slug="bench-empty", defaults={"name": "Empty"})
    Membership.objects.get_or_create(tenant=empty, user=owner.user, defaults={"role": "owner"})
    per_op["baseline"] = timed(client, "/t/bench-empty/inbox/list/", runs * 3)
    results["ops"] = {
        name: (statistics.median(values), p95(values), len(values))
        for name, values in per_op.items()
    }
    results["search_detail"] = search_detail
    results["signatures"] = signature_summary(tenant)
    results["counts_detail"] = counts_detail
    results["longest_thread"] = longest_len
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'inbox_message'")
        results["table_messages"] = cursor.fetchone()[0]
    return results


def render(main: dict, other: dict | None, runs: int) -> str:
    targets = {"list": 150, "counts": 100, "search": 300, "thread": 100}
    base_p95 = main["ops"]["baseline"][1]
    lines = [
        "## Inbox",
        "",
        f"Measured by `bench/bench_inbox.py` on this shared 2-core machine (PostgreSQL 15, "
        f"same host), through the real views (routing, tenant resolution, SQL, templates), "
        f"signed in as the owner; {runs} timed runs per variant after a warm-up. "
        f"Load average during the run: {os.getloadavg()[0]:.1f} (the machine is shared; "
        "figures vary ±50 % between runs).",
        "",
        f"Data: `generate_load_data` — tenant `{main['tenant']}`: {main['conversations']:,} "
        f"conversations ({main['open']:,} open), {main['messages']:,} messages "
        f"(longest thread {main['longest_thread']:,} messages); Thai, Vietnamese, English, "
        "Czech, Japanese, Indonesian text over two years with Zipf-distributed shop words, "
        "rare phrases and phone numbers, labels, teams, assignees, ad attribution, read "
        f"markers. All load tenants share one database ({main['table_messages']:,} rows in "
        "`inbox_message`).",
        "",
        f"Baseline: the same list view on an empty tenant, p95 {base_p95:.1f} ms in this run; "
        "`× baseline` = p95 / that baseline (comparable across machines).",
        "",
        "| operation | variants | p50 ms | p95 ms | × baseline | target p95 |",
        "|---|---|---|---|---|---|",
    ]
    variants = {
        "list": "open, unassigned, an agent, a label, from ad, a campaign, a channel, all "
        "statuses, unread, page 2 (keyset cursor)",
        "counts": "all sidebar counts in one query (capped at 999+), with each filter set below",
        "search": "common words in th/vi/en/cs/ja/id, a template sentence, rare and very "
        "rare phrases, no match, phone digits, page 2 (cursor), the list's q",
        "thread": "the longest thread + 5 random conversations (newest 40 messages)",
    }
    for name, (p50, p_95, _n) in main["ops"].items():
        if name == "baseline":
            continue
        lines.append(
            f"| {name} | {variants[name]} | {p50:.1f} | {p_95:.1f} | {p_95 / base_p95:.1f} "
            f"| < {targets[name]} |"
        )
    lines += ["", "Counts, per filter set (p50 / p95 ms; plan: scans and rows read):", ""]
    for name, (p50, p_95, plan) in main["counts_detail"].items():
        lines.append(f"- `{name}`: {p50:.1f} / {p_95:.1f} — {plan}")
    lines += ["", "Search, per query (p50 / p95 ms; plan: scans and rows read):", ""]
    for name, (q, p50, p_95, plan) in main["search_detail"].items():
        lines.append(f"- {name} (`{q}`): {p50:.1f} / {p_95:.1f} — {plan}")
    lines += ["", f"Search signatures: {main['signatures']}."]
    if other:
        lines += [
            "",
            f"Scaling: tenant `{other['tenant']}` has {other['conversations']:,} "
            f"conversations and {other['messages']:,} messages.",
            "",
            f"| operation | p95 at {other['messages']:,} msgs "
            f"| p95 at {main['messages']:,} msgs | ratio (target < 2) |",
            "|---|---|---|---|",
        ]
        for name in ("list", "counts", "search", "thread"):
            a, b = other["ops"][name][1], main["ops"][name][1]
            lines.append(f"| {name} | {a:.1f} | {b:.1f} | {b / a:.2f} |")
    lines.append("")
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    start = text.find("## Inbox")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    path.write_text(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenant", default="load-1m")
    parser.add_argument("--compare", default="")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--write", default="")
    args = parser.parse_args()
    started = time.monotonic()
    main_results = bench_tenant(args.tenant, args.runs)
    other = bench_tenant(args.compare, args.runs) if args.compare else None
    section = render(main_results, other, args.runs)
    print(section)
    print(f"(benchmark took {time.monotonic() - started:.0f}s)")
    if args.write:
        write_section(Path(args.write), section)


if __name__ == "__main__":
    main()
