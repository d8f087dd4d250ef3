"""Stored responses for API writes sent with an Idempotency-Key.

A key moves in_flight -> committed -> done. The claim is a row inserted in its own short
transaction, so of many concurrent requests with one key exactly one runs; the use case's own
commit marks it 'committed' in the same transaction as its writes (see fence_current_claim),
so a crash after that commit can never lead to the work being done twice.

A claim is held by a lease that the live request renews (``hold``: one thread per process
renews every held claim each third of the lease). The row stores until when the lease runs
(``lease_until``), set by the holder with its own configured lease, so every process judges a
claim alike whatever lease it is configured with. A lease that ran out means the holder died
(or stalled longer than the lease); then, for a retry with the same key and request:
- in_flight: nothing was committed; the retry takes the claim over and runs the request;
- committed, rerunnable (a billing run, a test clock advance, the renewal step: steps that
  each do their work once by their own unique keys): the retry takes it over and runs the
  request again, which does what is left and answers (a billing run the dead holder started
  is marked abandoned by the retry's run at once: see ``link_billing_run``);
- committed, not rerunnable: the work was done, the answer was never stored; the retry gets a
  final RESPONSE_LOST and nothing runs twice.
A taken-over claim has a new fencing token, so the old holder, if it wakes, cannot commit.
"""

from __future__ import annotations

import json
import logging
import math
import secrets
import threading
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from plansmith.adapters.db import tables as t
from plansmith.application.kernel.errors import Conflict
from plansmith.application.kernel.ports import Clock
from plansmith.domain.kernel import error_codes as ec

IN_FLIGHT, COMMITTED, DONE = "in_flight", "committed", "done"
log = logging.getLogger("plansmith.idempotency")


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


