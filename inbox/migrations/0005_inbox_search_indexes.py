from django.db import migrations

# unaccent() is only STABLE (it depends on the search path and the dictionary), so an index
# expression cannot use it directly: wrap it, with its dictionary schema-qualified, in an
# IMMUTABLE function. lower() first, then unaccent, so "Đ"/"đ" and "É"/"é" meet.
FUNCTION = """
CREATE OR REPLACE FUNCTION parley_search_norm(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, lower($1)) $$;
"""

INDEXES = [
    # Search over the whole message history: trigrams work inside Thai text (no spaces).
    (
        "msg_text_search_trgm",
        "CREATE INDEX IF NOT EXISTS msg_text_search_trgm ON inbox_message "
        "USING gin (parley_search_norm(text) gin_trgm_ops)",
    ),
    # Contact names, phones and emails.
    (
        "contact_search_trgm",
        "CREATE INDEX IF NOT EXISTS contact_search_trgm ON inbox_contact USING gin "
        "(parley_search_norm(name || ' ' || phone || ' ' || email) gin_trgm_ops)",
    ),
    # Live-update catch-up: what changed in the tenant since a moment.
    (
        "conv_tenant_updated",
        "CREATE INDEX IF NOT EXISTS conv_tenant_updated ON inbox_conversation "
        "(tenant_id, updated_at)",
    ),
    (
        "msg_conversation_updated",
        "CREATE INDEX IF NOT EXISTS msg_conversation_updated ON inbox_message "
        "(conversation_id, updated_at)",
    ),
    # Unassigned conversations, newest first (the "unassigned" pre-filter and its count).
    (
        "conv_tenant_unassigned_recent",
        "CREATE INDEX IF NOT EXISTS conv_tenant_unassigned_recent ON inbox_conversation "
        "(tenant_id, status, last_message_at DESC, id DESC) WHERE assignee_id IS NULL",
    ),
    # Conversations that came from an ad, and per campaign.
    (
        "conv_tenant_campaign_recent",
        "CREATE INDEX IF NOT EXISTS conv_tenant_campaign_recent ON inbox_conversation "
        "(tenant_id, campaign_id, status, last_message_at DESC, id DESC) "
        "WHERE source <> 'organic'",
    ),
    # Per-channel list.
    (
        "conv_tenant_channel_recent",
        "CREATE INDEX IF NOT EXISTS conv_tenant_channel_recent ON inbox_conversation "
        "(tenant_id, channel_id, status, last_message_at DESC, id DESC)",
    ),
    # The label filter goes from the label to its conversations.
    (
        "conv_labels_label_conv",
        "CREATE INDEX IF NOT EXISTS conv_labels_label_conv ON inbox_conversation_labels "
        "(label_id, conversation_id)",
    ),
]


class Migration(migrations.Migration):
    """Indexes of the inbox UI: accent-insensitive trigram search, catch-up, pre-filters."""

    dependencies = [("inbox", "0004_saved_views")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS parley_search_norm(text)"),
        *[migrations.RunSQL(sql, f"DROP INDEX IF EXISTS {name}") for name, sql in INDEXES],
    ]
