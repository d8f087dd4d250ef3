"""Shared by the /v1 payments API tests (test_payments_api_*.py): an `api` fixture with the
calls they make, on the built-in sandbox gateway (docs/payments-sandbox.md).

Every account bills in JPY in Asia/Tokyo on Pro at 4,990 per seat per month, 3 seats: an open
invoice of 14,970 once the billing run finalized it (no grace period). The clock starts at
2026-01-31 15:00 UTC, Feb 1 00:00 in Tokyo.

After every test the shared `ledger_invariants` fixture (tests/conftest.py) checks the ledger.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_api_support import Api, _ok

MONTH = 14970  # 4,990 x 3 seats, JPY
NO_GRACE = pytest.mark.parametrize("grace_minutes", [0], ids=["no-grace"])
SUCCESS = "tok_sandbox_success"
INSUFFICIENT = "tok_sandbox_insufficient_funds"
TIMEOUT_SUCCEEDED = "tok_sandbox_timeout_succeeded"


class PaymentsApi(Api):
    def delete(self, path: str) -> Any:
        return self.client.delete(path, headers=self.headers)

    def card(self, account_id: str, source: str = SUCCESS, **more: Any) -> dict[str, Any]:
        body = {"source": source, **more}
        card: dict[str, Any] = _ok(
            self.post(f"/v1/accounts/{account_id}/payment_methods", body), 201
        )
        return card

    def subscribe_other_family(self, account_id: str) -> None:
        """A second subscription, on Support at 9,000 a month (a family of its own)."""
        _ok(self.post("/v1/plan_families", {"code": "support", "name": "Support plans"}), 201)
        plan = {
            "code": "support",
            "name": "Support",
            "family": "support",
            "terms": {"base_prices": {"JPY": 9000}},
            "publish": True,
        }
        _ok(self.post("/v1/plans", plan), 201)
        body = {"account_id": account_id, "plan": "support", "quantity": 1}
        _ok(self.post("/v1/subscriptions", body), 201)

    def open_invoice(self, name: str = "Tanaka Shoji") -> tuple[str, dict[str, Any]]:
        """A new account with an open invoice of 14,970 (needs no grace period)."""
        account_id = self.account(name)
        self.subscribe(account_id)
        self.run()
        [invoice] = self.invoices(account_id=account_id)
        assert (invoice["status"], invoice["totals"]["amount_due"]) == ("open", MONTH)
        return account_id, invoice

    def balance(self, account_id: str) -> int:
        found: int = _ok(self.get(f"/v1/accounts/{account_id}/balance"))["balance"]
        return found

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        found: dict[str, Any] = _ok(self.get(f"/v1/invoices/{invoice_id}"))
        return found


def count(container: Plansmith, table: str) -> int:
    with container.engine.connect() as connection:
        found: int = connection.execute(
            select(func.count()).select_from(t.metadata.tables[table])
        ).scalar_one()
    return found


@pytest.fixture
def api(client: TestClient, tenant: Tenant) -> PaymentsApi:
    api = PaymentsApi(client, tenant)
    api.catalog()
    return api


@pytest.fixture
def other_api(client: TestClient, other_tenant: Tenant) -> PaymentsApi:
    api = PaymentsApi(client, other_tenant)
    api.catalog()
    return api
