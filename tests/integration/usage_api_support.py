"""Shared by the usage API tests (test_usage_api_*.py): a `usage` fixture with the calls they
make. Every account is in Asia/Tokyo on Pro (monthly, JPY), subscribed at the clock's start,
2026-01-31 15:00 UTC = Feb 1 00:00 in Tokyo: its period is [Feb 1, Mar 1) locally, which ends
at 2026-02-28 15:00 UTC; with the default grace window of an hour, it closes at 16:00 UTC.

Three meters read the events of code `api_call`: `calls` counts them, `bytes` sums the
property `bytes`, `peak` is the largest `bytes`; `users` counts the distinct `user` of
events `login`; `eu_calls` counts `api_call` events whose `region` is `eu`."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_api_support import Api, _ok

METERS: list[dict[str, Any]] = [
    {"code": "calls", "name": "API calls", "event_code": "api_call", "aggregation": "count"},
    {
        "code": "bytes",
        "name": "Bytes sent",
        "event_code": "api_call",
        "aggregation": "sum",
        "property": "bytes",
    },
    {
        "code": "peak",
        "name": "Largest response",
        "event_code": "api_call",
        "aggregation": "max",
        "property": "bytes",
    },
    {
        "code": "users",
        "name": "Active users",
        "event_code": "login",
        "aggregation": "unique_count",
        "property": "user",
    },
    {
        "code": "eu_calls",
        "name": "API calls in the EU",
        "event_code": "api_call",
        "aggregation": "count",
        "filters": {"region": ["eu"]},
    },
]


class UsageApi(Api):
    def meters(self) -> None:
        for meter in METERS:
            _ok(self.post("/v1/meters", meter), 201)

    def subscriber(self, name: str = "Tanaka Shoji") -> str:
        account_id = self.account(name)
        self.subscribe(account_id)
        return account_id

    def event(self, account_id: str, event_id: str, at: str, **properties: Any) -> Any:
        code = "login" if "user" in properties else "api_call"
        body = {
            "id": event_id,
            "account_id": account_id,
            "code": code,
            "timestamp": at,
            "properties": properties,
        }
        return self.post("/v1/events", body)

    def batch(self, events: list[dict[str, Any]]) -> Any:
        return self.post("/v1/events/batch", {"events": events})

    def usage(self, account_id: str, **params: Any) -> dict[str, Any]:
        found: dict[str, Any] = _ok(self.get(f"/v1/accounts/{account_id}/usage", **params))
        return found

    def values(self, account_id: str, **params: Any) -> dict[str, Any]:
        return {m["meter"]: m["value"] for m in self.usage(account_id, **params)["meters"]}


def call(account_id: str, event_id: str, at: str, **properties: Any) -> dict[str, Any]:
    return {
        "id": event_id,
        "account_id": account_id,
        "code": "api_call",
        "timestamp": at,
        "properties": properties,
    }


def rows(container: Plansmith, table: str) -> int:
    with container.engine.connect() as connection:
        found: int = connection.execute(
            select(func.count()).select_from(t.metadata.tables[table])
        ).scalar_one()
    return found


@pytest.fixture
def usage(client: TestClient, tenant: Tenant) -> UsageApi:
    api = UsageApi(client, tenant)
    api.catalog()
    api.meters()
    return api
