"""Webhook endpoints and their deliveries, in the unit of work's transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from plansmith.adapters.db import tables as t
from plansmith.application.kernel.ids import new_ids
from plansmith.application.webhooks.ports import Attempt, Delivery, Endpoint, NewDelivery

E = t.webhook_endpoints.c
D = t.webhook_deliveries.c
A = t.webhook_attempts.c
ROWS_PER_INSERT = 2000  # 13 values a row: within SQLite's 32,766 and PostgreSQL's 65,535


def endpoint_of(r: RowMapping | Mapping[str, Any]) -> Endpoint:
    types = r["event_types"]
    return Endpoint(
        id=r["id"],
        organization_id=r["organization_id"],
        url=r["url"],
        description=r["description"],
        event_types=None if types is None else tuple(types),
        enabled=r["enabled"],
        disabled_reason=r["disabled_reason"],
        secret=r["secret"],
        previous_secret=r["previous_secret"],
        previous_secret_until=r["previous_secret_until"],
        failing_since=r["failing_since"],
        failed_events=r["failed_events"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )


def endpoint_row(e: Endpoint) -> dict[str, Any]:
    row = dict(e.__dict__)
    row["event_types"] = None if e.event_types is None else list(e.event_types)
    return row


def delivery_of(r: RowMapping | Mapping[str, Any]) -> Delivery:
    return Delivery(
        id=r["id"],
        endpoint_id=r["endpoint_id"],
        event_id=r["event_id"],
        event_type=r["event_type"],
        event_seq=r["event_seq"],
        state=r["state"],
        attempts=r["attempts"],
        next_attempt_at=r["next_attempt_at"],
        last_status=r["last_status"],
        last_error=r["last_error"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )


def insert_ignoring(session: Session) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def delivery_rows(rows: Sequence[NewDelivery], now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "endpoint_id": r.endpoint_id,
            "event_id": r.event_id,
            "organization_id": r.organization_id,
            "event_type": r.event_type,
            "event_seq": r.event_seq,
            "body": r.body,
            "state": "pending",
            "attempts": 0,
            "round_attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for r, i in zip(rows, new_ids("whd", len(rows)), strict=True)
    ]


class SqlWebhooks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, endpoint: Endpoint) -> None:
        self.session.execute(t.webhook_endpoints.insert().values(endpoint_row(endpoint)))

    def _one(self, organization_id: str, endpoint_id: str, lock: bool) -> Endpoint | None:
        q = select(t.webhook_endpoints).where(
            E.organization_id == organization_id, E.id == endpoint_id
        )
        if lock:
            q = q.with_for_update()
        row = self.session.execute(q).mappings().first()
        return None if row is None else endpoint_of(row)

    def get(self, organization_id: str, endpoint_id: str) -> Endpoint | None:
        return self._one(organization_id, endpoint_id, lock=False)

    def get_for_update(self, organization_id: str, endpoint_id: str) -> Endpoint | None:
        return self._one(organization_id, endpoint_id, lock=True)

    def of_organization(self, organization_id: str) -> Sequence[Endpoint]:
        q = (
            select(t.webhook_endpoints)
            .where(E.organization_id == organization_id)
            .order_by(E.created_at, E.id)
        )
        return [endpoint_of(r) for r in self.session.execute(q).mappings()]

    def save(self, endpoint: Endpoint) -> None:
        row = endpoint_row(endpoint)
        self.session.execute(update(t.webhook_endpoints).where(E.id == endpoint.id).values(row))

    def delete(self, organization_id: str, endpoint_id: str) -> None:
        ids = select(D.id).where(D.endpoint_id == endpoint_id).scalar_subquery()
        self.session.execute(delete(t.webhook_attempts).where(A.delivery_id.in_(ids)))
        self.session.execute(delete(t.webhook_deliveries).where(D.endpoint_id == endpoint_id))
        self.session.execute(
            delete(t.webhook_endpoints).where(
                E.id == endpoint_id, E.organization_id == organization_id
            )
        )

    def enabled_for(self, organization_id: str, event_type: str) -> Sequence[Endpoint]:
        q = select(t.webhook_endpoints).where(
            E.organization_id == organization_id, E.enabled.is_(True)
        )
        found = [endpoint_of(r) for r in self.session.execute(q).mappings()]
        return [e for e in found if e.wants(event_type)]

    def add_deliveries(self, rows: Sequence[NewDelivery], now: datetime) -> int:
        """One multi-row INSERT … ON CONFLICT DO NOTHING per ROWS_PER_INSERT rows (not an
        executemany: PostgreSQL would run a statement per row)."""
        if not rows:
            return 0
        make = insert_ignoring(self.session)
        made = 0
        values = delivery_rows(rows, now)
        for start in range(0, len(values), ROWS_PER_INSERT):
            statement = (
                make(t.webhook_deliveries)
                .values(values[start : start + ROWS_PER_INSERT])
                .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
            )
            made += int(self.session.execute(statement).rowcount)  # type: ignore[attr-defined]
        return made

    def deliveries(self, endpoint_id: str, *, before: int | None, limit: int) -> Sequence[Delivery]:
        q = select(t.webhook_deliveries).where(D.endpoint_id == endpoint_id)
        if before is not None:
            q = q.where(D.event_seq < before)
        q = q.order_by(D.event_seq.desc()).limit(limit)
        return [delivery_of(r) for r in self.session.execute(q).mappings()]

    def attempts(self, delivery_ids: Sequence[str]) -> dict[str, list[Attempt]]:
        found: dict[str, list[Attempt]] = {}
        if not delivery_ids:
            return found
        q = (
            select(t.webhook_attempts)
            .where(A.delivery_id.in_(delivery_ids))
            .order_by(A.delivery_id, A.number)
        )
        for r in self.session.execute(q).mappings():
            found.setdefault(r["delivery_id"], []).append(
                Attempt(
                    delivery_id=r["delivery_id"],
                    number=r["number"],
                    at=r["at"],
                    status=r["status"],
                    error=r["error"],
                    duration_ms=r["duration_ms"],
                    response_head=r["response_head"],
                )
            )
        return found

    def delivery(self, endpoint_id: str, event_id: str) -> Delivery | None:
        q = select(t.webhook_deliveries).where(D.endpoint_id == endpoint_id, D.event_id == event_id)
        row = self.session.execute(q).mappings().first()
        return None if row is None else delivery_of(row)

    def reschedule(self, delivery_ids: Sequence[str], at: datetime) -> None:
        if not delivery_ids:
            return
        self.session.execute(
            update(t.webhook_deliveries)
            .where(D.id.in_(delivery_ids))
            .values(
                state="pending",
                next_attempt_at=at,
                round_attempts=0,
                lease_until=None,
                leased_by=None,
                updated_at=at,
            )
        )

    def events_since(
        self, organization_id: str, since: datetime, limit: int
    ) -> Sequence[tuple[str, int, str, datetime, dict[str, object]]]:
        c = t.outbox_events.c
        q = (
            select(c.id, c.seq, c.type, c.created_at, c.data)
            .where(c.organization_id == organization_id, c.created_at >= since)
            .order_by(c.seq)
            .limit(limit)
        )
        return [(i, s, k, at, d["data"]) for i, s, k, at, d in self.session.execute(q)]
