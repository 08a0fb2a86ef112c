"""parley_search_norm_scan (migration 0021) is parley_search_norm, cheaper on ASCII text.

The recency scans and the list's `q` (parley_conversation_mentions) test messages with it,
the trigram index and the query with parley_search_norm: any difference would lose or add a
match. Checked on the database's own unaccent rules: every ASCII character and every pair
of them (an ASCII-only rule would break the shortcut), arbitrary Unicode text, NULL.
"""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

ASCII = "".join(chr(c) for c in range(1, 128))


def both(text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT parley_search_norm_scan(%s), parley_search_norm(%s)", [text, text])
        return cursor.fetchone()


def test_every_ascii_character_and_pair():
    pairs = "".join(a + b for a in ASCII for b in ASCII)
    for text in (ASCII, ASCII.upper(), pairs, "", "REFUND 0812 +66 81"):
        scan, norm = both(text)
        assert scan == norm, text


def test_null_stays_null():
    assert both(None) == (None, None)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(min_codepoint=1, max_codepoint=127),
            st.sampled_from("ÁáÀĐđẠạÔôƠơŒœßﬁİıÅÉČčŠšŽžàéี่้ก送料ＡＢ①ⅫÆæ℃‘’…\u0301\u0300"),
            st.characters(min_codepoint=1, blacklist_categories=("Cs",)),
        ),
        max_size=40,
    )
)
def test_equals_parley_search_norm(text):
    scan, norm = both(text)
    assert scan == norm
