"""Percentiles from the per-day histograms stay within the bound docs/reports.md states, for
any values, however the days are split; the response-time chart's bars are exact; the stored
form (fixed-size, summed as integers) adds up as the counts do, in Python and in the
database."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.facts import percentile
from reports.figures import RESPONSE_BINS, response_bin
from reports.histogram import (
    BINS,
    CARRY_FREE,
    STORED_BYTES,
    bin_low,
    bin_of,
    dense_percentiles,
    histogram_add,
    histogram_bytes,
    histogram_counts,
    histogram_pairs,
    histogram_percentile,
    stored_dense,
    stored_total,
    within_bound,
)

SECONDS = st.one_of(
    st.just(0.0),
    st.floats(min_value=0, max_value=2),
    st.floats(min_value=0, max_value=90 * 86400),
)


@given(days=st.lists(st.lists(SECONDS, max_size=30), min_size=1, max_size=6))
def test_merged_days_give_percentiles_within_the_bound(days):
    merged: dict[int, int] = {}
    total = 0
    for values in days:
        day: dict[int, int] = {}
        for value in values:
            day[bin_of(value)] = day.get(bin_of(value), 0) + 1
        stored = histogram_bytes(day)
        assert len(stored) == (STORED_BYTES if values else 0)  # the same size, whatever it holds
        assert histogram_counts(stored) == day
        total += stored_total(stored)  # stored rows add up as integers
        histogram_add(merged, histogram_pairs(day))
    everything = [v for values in days for v in values]
    dense = stored_dense(total, len(everything))
    assert {i: n for i, n in enumerate(dense) if n} == merged
    for fraction in (0.5, 0.9):
        exact = percentile(everything, fraction)
        assert within_bound(histogram_percentile(merged, fraction), exact)
        assert dense_percentiles(dense, (fraction,)) == [histogram_percentile(merged, fraction)]


def test_a_sum_that_could_carry_is_refused():
    one = stored_total(histogram_bytes({5: 1}))
    assert list(stored_dense(one * 3, 3))[5] == 3
    with pytest.raises(OverflowError):
        stored_dense(one, CARRY_FREE)


@given(st.lists(SECONDS, min_size=1, max_size=50))
def test_each_value_falls_in_the_same_chart_bar_as_its_bin(values):
    for value in values:
        assert response_bin(bin_low(bin_of(value))) == response_bin(value)


def test_zero_stays_exact_and_the_bins_cover_the_chart_bounds():
    assert histogram_percentile({bin_of(0): 3}, 0.5) == 0
    for bound in RESPONSE_BINS[:-1]:
        assert bin_low(bin_of(bound)) == bound


SPARSE = st.dictionaries(st.integers(min_value=0, max_value=BINS - 1), st.integers(-5, 5))


def _sql(query, params):
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return cursor.fetchone()[0]


@pytest.mark.django_db
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=SPARSE, b=SPARSE)
def test_the_database_adds_changed_bins_to_a_stored_histogram_as_python_does(a, b):
    """The refresh's `reports_hist_apply` (a refresh adds a conversation's bins and takes its
    old ones back): a stored histogram plus (bin, count) pairs, every other bin unchanged."""
    stored = bytes(_sql("SELECT reports_hist_apply(%s, %s::int[])",
                        [histogram_bytes(a), histogram_pairs(b)]))  # fmt: skip
    expected = histogram_add(histogram_add({}, histogram_pairs(a)), histogram_pairs(b))
    assert histogram_counts(stored) == {i: n for i, n in expected.items() if n}
    assert len(stored) == (STORED_BYTES if any(a.values()) or any(b.values()) else 0)


@pytest.mark.django_db
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=SPARSE)
def test_the_migration_converts_stored_pairs_to_the_fixed_size_and_back(a):
    """reports.0005 stores the pairs of reports.0004 with `reports_hist_apply('', pairs)`;
    going back, `reports_hist_pairs` gives the same pairs."""
    pairs = histogram_pairs(a)
    stored = bytes(_sql("SELECT reports_hist_apply(''::bytea, %s::int[])", [pairs]))
    assert stored == histogram_bytes(a)
    assert _sql("SELECT reports_hist_pairs(%s)", [stored]) == pairs


def test_the_migration_has_the_bins_the_code_has():
    from importlib import import_module

    assert import_module("reports.migrations.0005_dense_histograms").BINS == BINS
