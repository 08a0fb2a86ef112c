"""Folding the sidebar tally (inbox/models/tallies.py).

The triggers of migration 0017 add one row per change (+1 / -1); `tally_fold` sums them into
the one folded row of each group, so the sidebar reads a few rows per group. Readers see the
same sums before and after a fold (one statement, one commit); the triggers only INSERT, so
writers never wait for the fold nor for each other on a counter row.
"""

from __future__ import annotations

from django.db import connection, transaction

GROUP = "tenant_id, label_id, status, assignee_id, team_id, kind, channel_id"
# One fold at a time (two would both upsert the same folded rows).
FOLD_LOCK = 0x7A11_0016

FOLD_SQL = f"""
WITH gone AS (
    DELETE FROM inbox_conversationtally
    WHERE id IN (SELECT id FROM inbox_conversationtally WHERE NOT folded LIMIT %s)
    RETURNING {GROUP}, n
), summed AS (
    SELECT {GROUP}, sum(n) AS n FROM gone GROUP BY {GROUP}
)
INSERT INTO inbox_conversationtally ({GROUP}, n, folded)
SELECT {GROUP}, n, true FROM summed
ON CONFLICT ({GROUP}) WHERE folded
DO UPDATE SET n = inbox_conversationtally.n + EXCLUDED.n
"""  # noqa: S608 (constant identifiers; the batch size is a parameter)


def tally_fold(batch: int = 200_000) -> int:
    """Fold up to `batch` change rows into their groups' folded rows; drop groups that sum to
    zero. Returns how many change rows were folded (0 when another fold is running)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [FOLD_LOCK])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(
            "SELECT count(*) FROM (SELECT 1 FROM inbox_conversationtally WHERE NOT folded "
            "LIMIT %s) AS c",
            [batch],
        )
        pending = cursor.fetchone()[0]
        if not pending:
            return 0
        cursor.execute(FOLD_SQL, [batch])
        cursor.execute("DELETE FROM inbox_conversationtally WHERE folded AND n = 0")
    return pending
