"""Sessions, portal links and sign-in throttles in the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import ColumnElement, Table, delete, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.domain.organizations.sessions import PortalLinkRecord, WebSession
from plansmith.domain.organizations.sign_in_throttle import Throttle


def _count(result: object) -> int:
    return int(result.rowcount)  # type: ignore[attr-defined]


def _purge(session: Session, table: Table, *where: ColumnElement[bool]) -> int:
    """Delete the rows that match, skipping any another transaction holds (PostgreSQL), so
    housekeeping never waits for a sign-in and never joins a circle of waits."""
    key = table.primary_key.columns.values()[0]
    free = select(key).where(*where).with_for_update(skip_locked=True)
    return _count(session.execute(delete(table).where(key.in_(free))))


class SqlWebSessions:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, web_session: WebSession) -> None:
        self.session.execute(insert(t.web_sessions).values(**asdict(web_session)))

    def find_by_hash(self, secret_hash: str) -> WebSession | None:
        q = select(t.web_sessions).where(t.web_sessions.c.secret_hash == secret_hash)
        row = self.session.execute(q).first()
        return None if row is None else WebSession(**row._mapping)

    def end(self, session_id: str, now: datetime) -> bool:
        c = t.web_sessions.c
        result = self.session.execute(
            update(t.web_sessions)
            .where(c.id == session_id, c.ended_at.is_(None))
            .values(ended_at=now)
        )
        return _count(result) == 1

    def end_for_user(self, user_id: str, now: datetime, *, keep: str | None = None) -> int:
        c = t.web_sessions.c
        q = update(t.web_sessions).where(c.user_id == user_id, c.ended_at.is_(None))
        if keep is not None:
            q = q.where(c.id != keep)
        return _count(self.session.execute(q.values(ended_at=now)))

    def end_for_organization(self, organization_id: str, now: datetime) -> int:
        c = t.web_sessions.c
        q = update(t.web_sessions).where(c.organization_id == organization_id, c.ended_at.is_(None))
        return _count(self.session.execute(q.values(ended_at=now)))

    def delete_for_user(self, user_id: str) -> None:
        self.session.execute(delete(t.web_sessions).where(t.web_sessions.c.user_id == user_id))

    def purge(self, now: datetime) -> int:
        c = t.web_sessions.c
        return _purge(self.session, t.web_sessions, c.expires_at <= now)


class SqlPortalLinks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, link: PortalLinkRecord) -> None:
        self.session.execute(insert(t.portal_links).values(**asdict(link)))

    def use(self, link_id: str, now: datetime) -> bool:
        # One statement: on PostgreSQL a second visit waits for the first one's row lock, then
        # sees used_at set and updates nothing; SQLite runs writers one at a time.
        c = t.portal_links.c
        result = self.session.execute(
            update(t.portal_links)
            .where(c.id == link_id, c.used_at.is_(None), c.expires_at > now)
            .values(used_at=now)
        )
        return _count(result) == 1

    def purge(self, now: datetime) -> int:
        c = t.portal_links.c
        return _purge(self.session, t.portal_links, c.expires_at <= now)


class SqlSignInThrottles:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lock(self, keys: Sequence[str]) -> dict[str, Throttle]:
        c = t.sign_in_throttles.c
        dialect = self.session.get_bind().dialect.name
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        ordered = sorted(set(keys))
        found: dict[str, Throttle] = {}
        # A purge may delete an empty row between the insert and the lock: insert it again.
        for _ in range(3):
            missing = [key for key in ordered if key not in found]
            if not missing:
                break
            self.session.execute(
                make(t.sign_in_throttles)
                .values([{"key": key, "failures": 0} for key in missing])
                .on_conflict_do_nothing()
            )
            q = select(t.sign_in_throttles).where(c.key.in_(missing)).order_by(c.key)
            for row in self.session.execute(q.with_for_update()).all():
                found[row.key] = Throttle(**row._mapping)
        if len(found) != len(ordered):
            raise RuntimeError("sign-in throttle rows vanished three times in a row")
        return found

    def save(self, throttle: Throttle) -> None:
        values = asdict(throttle)
        c = t.sign_in_throttles.c
        self.session.execute(
            update(t.sign_in_throttles).where(c.key == values.pop("key")).values(**values)
        )

    def purge(self, forgotten_before: datetime, now: datetime) -> int:
        c = t.sign_in_throttles.c
        return _purge(
            self.session,
            t.sign_in_throttles,
            or_(c.last_failed_at.is_(None), c.last_failed_at < forgotten_before),
            or_(c.blocked_until.is_(None), c.blocked_until <= now),
        )
