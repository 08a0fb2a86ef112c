from django.db import migrations

# Search by number whatever its format. Every way of writing a number ends with the same
# digits, so a number is looked up by the end of the digits of a phone (and of a WhatsApp id):
# a B-tree prefix scan on the reversed digits. Channel identities (a TikTok username, an id)
# are also searched as text, with a trigram index. inbox/selectors/search.py builds the same
# expressions.
INDEXES = [
    (
        "contact_phone_digits_suffix",
        "CREATE INDEX IF NOT EXISTS contact_phone_digits_suffix ON inbox_contact "
        "(tenant_id, reverse(regexp_replace(phone, '[^0-9]+', '', 'g')) text_pattern_ops)",
    ),
    (
        "identity_external_id_suffix",
        "CREATE INDEX IF NOT EXISTS identity_external_id_suffix ON inbox_contactidentity "
        "(tenant_id, reverse(external_id) text_pattern_ops)",
    ),
    (
        "identity_search_trgm",
        "CREATE INDEX IF NOT EXISTS identity_search_trgm ON inbox_contactidentity USING gin "
        "(parley_search_norm(external_id || ' ' || username) gin_trgm_ops)",
    ),
]


# WhatsApp contacts created before their phone was filled get it now, in E.164, from their
# WhatsApp id (the number's digits); a phone an agent typed is never overwritten. updated_at
# moves so that CRMs syncing with updated_after pick the new phone up.
WHATSAPP_PHONES = """
UPDATE inbox_contact AS contact
SET phone = '+' || wa.external_id, updated_at = now()
FROM (
    SELECT DISTINCT ON (identity.contact_id) identity.contact_id, identity.external_id
    FROM inbox_contactidentity AS identity
    JOIN inbox_channel AS channel ON channel.id = identity.channel_id
    WHERE channel.provider = 'whatsapp' AND identity.external_id ~ '^[0-9]{7,15}$'
    ORDER BY identity.contact_id, identity.id
) AS wa
WHERE contact.id = wa.contact_id AND contact.phone = ''
"""


class Migration(migrations.Migration):
    dependencies = [("inbox", "0007_provider_choices_from_the_registry")]

    operations = [
        *[migrations.RunSQL(sql, f"DROP INDEX IF EXISTS {name}") for name, sql in INDEXES],
        migrations.RunSQL(WHATSAPP_PHONES, migrations.RunSQL.noop),
    ]
