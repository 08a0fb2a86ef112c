"""Percentiles from the per-day histograms stay within the bound docs/reports.md states, for
any values, however the days are split; the response-time chart's bars are exact."""

from hypothesis import given
from hypothesis import strategies as st

from reports.facts import percentile
from reports.figures import RESPONSE_BINS, response_bin
from reports.histogram import (
    BINS,
    bin_low,
    bin_of,
    histogram_add,
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
        dense = [0] * BINS
        for value in values:
            dense[bin_of(value)] += 1
        histogram_add(merged, dense)
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
