"""Bulk writes (binary COPY on PostgreSQL, executemany on SQLite) store every value as an
INSERT of the same row would: JSON as canonical text, instants in UTC, dates, flags, both
integer widths and NULLs; a naive instant and a duplicate key are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
)
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from plansmith.adapters.db.bulk import bulk_insert, bulk_update, insert_rows
from plansmith.adapters.db.tables.base import JSONText, UTCDateTime
from plansmith.bootstrap import Plansmith

probe = Table(
    "bulk_probe",
    MetaData(),
    Column("id", String(40), primary_key=True),
    Column("n", Integer, nullable=True),
    Column("big", BigInteger, nullable=True),
    Column("flag", Boolean, nullable=True),
    Column("on", Date, nullable=True),
    Column("at", UTCDateTime, nullable=True),
    Column("data", JSONText, nullable=True),
    Column("note", Text, nullable=True),
    Column("revision", Integer, nullable=True),
)
NAMES = ["id", "n", "big", "flag", "on", "at", "data", "note"]
BERLIN = timezone(timedelta(hours=1))


@pytest.fixture
def session(container: Plansmith) -> Iterator[Session]:
    probe.create(container.engine)
    try:
        with Session(container.engine) as session:
            yield session
    finally:
        probe.drop(container.engine)


def test_rows_come_back_as_written(session: Session) -> None:
    rows = [
        (
            "a",
            7,
            2**40,
            True,
            date(2027, 2, 28),
            datetime(2027, 3, 1, 0, 30, tzinfo=BERLIN),
            {"z": [1, "two"], "a": None},
            "ünïcode, \t tabs \\ and \n lines",
        ),
        ("b", None, None, None, None, None, None, None),
    ]
    insert_rows(session, probe, NAMES, rows)
    bulk_insert(session, probe, [{"id": "c", "n": -1, "flag": False, "data": []}])

    found = {r.id: r for r in session.execute(select(probe)).all()}
    a = found["a"]
    assert (a.n, a.big, a.flag, a.on, a.note) == (7, 2**40, True, date(2027, 2, 28), rows[0][7])
    assert a.at == datetime(2027, 2, 28, 23, 30, tzinfo=UTC)
    assert a.data == {"a": None, "z": [1, "two"]}
    assert tuple(found["b"]) == ("b", *[None] * 8)
    assert (found["c"].n, found["c"].flag, found["c"].data, found["c"].big) == (-1, False, [], None)
    # The JSON text itself is canonical (sorted keys, no spaces), as an INSERT stores it.
    text = session.execute(select(probe.c.data.cast(Text)).where(probe.c.id == "a")).scalar()
    assert text == '{"a":null,"z":[1,"two"]}'


def test_a_checked_update_changes_only_rows_at_their_revision(session: Session) -> None:
    insert_rows(session, probe, ["id", "n", "revision"], [("a", 1, 1), ("b", 1, 5)])

    updated = bulk_update(
        session,
        probe,
        [
            {"id": "a", "n": 2, "revision": 2, "b_revision": 1},
            {"id": "b", "n": 2, "revision": 2, "b_revision": 1},  # stored: 5
        ],
        checked=True,
    )

    assert updated == 1
    found = {sub_id: n for sub_id, n in session.execute(select(probe.c.id, probe.c.n))}
    assert found == {"a": 2, "b": 1}


def test_a_naive_instant_and_a_duplicate_key_are_refused(session: Session) -> None:
    # SQLite: the column type refuses it; PostgreSQL: psycopg's binary dumper.
    with pytest.raises((StatementError, TypeError)):
        insert_rows(session, probe, ["id", "at"], [("a", datetime(2027, 1, 1))])
    session.rollback()

    insert_rows(session, probe, ["id"], [("a",)])
    with pytest.raises(IntegrityError):
        insert_rows(session, probe, ["id"], [("a",)])
