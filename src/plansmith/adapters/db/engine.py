"""Engines for the two supported databases: PostgreSQL in production, SQLite embedded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from plansmith.domain.kernel.limits import BIGINT_MAX, TooLarge
from plansmith.domain.kernel.text import InvalidText, unstorable


def normalize_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _make_sqlite_safe(engine, reader=False)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    event.listen(engine, "before_cursor_execute", _refuse_unstorable_text)
    return engine


def _refuse_unstorable_text(
    _connection: Any,
    _cursor: Any,
    _statement: str,
    parameters: Any,
    _context: Any,
    executemany: bool,
) -> None:
    """The last guard behind the edge checks: a NUL or lone surrogate reaching the database is
    refused as a 422 (InvalidText) on both databases, where PostgreSQL would fail with a 500
    and SQLite store a NUL silently; so is a number no 64-bit column holds (TooLarge), which
    the bounds of domain/limits.py keep from ever being computed. The use case's transaction
    rolls back. Bulk writes (executemany) carry only values already checked: not scanned."""
    if executemany or not parameters:
        return
    values = parameters.values() if isinstance(parameters, Mapping) else parameters
    for value in values:
        if isinstance(value, str):
            reason = unstorable(value)
            if reason is not None:
                raise InvalidText(f"a text value {reason}")
        elif isinstance(value, int) and not -BIGINT_MAX - 1 <= value <= BIGINT_MAX:
            raise TooLarge("a number is beyond what a 64-bit column holds")


def make_reader_engine(url: str) -> Engine | None:
    """SQLite only: an engine whose transactions only read, begun DEFERRED, so they take no
    write lock and never queue behind a writer (in WAL mode a reader sees the last commit).
    Each connection is query_only: a write through it fails loudly instead of upgrading a
    read lock, which could fail at once under a concurrent writer. None on PostgreSQL, where
    reads never wait for writes anyway."""
    url = normalize_url(url)
    if not url.startswith("sqlite") or make_url(url).database in (None, "", ":memory:"):
        return None
    engine = create_engine(url, connect_args={"timeout": 30})
    _make_sqlite_safe(engine, reader=True)
    event.listen(engine, "before_cursor_execute", _refuse_unstorable_text)
    return engine


def _make_sqlite_safe(engine: Engine, *, reader: bool) -> None:
    """Write-ahead log, foreign keys, and BEGIN IMMEDIATE (BEGIN on a reader's connections).

    A deferred SQLite transaction that reads and then writes can fail with 'database is locked'
    at once when another writer got there first; taking the write lock at BEGIN makes
    concurrent requests queue on the busy timeout instead. Work that only reads runs on the
    reader engine instead and takes no write lock at all.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if reader:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    begin = "BEGIN" if reader else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
