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


def insert_many_ignore_conflict(objs: list, *, chunk: int = 500) -> int:
    """Insert the instances of one model with multi-row ``INSERT … ON CONFLICT DO NOTHING
    RETURNING id`` statements, in list order (so ids ascend in it); returns how many were
    inserted. Each inserted instance gets its ``pk``; an instance a unique constraint refused
    keeps ``pk = None`` (matched by the RETURNING rows' values of the model's unique
    fields, ``channel_id`` + ``provider_message_id`` for messages)."""
    if not objs:
        return 0
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    key_fields = _conflict_key(meta)
    inserted = 0
    for start in range(0, len(objs), chunk):
        part = objs[start : start + chunk]
        params: list = []
        for obj in part:
            params += [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
        row = "({})".format(", ".join(["%s"] * len(fields)))
        # Identifiers come from the model's metadata (quoted), values are parameters.
        sql = "INSERT INTO {} ({}) VALUES {} ON CONFLICT DO NOTHING RETURNING {}".format(  # noqa: S608
            quote(meta.db_table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join([row] * len(part)),
            ", ".join(quote(c) for c in [meta.pk.column, *key_fields]),
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            returned = cursor.fetchall()
        by_key = {}
        for obj in part:
            by_key.setdefault(tuple(getattr(obj, c) for c in key_fields), obj)
        for pk, *key in returned:
            obj = by_key.get(tuple(key))
            if obj is not None and obj.pk is None:
                obj.pk = pk
                obj._state.adding = False
                inserted += 1
    return inserted


def _conflict_key(meta) -> list[str]:
    """The columns of the model's first unique constraint (what a refused row collides on)."""
    for constraint in meta.constraints:
        fields = getattr(constraint, "fields", ())
        if fields:
            return [meta.get_field(name).column for name in fields]
    raise ValueError(f"{meta.label} has no unique constraint to match inserted rows by")
