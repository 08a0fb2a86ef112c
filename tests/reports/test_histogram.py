"""Percentiles from the per-day histograms stay within the bound docs/reports.md states, for
any values, however the days are split; the response-time chart's bars are exact."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.facts import percentile
from reports.figures import RESPONSE_BINS, response_bin
from reports.histogram import (
    BINS,
    bin_low,
    bin_of,
    histogram_add,
    histogram_pairs,
    histogram_percentile,
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
    for values in days:
        day: dict[int, int] = {}
        for value in values:
            day[bin_of(value)] = day.get(bin_of(value), 0) + 1
        stored = histogram_pairs(day)
        assert len(stored) == 2 * len(day) <= 2 * BINS  # only the bins with a count
        histogram_add(merged, stored)
    everything = [v for values in days for v in values]
    for fraction in (0.5, 0.9):
        assert within_bound(
            histogram_percentile(merged, fraction), percentile(everything, fraction)
        )


@given(st.lists(SECONDS, min_size=1, max_size=50))
def test_each_value_falls_in_the_same_chart_bar_as_its_bin(values):
    for value in values:
        assert response_bin(bin_low(bin_of(value))) == response_bin(value)


def test_zero_stays_exact_and_the_bins_cover_the_chart_bounds():
    assert histogram_percentile({bin_of(0): 3}, 0.5) == 0
    for bound in RESPONSE_BINS[:-1]:
        assert bin_low(bin_of(bound)) == bound


SPARSE = st.dictionaries(st.integers(min_value=0, max_value=BINS - 1), st.integers(-5, 5))


@pytest.mark.django_db
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a=SPARSE, b=SPARSE)
def test_the_database_adds_stored_histograms_as_python_does(a, b):
    """The upsert's `reports_hist_add` (a refresh adds a conversation's bins and takes its old
    ones back): the sum of two sparse histograms, bins that cancel out dropped, by bin."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reports_hist_add(%s::int[], %s::int[])",
            [histogram_pairs(a), histogram_pairs(b)],
        )
        stored = cursor.fetchone()[0]
    expected = histogram_add(histogram_add({}, histogram_pairs(a)), histogram_pairs(b))
    assert stored == histogram_pairs(expected)
    assert all(n != 0 for n in stored[1::2])
