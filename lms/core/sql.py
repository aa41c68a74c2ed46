"""Queries of the hottest requests as SQL built once per model, not compiled per request.

The ORM compiles every query again on each request. For the busiest request the platform
serves, a learner's statement, that was the largest single cost: 0.7 ms of CPU to compile
the learner's three-table select against 0.13 ms to run it. The helpers here build the
SQL text once per (connection, model, shape); parameters come from the fields' own
``get_db_prep_save``/``get_db_prep_value`` and read values pass through the converters
the ORM applies, so rows are written and read exactly as the ORM would. Plain SQL that
PostgreSQL and SQLite (3.35+) understand (an insert's chained read is PostgreSQL's); on
PostgreSQL the queries are also prepared (``cursor``). Use them only where a profile says
so; the ORM is the default everywhere else.
"""

import functools
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections


def _fields(model):
    # Concrete columns in model order; the auto primary key is left to the database.
    return [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and field.get_internal_type() in _AUTO_FIELDS)
    ]


_AUTO_FIELDS = {"AutoField", "BigAutoField", "SmallAutoField"}


def _params(fields, rows) -> list:
    wrapper = current_connection()
    params = []
    for row in rows:
        for field in fields:
            params.append(field.get_db_prep_save(getattr(row, field.attname), wrapper))
    return params


def current_connection():
    # The thread's own connection object: cached SQL and converters belong to it.
    return connections[DEFAULT_DB_ALIAS]


def prepares(wrapper=None) -> bool:
    """Whether this module's queries are prepared: PostgreSQL with a ``prepare_threshold``
    (lms.config sets it unless DATABASE_PREPARED_STATEMENTS=0)."""
    wrapper = wrapper or current_connection()
    return (
        wrapper.vendor == "postgresql"
        and wrapper.settings_dict["OPTIONS"].get("prepare_threshold") is not None
    )


@contextmanager
def cursor():
    """The cursor this module's queries run on.

    Django's PostgreSQL cursors bind parameters on the client, which never prepares: the
    server parses and plans the same few statements again on every request (0.8 ms of
    PostgreSQL's CPU per statement request, half of its share). Where ``prepares()``,
    this is psycopg's server-binding cursor in Django's own wrapper (so the queries are
    still logged and counted, and errors still wrapped): psycopg prepares each query
    after ``prepare_threshold`` runs on the connection and then sends only its name and
    parameters. Elsewhere, and while queries are logged, it is the ordinary cursor."""
    wrapper = current_connection()
    # psycopg keeps no text of a prepared statement's run, and Django's query log (DEBUG,
    # tests that count queries) reads it: logged runs take the ordinary cursor, same SQL.
    if wrapper.queries_logged or not prepares(wrapper):
        with wrapper.cursor() as plain:
            yield plain
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    # What BaseDatabaseWrapper._cursor() does, with the cursor class chosen here.
    wrapper.close_if_health_check_failed()
    wrapper.ensure_connection()
    with wrapper.wrap_database_errors:
        bound = wrapper._prepare_cursor(ServerBindingCursor(wrapper.connection))
    with bound:
        yield bound


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

    With ``then`` (only where ``can_chain()``), that read goes in the same statement and
    the answer is (inserted keys, its rows): the insert becomes a data-modifying WITH
    whose keys come back as an array beside each row the read finds (one row of NULLs
    when it finds none). The read sees the table as it was before the insert, which is
    all ``then`` may read: rows of another table."""
    pk = model._meta.pk
    qn = current_connection().ops.quote_name
    sql = _insert_sql(model, len(rows), f"ON CONFLICT DO NOTHING RETURNING {qn(pk.column)}")
    params = _params(_fields(model), rows)
    if then is None:
        with cursor() as cur:
            cur.execute(sql, params)
            returned = [value for (value,) in cur.fetchall()]
    else:
        with cursor() as cur:
            cur.execute(_chained_sql(sql, pk.column, then), [*params, *then.params])
            values = cur.fetchall()
        returned = values[0][0]
        # A found row has its primary key; the one row of a read that found none has NULL.
        at = 1 + then.model._meta.concrete_fields.index(then.model._meta.pk)
        read = then.rows([row[1:] for row in values if row[at] is not None])
    # PostgreSQL returns UUIDs, SQLite the 32-digit hex text Django stores.
    keys = {value if isinstance(value, uuid.UUID) else uuid.UUID(value) for value in returned}
    return (keys, read) if then is not None else keys


def _chained_sql(insert_sql: str, returning: str, then: "Read") -> str:
    qn = current_connection().ops.quote_name
    # The read's condition moves into a LEFT JOIN so that the keys come back even when it
    # finds no row.
    return (
        f"WITH {qn('ins')} AS ({insert_sql}) "
        f"SELECT ARRAY(SELECT {qn(returning)} FROM {qn('ins')}), {then.columns} "
        f"FROM (SELECT 1) {qn('one')} LEFT JOIN {then.source} ON {then.where}"
    )


def upsert(model, rows: list, *, unique: tuple[str, ...], update: tuple[str, ...]) -> None:
    """INSERT ... ON CONFLICT (unique) DO UPDATE SET update = excluded.update, for rows
    new and existing alike, in one statement (the caller orders rows: lock order)."""
    qn = current_connection().ops.quote_name
    opts = model._meta
    conflict = ", ".join(qn(opts.get_field(name).column) for name in unique)
    updates = ", ".join(
        f"{qn(opts.get_field(name).column)} = excluded.{qn(opts.get_field(name).column)}"
        for name in update
    )
    sql = _insert_sql(model, len(rows), f"ON CONFLICT ({conflict}) DO UPDATE SET {updates}")
    with cursor() as cur:
        cur.execute(sql, _params(_fields(model), rows))


# --- reads ------------------------------------------------------------------------------


def by_pk(model, pk):
    """The row with this primary key as a model instance, or None (``filter(pk=).first()``
    without the compilation)."""
    wrapper = current_connection()
    sql = _by_pk_sql(wrapper, model)
    with cursor() as cur:
        cur.execute(sql, [model._meta.pk.get_db_prep_value(pk, wrapper)])
        row = cur.fetchone()
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
    """``SELECT <columns> FROM <source> WHERE <where>`` of a model's rows (all its concrete
    columns, as ``columns`` lists them), ready to run alone or with an insert (``then``)."""

    model: type
    columns: str
    source: str
    where: str
    params: list

    @property
    def sql(self) -> str:
        return f"SELECT {self.columns} FROM {self.source} WHERE {self.where}"

    def run(self) -> list:
        with cursor() as cur:
            cur.execute(self.sql, self.params)
            return self.rows(cur.fetchall())

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
    return Read(
        model=model,
        columns=select,
        source=f"{qn(model._meta.db_table)} {qn('r')}",
        where=f"{qn('r')}.{qn('learner_id')} = %s AND ({' OR '.join(conditions)})",
        params=params,
    )


def can_chain() -> bool:
    """Whether an insert and a read can share one statement (``then``): PostgreSQL, whose
    WITH may hold an INSERT (SQLite's may not)."""
    return current_connection().vendor == "postgresql"


@functools.lru_cache(maxsize=32)
def _by_pk_sql(wrapper, model) -> str:
    qn = wrapper.ops.quote_name
    select, _fields, _converters = columns(wrapper, model, "r")
    return (
        f"SELECT {select} FROM {qn(model._meta.db_table)} {qn('r')} "
        f"WHERE {qn('r')}.{qn(model._meta.pk.column)} = %s"
    )
