from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Table, func, select

from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant

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


def test_create_and_fetch_account(client: TestClient, tenant: Tenant) -> None:
    created = client.post("/v1/accounts", json=ACCOUNT, headers=tenant.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    fetched = client.get(f"/v1/accounts/{body['id']}", headers=tenant.headers)
    assert fetched.json() == body
    assert body["currency"] == "JPY" and body["locale"] == "ja_JP"
