"""The outbox in SQL: the bulk write of events (inside the change's transaction), the event
list of the API, and the relay's queue, deliveries and lease (each in its own transaction)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.bulk import bulk_insert
from plansmith.application.events.ports import PublishedEvent
from plansmith.application.kernel.ids import new_ids
from plansmith.domain.events.registry import event_from_data
from plansmith.domain.kernel.events import DomainEvent

MAX_ERROR = 2000
ROWS_PER_INSERT = 5000  # 3 values a row: within SQLite's 32,766 bound parameters


def outbox_rows(events: Sequence[DomainEvent]) -> list[dict[str, Any]]:
    return [
        {
            "id": event_id,
            "organization_id": event.organization_id,
            "type": event.TYPE,
            "version": event.VERSION,
            "object_type": event.OBJECT,
            "object_id": event.object_id,
            "aggregate_id": event.aggregate_id,
            "created_at": event.at,
            "data": event.to_data(),
        }
        for event, event_id in zip(events, new_ids("evt", len(events)), strict=True)
    ]


def write_events(session: Session, events: Sequence[DomainEvent]) -> None:
    """Write ``events`` to the outbox in one statement (COPY on PostgreSQL, executemany
    elsewhere), in the caller's transaction; their order is the order given."""
    if not events:
        return
    bulk_insert(session, t.outbox_events, outbox_rows(events))


def published(r: RowMapping | Mapping[str, Any]) -> PublishedEvent:
    return PublishedEvent(
        id=r["id"],
        seq=r["seq"],
        organization_id=r["organization_id"],
        type=r["type"],
        object_type=r["object_type"],
        object_id=r["object_id"],
        aggregate_id=r["aggregate_id"],
        created_at=r["created_at"],
        event=event_from_data(r["data"]),
        delivered_at=r["delivered_at"],
        attempts=r["attempts"],
    )


class SqlOutbox:
    """The events of one organization, as the API lists them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list(
        self,
        organization_id: str,
        *,
        type: str | None,
        object_id: str | None,
        before: int | None,
        limit: int,
    ) -> Sequence[PublishedEvent]:
        c = t.outbox_events.c
        q = select(t.outbox_events).where(c.organization_id == organization_id)
        if type is not None:
            q = q.where(c.type == type)
        if object_id is not None:
            q = q.where(c.object_id == object_id)
        if before is not None:
            q = q.where(c.seq < before)
        rows = self.session.execute(q.order_by(c.seq.desc()).limit(limit)).mappings()
        return [published(r) for r in rows]

    def get(self, organization_id: str, event_id: str) -> PublishedEvent | None:
        c = t.outbox_events.c
        q = select(t.outbox_events).where(c.organization_id == organization_id, c.id == event_id)
        row = self.session.execute(q).mappings().first()
        return None if row is None else published(row)


class SqlRelayStore:
    """The relay's side: every method is one short transaction of its own."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def take_lease(self, relay: str, holder: str, now: datetime, until: datetime) -> bool:
        c = t.outbox_relays.c
        with self._sessions() as session:
            dialect = session.get_bind().dialect.name
            make = pg_insert if dialect == "postgresql" else sqlite_insert
            session.execute(
                make(t.outbox_relays)
                .values(name=relay, holder=holder, lease_until=now)
                .on_conflict_do_nothing()
            )
            # One conditional statement: of two relays at once, one takes it.
            taken = session.execute(
                update(t.outbox_relays)
                .where(c.name == relay, (c.holder == holder) | (c.lease_until <= now))
                .values(holder=holder, lease_until=until)
            ).rowcount  # type: ignore[attr-defined]
            session.commit()
            return bool(taken)

    def release(self, relay: str, holder: str, now: datetime) -> None:
        c = t.outbox_relays.c
        with self._sessions() as session:
            session.execute(
                update(t.outbox_relays)
                .where(c.name == relay, c.holder == holder)
                .values(lease_until=now)
            )
            session.commit()

    def undelivered(self, limit: int) -> Sequence[PublishedEvent]:
        c = t.outbox_events.c
        q = select(t.outbox_events).where(c.delivered_at.is_(None)).order_by(c.seq).limit(limit)
        with self._sessions() as session:
            return [published(r) for r in session.execute(q).mappings()]

    def delivered_to(self, event_ids: Sequence[str]) -> set[tuple[str, str]]:
        if not event_ids:
            return set()
        c = t.outbox_deliveries.c
        q = select(c.subscriber, c.event_id).where(c.event_id.in_(event_ids))
        with self._sessions() as session:
            return {(s, e) for s, e in session.execute(q)}

    def settle_all(self, at: datetime) -> int:
        c = t.outbox_events.c
        with self._sessions() as session:
            done = session.execute(
                update(t.outbox_events).where(c.delivered_at.is_(None)).values(delivered_at=at)
            )
            session.commit()
            return int(done.rowcount)  # type: ignore[attr-defined]

    def record(
        self,
        done: Sequence[tuple[str, str]],
        finished: Sequence[str],
        failed: Sequence[tuple[str, str]],
        at: datetime,
    ) -> None:
        c = t.outbox_events.c
        with self._sessions() as session:
            if done:
                dialect = session.get_bind().dialect.name
                make = pg_insert if dialect == "postgresql" else sqlite_insert
                rows = [{"subscriber": s, "event_id": e, "delivered_at": at} for s, e in done]
                # A relay that took over from a dead one may record a pair again: kept once.
                # Multi-row statements, not an executemany (a statement per row on PostgreSQL).
                for start in range(0, len(rows), ROWS_PER_INSERT):
                    part = rows[start : start + ROWS_PER_INSERT]
                    session.execute(make(t.outbox_deliveries).values(part).on_conflict_do_nothing())
            if finished:
                session.execute(
                    update(t.outbox_events)
                    .where(c.id.in_(finished), c.delivered_at.is_(None))
                    .values(delivered_at=at)
                )
            for event_id, error in failed:
                session.execute(
                    update(t.outbox_events)
                    .where(c.id == event_id)
                    .values(attempts=c.attempts + 1, last_error=error[:MAX_ERROR])
                )
            session.commit()

    def delivery_log(
        self, organization_id: str | None, limit: int
    ) -> Sequence[tuple[str, str, str, datetime]]:
        d, e = t.outbox_deliveries.c, t.outbox_events.c
        q = select(d.subscriber, d.event_id, e.type, d.delivered_at).join(
            t.outbox_events, e.id == d.event_id
        )
        if organization_id is not None:
            q = q.where(e.organization_id == organization_id)
        q = q.order_by(d.delivered_at.desc(), e.seq.desc()).limit(limit)
        with self._sessions() as session:
            return [(s, e, k, at) for s, e, k, at in session.execute(q)]
