"""Shared by the /v1 catalog API tests (test_catalog_api_*.py): seed terms, answers read
as problems or bodies, and the calls that make a family, a plan, a draft and a publication."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.db import tables as t
from plansmith.application.organizations.api_keys import create_api_key
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant

PROBLEM = "application/problem+json"


NOW = "2026-01-31T15:00:00Z"


CATALOG = (t.plan_families, t.plans, t.plan_versions, t.add_ons, t.extra_packs)


PUBLIC = ["portal", "signup", "website"]


# Seed 003's service plan: a monthly rate and allowances for scans and incoming mail items.
BRONZE_TERMS: dict[str, Any] = {
    "base_prices": {"USD": 1000},
    "allowances": {"scans": 30, "mail_items": 50},
    "features": ["scan"],
}


BRONZE_DATA = {
    "pricing": "per_seat",
    "prices": [],
    "base_prices": {"USD": 1000},
    "cycle_discounts": {},
    "min_seats": 1,
    "max_seats": None,
    "trial_days": 0,
    "allowances": {"mail_items": 50, "scans": 30},
    "features": ["scan"],
    "description": "",
    "pay_per_day": False,
}


def _counts(container: Plansmith) -> dict[str, int]:
    with container.engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for table in CATALOG
        }


def _assert_problem(response: Any, status: int, code: str, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"], body.get("field")) == (status, code, field)
    assert body["type"] == f"https://plansmith.dev/problems/{code}"
    assert body["detail"]
    return body


def _problems(responses: list[Any]) -> list[tuple[int, str, str | None, list[tuple[str, str]]]]:
    """(status, code, field, [(field, code) of every error]) of each problem+json response."""
    found = []
    for response in responses:
        assert response.headers["content-type"] == PROBLEM, response.text
        body = response.json()
        assert body["status"] == response.status_code, response.text
        assert body["type"] == f"https://plansmith.dev/problems/{body['code']}"
        assert body["detail"] and all(e["message"] for e in body["errors"])
        errors = [(e["field"], e["code"]) for e in body["errors"]]
        found.append((response.status_code, body["code"], body.get("field"), errors))
    return found


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _family(client: TestClient, tenant: Tenant, code: str = "service") -> dict[str, Any]:
    body = {"code": code, "name": "Service plans"}
    return _ok(client.post("/v1/plan_families", json=body, headers=tenant.headers), 201)


def _plan(client: TestClient, tenant: Tenant, **fields: Any) -> dict[str, Any]:
    data = {
        "code": "bronze",
        "name": "Bronze",
        "family": "service",
        "terms": BRONZE_TERMS,
        "channels": PUBLIC,
        "publish": True,
        **fields,
    }
    return _ok(client.post("/v1/plans", json=data, headers=tenant.headers), 201)


def _edit(client: TestClient, tenant: Tenant, plan_id: str, body: dict[str, Any]) -> dict[str, Any]:
    return _ok(client.patch(f"/v1/plans/{plan_id}/draft", json=body, headers=tenant.headers))


def _publish(
    client: TestClient, tenant: Tenant, plan_id: str, apply: str, **fields: Any
) -> dict[str, Any]:
    body = {"apply_to_existing": apply, **fields}
    return _ok(client.post(f"/v1/plans/{plan_id}/publish", json=body, headers=tenant.headers))


def _get_plan(client: TestClient, tenant: Tenant, plan_id: str) -> dict[str, Any]:
    return _ok(client.get(f"/v1/plans/{plan_id}", headers=tenant.headers))


def _publishable_key(container: Plansmith, tenant: Tenant) -> str:
    issued = create_api_key(
        container.uow(), container.clock, tenant.organization_id, "web", kind="publishable"
    )
    assert issued.secret.startswith("pk_")
    return issued.secret


def _offered(client: TestClient, key: str, channel: str) -> list[tuple[str, str, int]]:
    response = client.get("/v1/pricing", params={"channel": channel, "key": key})
    return [
        (o["plan_code"], o["name"], o["quotes"][0]["unit_amount"]) for o in _ok(response)["data"]
    ]
