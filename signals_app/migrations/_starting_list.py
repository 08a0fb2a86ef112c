"""Moves tenants from one version of the shipped starting list of signal keywords to the next.

Used by data migrations only (Django does not load a migration module whose name starts with
"_"). Each version of the list is kept frozen in ``starting_lists/v<N>.json`` so that a
migration keeps doing what it did when it was written, whatever the live list
(``signals_app/data/signal_keywords.json``) becomes later.

A keyword is known by its signal and its lower-cased text (the table's unique constraint).
Keywords are never edited in place (they are imported, added from the starting list, or
deleted), so a tenant's keyword is *untouched* when it came from the starting list
(``origin = "shipped"``) and still reads exactly as the old version shipped it. Only untouched
keywords are changed or removed; a keyword the tenant deleted, imported itself or that differs
from what was shipped stays as it is. Tenants without any keyword from the starting list (not
connected yet, or they replaced it with their own list) are left alone.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

LISTS = Path(__file__).resolve().parent / "starting_lists"
FIELDS = ("text", "language", "mode", "accent_insensitive")
# The key of inbox/automation/keyword_versions.py for a tenant's signal keywords: deleting it
# makes every running process rebuild its matcher from the rows (a fresh version is made).
VERSION_KEY = "keywords:version:signals:{tenant_id}"


def load(version: int) -> dict[tuple[str, str], dict]:
    data = json.loads((LISTS / f"v{version}.json").read_text(encoding="utf-8"))
    keywords = {}
    for item in data["keywords"]:
        row = {
            "signal": item["signal"],
            "text": item["text"],
            "language": item.get("language", ""),
            "mode": item.get("mode", "whole_word"),
            "accent_insensitive": bool(item.get("accent_insensitive", False)),
        }
        keywords.setdefault((row["signal"], row["text"].lower()), row)
    return keywords


def _untouched(keyword, shipped: dict) -> bool:
    return keyword.origin == "shipped" and all(
        getattr(keyword, name) == shipped[name] for name in FIELDS
    )


def upgrade(apps, old_version: int, new_version: int) -> None:
    SignalKeyword = apps.get_model("signals_app", "SignalKeyword")
    old, new = load(old_version), load(new_version)
    tenant_ids = (
        SignalKeyword.objects.filter(origin="shipped")
        .values_list("tenant_id", flat=True)
        .distinct()
        .order_by("tenant_id")
    )
    now = timezone.now()
    for tenant_id in list(tenant_ids):
        mine = {
            (k.signal, k.text.lower()): k for k in SignalKeyword.objects.filter(tenant_id=tenant_id)
        }
        remove, change = [], []
        for key, keyword in mine.items():
            if key not in old or not _untouched(keyword, old[key]):
                continue
            if key not in new:
                remove.append(keyword.pk)
            elif new[key] != old[key]:
                for name in FIELDS:
                    setattr(keyword, name, new[key][name])
                keyword.updated_at = now  # the signal matchers are rebuilt when it moves
                change.append(keyword)
        SignalKeyword.objects.filter(pk__in=remove).delete()
        SignalKeyword.objects.bulk_update(change, [*FIELDS, "updated_at"], batch_size=500)
        SignalKeyword.objects.bulk_create(
            [
                SignalKeyword(
                    tenant_id=tenant_id, origin="shipped", created_at=now, updated_at=now, **row
                )
                for key, row in new.items()
                if key not in old and key not in mine
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        _forget_matchers(tenant_id)


def _forget_matchers(tenant_id: int) -> None:
    key = VERSION_KEY.format(tenant_id=tenant_id)

    def forget():
        # No cache reachable while migrating: processes started afterwards build afresh.
        with contextlib.suppress(Exception):
            cache.delete(key)

    forget()
    transaction.on_commit(forget)
