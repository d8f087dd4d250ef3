"""Opaque cursors for lists ordered by (created_at, id)."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue

MAX_LIMIT = 100


def encode_cursor(created_at: datetime, object_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), object_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, object_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        at = datetime.fromisoformat(created)
        if at.tzinfo is None or not isinstance(object_id, str):
            raise ValueError(cursor)
        return at, object_id
    except (ValueError, TypeError) as exc:
        raise InvalidValue(
            "cursor is not one this API returned; pass next_cursor unchanged",
            field="cursor",
            code=ec.INVALID_CURSOR,
        ) from exc


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidValue(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    return limit


def encode_seq_cursor(seq: int) -> str:
    """A cursor for lists ordered by a sequence number (newest first: the next page is below)."""
    return base64.urlsafe_b64encode(json.dumps(["seq", seq]).encode()).decode().rstrip("=")


def decode_seq_cursor(cursor: str | None) -> int | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        tag, seq = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if tag != "seq" or type(seq) is not int:
            raise ValueError(cursor)
        return seq
    except (ValueError, TypeError) as exc:
        raise InvalidValue(
            "cursor is not one this API returned; pass next_cursor unchanged",
            field="cursor",
            code=ec.INVALID_CURSOR,
        ) from exc
