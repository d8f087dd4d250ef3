"""Shared by the balance-order tests (ADR 0037): sandbox API calls that must succeed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant


def ok(response: Any) -> Any:
    assert response.is_success, response.text
    return response.json()


def subscribe(client: TestClient, headers: dict[str, str], account_id: str, plan: str) -> str:
    body = {"account_id": account_id, "plan": plan}
    return str(ok(client.post("/v1/subscriptions", json=body, headers=headers))["id"])


def cancel_now(client: TestClient, headers: dict[str, str], sub_id: str) -> None:
    ok(client.post(f"/v1/subscriptions/{sub_id}/cancel", json={"when": "now"}, headers=headers))


def advance(client: TestClient, headers: dict[str, str], to: str) -> None:
    ok(client.post("/v1/test_clock/advance", json={"to": to}, headers=headers))


def jpy_sandbox(
    client: TestClient, tenant: Tenant, start: str, old: int, new: int
) -> dict[str, str]:
    """A sandbox whose test clock starts at ``start``, with two service plans in JPY a month
    and no tax, "old" and "new"; the sandbox's API headers."""
    made = client.post("/v1/sandboxes", json={"test_clock_start": start}, headers=tenant.headers)
    assert made.status_code == 201, made.text
    headers = {"Authorization": f"Bearer {made.json()['api_key']['secret']}"}
    family = {"code": "service", "name": "Service plans"}
    made = client.post("/v1/plan_families", json=family, headers=headers)
    assert made.status_code == 201, made.text
    for code, amount in (("old", old), ("new", new)):
        plan = {
            "code": code,
            "name": code.title(),
            "family": "service",
            "publish": True,
            "terms": {"base_prices": {"JPY": amount}},
        }
        made = client.post("/v1/plans", json=plan, headers=headers)
        assert made.status_code == 201, made.text
    return headers
