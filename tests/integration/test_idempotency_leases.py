"""The Idempotency-Key claim's lease, on both databases, with the injected clock: a live
request keeps its claim by renewing it; after its holder died, a retry takes over what may
run again and gets a final, honest answer for what may not."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.idempotency import (
    COMMITTED,
    DONE,
    IN_FLIGHT,
    IdempotencyStore,
    StoredResponse,
    Verdict,
    current_claim,
    fence_current_claim,
)
from plansmith.application.billing.test_clocks import sandbox_of
from plansmith.application.kernel.errors import Conflict
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant

ORG_KEY = "lease-1"
OK = StoredResponse(201, [("content-type", "application/json")], b'{"ok":true}')
FAILED = StoredResponse(500, [("content-type", "application/problem+json")], b"{}")


def _row(container: Plansmith, key: str = ORG_KEY) -> Any:
    c = t.idempotency_keys.c
    with container.engine.connect() as connection:
        return connection.execute(
            select(c.state, c.locked_at, c.lock_token, c.rerunnable).where(c.key == key)
        ).first()


def _commit_under(container: Plansmith, claim: Any) -> None:
    """What a use case's commit does for the request holding ``claim``: fence it."""
    token = current_claim.set(claim)
    try:
        with container.sessions() as session, session.begin():
            fence_current_claim(session)
    finally:
        current_claim.reset(token)


def _begun(store: IdempotencyStore, tenant: Tenant, *, rerunnable: bool = False) -> Any:
    decision = store.begin(tenant.organization_id, ORG_KEY, "hash", rerunnable=rerunnable)
    assert decision.verdict is Verdict.PROCEED and decision.claim is not None
    return decision.claim


