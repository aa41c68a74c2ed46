"""Two multi-row writes of the statement path, as SQL built once per model.

Every statement a learner's browser sends inserts its Statement row and upserts one or a
few ActivityProgress rows. Through the ORM (``InsertQuery``, ``bulk_create``) each of
these compiles a 16- to 21-column statement again on every request, which profiling put
among the largest costs of the busiest request the platform serves. Here the SQL text is
built once per (model, row count) and only the parameters are made per request, with the
fields' own ``get_db_prep_save``, so values reach the database exactly as the ORM would
send them. Both statements are plain SQL that PostgreSQL and SQLite (3.35+) understand.
"""

import functools
import uuid

from django.db import connection


def _fields(model):
    # Concrete columns in model order; the auto primary key is left to the database.
    return [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and field.get_internal_type() in _AUTO_FIELDS)
    ]


_AUTO_FIELDS = {"AutoField", "BigAutoField", "SmallAutoField"}


def _params(fields, rows) -> list:
    params = []
    for row in rows:
        for field in fields:
            params.append(field.get_db_prep_save(getattr(row, field.attname), connection))
    return params


@functools.lru_cache(maxsize=64)
def _insert_sql(model, count: int, suffix: str) -> str:
    qn = connection.ops.quote_name
    fields = _fields(model)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * count)} {suffix}"
    )


def insert_ignoring_conflicts(model, rows: list) -> set:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING pk: the primary keys actually
    inserted (rows whose key exists are skipped). The model's pk must be set on the rows
    (a UUID here: Statement)."""
    pk = model._meta.pk
    qn = connection.ops.quote_name
    sql = _insert_sql(model, len(rows), f"ON CONFLICT DO NOTHING RETURNING {qn(pk.column)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(_fields(model), rows))
        returned = cursor.fetchall()
    # PostgreSQL returns UUIDs, SQLite the 32-digit hex text Django stores.
    return {value if isinstance(value, uuid.UUID) else uuid.UUID(value) for (value,) in returned}


def upsert(model, rows: list, *, unique: tuple[str, ...], update: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT (unique) DO UPDATE SET update = excluded.update, for rows
    new and existing alike, in one statement (the caller orders rows: lock order)."""
    qn = connection.ops.quote_name
    opts = model._meta
    conflict = ", ".join(qn(opts.get_field(name).column) for name in unique)
    updates = ", ".join(
        f"{qn(opts.get_field(name).column)} = excluded.{qn(opts.get_field(name).column)}"
        for name in update
    )
    sql = _insert_sql(model, len(rows), f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}")
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(_fields(model), rows))
