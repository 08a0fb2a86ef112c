"""Reports benchmark: every report page and API endpoint for a 30-day range, against the same
figures computed directly from the raw tables, on two tenants 10x apart.

    export DATABASE_URL=postgres://…/parley_reports_bench   # a database of its own
    python manage.py migrate
    python manage.py generate_load_data --tenant rep-10k --conversations 10000 \
        --messages 100000 --realistic-times --days 90 --timezone Asia/Bangkok
    python manage.py generate_load_data --tenant rep-100k --conversations 100000 \
        --messages 1000000 --realistic-times --days 90 --timezone Asia/Bangkok
    python bench/reports.py --tenant rep-100k --compare rep-10k [--runs 20] [--direct-runs 5]

The rollups are built first (`report_tenant_rebuild`, timed). Each request goes through
Django's whole stack in-process with the test client (session for pages, API key for the
API); one warm-up, then `--runs` timed runs per page/endpoint, interleaved round-robin — each
call on both tenants back to back — so the shared machine's noise falls on all alike;
p50/p95 over the runs. *direct* = `reports.direct.direct_figures` for the period and the
previous one (what the overview's cards show, without rollups). *growth* = p95 on the large
tenant ÷ p95 on the small one.
"""

from __future__ import annotations

import argparse
import faulthandler
import gc
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

from reports.direct import direct_figures  # noqa: E402
from reports.figures import Scope  # noqa: E402
from reports.histogram import figures_differences  # noqa: E402
from reports.models import (  # noqa: E402
    ReportBucket,
    ReportConversation,
    ReportDay,
    ReportResolution,
)
from reports.periods import period_parse  # noqa: E402
from reports.services import report_tenant_rebuild  # noqa: E402
from tenants.api_auth import ApiKeyRateThrottle  # noqa: E402
from tenants.models import ApiKey, Membership, Tenant  # noqa: E402
from tenants.services import api_key_create  # noqa: E402

settings.DEBUG = False
settings.ALLOWED_HOSTS = ["*"]
ApiKeyRateThrottle.rate = "100000000/min"  # measure the endpoints, not the limiter
Q = "period=30d"


def p95(values):
    values = sorted(values)
    return values[max(0, int(round(0.95 * len(values))) - 1)]


def prepare(slug: str, rebuild: bool) -> dict:
    tenant = Tenant.objects.get(slug=slug)
    built = None
    if rebuild or not ReportConversation.objects.for_tenant(tenant).exists():
        t = time.perf_counter()
        report_tenant_rebuild(tenant=tenant)
        built = time.perf_counter() - t
        with connection.cursor() as cursor:
            for table in ("reportbucket", "reportconversation", "reportresolution", "reportday"):
                cursor.execute(f"ANALYZE reports_{table}")
    ApiKey.objects.for_tenant(tenant).filter(name="bench-reports").delete()
    raw = api_key_create(tenant=tenant, name="bench-reports", read_only=True).raw_key
    owner = Membership.objects.filter(tenant=tenant, role="owner").select_related("user").first()
    page_client = Client()
    page_client.force_login(owner.user)
    base = f"/t/{slug}/reports/"
    pages = {
        "page overview": base,
        **{f"page {d}s": f"{base}{d}s/" for d in ("agent", "team", "channel", "label", "campaign")},
        "page agents CSV": f"{base}agents/export.csv",
        "page live": f"{base}live/",
    }
    api = {
        "api summary": "/api/v1/reports/summary/",
        **{
            f"api breakdown {d}": f"/api/v1/reports/breakdown/?dimension={d}"
            for d in ("agent", "team", "channel", "label", "campaign")
        },
        "api volume": "/api/v1/reports/volume/",
        "api heatmap": "/api/v1/reports/heatmap/",
        "api response-times": "/api/v1/reports/response-times/",
    }
    calls = {}
    for name, url in pages.items():
        sep = "&" if "?" in url else "?"
        calls[name] = (page_client, url + (sep + Q if "live" not in url else ""), {})
    api_client = Client()
    for name, url in api.items():
        sep = "&" if "?" in url else "?"
        calls[name] = (api_client, url + sep + Q, {"HTTP_AUTHORIZATION": f"Bearer {raw}"})
    return {
        "tenant": tenant,
        "calls": calls,
        "built": built,
        "rows": (
            ReportBucket.objects.for_tenant(tenant).count(),
            ReportConversation.objects.for_tenant(tenant).count(),
            ReportResolution.objects.for_tenant(tenant).count(),
            ReportDay.objects.for_tenant(tenant).count(),
        ),
    }


