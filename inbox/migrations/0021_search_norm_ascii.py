"""Search's per-row test without unaccent on ASCII text (issue 20, the list's `q`).

The recency scans (the search page, `is_frequent`) and `parley_conversation_mentions` (the
list's and the API's `q` with a frequent word) normalize every message they read with
`parley_search_norm` = unaccent(lower(text)); unaccent is most of their cost (measured at 10M:
196 ms of the list `q`'s 226 ms normalizing the 100,959 messages of the 223 conversations it
walks; lower() alone 57 ms, reading them 14 ms).

`parley_search_norm_scan(text)` gives the same value cheaper: an ASCII text (as many bytes as
characters in a UTF-8 database) is lower-cased byte-wise and not unaccented — no rule of
PostgreSQL's unaccent.rules has an ASCII-only source, so unaccent leaves an ASCII string as
it is, and `lower(… COLLATE "C")` of ASCII is what lower() gives after unaccent in every
collation (even Turkish: I → ı → i). Any other text goes through parley_search_norm.
Only the scans use it: the trigram index stays on parley_search_norm (no rebuild). Not
STRICT, so the planner inlines it (a CASE is not strict; NULL still gives NULL).
"""

from django.db import migrations

SCAN_NORM = """
CREATE OR REPLACE FUNCTION parley_search_norm_scan(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN octet_length($1) = char_length($1) THEN lower($1 COLLATE "C")
                  ELSE parley_search_norm($1) END $$;
"""

MENTIONS = """
CREATE OR REPLACE FUNCTION parley_conversation_mentions(conversation bigint, needle text)
RETURNS boolean LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT COST 1000
AS $$
BEGIN
    RETURN EXISTS (
        SELECT 1 FROM inbox_message m
        WHERE m.conversation_id = conversation AND m.kind <> 'activity'
          AND strpos(parley_search_norm_scan(m.text), needle) > 0
    );
END
$$;
"""

MENTIONS_0013 = """
CREATE OR REPLACE FUNCTION parley_conversation_mentions(conversation bigint, needle text)
RETURNS boolean LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT COST 1000
AS $$
BEGIN
    RETURN EXISTS (
        SELECT 1 FROM inbox_message m
        WHERE m.conversation_id = conversation AND m.kind <> 'activity'
          AND strpos(parley_search_norm(m.text), needle) > 0
    );
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("inbox", "0020_tally_links_set_based")]

    operations = [
        migrations.RunSQL(SCAN_NORM, "DROP FUNCTION IF EXISTS parley_search_norm_scan(text)"),
        migrations.RunSQL(MENTIONS, MENTIONS_0013),
    ]
