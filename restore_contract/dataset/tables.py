"""A database's data as the suite sees it: `Tables`, i.e. each table of schema `public` with its rows.

One definition for everyone who reads or writes data: the emulator's PostgreSQL data plane and the
suite's data probe (which connects with a connection string the public API issued) both go through
`read_tables`/`write_tables`, so they cannot disagree about what "the same data" means. Row order is
not data (SQL tables are unordered): compare `canonical(...)` forms.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # psycopg is imported where data is read or written: the types alone cost every pytest start
    import psycopg

Row = dict[str, Any]
Tables = dict[str, list[Row]]

_LIST_TABLES = """
    SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname
"""


def canonical(tables: Tables) -> Tables:
    """The same data with rows in a fixed order, so two reads compare equal whatever order a server keeps."""
    return {name: sorted(rows, key=lambda row: json.dumps(row, sort_keys=True)) for name, rows in tables.items()}


def read_tables(connection: psycopg.Connection[Any]) -> Tables:
    """Every table of schema `public` and its rows, as JSON-like values (bigint → int, jsonb → dict/list)."""
    from psycopg import sql

    with connection.cursor() as cursor:
        names = [str(name) for (name,) in cursor.execute(_LIST_TABLES).fetchall()]
        tables: Tables = {}
        for name in names:
            query = sql.SQL("SELECT coalesce(json_agg(row_to_json(t)), '[]'::json) FROM public.{} t")
            (rows,) = cursor.execute(query.format(sql.Identifier(name))).fetchone() or ([],)
            tables[name] = list(rows)
    return tables


def write_tables(connection: psycopg.Connection[Any], tables: Tables) -> None:
    """Make schema `public` hold exactly `tables`: every other table is dropped, each given one recreated.

    Column types follow the first non-null value of each column (bool, bigint, double precision, text,
    otherwise jsonb), which round-trips through `read_tables` unchanged.
    """
    from psycopg import sql

    with connection.transaction(), connection.cursor() as cursor:
        for (name,) in cursor.execute(_LIST_TABLES).fetchall():
            cursor.execute(sql.SQL("DROP TABLE public.{} CASCADE").format(sql.Identifier(name)))
        for name, rows in tables.items():
            columns = _columns(rows)
            definition = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in columns)
            cursor.execute(sql.SQL("CREATE TABLE public.{} ({})").format(sql.Identifier(name), definition))
            if not rows or not columns:
                continue
            insert = sql.SQL("INSERT INTO public.{} ({}) VALUES ({})").format(
                sql.Identifier(name),
                sql.SQL(", ").join(sql.Identifier(c) for c, _ in columns),
                sql.SQL(", ").join(sql.Placeholder() for _ in columns),
            )
            cursor.executemany(insert, [[_value(row.get(c), t) for c, t in columns] for row in rows])


def _columns(rows: list[Row]) -> list[tuple[str, str]]:
    types: dict[str, str | None] = {}
    for row in rows:
        for column, value in row.items():
            if types.get(column) is None:
                types[column] = _type_of(value)
    return [(column, kind or "jsonb") for column, kind in types.items()]


def _type_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double precision"
    if isinstance(value, str):
        return "text"
    return "jsonb"


def _value(value: Any, kind: str) -> Any:
    from psycopg.types.json import Jsonb

    return Jsonb(value) if kind == "jsonb" and value is not None else value
