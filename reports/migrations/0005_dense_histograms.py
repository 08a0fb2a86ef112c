"""ReportDay's histograms become fixed-size: every one of the 411 bins (reports.histogram.BINS)
as a big-endian 32-bit integer in one `bytea` (b"" when the histogram is empty), instead of
the (bin, count) pairs of its non-empty bins (reports.0004). What a report reads per row no
longer grows with the number of distinct durations the row has seen: the readers add the
rows as Python integers (reports/histogram.py), one addition per row.

The rows are converted in place (no rebuild). The refresh changes a stored histogram with
`reports_hist_apply(bytea, integer[])`: it adds sparse (bin, count) pairs, each pair a few
byte operations, whatever the size of the histogram. `reports_hist_add` / `reports_hist_sum`
(integer[], reports.0004) stay for that migration and are no longer used."""

from django.db import migrations, models

BINS = 411  # reports.histogram.BINS when this was written (tests/reports/test_histogram.py)

HISTOGRAMS = (
    "first_response_hist",
    "first_response_business_hist",
    "resolution_hist",
    "resolution_business_hist",
)

# The 32-bit field of bin i: ('x' || hex)::bit(32)::integer reads 4 big-endian bytes as a
# signed integer; int4send writes one back. Every unchanged stretch between two pairs is
# copied as one substring.
HIST_APPLY = f"""
CREATE OR REPLACE FUNCTION reports_hist_apply(h bytea, pairs integer[])
RETURNS bytea LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN coalesce(cardinality(pairs), 0) = 0 THEN h ELSE (
        SELECT string_agg(
            substring(base.h FROM 4 * d.after + 1 FOR 4 * (d.bin - d.after))
            || int4send(
                ('x' || encode(substring(base.h FROM 4 * d.bin + 1 FOR 4), 'hex'))::bit(32)::integer
                + d.n)
            || CASE WHEN d.last THEN substring(base.h FROM 4 * d.bin + 5) ELSE ''::bytea END,
            ''::bytea ORDER BY d.bin)
        FROM (
            SELECT CASE WHEN length(h) = 0 THEN decode(repeat('00', 4 * {BINS}), 'hex')
                ELSE h END AS h
        ) AS base,
        (
            SELECT p.bin, p.n,
                coalesce(lag(p.bin) OVER (ORDER BY p.bin) + 1, 0) AS after,
                p.bin = max(p.bin) OVER () AS last
            FROM (
                SELECT pairs[2 * j - 1] AS bin, sum(pairs[2 * j])::integer AS n
                FROM generate_series(1, cardinality(pairs) / 2) AS j
                GROUP BY 1
            ) AS p
        ) AS d
    ) END
$$;
"""  # noqa: S608 — a constant

HIST_PAIRS = """
CREATE OR REPLACE FUNCTION reports_hist_pairs(h bytea)
RETURNS integer[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(x.v ORDER BY d.i, x.o), '{}'::integer[])
    FROM (
        SELECT i, ('x' || encode(substring(h FROM 4 * i + 1 FOR 4), 'hex'))::bit(32)::integer AS n
        FROM generate_series(0, length(h) / 4 - 1) AS i
    ) AS d
    CROSS JOIN LATERAL (VALUES (1, d.i), (2, d.n)) AS x(o, v)
    WHERE d.n <> 0
$$;
"""

TO_DENSE = "ALTER TABLE reports_reportday " + ", ".join(
    f"ALTER COLUMN {h} TYPE bytea USING reports_hist_apply(''::bytea, {h})" for h in HISTOGRAMS
)
TO_PAIRS = "ALTER TABLE reports_reportday " + ", ".join(
    f"ALTER COLUMN {h} TYPE integer[] USING reports_hist_pairs({h})" for h in HISTOGRAMS
)


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_sparse_histograms_weeks")]

    operations = [
        migrations.RunSQL(
            HIST_APPLY, "DROP FUNCTION IF EXISTS reports_hist_apply(bytea, integer[])"
        ),
        migrations.RunSQL(HIST_PAIRS, "DROP FUNCTION IF EXISTS reports_hist_pairs(bytea)"),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(TO_DENSE, TO_PAIRS)],
            state_operations=[
                migrations.AlterField(
                    model_name="reportday",
                    name=h,
                    field=models.BinaryField(blank=True, default=b""),
                )
                for h in HISTOGRAMS
            ],
        ),
        migrations.RunSQL("ANALYZE reports_reportday", migrations.RunSQL.noop),
    ]
