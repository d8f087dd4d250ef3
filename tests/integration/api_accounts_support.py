"""Shared by the /v1 accounts API tests (test_api_accounts_*.py): an account, an address,
problems."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Table, func, select

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant

PROBLEM = "application/problem+json"


ACCOUNT = {
    "name": "Acme Chat",
    "email": "billing@acme.example",
    "currency": "JPY",
    "time_zone": "Asia/Tokyo",
    "locale": "ja_JP",
}


def _count(container: Plansmith, table: Table) -> int:
    with container.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _create(client: TestClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/accounts", json={**ACCOUNT, **fields}, headers=tenant.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _assert_problem(response: Any, status: int, code: str, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"], body.get("field")) == (status, code, field)
    assert body["type"] == f"https://plansmith.dev/problems/{code}"
    assert body["detail"]
    return body