def test_committed_request_whose_holder_died_answers_response_lost_after_the_lease(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    store = container.idempotency
    claim = _begun(store, tenant)
    _commit_under(container, claim)  # its transaction committed; then the server died
    clock.advance(store.lease - timedelta(seconds=5))

    within = store.begin(tenant.organization_id, ORG_KEY, "hash")
    clock.advance(timedelta(seconds=5))
    after = store.begin(tenant.organization_id, ORG_KEY, "hash")
    clock.advance(timedelta(hours=1))
    later = store.begin(tenant.organization_id, ORG_KEY, "hash")

    assert (within.verdict, within.retry_after) == (Verdict.IN_PROGRESS, 5)
    assert (after.verdict, after.claim) == (Verdict.RESPONSE_LOST, None)
    assert later.verdict is Verdict.RESPONSE_LOST
    assert _row(container).state == COMMITTED  # nothing ran again; the row still says so


def test_a_holder_that_was_only_slow_still_stores_its_answer_for_later_retries(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    store = container.idempotency
    claim = _begun(store, tenant)
    _commit_under(container, claim)
    clock.advance(store.lease + timedelta(seconds=1))
    lost = store.begin(tenant.organization_id, ORG_KEY, "hash")

    store.finish(claim, OK)  # the original request wakes up and answers
    replay = store.begin(tenant.organization_id, ORG_KEY, "hash")

    assert lost.verdict is Verdict.RESPONSE_LOST
    assert (replay.verdict, replay.response) == (Verdict.REPLAY, OK)


def test_renewing_keeps_a_live_claim_however_long_it_runs(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    store = container.idempotency
    claim = _begun(store, tenant, rerunnable=True)
    _commit_under(container, claim)
    seen = []
    for _ in range(5):  # five leases long, renewed each half lease
        clock.advance(store.lease / 2)
        assert store.renew([claim]) == 1
        clock.advance(store.lease / 2 - timedelta(seconds=1))
        seen.append(store.begin(tenant.organization_id, ORG_KEY, "hash").verdict)

    assert seen == [Verdict.IN_PROGRESS] * 5
    assert _row(container).lock_token == claim.token


def test_rerunnable_committed_claim_is_taken_over_and_the_old_holder_is_fenced_out(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    store = container.idempotency
    old = _begun(store, tenant, rerunnable=True)
    _commit_under(container, old)  # e.g. the run's first batch committed; then it died
    clock.advance(store.lease + timedelta(seconds=1))

    retry = store.begin(tenant.organization_id, ORG_KEY, "hash", rerunnable=True)
    assert retry.verdict is Verdict.PROCEED and retry.claim is not None
    with pytest.raises(Conflict) as lost:
        _commit_under(container, old)
    renewed_by_old = store.renew([old])
    _commit_under(container, retry.claim)
    store.finish(old, FAILED)  # the old holder's late answer is ignored
    store.finish(retry.claim, OK)
    replay = store.begin(tenant.organization_id, ORG_KEY, "hash", rerunnable=True)

    assert retry.claim.id == old.id and retry.claim.token != old.token
    assert lost.value.code == "idempotency_key_lost"
    assert renewed_by_old == 0
    assert (replay.verdict, replay.response) == (Verdict.REPLAY, OK)


def test_server_error_frees_a_rerunnable_key_but_is_kept_for_a_committed_one(
    container: Plansmith, tenant: Tenant
) -> None:
    store = container.idempotency
    rerun = _begun(store, tenant, rerunnable=True)
    _commit_under(container, rerun)
    store.finish(rerun, FAILED)
    freed = _row(container)
    other = store.begin(tenant.organization_id, "once-1", "hash")
    assert other.claim is not None
    _commit_under(container, other.claim)
    store.finish(other.claim, FAILED)

    assert freed is None  # a retry runs the billing run again; its own keys keep it once
    assert _row(container, "once-1").state == DONE
    assert store.begin(tenant.organization_id, "once-1", "hash").verdict is Verdict.REPLAY


def test_a_claim_past_retention_is_kept_while_its_lease_is_alive(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    store = container.idempotency
    claim = _begun(store, tenant, rerunnable=True)
    clock.advance(store.retention + timedelta(minutes=1))
    store.renew([claim])  # still running a day later

    purged = store.purge()
    retry = store.begin(tenant.organization_id, ORG_KEY, "hash", rerunnable=True)

    assert purged == 0
    assert retry.verdict is Verdict.IN_PROGRESS
    assert _row(container).state == IN_FLIGHT


def test_holding_a_claim_renews_it_from_a_thread_until_released(
    db_url: str, clock: TestClock, container: Plansmith, tenant: Tenant
) -> None:
    store = IdempotencyStore(container.sessions, clock, lease=timedelta(seconds=0.3))
    claim = _begun(store, tenant)
    first = _row(container).locked_at
    clock.advance(timedelta(seconds=7))

    store.hold(claim)
    deadline = time.monotonic() + 30  # polls for the renewal; asserts nothing on time
    while _row(container).locked_at == first and time.monotonic() < deadline:
        time.sleep(0.05)
    renewed = _row(container).locked_at
    store.release(claim)
    while store.renewing and time.monotonic() < deadline:
        time.sleep(0.05)

    assert renewed == first + timedelta(seconds=7)
    assert not store.renewing  # its thread ends when it holds nothing


# -- through the API ------------------------------------------------------------------------------


def test_api_answers_response_lost_once_the_lease_of_a_dead_request_ran_out(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    clock: TestClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = {**tenant.headers, "Idempotency-Key": "dies-after-commit"}
    body = {"name": "Acme Chat", "email": "billing@acme.example", "currency": "USD"}
    with monkeypatch.context() as dying:  # committed, then died before storing the answer
        dying.setattr(IdempotencyStore, "finish", lambda *_args: None)
        assert client.post("/v1/accounts", json=body, headers=headers).status_code == 201

    busy = client.post("/v1/accounts", json=body, headers=headers)
    clock.advance(container.idempotency.lease)
    lost = client.post("/v1/accounts", json=body, headers=headers)

    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_key_in_use"
    assert busy.headers["retry-after"] == "5"  # the lease has 60 s left; look sooner
    assert lost.status_code == 409, lost.text
    assert lost.headers["content-type"] == "application/problem+json"
    assert (lost.json()["code"], lost.json()["field"]) == (
        "idempotency_response_lost",
        "Idempotency-Key",
    )
    with container.engine.connect() as connection:
        accounts = connection.execute(select(func.count()).select_from(t.accounts)).scalar()
    assert accounts == 1


def test_api_runs_a_clock_advance_again_after_its_server_died_mid_way(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    clock: TestClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from plansmith.application.organizations.api_keys import create_api_key
    from plansmith.application.organizations.organizations import create_organization

    org = create_organization(container.uow(), clock, "Lease Sandbox", sandbox=True)
    headers = {
        "Authorization": f"Bearer {create_api_key(container.uow(), clock, org.id, 'k').secret}",
        "Idempotency-Key": "advance-1",
    }
    body = {"to": "2026-03-01T00:00:00+00:00"}
    with monkeypatch.context() as dying:  # it billed and moved the clock, then died
        dying.setattr(IdempotencyStore, "finish", lambda *_args: None)
        assert client.post("/v1/test_clock/advance", json=body, headers=headers).status_code == 200
    clock.advance(container.idempotency.lease)

    again = client.post("/v1/test_clock/advance", json=body, headers=headers)
    replayed = client.post("/v1/test_clock/advance", json=body, headers=headers)

    assert again.status_code == 200, again.text
    assert "idempotent-replayed" not in again.headers
    assert again.json()["frozen_at"] == again.json()["previous"] == "2026-03-01T00:00:00Z"
    assert (replayed.headers["idempotent-replayed"], replayed.content) == ("true", again.content)
    assert sandbox_of(container.uow(), org.id).test_clock_at is not None
    assert _row(container, "advance-1").state == DONE
    assert _row(container, "advance-1").rerunnable is True
