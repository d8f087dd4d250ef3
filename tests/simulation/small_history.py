"""A small but varied account history made through the public HTTP API, for the invariant
checks' own tests: invoices paid by card, declined, credited, refunded, topped up, written
off, marked paid and voided, and a second period that uses customer credit.

Only HTTP here (any httpx client: FastAPI's TestClient or a real one), no plansmith import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

SUCCESS = "tok_sandbox_success"
DECLINE = "tok_sandbox_insufficient_funds"


@dataclass
class Calls:
    """The API with one key; every answer checked against the status expected."""

    http: httpx.Client
    headers: dict[str, str]

    def send(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = self.http.request(method, path, json=body, headers=self.headers)
        assert response.status_code == status, f"{method} {path}: {response.text}"
        return response.json()

    def post(self, path: str, body: Any = None, status: int = 200) -> Any:
        return self.send("POST", path, body, status)

    def get(self, path: str) -> Any:
        return self.send("GET", path)

    def catalog(self, price: int = 4990) -> None:
        self.post("/v1/tax_rates", {"name": "Consumption tax", "percent": "10"}, 201)
        self.post("/v1/plan_families", {"code": "service", "name": "Service plans"}, 201)
        terms = {"base_prices": {"JPY": price}}
        plan = {"code": "pro", "name": "Pro", "family": "service", "terms": terms}
        self.post("/v1/plans", {**plan, "publish": True}, 201)

    def account(self, name: str, card: str | None = None, tax_rate: str | None = None) -> str:
        body = {"name": name, "email": "billing@example.com", "currency": "JPY"}
        account_id: str = self.post("/v1/accounts", {**body, "time_zone": "Asia/Tokyo"}, 201)["id"]
        if tax_rate is not None:
            self.post(f"/v1/accounts/{account_id}/tax_rate", {"tax_rate_id": tax_rate})
        if card is not None:
            self.post(f"/v1/accounts/{account_id}/payment_methods", {"source": card}, 201)
        return account_id

    def subscribe(self, account_id: str, quantity: int = 3) -> str:
        body = {"account_id": account_id, "plan": "pro", "quantity": quantity}
        sub_id: str = self.post("/v1/subscriptions", body, 201)["id"]
        return sub_id

    def invoices(self, account_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.get(f"/v1/invoices?account_id={account_id}")["data"]
        return found


@dataclass
class History:
    accounts: dict[str, str] = field(default_factory=dict)  # role -> account id
    invoices: dict[str, str] = field(default_factory=dict)  # role -> invoice id


def first_period(api: Calls) -> History:
    """Four accounts and their first invoices (a billing run with no grace period), then what
    happens to each. Needs a live organization and a grace period of 0."""
    api.catalog()
    [rate] = api.get("/v1/tax_rates")["data"]
    h = History()
    h.accounts["card"] = api.account("Tanaka Shoji", SUCCESS, rate["id"])
    h.accounts["decline"] = api.account("Suzuki Trading", DECLINE, rate["id"])
    h.accounts["transfer"] = api.account("Sato Bank Transfer")
    h.accounts["void"] = api.account("Ito Void")
    for account_id in h.accounts.values():
        api.subscribe(account_id)
    api.post("/v1/billing_runs", None, 201)
    for role, account_id in h.accounts.items():
        [invoice] = api.invoices(account_id)
        assert invoice["status"] == "open", invoice
        h.invoices[role] = invoice["id"]

    paid = h.invoices["card"]
    api.post(f"/v1/invoices/{paid}/pay")
    api.post(f"/v1/invoices/{paid}/refunds", {"amount": 5000, "reason": "Outage"}, 201)
    api.post(f"/v1/invoices/{paid}/credit_notes", {"amount": 1000, "reason": "Goodwill"}, 201)
    top_up = {"amount": 3000, "currency": "JPY"}
    api.post(f"/v1/accounts/{h.accounts['card']}/top_ups", top_up, 201)

    declined = h.invoices["decline"]
    api.post(f"/v1/invoices/{declined}/pay", None, 402)
    api.post(f"/v1/invoices/{declined}/credit_notes", {"amount": 2000, "reason": "Late"}, 201)
    api.post(f"/v1/invoices/{declined}/mark_uncollectible")

    api.post(f"/v1/invoices/{h.invoices['transfer']}/mark_paid")
    api.post(f"/v1/invoices/{h.invoices['void']}/void")
    return h


def second_period(api: Calls, h: History) -> None:
    """After the clock passed the period's end: the next invoices, the card account's using
    its balance first and paying the rest by card."""
    api.post("/v1/billing_runs", None, 201)
    newest = api.invoices(h.accounts["card"])[-1]
    assert newest["id"] != h.invoices["card"] and newest["status"] == "open", newest
    assert newest["totals"]["credit_applied"] == 4000, newest["totals"]
    api.post(f"/v1/invoices/{newest['id']}/pay")
