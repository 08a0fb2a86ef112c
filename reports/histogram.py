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


def dense_add(dense: list[int], pairs: Iterable[int] | None) -> list[int]:
    """Add a stored (sparse, flat pairs) histogram to a dense one (a list of BINS counts):
    one list update per stored pair, whatever the counts."""
    pairs = iter(pairs or ())
    for index, n in zip(pairs, pairs, strict=False):  # (bin, count), (bin, count), …
        dense[index] += n
    return dense


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


def histogram_pairs(counts: Mapping[int, int]) -> list[int]:
    """How a histogram is stored (ReportDay): only the bins with a count, as a flat list of
    (bin, count) pairs sorted by bin — its length is the number of non-empty bins, never the
    index of the longest duration."""
    return [v for index in sorted(counts) if counts[index] for v in (index, counts[index])]


def histogram_add(into: dict[int, int], pairs: Iterable[int] | None) -> dict[int, int]:
    """Add a stored (sparse, flat pairs) histogram to a {bin: count} one."""
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
