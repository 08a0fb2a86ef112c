"""The label links' statement triggers (migration 0019) without a scan of the transition table
per conversation: the labels added and removed are grouped per conversation once and joined,
so a statement of N links costs O(N) — a bulk load's one COPY of 850,000 links, or an
automation pass labelling many conversations at once, would otherwise be quadratic (each
conversation's "before" read the whole transition table: it has no index).

Same result as 0019: per conversation touched, its label pairs after the statement minus
those before (the links now, less those added, plus those removed), after locking the
conversations FOR NO KEY UPDATE in id order.
"""
# ruff: noqa: S608 (constant identifiers only, no values)

from django.db import migrations

GROUP = "c.status, coalesce(c.assignee_id, 0), coalesce(c.team_id, 0), c.kind, c.channel_id"
TALLY = "tenant_id, label_id, label2_id, status, assignee_id, team_id, kind, channel_id"
READ = "tenant_id, user_id, label_id, label2_id, status, assignee_id, team_id, kind, channel_id"
NO_ROWS = (
    "(SELECT NULL::bigint AS conversation_id, NULL::bigint AS label_id WHERE false) AS no_links"
)
READERS = """(SELECT 0::bigint AS user_id WHERE c.last_customer_message_at IS NULL
        UNION ALL
        SELECT user_id FROM inbox_conversationread
        WHERE conversation_id = c.id AND last_read_at >= c.last_customer_message_at)"""


def _links_function(name: str, added: str, removed: str) -> str:
    touched = f"SELECT conversation_id FROM {added} UNION SELECT conversation_id FROM {removed}"
    pairs = f"""WITH t AS ({touched}),
        a AS (SELECT conversation_id, array_agg(label_id) AS labels FROM {added} GROUP BY 1),
        r AS (SELECT conversation_id, array_agg(label_id) AS labels FROM {removed} GROUP BY 1),
        now AS (SELECT l.conversation_id, array_agg(l.label_id) AS labels
                FROM inbox_conversation_labels AS l JOIN t USING (conversation_id) GROUP BY 1),
        sets AS (
            SELECT t.conversation_id AS id, coalesce(now.labels, '{{}}') AS after,
                   ARRAY(SELECT x FROM unnest(coalesce(now.labels, '{{}}')) AS x
                         EXCEPT SELECT y FROM unnest(coalesce(a.labels, '{{}}')) AS y
                         UNION SELECT z FROM unnest(coalesce(r.labels, '{{}}')) AS z) AS before
            FROM t LEFT JOIN now USING (conversation_id) LEFT JOIN a USING (conversation_id)
                   LEFT JOIN r USING (conversation_id))
        SELECT s.id, p.label_id, p.label2_id, 1 AS n
        FROM sets AS s, inbox_label_pairs(s.after) AS p
        UNION ALL
        SELECT s.id, p.label_id, p.label2_id, -1 AS n
        FROM sets AS s, inbox_label_pairs(s.before) AS p"""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Lock first (its own statement), so the next statements' snapshots see every link
    -- committed by a transaction that held the lock before.
    PERFORM 1 FROM inbox_conversation WHERE id IN ({touched}) ORDER BY id FOR NO KEY UPDATE;
    INSERT INTO inbox_conversationtally ({TALLY}, n, folded)
    SELECT c.tenant_id, d.label_id, d.label2_id, {GROUP}, sum(d.n), false
    FROM ({pairs}) AS d JOIN inbox_conversation AS c ON c.id = d.id
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 HAVING sum(d.n) <> 0;
    INSERT INTO inbox_readtally ({READ}, n, folded)
    SELECT c.tenant_id, u.user_id, d.label_id, d.label2_id, {GROUP}, sum(d.n), false
    FROM ({pairs}) AS d JOIN inbox_conversation AS c ON c.id = d.id,
         LATERAL {READERS} AS u
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 HAVING sum(d.n) <> 0;
    RETURN NULL;
END $$;"""


SQL = "\n".join(
    [
        _links_function("inbox_tally_links_insert", "new_links", NO_ROWS),
        _links_function("inbox_tally_links_delete", NO_ROWS, "old_links"),
        _links_function("inbox_tally_links_update", "new_links", "old_links"),
    ]
)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0019_tally_label_pairs")]

    operations = [migrations.RunSQL(SQL)]
