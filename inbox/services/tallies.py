"""Folding the sidebar tallies (inbox/models/tallies.py: ConversationTally and ReadTally).

The triggers of migrations 0017 and 0018 add one row per change (+1 / -1); `tally_fold` sums
them into the one folded row of each group, so the sidebar reads a few rows per group. Readers
see the same sums before and after a fold (one statement, one commit); the triggers only
INSERT, so writers never wait for the fold nor for each other on a counter row.
"""

from __future__ import annotations

from django.db import connection, transaction

from inbox.models.tallies import GROUP_FIELDS

GROUP = ", ".join(["tenant_id", *GROUP_FIELDS])
# Each tally's table and the columns of its groups.
TALLIES = {
    "inbox_conversationtally": GROUP,
    "inbox_readtally": f"user_id, {GROUP}",
}
# One fold at a time (two would both upsert the same folded rows).
FOLD_LOCK = 0x7A11_0016

FOLD_SQL = """
WITH gone AS (
    DELETE FROM {table}
    WHERE id IN (SELECT id FROM {table} WHERE NOT folded LIMIT %s)
    RETURNING {group}, n
), summed AS (
    SELECT {group}, sum(n) AS n FROM gone GROUP BY {group}
)
INSERT INTO {table} ({group}, n, folded)
SELECT {group}, n, true FROM summed
ON CONFLICT ({group}) WHERE folded
DO UPDATE SET n = {table}.n + EXCLUDED.n
"""


def tally_fold(batch: int = 200_000) -> int:
    """Fold up to `batch` change rows of each tally into their groups' folded rows; drop
    groups that sum to zero. Returns how many change rows were folded (0 when another fold
    is running)."""
    folded = 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [FOLD_LOCK])
        if not cursor.fetchone()[0]:
            return 0
        for table, group in TALLIES.items():
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE NOT folded "  # noqa: S608
                "LIMIT %s) AS c",
                [batch],
            )
            pending = cursor.fetchone()[0]
            if not pending:
                continue
            cursor.execute(FOLD_SQL.format(table=table, group=group), [batch])
            cursor.execute(f"DELETE FROM {table} WHERE folded AND n = 0")  # noqa: S608
            folded += pending
    return folded