def link_billing_run(session: Session, run_id: str) -> str | None:
    """Inside the transaction that records a new billing run: tie the run to the request's
    claim, and return the run an earlier holder of the same claim started, if another. The
    claim was taken over from that holder after its lease ran out (or the run ended before
    this one began, in the same request): it is not running any more."""
    claim = current_claim.get()
    if claim is None:
        return None
    c = t.idempotency_keys.c
    mine = (c.id == claim.id) & (c.lock_token == claim.token)
    before = session.execute(select(c.billing_run_id).where(mine).with_for_update()).first()
    if before is None:
        return None  # taken over by a retry meanwhile: the commit will be refused
    session.execute(update(t.idempotency_keys).where(mine).values(billing_run_id=run_id))
    previous: str | None = before.billing_run_id
    return previous if previous != run_id else None


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
    RESPONSE_LOST = "response_lost"  # applied once; its holder died before storing the answer


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    claim: Claim | None = None
    response: StoredResponse | None = None
    retry_after: int | None = None  # IN_PROGRESS: seconds until the holder's lease runs out


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
        self._held: dict[int, Claim] = {}
        self._lock = threading.Lock()
        self._keeper: threading.Thread | None = None

    def begin(
        self, organization_id: str, key: str, request_hash: str, *, rerunnable: bool = False
    ) -> Decision:
        for _ in range(3):  # an expired or abandoned row is replaced, then we try again
            decision = self._try_insert(organization_id, key, request_hash, rerunnable)
            if decision is not None:
                return decision
            decision = self._inspect(organization_id, key, request_hash)
            if decision is not None:
                return decision
        return Decision(Verdict.IN_PROGRESS, retry_after=1)

    def _try_insert(
        self, organization_id: str, key: str, request_hash: str, rerunnable: bool
    ) -> Decision | None:
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
                        rerunnable=rerunnable,
                        lock_token=token,
                        locked_at=now,
                        lease_until=now + self.lease,
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
            expires = row.lease_until  # the holder's own lease, whatever ours is
            if row.created_at <= now - self.retention and (row.state == DONE or expires <= now):
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
            if expires > now:  # its holder is alive, or died less than a lease ago
                wait = math.ceil((expires - now).total_seconds())
                return Decision(Verdict.IN_PROGRESS, retry_after=max(1, wait))
            if row.state == COMMITTED and not row.rerunnable:
                return Decision(Verdict.RESPONSE_LOST)
            token = secrets.token_hex(16)
            taken = session.execute(
                update(t.idempotency_keys)
                .where(c.id == row.id, c.lock_token == row.lock_token, c.state == row.state)
                .values(lock_token=token, locked_at=now, lease_until=now + self.lease)
            )
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                return Decision(Verdict.PROCEED, claim=Claim(row.id, token))
            return None  # another retry took it over first: look again

    # -- the lease -------------------------------------------------------------------------

    def hold(self, claim: Claim) -> None:
        """Keep renewing the claim's lease until ``release``: the holder is alive."""
        with self._lock:
            self._held[claim.id] = claim
            if self._keeper is None:
                self._keeper = threading.Thread(
                    target=self._keep, name="idempotency-leases", daemon=True
                )
                self._keeper.start()

    @property
    def renewing(self) -> bool:
        """Whether a thread renews held claims (it ends soon after the last is released)."""
        with self._lock:
            return self._keeper is not None

    def release(self, claim: Claim) -> None:
        with self._lock:
            if self._held.get(claim.id) == claim:
                del self._held[claim.id]

    def _keep(self) -> None:
        """Renew the held claims each third of the lease; end when none is held."""
        stop = threading.Event()
        while not stop.wait(self.lease.total_seconds() / 3):
            with self._lock:
                claims = list(self._held.values())
                if not claims:
                    self._keeper = None
                    return
            try:
                self.renew(claims)
            except Exception:  # the database is away for a moment: try again next time
                log.warning("could not renew %d idempotency lease(s)", len(claims), exc_info=True)

    def renew(self, claims: list[Claim]) -> int:
        """Run the leases of these claims for one of our leases from now; returns how many are
        still theirs."""
        c = t.idempotency_keys.c
        params: list[dict[str, Any]] = [{"b_id": x.id, "b_token": x.token} for x in claims]
        now = self._clock.now()
        with self._sessions() as session, session.begin():
            result = session.execute(
                update(t.idempotency_keys)
                .where(
                    c.id == bindparam("b_id"),
                    c.lock_token == bindparam("b_token"),
                    c.state.in_((IN_FLIGHT, COMMITTED)),
                )
                .values(locked_at=now, lease_until=now + self.lease),
                params,
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def finish(self, claim: Claim, response: StoredResponse) -> None:
        """Keep the response for replays. A server error frees the key instead when running
        the request again is safe: nothing was committed, or the request is rerunnable."""
        c = t.idempotency_keys.c
        mine = (c.id == claim.id) & (c.lock_token == claim.token)
        with self._sessions() as session, session.begin():
            row = session.execute(
                select(c.state, c.rerunnable).where(mine, c.state.in_((IN_FLIGHT, COMMITTED)))
            ).first()
            if row is None:
                return  # taken over after its lease: the new holder answers
            if response.status >= 500 and (row.state == IN_FLIGHT or row.rerunnable):
                session.execute(delete(t.idempotency_keys).where(mine))
                return
            session.execute(
                update(t.idempotency_keys)
                .where(mine)
                .values(
                    state=DONE,
                    response_status=response.status,
                    response_headers=json.dumps(response.headers),
                    response_body=response.body,
                )
            )

    def purge(self) -> int:
        """Forget keys older than the retention period (but not a request still running)."""
        now = self._clock.now()
        c = t.idempotency_keys.c
        with self._sessions() as session, session.begin():
            result = session.execute(
                delete(t.idempotency_keys).where(
                    c.created_at <= now - self.retention,
                    or_(c.state == DONE, c.lease_until <= now),
                )
            )
            return int(result.rowcount)  # type: ignore[attr-defined]
