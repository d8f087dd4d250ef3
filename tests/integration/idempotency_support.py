"""Shared by the Idempotency-Key tests: test_idempotency_replays.py and
test_idempotency_failures.py."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import Table, func, select

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant

PROBLEM = "application/problem+json"


ACCOUNT = {"name": "Acme Chat", "email": "billing@acme.example", "currency": "USD"}


REPLAYED = "idempotent-replayed"


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
    response: httpx.Response = client.post(
        "/v1/accounts", json={**ACCOUNT, **fields}, headers=_with_key(tenant, key)
    )
    return response


def _assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == code
    assert response.json()["field"] == "Idempotency-Key"
