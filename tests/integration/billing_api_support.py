"""Shared by the /v1 billing API tests (test_billing_api_*.py): the `api` fixture and the
figures read back from the database.

Every account bills in JPY in Asia/Tokyo on Pro at 4,990 per seat per month, 3 seats: 4,990 x 3
= 14,970 a month. The clock starts at 2026-01-31 15:00 UTC, Feb 1 00:00 in Tokyo, so the first
period is [Feb 1, Mar 1) (28 days) and Mar 1 00:00 in Tokyo is 2026-02-28 15:00 UTC.

After every test the shared `ledger_invariants` fixture (tests/conftest.py) checks the ledger of
this module's `container`: each transaction balances, each invoice's totals are its lines' sums,
and each account's receivable is what its open invoices still owe."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant

PROBLEM = "application/problem+json"


MAR_1 = datetime(2026, 2, 28, 15, tzinfo=UTC)  # 00:00 in Tokyo


FEB_11 = datetime(2026, 2, 10, 15, tzinfo=UTC)


NO_GRACE = pytest.mark.parametrize("grace_minutes", [0], ids=["no-grace"])


# -- helpers ----------------------------------------------------------------------------------


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _assert_problem(response: Any, status: int, code: str, field: str | None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert (body["status"], body["code"], body.get("field")) == (status, code, field)
    assert body["detail"]


class Api:
    """The calls these tests make, with the tenant's key."""

    def __init__(self, client: TestClient, tenant: Tenant) -> None:
        self.client, self.headers = client, tenant.headers

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(path, json=body, headers=self.headers)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.headers)

    def catalog(self) -> None:
        _ok(self.post("/v1/plan_families", {"code": "service", "name": "Service plans"}), 201)
        plan = {
            "code": "pro",
            "name": "Pro",
            "family": "service",
            "terms": {"base_prices": {"JPY": 4990}},
            "publish": True,
        }
        _ok(self.post("/v1/plans", plan), 201)

    def account(self, name: str = "Tanaka Shoji", country: str = "JP") -> str:
        body = {
            "name": name,
            "email": "billing@tanaka.example",
            "currency": "JPY",
            "time_zone": "Asia/Tokyo",
        }
        account_id: str = _ok(self.post("/v1/accounts", body), 201)["id"]
        address = {
            "name": f"{name} KK",
            "line1": "1-2-3 Shibuya",
            "city": "Tokyo",
            "postal_code": "150-0002",
            "country": country,
        }
        _ok(self.post(f"/v1/accounts/{account_id}/invoice_addresses", address), 201)
        return account_id

    def subscribe(self, account_id: str) -> str:
        body = {"account_id": account_id, "plan": "pro", "quantity": 3}
        sub_id: str = _ok(self.post("/v1/subscriptions", body), 201)["id"]
        return sub_id

    def tax_rate(self, **body: Any) -> str:
        rate_id: str = _ok(self.post("/v1/tax_rates", body), 201)["id"]
        return rate_id

    def run(self) -> dict[str, Any]:
        run: dict[str, Any] = _ok(self.post("/v1/billing_runs"), 201)
        return run

    def invoices(self, **params: Any) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = _ok(self.get("/v1/invoices", **params))["data"]
        return data

    def balances(self, account_id: str) -> dict[str, int]:
        """The account's ledger balances, from the audit list of transactions."""
        found: dict[str, int] = defaultdict(int)
        for txn in _ok(self.get(f"/v1/accounts/{account_id}/ledger"))["data"]:
            for entry in txn["entries"]:
                found[entry["account"]] += entry["amount"]
        return dict(found)


@pytest.fixture
def api(client: TestClient, tenant: Tenant) -> Api:
    api = Api(client, tenant)
    api.catalog()
    return api


def _run_counts(run: dict[str, Any]) -> tuple[int, int, int, int, list[Any]]:
    return run["renewed"], run["invoiced"], run["finalized"], run["skipped"], run["errors"]


def _line_figures(invoice: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (li["kind"], li["period_start"], li["amount"], li["discount"], li["tax"], li["total"])
        for li in invoice["lines"]
    ]
