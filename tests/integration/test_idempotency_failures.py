"""Idempotency-Key on API writes: failures, fencing of stale claims, and PATCH."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

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
)
from plansmith.application.accounts import accounts as uc
from plansmith.application.kernel.errors import Conflict
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant
from tests.integration.idempotency_support import (
    ACCOUNT,
    PROBLEM,
    REPLAYED,
    _assert_problem,
    _count,
    _create,
    _key_states,
    _with_key,
)


def _crash(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("the worker died before committing")


# -- failures --------------------------------------------------------------------------------


def test_validation_failure_is_stored_and_replayed(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    first = _create(client, tenant, "bad-1", currency="XYZ")

    again = _create(client, tenant, "bad-1", currency="XYZ")
    corrected = _create(client, tenant, "bad-1", currency="USD")

    assert (first.status_code, first.json()["code"]) == (422, "unknown_currency")
    assert (again.status_code, again.content) == (422, first.content)
    assert again.headers[REPLAYED] == "true"
    assert again.headers["content-type"] == PROBLEM
    _assert_problem(corrected, 422, "idempotency_key_reused")
    assert _count(container, t.accounts) == 0


def test_server_error_before_commit_frees_the_key(
    container: Plansmith, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        monkeypatch.setattr(uc, "open_account", _crash)
        failed = _create(client, tenant, "crash-1")
        keys_after_failure = _count(container, t.idempotency_keys)
        monkeypatch.undo()
        retried = _create(client, tenant, "crash-1")

    assert failed.status_code == 500
    assert keys_after_failure == 0
    assert retried.status_code == 201, retried.text
    assert REPLAYED not in retried.headers
    assert _count(container, t.accounts) == 1


def test_server_error_after_commit_never_runs_the_request_twice(
    container: Plansmith, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_output(_account: Any) -> Any:
        raise RuntimeError("serializer bug after the commit")

    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        monkeypatch.setattr("plansmith.entrypoints.api.schemas.AccountOut.of", broken_output)
        failed = _create(client, tenant, "late-crash-1")
        monkeypatch.undo()
        retried = _create(client, tenant, "late-crash-1")

    assert failed.status_code == 500
    assert (retried.status_code, retried.headers[REPLAYED]) == (500, "true")
    assert _count(container, t.accounts) == 1


def test_use_case_commit_marks_the_key_committed_in_the_same_transaction(
    client: TestClient, container: Plansmith, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker that dies between its commit and storing the response (finish never runs).
    monkeypatch.setattr(IdempotencyStore, "finish", lambda *_args: None)

    first = _create(client, tenant, "dies-after-commit")
    state_after_commit = _key_states(container)
    retry = _create(client, tenant, "dies-after-commit")

    assert first.status_code == 201
    assert state_after_commit == [COMMITTED]
    _assert_problem(retry, 409, "idempotency_key_in_use")
    assert _count(container, t.accounts) == 1


def test_abandoned_claim_is_taken_over_after_its_lease(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    clock: TestClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A worker that claimed the key, then died before committing or answering: the claim stays.
    monkeypatch.setattr(IdempotencyStore, "finish", lambda *_args: None)
    monkeypatch.setattr(uc, "open_account", _crash)
    with TestClient(create_app(container), raise_server_exceptions=False) as dying:
        assert _create(dying, tenant, "abandoned").status_code == 500
    monkeypatch.undo()
    assert _key_states(container) == [IN_FLIGHT]

    within_lease = _create(client, tenant, "abandoned")
    clock.advance(container.idempotency.lease + timedelta(seconds=1))
    after_lease = _create(client, tenant, "abandoned")

    _assert_problem(within_lease, 409, "idempotency_key_in_use")
    assert after_lease.status_code == 201, after_lease.text
    assert REPLAYED not in after_lease.headers
    assert _count(container, t.accounts) == 1
    assert _key_states(container) == [DONE]


# -- fencing: a claim taken over after its lease cannot commit ------------------------------------


def test_stale_claim_cannot_commit_and_writes_nothing(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    store = container.idempotency
    stale = store.begin(tenant.organization_id, "fenced", "hash-1")
    during_lease = store.begin(tenant.organization_id, "fenced", "hash-1")
    clock.advance(store.lease + timedelta(seconds=1))
    fresh = store.begin(tenant.organization_id, "fenced", "hash-1")
    assert stale.claim is not None and fresh.claim is not None
    data = uc.AccountInput(name="Late", email="late@acme.example", currency="USD")

    token = current_claim.set(stale.claim)
    try:
        with pytest.raises(Conflict) as lost:
            uc.open_account(container.uow(), clock, tenant.organization_id, data)
    finally:
        current_claim.reset(token)

    assert (stale.verdict, during_lease.verdict, fresh.verdict) == (
        Verdict.PROCEED,
        Verdict.IN_PROGRESS,
        Verdict.PROCEED,
    )
    assert fresh.claim.id == stale.claim.id and fresh.claim.token != stale.claim.token
    assert (lost.value.code, lost.value.status) == ("idempotency_key_lost", 409)
    assert _count(container, t.accounts) == 0
    assert _key_states(container) == [IN_FLIGHT]


def test_new_owner_commits_and_stale_finish_is_ignored(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    store = container.idempotency
    stale = store.begin(tenant.organization_id, "fenced-2", "hash-2").claim
    clock.advance(store.lease + timedelta(seconds=1))
    fresh = store.begin(tenant.organization_id, "fenced-2", "hash-2").claim
    assert stale is not None and fresh is not None
    data = uc.AccountInput(name="Owner", email="owner@acme.example", currency="USD")

    token = current_claim.set(fresh)
    try:
        uc.open_account(container.uow(), clock, tenant.organization_id, data)
    finally:
        current_claim.reset(token)
    state_after_commit = _key_states(container)
    store.finish(stale, StoredResponse(201, [], b"stale"))
    state_after_stale_finish = _key_states(container)
    store.finish(fresh, StoredResponse(201, [("content-type", "application/json")], b"{}"))
    replay = store.begin(tenant.organization_id, "fenced-2", "hash-2")

    assert state_after_commit == [COMMITTED]
    assert state_after_stale_finish == [COMMITTED]
    assert replay.verdict is Verdict.REPLAY
    assert replay.response == StoredResponse(201, [("content-type", "application/json")], b"{}")
    assert _count(container, t.accounts) == 1


# -- PATCH --------------------------------------------------------------------------------------


def test_patch_honours_the_idempotency_key(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    account = client.post("/v1/accounts", json=ACCOUNT, headers=tenant.headers).json()
    url = f"/v1/accounts/{account['id']}"
    first = client.patch(url, json={"name": "First"}, headers=_with_key(tenant, "patch-1"))
    client.patch(url, json={"name": "Second"}, headers=tenant.headers)
    clock.advance(timedelta(minutes=1))

    replayed = client.patch(url, json={"name": "First"}, headers=_with_key(tenant, "patch-1"))
    mismatched = client.patch(url, json={"name": "Third"}, headers=_with_key(tenant, "patch-1"))

    assert first.status_code == 200
    assert replayed.headers[REPLAYED] == "true"
    assert replayed.content == first.content
    _assert_problem(mismatched, 422, "idempotency_key_reused")
    assert client.get(url, headers=tenant.headers).json()["name"] == "Second"
