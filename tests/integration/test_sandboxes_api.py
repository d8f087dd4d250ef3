"""POST /v1/sandboxes and GET /v1/sandboxes on SQLite and PostgreSQL (issue 13, defect 10):
a live organization makes a sandbox whose test clock starts at a chosen instant, gets its key
once, lists what it made; a sandbox's key makes none; bad instants are named
`test_clock_start`, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.conftest import START, Tenant
from tests.integration.route_calls import _dump

PROBLEM = "application/problem+json"


def _made(
    client: TestClient, tenant: Tenant, body: Mapping[str, object], key: str = ""
) -> dict[str, Any]:
    headers = {**tenant.headers, **({"Idempotency-Key": key} if key else {})}
    response = client.post("/v1/sandboxes", json=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    made: dict[str, Any] = response.json()
    return made


def test_a_sandbox_starts_at_the_chosen_instant_and_its_key_works_there(
    client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    body = {"name": "CI run 42", "test_clock_start": "2024-02-29T09:00:00+09:00"}
    made = _made(client, tenant, body)
    clock.advance(timedelta(days=3))  # the wall clock moves on; the sandbox's does not
    key = made["api_key"]["secret"]
    sandbox = {"Authorization": f"Bearer {key}"}

    assert made["object"] == "sandbox"
    assert made["name"] == f"CI run 42 ({made['id']})"
    assert made["frozen_at"] == "2024-02-29T00:00:00Z"
    assert made["owner_id"] == tenant.organization_id
    assert key.startswith("sk_") and made["api_key"]["status"] == "active"
    clock_answer = client.get("/v1/test_clock", headers=sandbox).json()
    assert (clock_answer["organization_id"], clock_answer["sandbox"]) == (made["id"], True)
    assert clock_answer["now"] == "2024-02-29T00:00:00Z"
    advanced = client.post(
        "/v1/test_clock/advance", json={"to": "2024-04-01T00:00:00Z"}, headers=sandbox
    )
    assert advanced.status_code == 200, advanced.text
    assert advanced.json()["frozen_at"] == "2024-04-01T00:00:00Z"
    # The sandbox's data is its own: the owner's key does not see it, nor it the owner's.
    account = {"name": "Tanaka KK", "email": "billing@tanaka.example", "currency": "JPY"}
    assert client.post("/v1/accounts", json=account, headers=sandbox).status_code == 201
    assert client.get("/v1/accounts", headers=tenant.headers).json()["data"] == []


def test_without_a_start_the_clock_starts_now_and_the_owner_lists_its_sandboxes(
    client: TestClient, tenant: Tenant, other_tenant: Tenant, clock: TestClock
) -> None:
    first = _made(client, tenant, {})
    clock.advance(timedelta(seconds=1))  # listed in the order they were made
    second = _made(client, tenant, {"name": "  "})
    _made(client, other_tenant, {"name": "Theirs"})

    listed = client.get("/v1/sandboxes", params={"limit": 1}, headers=tenant.headers).json()
    rest = client.get(
        "/v1/sandboxes", params={"cursor": listed["next_cursor"]}, headers=tenant.headers
    ).json()

    assert first["frozen_at"] == START.isoformat().replace("+00:00", "Z")
    assert first["name"] == f"Sandbox ({first['id']})"
    assert second["name"].startswith("Sandbox (")
    assert [s["id"] for s in listed["data"]] == [first["id"]] and listed["has_more"]
    assert [s["id"] for s in rest["data"]] == [second["id"]] and not rest["has_more"]
    assert "api_key" not in listed["data"][0]
    assert client.get("/v1/organization", headers=tenant.headers).json()["id"] == (
        tenant.organization_id
    )


def test_a_sandboxs_key_makes_no_sandbox_and_nothing_is_written(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    made = _made(client, tenant, {})
    sandbox = {"Authorization": f"Bearer {made['api_key']['secret']}"}
    before = _dump(container)

    refused = client.post("/v1/sandboxes", json={}, headers=sandbox)

    assert refused.status_code == 409
    assert refused.headers["content-type"] == PROBLEM
    assert refused.json()["code"] == "conflict"
    assert "live organization" in refused.json()["detail"]
    assert _dump(container) == before


def test_a_bad_start_or_name_is_refused_naming_the_field_and_nothing_is_written(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    before = _dump(container)
    cases = [
        ({"test_clock_start": "2026-01-31T00:00:00"}, "test_clock_start"),  # no offset
        ({"test_clock_start": "1999-12-31T23:59:59Z"}, "test_clock_start"),
        ({"test_clock_start": "2100-01-01T00:00:00Z"}, "test_clock_start"),
        ({"test_clock_start": 1893456000}, "test_clock_start"),  # a number, not ISO text
        ({"test_clock_start": "next tuesday"}, "test_clock_start"),
        ({"name": "x" * 101}, "name"),
        ({"owner": "org_x"}, "owner"),
    ]
    for body, field in cases:
        refused = client.post("/v1/sandboxes", json=body, headers=tenant.headers)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.headers["content-type"] == PROBLEM
        assert field in [e["field"] for e in refused.json()["errors"]], (body, refused.json())
    assert _dump(container) == before


def test_a_retried_create_makes_one_sandbox_and_never_replays_the_key(
    client: TestClient, tenant: Tenant
) -> None:
    body = {"name": "retried", "test_clock_start": "2025-06-01T00:00:00Z"}
    _made(client, tenant, body, key="sandbox-1")
    retried = client.post(
        "/v1/sandboxes", json=body, headers={**tenant.headers, "Idempotency-Key": "sandbox-1"}
    )
    other_body = client.post(
        "/v1/sandboxes",
        json={**body, "name": "other"},
        headers={**tenant.headers, "Idempotency-Key": "sandbox-1"},
    )

    assert retried.status_code == 409
    assert retried.json()["code"] == "idempotency_response_withheld"
    assert "sk_" not in retried.text
    assert other_body.status_code == 422
    assert other_body.json()["code"] == "idempotency_key_reused"
    listed = client.get("/v1/sandboxes", headers=tenant.headers).json()["data"]
    assert [s["name"].split(" (")[0] for s in listed] == ["retried"]
