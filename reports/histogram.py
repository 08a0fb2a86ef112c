"""Durations as fixed log-scale histograms, so the median and 90th percentile of any period
are computed from per-day counts merged across days instead of the period's raw values.

Bins (never change them: stored rollups depend on them): exactly 0; (0, 1 s); then from 1 s
up, each bin GROWTH times wider than the one before, with every bound of the response-time
distribution (`figures.RESPONSE_BINS`) added as an edge so that chart's counts are exact;
the last bin holds everything from ten years on.

A percentile is PostgreSQL's `percentile_cont` (linear interpolation between the two closest
ranks) with each rank's value replaced by its bin's geometric middle. A value v in a bin
[lo, hi) with hi/lo ≤ GROWTH is off by at most a factor √GROWTH, and so is any weighted mean
of two such values: the result is within 2.5 % of the exact percentile, or 0.5 s for values
under one second, and exact when the values are 0 (docs/reports.md).
"""

from __future__ import annotations

import math
import sys
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from itertools import accumulate

from .figures import RESPONSE_BINS

GROWTH = 1.05
TOP = 10 * 365 * 86400.0
RELATIVE_ERROR = math.sqrt(GROWTH) - 1  # 2.47 %
ABSOLUTE_ERROR = 0.5  # seconds, below 1 s


def _edges() -> tuple[float, ...]:
    edges = {1.0}
    value = 1.0
    while value < TOP:
        value = round(value * GROWTH, 6)
        edges.add(value)
    edges |= {float(b) for b in RESPONSE_BINS if b is not None}
    return tuple(sorted(edges))


EDGES = _edges()  # bin 0: exactly 0; bin 1: (0, 1); bin k ≥ 2: [EDGES[k-2], EDGES[k-1])
BINS = len(EDGES) + 2


def bin_of(seconds: float) -> int:
    if seconds <= 0:
        return 0
    if seconds < EDGES[0]:
        return 1
    return 1 + bisect_right(EDGES, seconds)


def bin_value(index: int) -> float:
    """The value a bin stands for: its geometric middle (0 and 0.5 s for the first two)."""
    if index <= 0:
        return 0.0
    if index == 1:
        return 0.5
    low = EDGES[index - 2]
    if index - 1 >= len(EDGES):
        return low
    return math.sqrt(low * EDGES[index - 1])


def bin_low(index: int) -> float:
    return 0.0 if index <= 1 else EDGES[index - 2]


def histogram_percentile(counts: Mapping[int, int], fraction: float) -> float | None:
    """`percentile_cont(fraction)` of the values a histogram {bin: count} counts."""
    return histogram_percentiles(counts, (fraction,))[0]


def histogram_percentiles(
    counts: Mapping[int, int], fractions: Iterable[float]
) -> list[float | None]:
    """Several percentiles of one histogram, its bins sorted once (at most BINS of them)."""
    items = sorted((index, n) for index, n in counts.items() if n > 0)
    total = sum(n for _index, n in items)
    results: list[float | None] = []
    for fraction in fractions:
        if not total:
            results.append(None)
            continue
        position = fraction * (total - 1)
        low_rank = int(position)
        high_rank = min(low_rank + 1, total - 1)
        low_value = high_value = 0.0
        found_low = False
        seen = 0
        for index, n in items:
            if not found_low and low_rank < seen + n:
                low_value, found_low = bin_value(index), True
            if high_rank < seen + n:
                high_value = bin_value(index)
                break
            seen += n
        results.append(low_value + (high_value - low_value) * (position - low_rank))
    return results


def dense_percentiles(dense: list[int], fractions: Iterable[float]) -> list[float | None]:
    """`histogram_percentiles` of a dense histogram of non-negative counts: the bin holding
    a rank found by bisecting the cumulative counts (a fixed cost: BINS additions in C)."""
    cumulative = list(accumulate(dense))
    total = cumulative[-1] if cumulative else 0
    results: list[float | None] = []
    for fraction in fractions:
        if total <= 0:
            results.append(None)
            continue
        position = fraction * (total - 1)
        low_rank = int(position)
        high_rank = min(low_rank + 1, total - 1)
        low_value = bin_value(bisect_right(cumulative, low_rank))
        high_value = bin_value(bisect_right(cumulative, high_rank))
        results.append(low_value + (high_value - low_value) * (position - low_rank))
    return results


