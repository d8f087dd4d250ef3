"""Shared by the balance-order tests (ADR 0037): sandbox API calls that must succeed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


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
