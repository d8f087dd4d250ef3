"""The delivery workers' queue in SQL: due deliveries taken under a lease (FOR UPDATE SKIP
LOCKED on PostgreSQL, so two workers never take one), a batch's attempts recorded in a fixed
number of statements whatever its size (COPY of the attempts, one UPDATE of the deliveries)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Update, bindparam, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from plansmith.adapters.db import tables as t
from plansmith.adapters.db.bulk import bulk_insert
from plansmith.adapters.db.events.outbox import write_events
from plansmith.adapters.db.tables.base import UTCDateTime
from plansmith.adapters.db.webhooks.repositories import endpoint_of
from plansmith.application.kernel.ids import new_ids
from plansmith.application.webhooks.ports import Due, Outcome
from plansmith.domain.webhooks.events import WebhookEndpointDisabled

E = t.webhook_endpoints.c
D = t.webhook_deliveries.c
MAX_ERROR = 2000


def _take(locking: bool) -> Update:
    """The statement that leases the earliest due deliveries of enabled endpoints, built once
    (its parameters: now, until, holder, limit); on PostgreSQL the rows are picked FOR
    UPDATE SKIP LOCKED, so two workers never take one."""
    now = bindparam("now", type_=UTCDateTime())
    pick = (
        select(D.id)
        .join(t.webhook_endpoints, E.id == D.endpoint_id)
        .where(
            D.state == "pending",
            D.next_attempt_at <= now,
            (D.lease_until.is_(None)) | (D.lease_until <= now),
            E.enabled.is_(True),
        )
        .order_by(D.next_attempt_at)
        .limit(bindparam("limit"))
    )
    if locking:
        pick = pick.with_for_update(of=t.webhook_deliveries, skip_locked=True)
    return (
        update(t.webhook_deliveries)
        .where(D.id.in_(pick.scalar_subquery()))
        .values(
            lease_until=bindparam("until", type_=UTCDateTime()),
            leased_by=bindparam("holder"),
        )
        .returning(D.id, D.endpoint_id, D.event_id, D.body, D.attempts, D.round_attempts)
    )


_TAKE, _TAKE_LOCKING = _take(False), _take(True)


class SqlDeliveryStore:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._sessions = session_factory

    def take_due(self, holder: str, now: datetime, until: datetime, limit: int) -> Sequence[Due]:
        with self._sessions() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            taken = session.execute(
                _TAKE_LOCKING if postgres else _TAKE,
                {"now": now, "until": until, "holder": holder, "limit": limit},
            ).all()
            if not taken:
                session.commit()
                return []
            endpoint_ids = {row.endpoint_id for row in taken}
            endpoints = {
                r["id"]: endpoint_of(r)
                for r in session.execute(
                    select(t.webhook_endpoints).where(E.id.in_(endpoint_ids))
                ).mappings()
            }
            session.commit()
        secrets = {key: endpoint.secrets(now) for key, endpoint in endpoints.items()}
        return [
            Due(
                delivery_id=row.id,
                endpoint_id=row.endpoint_id,
                event_id=row.event_id,
                url=endpoints[row.endpoint_id].url,
                body=row.body,
                secrets=secrets[row.endpoint_id],
                attempts=row.attempts,
                round_attempts=row.round_attempts,
            )
            for row in sorted(taken, key=lambda r: r.id)
        ]

    def record(
        self,
        holder: str,
        outcomes: Sequence[Outcome],
        now: datetime,
        disable_after_events: int,
        failing_since_before: datetime,
    ) -> Sequence[WebhookEndpointDisabled]:
        if not outcomes:
            return []
        attempts = [
            {
                "id": i,
                "delivery_id": o.due.delivery_id,
                "number": o.due.attempts + 1,
                "at": o.at,
                "status": o.answer.status,
                "error": None if o.answer.error is None else o.answer.error[:MAX_ERROR],
                "duration_ms": o.answer.duration_ms,
                "response_head": o.answer.head,
            }
            for o, i in zip(outcomes, new_ids("wha", len(outcomes)), strict=True)
        ]
        moves = [_move(o, holder) for o in outcomes]
        with self._sessions() as session:
            bulk_insert(session, t.webhook_attempts, attempts)
            _move_all(session, moves)
            failing = self._count_failures(session, outcomes, now)
            disabled = self._disable(
                session, failing, now, disable_after_events, failing_since_before
            )
            session.commit()
        return disabled

    def _count_failures(
        self, session: Session, outcomes: Sequence[Outcome], now: datetime
    ) -> set[str]:
        ok = {o.due.endpoint_id for o in outcomes if o.answer.ok}
        failing = {o.due.endpoint_id for o in outcomes if not o.answer.ok} - ok
        exhausted: dict[str, int] = {}
        for o in outcomes:
            if not o.answer.ok and o.next_attempt_at is None:
                exhausted[o.due.endpoint_id] = exhausted.get(o.due.endpoint_id, 0) + 1
        if ok:
            session.execute(
                update(t.webhook_endpoints)
                # Only where there is something to clear: two workers would otherwise queue
                # behind each other's lock on the same endpoint rows, batch after batch.
                .where(E.id.in_(ok), E.failing_since.is_not(None) | (E.failed_events != 0))
                .values(failing_since=None, failed_events=0)
            )
        if failing:
            session.execute(
                update(t.webhook_endpoints)
                .where(E.id.in_(failing), E.failing_since.is_(None))
                .values(failing_since=now)
            )
        for endpoint_id, n in exhausted.items():
            if endpoint_id in ok:
                continue
            session.execute(
                update(t.webhook_endpoints)
                .where(E.id == endpoint_id)
                .values(failed_events=E.failed_events + n)
            )
        return failing

    def _disable(
        self,
        session: Session,
        failing: set[str],
        now: datetime,
        after_events: int,
        since_before: datetime,
    ) -> list[WebhookEndpointDisabled]:
        if not failing:
            return []
        q = (
            select(t.webhook_endpoints)
            .where(
                E.id.in_(failing),
                E.enabled.is_(True),
                (E.failed_events >= after_events) | (E.failing_since <= since_before),
            )
            .with_for_update()
        )
        found = [endpoint_of(r) for r in session.execute(q).mappings()]
        events = []
        for endpoint in found:
            reason = (
                f"the last {endpoint.failed_events} events failed every attempt"
                if endpoint.failed_events >= after_events
                else "failing without a success for 3 days"
            )
            session.execute(
                update(t.webhook_endpoints)
                .where(E.id == endpoint.id)
                .values(enabled=False, disabled_reason=reason, updated_at=now)
            )
            events.append(
                WebhookEndpointDisabled(
                    organization_id=endpoint.organization_id,
                    at=now,
                    endpoint_id=endpoint.id,
                    url=endpoint.url,
                    reason=reason,
                    failed_events=endpoint.failed_events,
                )
            )
        write_events(session, events)  # the operator hears of it through the outbox
        return events


# Only the lease's holder moves a delivery on: a worker whose lease ran out (and another took
# it) logs its attempt but leaves the schedule to the new holder.
_MOVE_ALL = text(
    """
    UPDATE webhook_deliveries AS d
    SET state = m.state, attempts = d.attempts + 1, round_attempts = d.round_attempts + 1,
        next_attempt_at = m.next, lease_until = NULL, leased_by = NULL,
        last_status = m.status, last_error = m.error, updated_at = m.at
    FROM unnest(
        CAST(:ids AS text[]), CAST(:states AS text[]), CAST(:nexts AS timestamptz[]),
        CAST(:statuses AS int[]), CAST(:errors AS text[]), CAST(:ats AS timestamptz[])
    ) AS m (id, state, next, status, error, at)
    WHERE d.id = m.id AND d.leased_by = :holder
    """
)


# The deliveries of a batch that succeeded with one status: the same values for all, their
# ids sent as one text (ids we make hold no comma); an array parameter costs the driver a Python
# call per element, a fifth of what recording a batch cost.
_SUCCEEDED = text(
    """
    UPDATE webhook_deliveries
    SET state = 'succeeded', attempts = attempts + 1, round_attempts = round_attempts + 1,
        next_attempt_at = NULL, lease_until = NULL, leased_by = NULL,
        last_status = :status, last_error = NULL, updated_at = :at
    WHERE id = ANY(string_to_array(:ids, ',')) AND leased_by = :holder
    """
)


def _move_all(session: Session, moves: Sequence[dict[str, Any]]) -> None:
    """Every delivery of the batch moved on: on PostgreSQL one statement per status of the
    successes and one for the rest (arrays unnested), on SQLite an executemany."""
    if session.get_bind().dialect.name == "postgresql":
        succeeded: dict[tuple[int, datetime], list[str]] = {}
        rest = []
        for m in moves:
            if m["b_state"] == "succeeded" and m["b_error"] is None and "," not in m["b_id"]:
                succeeded.setdefault((m["b_status"], m["b_at"]), []).append(m["b_id"])
            else:
                rest.append(m)
        for (status, at), ids in succeeded.items():
            session.execute(
                _SUCCEEDED,
                {"ids": ",".join(ids), "status": status, "at": at, "holder": moves[0]["b_holder"]},
            )
        if rest:
            session.execute(
                _MOVE_ALL,
                {
                    "ids": [m["b_id"] for m in rest],
                    "states": [m["b_state"] for m in rest],
                    "nexts": [m["b_next"] for m in rest],
                    "statuses": [m["b_status"] for m in rest],
                    "errors": [m["b_error"] for m in rest],
                    "ats": [m["b_at"] for m in rest],
                    "holder": rest[0]["b_holder"],
                },
            )
        return
    session.execute(
        update(t.webhook_deliveries)
        .where(D.id == bindparam("b_id"), D.leased_by == bindparam("b_holder"))
        .values(
            state=bindparam("b_state"),
            attempts=D.attempts + 1,
            round_attempts=D.round_attempts + 1,
            next_attempt_at=bindparam("b_next"),
            lease_until=None,
            leased_by=None,
            last_status=bindparam("b_status"),
            last_error=bindparam("b_error"),
            updated_at=bindparam("b_at"),
        )
        .execution_options(synchronize_session=False),
        moves,
    )


def _move(o: Outcome, holder: str) -> dict[str, Any]:
    if o.answer.ok:
        state, following = "succeeded", None
    elif o.next_attempt_at is None:
        state, following = "failed", None
    else:
        state, following = "pending", o.next_attempt_at
    return {
        "b_id": o.due.delivery_id,
        "b_holder": holder,
        "b_state": state,
        "b_next": following,
        "b_status": o.answer.status,
        "b_error": o.answer.error,
        "b_at": o.at,
    }
