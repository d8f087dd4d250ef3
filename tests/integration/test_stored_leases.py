"""Leases judged alike by every process, on both databases, with the injected clock: an
Idempotency-Key claim and a billing run each store until when their holder's lease runs (the
holder's own setting), so processes configured with other leases agree on who is dead; a
retry that takes over a dead billing run's key marks that run abandoned at once, with the
default leases; and the renewal step, which commits once per subscription, runs again after
its server died mid-way and renews each subscription exactly once.

A request "whose server died" is what it leaves behind: its claim taken and never renewed,
and the transactions it committed under it (made here by the use cases themselves, under the
claim, as the middleware would run them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.idempotency import (
    COMMITTED,
    Claim,
    IdempotencyStore,
    Verdict,
    current_claim,
    fence_current_claim,
)
from plansmith.application.billing.ports import RunRecord
from plansmith.application.billing.run import batches, bill_batch, run_billing
from plansmith.application.billing.run_records import RunWatch, start_run
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.api.idempotency import RERUNNABLE, request_hash
from tests.conftest import Tenant
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}
SUBSCRIBERS, DONE_BEFORE_DEATH = 6, 2
NO_GRACE = timedelta(0)
SHORT, LONG = timedelta(seconds=10), timedelta(seconds=60)


def _subscribed(app: Plansmith, org: str, clock: TestClock) -> list[str]:
    """SUBSCRIBERS monthly subscriptions started 2027-01-10 09:00 UTC."""
    seed_catalog(app, org, plans={"seat": PLAN}, add_ons=False)
    clock.set(local_at(date(2027, 1, 10), "UTC", 9))
    ids = []
    for n in range(SUBSCRIBERS):
        account = new_account(app, org, "USD", "UTC", name=f"Customer {n}")
        ids.append(
            subscribe(app.uow(), clock, org, SubscribeInput(account, "seat")).view.subscription.id
        )
    return ids


def _claim_row(app: Plansmith, key: str) -> Any:
    c = t.idempotency_keys.c
    with app.engine.connect() as connection:
        return connection.execute(select(t.idempotency_keys).where(c.key == key)).first()


def _run(app: Plansmith, run_id: str) -> RunRecord:
    with app.uow() as uow:
        found = uow.billing_runs.get_run(run_id)
    assert found is not None
    return found


def _count_by(app: Plansmith, column: Any) -> dict[str, int]:
    with app.engine.connect() as connection:
        rows = connection.execute(select(column, func.count()).group_by(column))
        return {key: int(n) for key, n in rows}


@contextmanager
def _dead_request(app: Plansmith, tenant: Tenant, key: str, path: str) -> Iterator[None]:
    """Take the claim a keyed POST ``path`` (no body) takes, never renewed: what runs inside
    commits under it, as the request's use case would; then its server dies."""
    decision = app.idempotency.begin(
        tenant.organization_id,
        key,
        request_hash("POST", path, "", b""),
        rerunnable=("POST", path) in RERUNNABLE,
    )
    assert decision.verdict is Verdict.PROCEED and decision.claim is not None
    token = current_claim.set(decision.claim)
    try:
        yield
    finally:
        current_claim.reset(token)


# -- a claim's lease is its holder's ----------------------------------------------------------


def _committed_claim(app: Plansmith, store: IdempotencyStore, tenant: Tenant, key: str) -> Claim:
    decision = store.begin(tenant.organization_id, key, "hash", rerunnable=True)
    assert decision.claim is not None
    token = current_claim.set(decision.claim)
    try:
        with app.sessions() as session, session.begin():
            fence_current_claim(session)
    finally:
        current_claim.reset(token)
    return decision.claim


