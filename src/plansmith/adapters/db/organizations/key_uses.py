"""When each API key was last used: one conditional UPDATE in its own short transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.orm import Session, sessionmaker

from plansmith.adapters.db import tables as t


class SqlKeyUses:
    """Outside the request's unit of work on purpose: the request's transaction marks its
    Idempotency-Key as committed, and recording a use must not do that (nor roll back with a
    request that fails)."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def record(self, key_id: str, at: datetime, *, if_before: datetime) -> None:
        c = t.api_keys.c
        with self._sessions() as session, session.begin():
            # Of many processes that see the same stale value, the first write wins and the
            # others match no row; last_used_at never moves backwards.
            session.execute(
                update(t.api_keys)
                .where(c.id == key_id, or_(c.last_used_at.is_(None), c.last_used_at < if_before))
                .values(last_used_at=at)
            )
