#!/usr/bin/env python3
"""Copy a Parley tenant's contacts and orders into CSV files, page by page.

Only the standard library. Usage:

    PARLEY_API_KEY=pk_... python crm_sync.py --base-url https://parley.example.com --out-dir .

It follows the API's cursor pagination (`next` links) until the end, so a sync is complete
and has no duplicates even while new contacts arrive. It retries politely on 429 (honouring
Retry-After) and on 5xx.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

RESOURCES = {"contacts": "/api/v1/contacts/", "orders": "/api/v1/orders/"}


class ApiError(Exception):
    def __init__(self, status: int, body: dict | None):
        error = (body or {}).get("error", {})
        super().__init__(f"HTTP {status}: {error.get('code')}: {error.get('message')}")
        self.status = status


def get_json(url: str, api_key: str, *, attempts: int = 5) -> dict:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url}")
    headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as exc:
            try:
                body = json.load(exc)
            except ValueError:
                body = None
            retryable = exc.code == 429 or exc.code >= 500
            if not retryable or attempt == attempts:
                raise ApiError(exc.code, body) from None
            time.sleep(float(exc.headers.get("Retry-After") or 2**attempt))
    raise AssertionError("unreachable")


def iterate(base_url: str, path: str, api_key: str, page_size: int = 200):
    """Every object of a list endpoint, following the `next` cursor links."""
    url = f"{base_url.rstrip('/')}{path}?{urllib.parse.urlencode({'page_size': page_size})}"
    while url:
        page = get_json(url, api_key)
        yield from page["results"]
        url = page.get("next")


def flatten(obj: dict, prefix: str = "") -> dict:
    """Nested objects become dotted columns; lists are written as JSON."""
    row = {}
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            row.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            row[name] = json.dumps(value, ensure_ascii=False)
        else:
            row[name] = value
    return row


def export(base_url: str, api_key: str, resource: str, out_dir: str, page_size: int) -> int:
    rows = [flatten(obj) for obj in iterate(base_url, RESOURCES[resource], api_key, page_size)]
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    path = os.path.join(out_dir, f"{resource}.csv")
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns or ["id"])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=os.environ.get("PARLEY_BASE_URL", ""))
    parser.add_argument("--api-key", default=os.environ.get("PARLEY_API_KEY", ""))
    parser.add_argument("--out-dir", default=".")
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--resources", default="contacts,orders")
    args = parser.parse_args(argv)
    if not args.base_url or not args.api_key:
        parser.error("--base-url and --api-key (or PARLEY_BASE_URL / PARLEY_API_KEY) are needed")
    for resource in args.resources.split(","):
        try:
            count = export(args.base_url, args.api_key, resource, args.out_dir, args.page_size)
        except ApiError as exc:
            print(f"{resource}: {exc}", file=sys.stderr)
            return 1
        print(f"{resource}: {count} rows → {os.path.join(args.out_dir, resource + '.csv')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
