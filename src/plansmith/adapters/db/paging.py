"""Keyset pages of a table ordered by (created_at, id): the one way lists are paged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, and_, or_


def page_after(
    q: Select[Any], table: Table, after: tuple[datetime, str] | None, limit: int | None
) -> Select[Any]:
    """``q`` restricted to rows strictly after ``after`` in (created_at, id) order (``limit``
    None: all of them)."""
    c = table.c
    if after is not None:
        at, last_id = after
        q = q.where(or_(c.created_at > at, and_(c.created_at == at, c.id > last_id)))
    return q.order_by(c.created_at, c.id).limit(limit)
