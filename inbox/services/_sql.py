"""``INSERT … ON CONFLICT DO NOTHING RETURNING id`` for one model instance."""

from __future__ import annotations

from django.db import connection


def insert_ignore_conflict(obj) -> int | None:
    """Insert ``obj``; return its new id, or None when a unique constraint already holds the
    row (nothing is written). Sets ``obj.pk`` when inserted."""
    meta = obj._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    values = [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
    # Identifiers come from the model's metadata (quoted), values are parameters.
    sql = "INSERT INTO {} ({}) VALUES ({}) ON CONFLICT DO NOTHING RETURNING {}".format(  # noqa: S608
        quote(meta.db_table),
        ", ".join(quote(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
        quote(meta.pk.column),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return None
    obj.pk = row[0]
    obj._state.adding = False
    return row[0]
