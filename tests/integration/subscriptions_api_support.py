"""Shared by the /v1 subscriptions API tests (test_subscriptions_api_*.py): the catalog,
an account, subscribing, and the items expected by hand.

Every account here bills in JPY in Asia/Tokyo. The clock starts at 2026-01-31 15:00 UTC, which is
2026-02-01 00:00 in Tokyo, so a monthly subscription's first period is [Feb 1, Mar 1): 28 days.
Ten days later it is Feb 11 in Tokyo, and [Feb 11, Mar 1) is 18 of those 28 days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant

PROBLEM = "application/problem+json"


TEN_DAYS = timedelta(days=10)


SUBSCRIPTION_TABLES = (t.subscriptions, t.subscription_items, t.subscription_events)


PLANS: list[dict[str, Any]] = [
    {
        "code": "lite",
        "name": "Lite",
        "family": "service",
        "rank": 1,
        "terms": {"base_prices": {"JPY": 2990}, "cycle_discounts": {"year": "20"}},
    },
    {
        "code": "pro",
        "name": "Pro",
        "family": "service",
        "rank": 2,
        "terms": {"base_prices": {"JPY": 4990}, "min_seats": 3, "max_seats": 50},
    },
    {
        "code": "starter",
        "name": "Starter",
        "family": "service",
        "rank": 0,
        "terms": {"base_prices": {"JPY": 990}, "trial_days": 14},
    },
    {
        "code": "support-basic",
        "name": "Support Basic",
        "family": "support",
        "terms": {"pricing": "flat", "base_prices": {"JPY": 5000}},
    },
]


TELEGRAM = {
    "code": "telegram",
    "name": "Telegram Integration",
    "prices": [{"currency": "JPY", "cycle": "month", "amount": 500}],
}


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
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


def _counts(container: Plansmith) -> dict[str, int]:
    with container.engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for table in SUBSCRIPTION_TABLES
        }


def _catalog(client: TestClient, tenant: Tenant) -> dict[str, dict[str, Any]]:
    """Two families with the default policy (upgrades now, downgrades and fewer seats at the
    term end), four published plans and one add-on; the plans by code."""
    for code, name in (("service", "Service plans"), ("support", "Support plans")):
        body: dict[str, Any] = {"code": code, "name": name}
        _ok(client.post("/v1/plan_families", json=body, headers=tenant.headers), 201)
    _ok(client.post("/v1/add_ons", json=TELEGRAM, headers=tenant.headers), 201)
    plans = {}
    for plan in PLANS:
        body = {**plan, "publish": True}
        plans[plan["code"]] = _ok(client.post("/v1/plans", json=body, headers=tenant.headers), 201)
    return plans


def _account(client: TestClient, tenant: Tenant, name: str = "Tanaka Shoji") -> str:
    body = {
        "name": name,
        "email": "billing@tanaka.example",
        "currency": "JPY",
        "time_zone": "Asia/Tokyo",
    }
    account_id: str = _ok(client.post("/v1/accounts", json=body, headers=tenant.headers), 201)["id"]
    return account_id


def _subscribe(client: TestClient, tenant: Tenant, account_id: str, **fields: Any) -> Any:
    body = {"account_id": account_id, "plan": "lite", "quantity": 3, **fields}
    return _ok(client.post("/v1/subscriptions", json=body, headers=tenant.headers), 201)


def _post(client: TestClient, tenant: Tenant, sub_id: str, action: str, body: Any = None) -> Any:
    return client.post(f"/v1/subscriptions/{sub_id}/{action}", json=body, headers=tenant.headers)
