"""Queries of the hottest requests as SQL built once per model, not compiled per request.

The ORM compiles every query again on each request. For the busiest request the platform
serves, a learner's statement, that was the largest single cost: 0.7 ms of CPU to compile
the learner's three-table select against 0.13 ms to run it. The helpers here build the
SQL text once per (connection, model, shape); parameters come from the fields' own
``get_db_prep_save``/``get_db_prep_value`` and read values pass through the converters
the ORM applies, so rows are written and read exactly as the ORM would. Plain SQL that
PostgreSQL and SQLite (3.35+) understand. Use them only where a profile says so; the
ORM is the default everywhere else.
"""

import functools
import uuid
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connection, connections


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


def current_connection():
    # The thread's own connection object: cached SQL and converters belong to it.
    return connections[DEFAULT_DB_ALIAS]


def _insert_sql(model, count: int, suffix: str) -> str:
    return _insert_sql_for(current_connection(), model, count, suffix)


@functools.lru_cache(maxsize=64)
def _insert_sql_for(wrapper, model, count: int, suffix: str) -> str:
    qn = wrapper.ops.quote_name
    fields = _fields(model)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES {', '.join([row] * count)} {suffix}"
    )


def insert_ignoring_conflicts(model, rows: list, *, then: "Read | None" = None):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING pk: the primary keys actually
    inserted (rows whose key exists are skipped). The model's pk must be set on the rows
    (a UUID here: Statement).

    With ``then`` (only where ``can_chain()``), that read goes in the same round trip,
    after the insert, and the answer is (inserted keys, its rows)."""
    pk = model._meta.pk
    qn = connection.ops.quote_name
    sql = _insert_sql(model, len(rows), f"ON CONFLICT DO NOTHING RETURNING {qn(pk.column)}")
    params = _params(_fields(model), rows)
    if then is not None:
        sql, params = f"{sql}; {then.sql}", [*params, *then.params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
        if then is not None:
            cursor.nextset()
            read = then.rows(cursor.fetchall())
    # PostgreSQL returns UUIDs, SQLite the 32-digit hex text Django stores.
    keys = {value if isinstance(value, uuid.UUID) else uuid.UUID(value) for (value,) in returned}
    return (keys, read) if then is not None else keys


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


# --- reads ------------------------------------------------------------------------------


def by_pk(model, pk):
    """The row with this primary key as a model instance, or None (``filter(pk=).first()``
    without the compilation)."""
    wrapper = current_connection()
    sql = _by_pk_sql(wrapper, model)
    with wrapper.cursor() as cursor:
        cursor.execute(sql, [model._meta.pk.get_db_prep_value(pk, wrapper)])
        row = cursor.fetchone()
    return None if row is None else instance(model, "r", row)


@functools.lru_cache(maxsize=32)
def columns(wrapper, model, alias: str):
    """(select list, fields, converters) of all the model's concrete columns."""
    qn = wrapper.ops.quote_name
    fields = list(model._meta.concrete_fields)
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(alias)
        functions = wrapper.ops.get_db_converters(expression) + expression.get_db_converters(
            wrapper
        )
        if functions:
            converters.append((index, functions, expression))
    select = ", ".join(f"{qn(alias)}.{qn(field.column)}" for field in fields)
    return select, fields, tuple(converters)


def instance(model, alias: str, values):
    """A model instance from its columns as selected by ``columns``."""
    wrapper = current_connection()
    _select, fields, converters = columns(wrapper, model, alias)
    values = list(values)
    for index, functions, expression in converters:
        value = values[index]
        for function in functions:
            value = function(value, expression, wrapper)
        values[index] = value
    return model.from_db(wrapper.alias, [field.attname for field in fields], values)


@dataclass(frozen=True)
class Read:
    """A SELECT of a model's rows, ready to run alone or after a write (see ``then``)."""

    model: type
    sql: str
    params: list

    def run(self) -> list:
        with current_connection().cursor() as cursor:
            cursor.execute(self.sql, self.params)
            return self.rows(cursor.fetchall())

    def rows(self, values_list) -> list:
        return [instance(self.model, "r", values) for values in values_list]


def rows_of_learner_read(model, *, learner_id: int, any_of: dict[str, list]) -> Read | None:
    """The read of a learner's rows (the model's ``learner_id`` column) where any of the
    columns holds one of its values (``{"course_key": [...], "activity_key": [...]}``);
    None when every list is empty (nothing to read)."""
    wrapper = current_connection()
    qn = wrapper.ops.quote_name
    select, _fields, _converters = columns(wrapper, model, "r")
    conditions, params = [], [learner_id]
    for name, values in any_of.items():
        if not values:
            continue
        field = model._meta.get_field(name)
        conditions.append(f"{qn('r')}.{qn(field.column)} IN ({', '.join(['%s'] * len(values))})")
        params += [field.get_db_prep_value(value, wrapper) for value in values]
    if not conditions:
        return None
    sql = (
        f"SELECT {select} FROM {qn(model._meta.db_table)} {qn('r')} "
        f"WHERE {qn('r')}.{qn('learner_id')} = %s AND ({' OR '.join(conditions)})"
    )
    return Read(model=model, sql=sql, params=params)


def can_chain() -> bool:
    """Whether a write and a read can share one round trip: PostgreSQL with psycopg's
    client-side binding (Django's default), which sends several statements as one query."""
    wrapper = current_connection()
    return wrapper.vendor == "postgresql" and not wrapper.settings_dict.get("OPTIONS", {}).get(
        "server_side_binding"
    )


@functools.lru_cache(maxsize=32)
def _by_pk_sql(wrapper, model) -> str:
    qn = wrapper.ops.quote_name
    select, _fields, _converters = columns(wrapper, model, "r")
    return (
        f"SELECT {select} FROM {qn(model._meta.db_table)} {qn('r')} "
        f"WHERE {qn('r')}.{qn(model._meta.pk.column)} = %s"
    )