# --- how ReportDay stores a histogram (reports.0005) ---------------------------------------
#
# Dense and fixed-size: all BINS counts as big-endian 32-bit integers (FIELD bytes each, bin 0
# first), or b"" for a histogram with nothing in it. Whatever a row holds, reading it costs
# the same. Read as one big Python integer (`int.from_bytes`), the fields never carry into
# each other while every count is non-negative and their sum stays below 2**32, so a period's
# rows are summed by adding those integers — one addition in C per row, never a step per bin
# (`stored_total`, `stored_dense`). The refresh changes a stored row with the SQL function
# `reports_hist_apply(bytea, integer[])`, which adds sparse (bin, count) pairs to it.

FIELD = 4
STORED_BYTES = FIELD * BINS
CARRY_FREE = 1 << (8 * FIELD)  # below this many values, adding stored rows never carries


def histogram_bytes(counts: Mapping[int, int]) -> bytes:
    """A {bin: count} histogram as ReportDay stores it (b"" when it counts nothing)."""
    if not any(counts.values()):
        return b""
    dense = array("i", bytes(STORED_BYTES))
    for index, n in counts.items():
        dense[index] += n
    if sys.byteorder == "little":
        dense.byteswap()
    return dense.tobytes()


def stored_total(stored: bytes | memoryview | None) -> int:
    """A stored histogram as one integer: the sum of several is their stored sum."""
    return int.from_bytes(stored or b"", "big")


def stored_dense(total: int, count: int) -> array:
    """The BINS counts of a sum of stored histograms (`stored_total`) that counted `count`
    values in all: a fixed cost in C (one conversion, no step per bin in Python)."""
    if count >= CARRY_FREE:
        raise OverflowError(f"{count} values: a stored sum of histograms would carry")
    dense = array("I")
    dense.frombytes(total.to_bytes(STORED_BYTES, "big"))
    if sys.byteorder == "little":
        dense.byteswap()
    return dense


def histogram_counts(stored: bytes | memoryview | None) -> dict[int, int]:
    """The non-zero bins of one stored histogram, as {bin: count} (signed: for the tests)."""
    if not stored:
        return {}
    dense = array("i", bytes(stored))
    if sys.byteorder == "little":
        dense.byteswap()
    return {index: n for index, n in enumerate(dense) if n}


def histogram_pairs(counts: Mapping[int, int]) -> list[int]:
    """A histogram's non-empty bins as a flat list of (bin, count) pairs sorted by bin: what
    the refresh sends `reports_hist_apply` to add to a stored row (a delta: few pairs)."""
    return [v for index in sorted(counts) if counts[index] for v in (index, counts[index])]


def histogram_add(into: dict[int, int], pairs: Iterable[int] | None) -> dict[int, int]:
    """Add flat (bin, count) pairs (`histogram_pairs`) to a {bin: count} histogram."""
    pairs = iter(pairs or ())
    get = into.get
    for index, n in zip(pairs, pairs, strict=False):  # (bin, count), (bin, count), …
        into[index] = get(index, 0) + n
    return into


def within_bound(estimate: float | None, exact: float | None) -> bool:
    """Whether a percentile from the histograms is as close to the exact one as promised."""
    if estimate is None or exact is None:
        return estimate is None and exact is None
    return abs(estimate - exact) <= RELATIVE_ERROR * abs(exact) + ABSOLUTE_ERROR + 1e-6


PERCENTILES = ("first_response_median", "first_response_p90", "resolution_median",
               "resolution_p90")  # fmt: skip


def figures_differences(rolled, direct) -> list[str]:
    """The fields where the rollups' Figures differ from the direct computation's: counts and
    ratios exactly (rounded as shown), percentiles beyond the histograms' bound."""
    from dataclasses import fields

    a, b = rolled.rounded(), direct.rounded()
    differences = []
    for f in fields(a):
        if f.name in PERCENTILES:
            if not within_bound(getattr(rolled, f.name), getattr(direct, f.name)):
                differences.append(f.name)
        elif getattr(a, f.name) != getattr(b, f.name):
            differences.append(f.name)
    return differences
