"""Many rows into one table at once: binary COPY on PostgreSQL, executemany elsewhere.

The billing run writes about ten rows per subscription. As single INSERT statements (even
pipelined) PostgreSQL parses, plans and runs each one; COPY streams them into the table in one
command, firing the same triggers and checking the same constraints, at a fraction of the cost.
Binary COPY hands each value to psycopg's own dumpers, typed once per table from its column
types, so no value is formatted as text in Python nor parsed back by the server. The only
per-value work left in Python is the schema's own types': JSON text is encoded exactly as the
column type encodes it (sorted keys, no spaces), and an instant must carry its zone.

Rows are tuples in the order of the columns named (``insert_rows``), or dicts with the same
keys (``bulk_insert``).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Date,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    bindparam,
    insert,
    text,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from plansmith.adapters.db.tables.base import JSONText, UTCDateTime, encode_json

# The PostgreSQL type of each SQLAlchemy column type the schema uses, for binary COPY; a
# table with any other type is copied as text. Checked in order: the decorators first.
_PG_TYPES: tuple[tuple[type, str], ...] = (
    (JSONText, "text"),
    (UTCDateTime, "timestamptz"),
    (Boolean, "bool"),
    (BigInteger, "int8"),
    (Integer, "int4"),
    (Date, "date"),
    (LargeBinary, "bytea"),
    (Text, "text"),
    (String, "varchar"),
)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given to the database; pass an aware UTC instant")
    return value


def _json(value: Any) -> str | None:
    return None if value is None else encode_json(value)


def _pg_type(column_type: Any) -> str | None:
    for kind, name in _PG_TYPES:
        if isinstance(column_type, kind):
            return name
    return None


def _converter(column_type: Any) -> Callable[[Any], Any] | None:
    if isinstance(column_type, JSONText):
        return _json
    if isinstance(column_type, UTCDateTime):
        return _aware
    return None


def bulk_insert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys); IntegrityError if a constraint refuses."""
    if not rows:
        return
    names = [c.name for c in table.columns if c.name in rows[0]]
    insert_rows(session, table, names, [*map(_values(names), rows)])


def _values(names: Sequence[str]) -> Callable[[Mapping[str, Any]], Sequence[Any]]:
    """A row's values of these columns, in this order (as a tuple, even of one)."""
    if len(names) == 1:
        return lambda row: (row[names[0]],)
    return itemgetter(*names)


