"""Server-side SVG charts: geometry only (the templates draw it, the stylesheet colours it).
No script, no inline style, no request: the CSP stays strict and the charts print."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .figures import RESPONSE_BINS
from .periods import Period

WIDTH, HEIGHT = 640, 220
LEFT, BOTTOM, TOP = 40, 24, 10


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    step = 10 ** (len(str(value)) - 1)
    return ((value + step - 1) // step) * step


def volume_chart(period: Period, series: list[dict]) -> dict:
    """Bars of messages in and out per day (per hour for one day), with the y axis' ticks."""
    by_key = {}
    for row in series:
        at = row["at"]
        key = at.astimezone(period.zone).replace(tzinfo=None) if isinstance(at, datetime) else at
        by_key[key] = row
    if period.days == 1:
        start = datetime.combine(period.start, datetime.min.time())
        keys = [start + timedelta(hours=h) for h in range(24)]
        labels = [f"{k.hour:02d}" for k in keys]
    else:
        keys = [period.start + timedelta(days=n) for n in range(period.days)]
        labels = [formats.date_format(k, "SHORT_DATE_FORMAT") for k in keys]
    rows = [by_key.get(k, {}) for k in keys]
    peak = _nice_max(
        max(
            [r.get("messages_in", 0) for r in rows] + [r.get("messages_out", 0) for r in rows] + [0]
        )
    )
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / max(1, len(keys))
    bar = max(1.0, slot * 0.38)
    every = max(1, len(keys) // 8)
    bars = []
    for index, (key, label, row) in enumerate(zip(keys, labels, rows, strict=True)):
        x = LEFT + index * slot + slot * 0.1
        n_in, n_out = row.get("messages_in", 0), row.get("messages_out", 0)
        h_in, h_out = plot_h * n_in / peak, plot_h * n_out / peak
        bars.append(
            {
                "label": label,
                "show_label": index % every == 0,
                "label_x": round(x + bar, 1),
                "x_in": round(x, 1),
                "x_out": round(x + bar, 1),
                "width": round(bar, 1),
                "y_in": round(TOP + plot_h - h_in, 1),
                "h_in": round(h_in, 1),
                "y_out": round(TOP + plot_h - h_out, 1),
                "h_out": round(h_out, 1),
                "n_in": n_in,
                "n_out": n_out,
                "title_in": f"{label}: "
                + ngettext("%(n)s message in", "%(n)s messages in", n_in) % {"n": n_in},
                "title_out": f"{label}: "
                + ngettext("%(n)s message out", "%(n)s messages out", n_out) % {"n": n_out},
                "n_new": row.get("new", 0),
                "key": key,
            }
        )
    ticks = [
        {"value": peak * i // 4, "y": round(TOP + plot_h - plot_h * i / 4, 1)} for i in range(5)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - 8,
        "baseline": TOP + plot_h,
        "label_y": HEIGHT - 6,
        "bars": bars,
        "ticks": ticks,
        "total_in": sum(b["n_in"] for b in bars),
        "total_out": sum(b["n_out"] for b in bars),
    }


def weekday_names() -> list[str]:
    monday = date(2024, 1, 1)  # a Monday
    return [formats.date_format(monday + timedelta(days=n), "D") for n in range(7)]


def heatmap_chart(cells: dict[tuple[int, int], int]) -> dict:
    """7 rows (Monday first) × 24 local hours; each cell's shade is one of six levels."""
    peak = max(cells.values(), default=0)
    cell_w, cell_h, left, top = 24, 22, 44, 18
    names = weekday_names()
    rows = []
    for dow in range(1, 8):
        row = []
        for hour in range(24):
            n = cells.get((dow, hour), 0)
            level = 0 if not n or not peak else 1 + min(4, int(5 * n / (peak + 1)))
            title = f"{names[dow - 1]} {hour:02d}:00 — " + ngettext(
                "%(n)s message", "%(n)s messages", n
            ) % {"n": n}
            row.append(
                {"x": left + hour * cell_w, "y": top + (dow - 1) * cell_h, "n": n,
                 "level": level, "hour": hour, "title": title}
            )  # fmt: skip
        rows.append({"name": names[dow - 1], "y": top + (dow - 1) * cell_h + 15, "cells": row})
    hours = [{"x": left + h * cell_w + cell_w / 2, "label": f"{h:02d}"} for h in range(0, 24, 3)]
    return {
        "width": left + 24 * cell_w + 4,
        "height": top + 7 * cell_h + 4,
        "cell_w": cell_w - 2,
        "cell_h": cell_h - 2,
        "rows": rows,
        "hours": hours,
        "peak": peak,
        "total": sum(cells.values()),
    }


def bin_labels() -> list[str]:
    return [
        _("under 1 min"),
        _("1–5 min"),
        _("5–15 min"),
        _("15–60 min"),
        _("1–4 h"),
        _("4–24 h"),
        _("over 24 h"),
    ]


def distribution_chart(counts: list[int]) -> dict:
    """Horizontal bars: first responses per time range."""
    assert len(counts) == len(RESPONSE_BINS)
    peak = max(counts, default=0) or 1
    left, bar_h, gap, plot_w = 96, 18, 8, 480
    bars = []
    for index, (label, n) in enumerate(zip(bin_labels(), counts, strict=True)):
        y = 6 + index * (bar_h + gap)
        width = round(plot_w * n / peak, 1)
        bars.append({"label": label, "n": n, "y": y, "text_y": y + 13, "width": width,
                     "value_x": left + width + 6})  # fmt: skip
    return {
        "width": left + plot_w + 60,
        "height": 6 + len(counts) * (bar_h + gap),
        "left": left,
        "bar_h": bar_h,
        "bars": bars,
        "total": sum(counts),
    }
