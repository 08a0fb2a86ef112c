from django.db import migrations

# Search newest-first without collecting every match: the tenant's messages in time order
# (the recency scan stops when a page is full).
RECENT_INDEX = (
    "CREATE INDEX IF NOT EXISTS msg_tenant_recent ON inbox_message "
    "(tenant_id, created_at DESC, id DESC)"
)

# Whether a conversation has a message or note containing a (normalized) text, checked one
# conversation at a time through msg_conversation_time. PL/pgSQL on purpose: the planner
# cannot inline it, so a list filtered by a frequent word walks the conversations newest
# first and stops at the page, instead of hashing every matching message of the tenant.
MENTIONS = """
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

# The comments' conversations per status, newest first: the "comments" count and list walk
# this small index instead of every conversation of the tenant (a seq scan at 500k).
COMMENTS_INDEX = (
    "CREATE INDEX IF NOT EXISTS conv_tenant_comments_recent ON inbox_conversation "
    "(tenant_id, status, last_message_at DESC, id DESC) WHERE kind = 'comments'"
)


class Migration(migrations.Migration):
    dependencies = [("inbox", "0012_comments")]

    operations = [
        migrations.RunSQL(RECENT_INDEX, "DROP INDEX IF EXISTS msg_tenant_recent"),
        migrations.RunSQL(COMMENTS_INDEX, "DROP INDEX IF EXISTS conv_tenant_comments_recent"),
        migrations.RunSQL(
            MENTIONS, "DROP FUNCTION IF EXISTS parley_conversation_mentions(bigint, text)"
        ),
    ]