def insert_rows(
    session: Session, table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows``, each the values of the columns ``names`` in that order, with Python
    values as the columns' types take them (dicts for JSON, aware datetimes);
    IntegrityError if a constraint refuses."""
    if not rows:
        return
    if session.connection().dialect.name != "postgresql":
        session.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])
        return
    _copy(session, table, table.name, names, rows)


def bulk_update(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, checked: bool = False
) -> int:
    """Update rows by id with the values they hold; with ``checked``, each only if its stored
    ``revision`` is still the row's ``b_revision``. Returns how many rows were updated."""
    if not rows:
        return 0
    names = [c.name for c in table.columns if c.name in rows[0] and c.name != "id"]
    c = table.c
    if session.connection().dialect.name != "postgresql":
        statement = update(table).where(c.id == bindparam("b_id"))
        if checked:
            statement = statement.where(c.revision == bindparam("b_revision"))
        statement = statement.values({name: bindparam(name) for name in names})
        params = [{**row, "b_id": row["id"]} for row in rows]
        return int(session.execute(statement, params).rowcount)  # type: ignore[attr-defined]
    # COPY into a scratch table of just these columns, then one UPDATE ... FROM it.
    # Names come from our own table definitions, never from input.
    scratch = f"_bulk_{table.name}_{zlib.crc32(','.join(names).encode()):08x}"
    columns = ", ".join(f'"{n}"' for n in ["id", *names])
    session.execute(
        text(
            f'CREATE TEMP TABLE IF NOT EXISTS "{scratch}" ON COMMIT DELETE ROWS AS '  # noqa: S608
            f'SELECT {columns}, 0::bigint AS b_revision FROM "{table.name}" WITH NO DATA'
        )
    )
    keys = ["id", *names, *(["b_revision"] if checked else [])]
    _copy(session, table, scratch, keys, [*map(_values(keys), rows)])
    assignments = ", ".join(f'"{n}" = u."{n}"' for n in names)
    where = "s.id = u.id" + (" AND s.revision = u.b_revision" if checked else "")
    update_from = f'UPDATE "{table.name}" AS s SET {assignments} FROM "{scratch}" AS u WHERE '  # noqa: S608
    result = session.execute(text(update_from + where))
    return int(result.rowcount)  # type: ignore[attr-defined]


class _Layout:
    """How a set of a table's columns goes into COPY: their PostgreSQL types (None: some type
    binary COPY is not set up for, so the rows go as text) and the values to convert."""

    def __init__(self, table: Table, names: Sequence[str]) -> None:
        # b_revision: the expected revision bulk_update copies along into its scratch table.
        types = [table.c[n].type if n != "b_revision" else BigInteger() for n in names]
        pg_types = [_pg_type(t) for t in types]
        self.types: list[str] | None = (
            None if None in pg_types else [t for t in pg_types if t is not None]
        )
        # Binary COPY refuses a naive instant itself (as timestamptz); text would take it.
        self.convert = [
            (i, f)
            for i, t in enumerate(types)
            if (f := _converter(t)) is not None and (f is _json or self.types is None)
        ]


_LAYOUTS: dict[tuple[str, tuple[str, ...]], _Layout] = {}


def _layout(table: Table, names: Sequence[str]) -> _Layout:
    key = (table.name, tuple(names))
    found = _LAYOUTS.get(key)
    if found is None:
        found = _LAYOUTS[key] = _Layout(table, names)
    return found


def _converted(layout: _Layout, rows: Iterable[Sequence[Any]]) -> Iterable[Sequence[Any]]:
    if not layout.convert:
        return rows
    converted = []
    for row in rows:
        values = list(row)
        for i, convert in layout.convert:
            values[i] = convert(values[i])
        converted.append(values)
    return converted


def insert_new(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], key: str
) -> set[Any]:
    """Insert the rows whose ``key`` is not stored yet (INSERT … ON CONFLICT DO NOTHING), in
    key order; the keys inserted. On PostgreSQL the rows are copied into a scratch table
    first: a multi-row VALUES of a batch would be a new statement with thousands of
    parameters for the driver to parse each time."""
    if not rows:
        return set()
    names = [c.name for c in table.columns if c.name in rows[0]]
    ordered = sorted(rows, key=lambda row: str(row[key]))
    if connection.dialect.name != "postgresql":
        make = sqlite_insert(table).on_conflict_do_nothing().returning(table.c[key])
        return set(connection.execute(make, ordered).scalars())
    scratch = f"_new_{table.name}_{zlib.crc32(','.join(names).encode()):08x}"
    columns = ", ".join(f'"{n}"' for n in names)
    connection.execute(
        text(
            f'CREATE TEMP TABLE IF NOT EXISTS "{scratch}" ON COMMIT DELETE ROWS AS '  # noqa: S608
            f'SELECT {columns} FROM "{table.name}" WITH NO DATA'
        )
    )
    _copy(connection, table, scratch, names, [*map(_values(names), ordered)])
    inserted = connection.execute(
        text(
            f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM "{scratch}" '  # noqa: S608
            f'ORDER BY "{key}" ON CONFLICT DO NOTHING RETURNING "{key}"'
        )
    )
    found = set(inserted.scalars())
    connection.execute(text(f'DELETE FROM "{scratch}"'))  # noqa: S608 - the tx may go on
    return found


def _copy(
    bind: Session | Connection,
    table: Table,
    into: str,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    layout = _layout(table, names)
    columns = ", ".join(f'"{n}"' for n in names)
    binary = layout.types is not None
    statement = f'COPY "{into}" ({columns}) FROM STDIN' + (" (FORMAT BINARY)" if binary else "")
    import psycopg  # here: a process on SQLite never loads the driver (a quarter second)

    connection = bind.connection() if isinstance(bind, Session) else bind
    driver: psycopg.Connection[Any] = connection.connection.driver_connection  # type: ignore[assignment]
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            if layout.types is not None:
                copy.set_types(layout.types)
            for row in _converted(layout, rows):
                copy.write_row(row)
    except psycopg.errors.IntegrityError as exc:
        raise IntegrityError(f"COPY {table.name}", None, exc) from exc