class GcClock:
    """Time spent in the garbage collector's full (generation 2) collections, to tell a slow
    request from one a collection landed on."""

    def __init__(self):
        self.total = 0.0
        self._start = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start


def measure(setups: dict[str, dict], runs: int, direct_runs: int) -> dict[str, dict]:
    """Every call on every tenant, interleaved: each run goes through the calls in turn and
    makes each call on both tenants back to back (in alternating order), so a noisy moment of
    the shared machine falls on both sizes alike, not on one tenant's block of runs."""
    times = {slug: {name: [] for name in s["calls"]} for slug, s in setups.items()}
    for setup in setups.values():  # warm-up
        for client, url, headers in setup["calls"].values():
            assert client.get(url, **headers).status_code == 200, url
    gc.collect()
    gc.freeze()  # what a web process does once started (config/asgi.py)
    slugs = list(setups)
    names = list(next(iter(setups.values()))["calls"])
    clock = GcClock()
    collections = []  # (ms in full collections, call, tenant)
    for run in range(runs):
        for name in names:
            for slug in slugs if run % 2 == 0 else reversed(slugs):
                client, url, headers = setups[slug]["calls"][name]
                before = clock.total
                t = time.perf_counter()
                response = client.get(url, **headers)
                times[slug][name].append(time.perf_counter() - t)
                assert response.status_code == 200, (url, response.status_code)
                if clock.total > before:
                    collections.append(((clock.total - before) * 1000, name, slug))
    landed = "".join(f"; {ms:.0f} ms in {name} ({slug})" for ms, name, slug in collections)
    print(f"full garbage collections during timed requests: {len(collections)}{landed}")
    print("pages and API measured, now the direct computation", flush=True)
    from reports.selectors import report_figures

    for slug, setup in setups.items():
        tenant = setup["tenant"]
        period = period_parse(tenant, {"period": "30d"})
        rolled, direct = [], []
        for _ in range(direct_runs):
            t = time.perf_counter()
            a = (
                report_figures(tenant, period, Scope()),
                report_figures(tenant, period.previous(), Scope()),
            )
            rolled.append(time.perf_counter() - t)
            t = time.perf_counter()
            b = (
                direct_figures(tenant, period, Scope()),
                direct_figures(tenant, period.previous(), Scope()),
            )
            direct.append(time.perf_counter() - t)
            for rolled_figures, direct_figures_ in zip(a, b, strict=True):
                assert not figures_differences(rolled_figures, direct_figures_), (a, b)
        times[slug]["figures from rollups (both periods)"] = rolled
        times[slug]["figures direct from raw rows (both periods)"] = direct
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--compare")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--direct-runs", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    faulthandler.enable()
    print(f"load average at start: {os.getloadavg()}")
    setups = {}
    for slug in [s for s in (args.compare, args.tenant) if s]:
        setup = setups[slug] = prepare(slug, args.rebuild)
        print(f"{slug}: rollup rows (buckets, conversations, resolutions, days) {setup['rows']}"
              + (f", built in {setup['built']:.1f}s" if setup["built"] else ""))  # fmt: skip
    results = measure(setups, args.runs, args.direct_runs)
    print(f"load average at end: {os.getloadavg()}")
    big = results[args.tenant]
    small = results.get(args.compare)
    header = "| what | p50 ms | p95 ms |" + (" small p95 ms | growth |" if small else "")
    print(header)
    print("|---|---:|---:|" + ("---:|---:|" if small else ""))
    for name, values in big.items():
        line = f"| {name} | {statistics.median(values) * 1000:.0f} | {p95(values) * 1000:.0f} |"
        if small:
            line += f" {p95(small[name]) * 1000:.0f} | {p95(values) / p95(small[name]):.2f}× |"
        print(line)
    d = p95(big["figures direct from raw rows (both periods)"])
    r = p95(big["figures from rollups (both periods)"])
    print(f"direct ÷ rollups (p95, {args.tenant}): {d / r:.0f}×; "
          f"direct ÷ overview page: {d / p95(big['page overview']):.1f}×")  # fmt: skip


if __name__ == "__main__":
    main()
