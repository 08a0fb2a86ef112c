"""Report figures are written as the reader's language writes numbers."""

import pytest
from django.utils import translation

from reports.templatetags.report_tags import figure


@pytest.mark.parametrize(
    ("language", "count", "ratio"),
    [
        ("en", "12,345", "2.5"),
        ("vi", "12.345", "2,5"),
        ("id", "12.345", "2,5"),
        ("cs", "12\xa0345", "2,5"),
        ("th", "12,345", "2.5"),
        ("ja", "12,345", "2.5"),
    ],
)
def test_counts_are_grouped_and_ratios_use_the_decimal_separator_of_the_language(
    language, count, ratio
):
    with translation.override(language):
        assert figure(12345, "count") == count
        assert figure(2.5, "ratio") == ratio
        assert figure(None, "count") == "—"
