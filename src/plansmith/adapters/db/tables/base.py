"""The shared metadata and column types of the schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    Dialect,
    MetaData,
    String,
    Text,
    TypeDecorator,
)

naming = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=naming)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC; SQLite keeps no zone, so it is put back on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware UTC instant")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _unencodable(value: object) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _json_encoder() -> Callable[[Any], str]:
    """The canonical JSON text of JSONText (json.dumps with sorted keys and no spaces, the
    same text), from one encoder made once: json.dumps with options makes one per call."""
    try:
        from _json import make_encoder  # CPython's C encoder, which json uses
    except ImportError:  # pragma: no cover - another Python: the pure-Python encoder
        return json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
    chunks = make_encoder(
        None, _unencodable, json.encoder.encode_basestring_ascii, None, ":", ",", True, False, True
    )
    return lambda value: "".join(chunks(value, 0))


encode_json = _json_encoder()


class JSONText(TypeDecorator[Any]):
    """JSON kept as canonical text (sorted keys), so equal values are equal strings.

    Plain text rather than a JSON column: PostgreSQL's json type has no equality, and the
    trigger that keeps published plan versions immutable compares old and new terms.
    """

    impl = Text()
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else encode_json(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else json.loads(value)


Id = String(40)
