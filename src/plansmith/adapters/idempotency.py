"""Stored responses for API writes sent with an Idempotency-Key.

A key moves in_flight -> committed -> done. The claim is a row inserted in its own short
transaction, so of many concurrent requests with one key exactly one runs; the use case's own
commit marks it 'committed' in the same transaction as its writes (see fence_current_claim),
so a crash after that commit can never lead to the work being done twice. A claim still
in_flight after its lease means the worker died before committing anything; it may be taken
over, and the fencing token stops the dead worker's late commit.
"""

from __future__ import annotations

import json
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from plansmith.adapters.db import tables as t
from plansmith.application.errors import Conflict
from plansmith.application.ports import Clock
from plansmith.domain import error_codes as ec

IN_FLIGHT, COMMITTED, DONE = "in_flight", "committed", "done"


@dataclass(frozen=True)
class Claim:
    id: int
    token: str


current_claim: ContextVar[Claim | None] = ContextVar("current_idempotency_claim", default=None)


def fence_current_claim(session: Session) -> None:
    """Inside a use case's transaction: mark the request's claim committed, or refuse."""
    claim = current_claim.get()
    if claim is None:
        return
    c = t.idempotency_keys.c
    result = session.execute(
        update(t.idempotency_keys)
        .where(c.id == claim.id, c.lock_token == claim.token, c.state.in_((IN_FLIGHT, COMMITTED)))
        .values(state=COMMITTED)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            "this request took too long and its Idempotency-Key was taken over by a retry",
            code=ec.IDEMPOTENCY_KEY_LOST,
        )


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Verdict(StrEnum):
    PROCEED = "proceed"
    REPLAY = "replay"
    IN_PROGRESS = "in_progress"
    MISMATCH = "mismatch"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    claim: Claim | None = None
    response: StoredResponse | None = None


class IdempotencyStore:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        *,
        retention: timedelta = timedelta(hours=24),
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self._sessions = session_factory
        self._clock = clock
        self.retention = retention
        self.lease = lease

    def begin(self, organization_id: str, key: str, request_hash: str) -> Decision:
        for _ in range(3):  # an expired or abandoned row is replaced, then we try again
            decision = self._try_insert(organization_id, key, request_hash)
            if decision is not None:
                return decision
            decision = self._inspect(organization_id, key, request_hash)
            if decision is not None:
                return decision
        return Decision(Verdict.IN_PROGRESS)

    def _try_insert(self, organization_id: str, key: str, request_hash: str) -> Decision | None:
        now = self._clock.now()
        token = secrets.token_hex(16)
        try:
            with self._sessions() as session, session.begin():
                row_id = session.execute(
                    insert(t.idempotency_keys)
                    .values(
                        organization_id=organization_id,
                        key=key,
                        request_hash=request_hash,
                        state=IN_FLIGHT,
                        lock_token=token,
                        locked_at=now,
                        created_at=now,
                    )
                    .returning(t.idempotency_keys.c.id)
                ).scalar_one()
        except IntegrityError:
            return None
        return Decision(Verdict.PROCEED, claim=Claim(row_id, token))

    def _inspect(self, organization_id: str, key: str, request_hash: str) -> Decision | None:
        now = self._clock.now()
        c = t.idempotency_keys.c
        with self._sessions() as session, session.begin():
            row = session.execute(
                select(t.idempotency_keys).where(c.organization_id == organization_id, c.key == key)
            ).first()
            if row is None:
                return None  # deleted meanwhile: insert again
            if row.created_at <= now - self.retention:
                session.execute(delete(t.idempotency_keys).where(c.id == row.id))
                return None
            if row.request_hash != request_hash:
                return Decision(Verdict.MISMATCH)
            if row.state == DONE:
                headers = [tuple(h) for h in json.loads(row.response_headers)]
                return Decision(
                    Verdict.REPLAY,
                    response=StoredResponse(row.response_status, headers, row.response_body),
                )
            if row.state == IN_FLIGHT and row.locked_at <= now - self.lease:
                token = secrets.token_hex(16)
                taken = session.execute(
                    update(t.idempotency_keys)
                    .where(c.id == row.id, c.lock_token == row.lock_token, c.state == IN_FLIGHT)
                    .values(lock_token=token, locked_at=now)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    return Decision(Verdict.PROCEED, claim=Claim(row.id, token))
            return Decision(Verdict.IN_PROGRESS)

    def finish(self, claim: Claim, response: StoredResponse) -> None:
        """Keep the response for replays; a failure before any commit frees the key instead."""
        c = t.idempotency_keys.c
        mine = (c.id == claim.id) & (c.lock_token == claim.token)
        with self._sessions() as session, session.begin():
            if response.status >= 500:
                # Nothing was committed if still in flight: let a retry run it afresh.
                session.execute(delete(t.idempotency_keys).where(mine, c.state == IN_FLIGHT))
            session.execute(
                update(t.idempotency_keys)
                .where(mine, c.state.in_((IN_FLIGHT, COMMITTED)))
                .values(
                    state=DONE,
                    response_status=response.status,
                    response_headers=json.dumps(response.headers),
                    response_body=response.body,
                )
            )

    def purge(self) -> int:
        """Forget keys older than the retention period."""
        cutoff = self._clock.now() - self.retention
        c = t.idempotency_keys.c
        with self._sessions() as session, session.begin():
            result = session.execute(delete(t.idempotency_keys).where(c.created_at <= cutoff))
            return int(result.rowcount)  # type: ignore[attr-defined]
