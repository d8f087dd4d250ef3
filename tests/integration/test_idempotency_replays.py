"""Idempotency-Key on API writes: one execution per key under concurrency, replays, scoping
and expiry."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.idempotency import (
    DONE,
)
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
from tests.live_server import serving

DAY = timedelta(hours=24)


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
