"""ReportDay's histograms become sparse: only the bins with a count, as (bin, count) pairs in
one flat array `{bin, count, bin, count, …}` sorted by bin — what a report reads no longer
grows with the length of the longest duration of the day (reports/histogram.py). The rows
are converted in place (no rebuild needed); the upsert adds two sparse arrays with
`reports_hist_add`.

Week rows: for every local week (Monday to Sunday, `day` = the Monday) and key, a row of
dimension "w.<dimension>" holding the sum of its 7 day rows, filled here from the day rows
(`reports_hist_sum` adds their histograms); the refresh keeps both from then on. A 30-day
report reads 6 to 12 rows per key instead of 30."""

from django.db import migrations

HISTOGRAMS = (
    "first_response_hist",
    "first_response_business_hist",
    "resolution_hist",
    "resolution_business_hist",
)

COUNTERS = (
    "messages_in", "messages_out", "conversations_new", "conversations_open", "resolutions",
    "first_responses", "replies", "bot_handled", "csat_responses", "csat_score",
    "csat_satisfied",
)  # fmt: skip

# Linear in the arrays' lengths: each is read once by unnest (subscripting a compressed
# array element by element would decompress it again for each element).
HIST_ADD = """
CREATE OR REPLACE FUNCTION reports_hist_add(a integer[], b integer[])
RETURNS integer[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(x.v ORDER BY merged.bin, x.o), '{}'::integer[])
    FROM (
        SELECT pairs.bin, sum(pairs.n)::integer AS n
        FROM (
            SELECT max(e.v) FILTER (WHERE e.i % 2 = 1) AS bin,
                   max(e.v) FILTER (WHERE e.i % 2 = 0) AS n
            FROM (
                SELECT u.v, u.i, 0 AS side FROM unnest(a) WITH ORDINALITY AS u(v, i)
                UNION ALL
                SELECT u.v, u.i, 1 FROM unnest(b) WITH ORDINALITY AS u(v, i)
            ) AS e
            GROUP BY e.side, (e.i + 1) / 2
        ) AS pairs
        GROUP BY pairs.bin
        HAVING sum(pairs.n) <> 0
    ) AS merged
    CROSS JOIN LATERAL (VALUES (1, merged.bin), (2, merged.n)) AS x(o, v)
$$;
"""

TO_PAIRS = "{h} = ARRAY(" \
    "SELECT x.v FROM unnest({h}) WITH ORDINALITY AS d(n, i) " \
    "CROSS JOIN LATERAL (VALUES (1, (d.i - 1)::integer), (2, d.n)) AS x(o, v) " \
    "WHERE d.n <> 0 ORDER BY d.i, x.o)"  # fmt: skip

TO_DENSE = "{h} = coalesce(ARRAY(" \
    "SELECT coalesce(p.n, 0) FROM generate_series(0, (" \
    "SELECT max({h}[2 * j - 1]) FROM generate_series(1, cardinality({h}) / 2) AS j)) AS b " \
    "LEFT JOIN (SELECT {h}[2 * j - 1] AS bin, {h}[2 * j] AS n " \
    "FROM generate_series(1, cardinality({h}) / 2) AS j) AS p ON p.bin = b ORDER BY b" \
    "), '{{}}')"  # fmt: skip

FORWARD = "UPDATE reports_reportday SET " + ", ".join(TO_PAIRS.format(h=h) for h in HISTOGRAMS)  # noqa: S608 — constants
BACKWARD = "UPDATE reports_reportday SET " + ", ".join(TO_DENSE.format(h=h) for h in HISTOGRAMS)  # noqa: S608


HIST_SUM = """
CREATE AGGREGATE reports_hist_sum(integer[]) (
    SFUNC = reports_hist_add, STYPE = integer[], INITCOND = '{}'
);
"""

WEEKS = f"""
INSERT INTO reports_reportday (tenant_id, day, dimension, key, {", ".join(COUNTERS + HISTOGRAMS)})
SELECT tenant_id, date_trunc('week', day)::date, 'w.' || dimension, key,
    {", ".join(f"sum({c})::integer" for c in COUNTERS)},
    {", ".join(f"reports_hist_sum({h})" for h in HISTOGRAMS)}
FROM reports_reportday
WHERE left(dimension, 2) <> 'w.'
GROUP BY tenant_id, date_trunc('week', day)::date, 'w.' || dimension, key
"""  # noqa: S608 — constants

NO_WEEKS = "DELETE FROM reports_reportday WHERE left(dimension, 2) = 'w.'"


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_days")]

    operations = [
        migrations.RunSQL(
            HIST_ADD, "DROP FUNCTION IF EXISTS reports_hist_add(integer[], integer[])"
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RunSQL(HIST_SUM, "DROP AGGREGATE IF EXISTS reports_hist_sum(integer[])"),
        migrations.RunSQL(WEEKS, NO_WEEKS),
    ]
