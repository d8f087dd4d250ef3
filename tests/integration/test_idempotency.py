"""Idempotency-Key on API writes: one execution per key, replays, scoping, expiry and fencing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, func, select

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
from plansmith.application import accounts as uc
from plansmith.application.errors import Conflict
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant
from tests.live_server import serving

PROBLEM = "application/problem+json"
ACCOUNT = {"name": "Acme Chat", "email": "billing@acme.example", "currency": "USD"}
REPLAYED = "idempotent-replayed"
DAY = timedelta(hours=24)


def _count(container: Plansmith, table: Table) -> int:
    with container.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _key_states(container: Plansmith) -> list[str]:
    with container.engine.connect() as connection:
        rows = connection.execute(select(t.idempotency_keys.c.state).order_by("id"))
        return [str(state) for (state,) in rows]


def _with_key(tenant: Tenant, key: str) -> dict[str, str]:
    return {**tenant.headers, "Idempotency-Key": key}


def _create(client: TestClient, tenant: Tenant, key: str, **fields: Any) -> httpx.Response:
    return client.post("/v1/accounts", json={**ACCOUNT, **fields}, headers=_with_key(tenant, key))


def _assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == code
    assert response.json()["field"] == "Idempotency-Key"


# -- real concurrency: the app under uvicorn, 20 clients released together -----------------------


def _fire_together(base_url: str, n: int, send: Any) -> list[httpx.Response]:
    barrier = threading.Barrier(n)

    def one(_: int) -> httpx.Response:
        with httpx.Client(base_url=base_url, timeout=60) as http:
            barrier.wait()
            response: httpx.Response = send(http)
            response.read()
            return response

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_twenty_concurrent_requests_with_one_key_create_exactly_one_account(
    container: Plansmith, tenant: Tenant
) -> None:
    headers = _with_key(tenant, "concurrent-1")

    with serving(lambda _url: create_app(container)) as base_url:
        responses = _fire_together(
            base_url, 20, lambda http: http.post("/v1/accounts", json=ACCOUNT, headers=headers)
        )

    created = [r for r in responses if r.status_code == 201]
    busy = [r for r in responses if r.status_code == 409]
    assert len(created) + len(busy) == 20, [(r.status_code, r.text) for r in responses]
    assert len({r.content for r in created}) == 1
    assert [r.headers.get(REPLAYED) for r in created].count(None) == 1  # one real execution
    assert {(r.headers["content-type"], r.json()["code"]) for r in busy} <= {
        (PROBLEM, "idempotency_key_in_use")
    }
    assert _count(container, t.accounts) == 1
    assert _key_states(container) == [DONE]


def test_twenty_concurrent_requests_with_distinct_keys_create_twenty_accounts(
    container: Plansmith, tenant: Tenant
) -> None:
    counter = iter(range(20))
    lock = threading.Lock()

    def send(http: httpx.Client) -> httpx.Response:
        with lock:
            n = next(counter)
        return http.post(
            "/v1/accounts",
            json={**ACCOUNT, "external_id": f"crm-{n}"},
            headers=_with_key(tenant, f"distinct-{n}"),
        )

    with serving(lambda _url: create_app(container)) as base_url:
        responses = _fire_together(base_url, 20, send)

    assert [r.status_code for r in responses] == [201] * 20
    assert _count(container, t.accounts) == 20


# -- replay, mismatch, scope ------------------------------------------------------------------


def test_sequential_retry_replays_the_stored_response(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    first = _create(client, tenant, "replay-1")
    clock.advance(timedelta(hours=1))

    second = _create(client, tenant, "replay-1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.content == first.content
    assert REPLAYED not in first.headers
    assert second.headers[REPLAYED] == "true"
    assert second.headers["content-type"] == first.headers["content-type"] == "application/json"
    assert _count(container, t.accounts) == 1


def test_same_key_with_another_body_is_422_and_runs_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _create(client, tenant, "mismatch-1")

    response = _create(client, tenant, "mismatch-1", name="Another Name")

    _assert_problem(response, 422, "idempotency_key_reused")
    assert _count(container, t.accounts) == 1


def test_same_key_on_another_endpoint_is_422(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    account = _create(client, tenant, "endpoint-1").json()

    response = client.post(
        "/v1/portal_sessions",
        json={"account_id": account["id"]},
        headers=_with_key(tenant, "endpoint-1"),
    )

    _assert_problem(response, 422, "idempotency_key_reused")


def test_keys_are_scoped_to_the_organization(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = _create(client, tenant, "shared-key")
    theirs = _create(client, other_tenant, "shared-key")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert REPLAYED not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert _count(container, t.accounts) == 2
    listed = client.get("/v1/accounts", headers=other_tenant.headers).json()["data"]
    assert [a["id"] for a in listed] == [theirs.json()["id"]]


def test_requests_without_a_key_are_not_deduplicated(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    client.post("/v1/accounts", json=ACCOUNT, headers=tenant.headers)
    client.post("/v1/accounts", json=ACCOUNT, headers=tenant.headers)

    assert _count(container, t.accounts) == 2
    assert _count(container, t.idempotency_keys) == 0


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_empty_or_overlong_key_is_400(
    client: TestClient, container: Plansmith, tenant: Tenant, key: str
) -> None:
    response = _create(client, tenant, key)

    _assert_problem(response, 400, "invalid_idempotency_key")
    assert _count(container, t.accounts) == 0


def test_get_ignores_the_key(client: TestClient, container: Plansmith, tenant: Tenant) -> None:
    response = client.get("/v1/accounts", headers=_with_key(tenant, "get-1"))

    assert response.status_code == 200
    assert _count(container, t.idempotency_keys) == 0


# -- retention -----------------------------------------------------------------------------------


def test_key_is_remembered_until_just_before_24_hours(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    first = _create(client, tenant, "day-1")
    clock.advance(DAY - timedelta(seconds=1))

    again = _create(client, tenant, "day-1")

    assert again.headers[REPLAYED] == "true"
    assert again.content == first.content
    assert _count(container, t.accounts) == 1


def test_key_is_forgotten_after_24_hours_and_a_new_request_runs(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    first = _create(client, tenant, "day-2")
    clock.advance(DAY + timedelta(seconds=1))

    again = _create(client, tenant, "day-2", name="Fresh Start")

    assert again.status_code == 201, again.text
    assert REPLAYED not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert again.json()["name"] == "Fresh Start"
    assert _count(container, t.accounts) == 2
    assert _key_states(container) == [DONE]


def test_purge_deletes_only_keys_past_retention(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _create(client, tenant, "old-1")
    _create(client, tenant, "old-2", external_id="x2")
    clock.advance(DAY + timedelta(seconds=1))
    _create(client, tenant, "new-1", external_id="x3")

    purged = container.idempotency.purge()

    assert purged == 2
    assert _count(container, t.idempotency_keys) == 1


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
    store.finish(fresh, StoredResponse(201, [["content-type", "application/json"]], b"{}"))
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
