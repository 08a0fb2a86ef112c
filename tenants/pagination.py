"""Keyset ("seek") cursor pagination for the API.

DRF's CursorPagination keeps only the first ordering field in the cursor and falls back to an
OFFSET among equal values, which gets slow and shaky when many rows share a timestamp. Here
the cursor holds every ordering field (the last one unique, normally `id`), so a page is one
index range scan whatever the page number, and rows that arrive meanwhile never make a walk
repeat or skip a row.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import BasePagination, _positive_int
from rest_framework.response import Response
from rest_framework.settings import api_settings


class KeysetCursorPagination(BasePagination):
    """Subclasses set `ordering`: fields all in the same direction, the last one unique."""

    ordering: tuple[str, ...] = ("-id",)
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "Invalid cursor."

    def __init__(self):
        self.page_size = api_settings.PAGE_SIZE or 50
        self.next_values = self.previous_values = None
        self.request = None

    # --- cursor encoding ---
    @staticmethod
    def _encode_value(value):
        if isinstance(value, datetime):
            return {"t": value.isoformat()}
        return value

    @staticmethod
    def _decode_value(value):
        if isinstance(value, dict) and "t" in value:
            parsed = parse_datetime(str(value["t"]))
            if parsed is None:
                raise ValueError("bad timestamp")
            return parsed
        if not isinstance(value, int | str) or isinstance(value, bool):
            raise ValueError("bad value")
        return value

    def encode_cursor(self, direction: str, values) -> str:
        payload = json.dumps({"d": direction, "v": [self._encode_value(v) for v in values]})
        token = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
        scheme, netloc, path, query, fragment = urlsplit(self.request.build_absolute_uri())
        params = parse_qs(query, keep_blank_values=True)
        params[self.cursor_query_param] = [token]
        return urlunsplit((scheme, netloc, path, urlencode(params, doseq=True), fragment))

    def decode_cursor(self, request):
        token = request.query_params.get(self.cursor_query_param)
        if not token:
            return None
        try:
            padded = token + "=" * (-len(token) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
            direction = data["d"]
            values = [self._decode_value(v) for v in data["v"]]
            if direction not in ("n", "p") or len(values) != len(self.ordering):
                raise ValueError("bad cursor")
            if isinstance(values[-1], int) and not 0 <= values[-1] < 2**63:
                raise ValueError("bad id")
        except (ValueError, KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError):
            raise NotFound(self.invalid_cursor_message) from None
        return direction, values

    # --- paging ---
    def get_page_size(self, request):
        """`page_size` as the schema states it (an integer from 1 to max_page_size; the API
        refuses anything else with 400 before the view runs)."""
        try:
            return _positive_int(
                request.query_params[self.page_size_query_param],
                strict=True,
                cutoff=self.max_page_size,
            )
        except (KeyError, ValueError):
            return self.page_size

    def _after(self, fields, values, descending: bool) -> Q:
        """Rows strictly after `values` in the walk's order (lexicographic), written so the
        first field bounds an index range: f1 <= v1 AND (f1 < v1 OR (f1 = v1 AND …))."""
        op = "lt" if descending else "gt"
        bound = Q(**{f"{fields[0]}__{op}e": values[0]})
        tail = Q()
        for i in range(len(fields) - 1, -1, -1):
            strict = Q(**{f"{fields[i]}__{op}": values[i]})
            tail = strict if i == len(fields) - 1 else strict | (Q(**{fields[i]: values[i]}) & tail)
        return bound & tail

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        fields = [f.lstrip("-") for f in self.ordering]
        descending = self.ordering[0].startswith("-")
        cursor = self.decode_cursor(request)
        forward = cursor is None or cursor[0] == "n"
        order = list(self.ordering)
        if not forward:
            order = [f[1:] if f.startswith("-") else f"-{f}" for f in order]
        if cursor is not None:
            queryset = queryset.filter(self._after(fields, cursor[1], descending == forward))
        rows = list(queryset.order_by(*order)[: self.page_size + 1])
        has_more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if not forward:
            rows.reverse()

        def key(row):
            return [getattr(row, f) for f in fields]

        self.next_values = self.previous_values = None
        if rows:
            if (forward and has_more) or (not forward and cursor is not None):
                self.next_values = key(rows[-1])
            if (forward and cursor is not None) or (not forward and has_more):
                self.previous_values = key(rows[0])
        elif cursor is not None and not forward:
            self.next_values = cursor[1]
        return rows

    def get_next_link(self):
        return self.encode_cursor("n", self.next_values) if self.next_values else None

    def get_previous_link(self):
        return self.encode_cursor("p", self.previous_values) if self.previous_values else None

    def get_paginated_response(self, data):
        return Response(
            {"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data}
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The pagination cursor value (from `next` / `previous`).",
                "schema": {"type": "string"},
            },
            page_size_parameter(self.page_size, self.max_page_size),
        ]


def page_size_parameter(default: int, maximum: int) -> dict:
    return {
        "name": "page_size",
        "required": False,
        "in": "query",
        "description": f"Results per page (default {default}, at most {maximum}).",
        "schema": {"type": "integer", "minimum": 1, "maximum": maximum},
    }


class ByIdPagination(KeysetCursorPagination):
    ordering = ("-id",)