def test_a_claim_is_judged_by_its_holders_lease_whatever_the_readers(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    short = IdempotencyStore(container.sessions, clock, lease=SHORT)
    long = IdempotencyStore(container.sessions, clock, lease=LONG)
    org = tenant.organization_id
    _committed_claim(container, short, tenant, "short-holder")  # both holders then died
    long_held = _committed_claim(container, long, tenant, "long-holder")

    clock.advance(SHORT)
    by_long_reader = long.begin(org, "short-holder", "hash", rerunnable=True)
    by_short_reader = short.begin(org, "long-holder", "hash", rerunnable=True)
    clock.advance(long.retention)
    long.renew([long_held])  # the long holder was only slow: it renews a day later
    clock.advance(SHORT * 2)
    purged_by_short = short.purge()

    # The short holder's lease ran out: a reader set to a long lease takes its claim over.
    assert by_long_reader.verdict is Verdict.PROCEED
    # The long holder's lease runs 50 s more: a reader set to a short lease waits for it.
    assert (by_short_reader.verdict, by_short_reader.retry_after) == (Verdict.IN_PROGRESS, 50)
    # Nor does a purge by a short-lease process delete the live claim past its retention;
    # it deletes only the other, whose lease (the long reader's, who took it) ran out.
    assert purged_by_short == 1 and _claim_row(container, "short-holder") is None
    row = _claim_row(container, "long-holder")
    assert (row.state, row.lock_token) == (COMMITTED, long_held.token)
    assert row.lease_until == clock.now() - SHORT * 2 + LONG


# -- a run's lease is the lease of the process that made its progress -------------------------


def test_a_run_is_judged_by_the_lease_of_the_process_that_made_its_progress(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    _subscribed(container, org, clock)
    long_lived = RunWatch(clock, timedelta(minutes=10))
    short_lived = RunWatch(clock, timedelta(seconds=30))
    dead_long = start_run(container.uow(), long_lived, org, clock.now())  # both die at once
    dead_short = start_run(container.uow(), short_lived, org, clock.now())
    first = next(batches(container.uow(), org, clock.now(), 2))
    bill_batch(container.uow(), clock, first, NO_GRACE, log=dead_short)  # progress: +30 s

    clock.advance(timedelta(seconds=31))
    by_a_one_second_process = run_billing(
        container.uow(), clock, org, grace=NO_GRACE, watch=RunWatch(clock, timedelta(seconds=1))
    )

    long_run, short_run = _run(container, dead_long.run_id), _run(container, dead_short.run_id)
    # Its own lease has nine minutes left, whatever the lease of the run that looked.
    assert (long_run.status, long_run.abandoned_by) == ("running", None)
    assert (short_run.status, short_run.abandoned_by, short_run.invoiced) == (
        "abandoned",
        by_a_one_second_process.id,
        2,
    )
    assert short_run.lease_until == clock.now() - timedelta(seconds=1)
    assert by_a_one_second_process.lease_until == clock.now() + timedelta(seconds=1)


# -- a retry that takes over a billing run's key abandons the dead run at once ----------------


def test_a_retry_taking_over_a_dead_runs_key_abandons_that_run_at_once_with_default_leases(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    ids = _subscribed(container, org, clock)
    with _dead_request(container, tenant, "bill-once", "/v1/billing_runs"):
        dead = start_run(container.uow(), container.watch, org, clock.now())
        first = next(batches(container.uow(), org, clock.now(), 2))
        bill_batch(container.uow(), clock, first, NO_GRACE, log=dead)
    headers = {**tenant.headers, "Idempotency-Key": "bill-once"}

    clock.advance(container.idempotency.lease - timedelta(seconds=1))
    busy = client.post("/v1/billing_runs", headers=headers)
    clock.advance(timedelta(seconds=1))  # the key's lease ran out: the request's holder died
    retried = client.post("/v1/billing_runs", headers=headers)
    record = _run(container, dead.run_id)

    assert container.watch.lease == 10 * container.idempotency.lease  # the defaults: 600, 60
    assert (busy.status_code, busy.json()["code"]) == (409, "idempotency_key_in_use")
    assert retried.status_code == 201, retried.text
    run = retried.json()
    assert (run["status"], run["invoiced"]) == ("finished", SUBSCRIBERS - 2)
    # The dead run's own lease has nine minutes left, yet the retry's run names it at once.
    assert (record.status, record.abandoned_by, record.invoiced, record.finished_at) == (
        "abandoned",
        run["id"],
        2,
        None,
    )
    assert record.lease_until is not None and record.lease_until > clock.now()
    assert _claim_row(container, "bill-once").billing_run_id == run["id"]
    assert _count_by(container, t.invoices.c.subscription_id) == dict.fromkeys(ids, 1)


# -- the renewal step runs again after its server died mid-way --------------------------------


def test_the_renewal_step_runs_again_after_its_server_died_mid_way(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    ids = _subscribed(container, org, clock)
    clock.set(local_at(date(2027, 2, 10), "UTC", 10))  # every first period has ended
    with _dead_request(container, tenant, "renew-1", "/v1/subscriptions/advance"):
        for sub_id in ids[:DONE_BEFORE_DEATH]:  # one transaction each, then it died
            assert actions.advance_subscription(container.uow(), clock, org, sub_id).applied
    headers = {**tenant.headers, "Idempotency-Key": "renew-1"}

    clock.advance(container.idempotency.lease)
    again = client.post("/v1/subscriptions/advance", headers=headers)
    replayed = client.post("/v1/subscriptions/advance", headers=headers)

    assert again.status_code == 200, again.text
    assert "idempotent-replayed" not in again.headers
    assert (again.json()["renewed"], again.json()["items"], again.json()["skipped"]) == (
        SUBSCRIBERS - DONE_BEFORE_DEATH,
        SUBSCRIBERS - DONE_BEFORE_DEATH,
        0,
    )
    assert (replayed.headers["idempotent-replayed"], replayed.content) == ("true", again.content)
    # Each subscription: its first period and one renewal, whoever renewed it.
    items = _count_by(container, t.subscription_items.c.subscription_id)
    assert items == dict.fromkeys(ids, 2)
