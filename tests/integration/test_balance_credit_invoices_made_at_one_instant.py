"""Invoices made at one instant (a test clock stands still while its billing run renews a
subscription and the API cancels it and subscribes anew) are told apart by their
subscriptions: the one registered first was made first, and a credit pays its invoice
first, whichever of the drafts is finalized first (ADR 0037). Found by the simulation
(seed 30456): the canceled subscription's renewal and the new subscription's first invoice,
both made at the renewal instant, were numbered in the order of their random ids, so the
cancellation's credit paid one or the other and the renewal was left to dunning.

On SQLite and PostgreSQL, through the API under a sandbox's test clock (drafts wait an hour)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import Tenant
from tests.integration.balance_credit_support import (
    advance,
    cancel_now,
    jpy_sandbox,
    ok,
    subscribe,
)

START = "2027-08-30T05:00:00Z"
RENEWAL = "2027-09-30T00:00:00Z"  # the monthly period's end, local midnight (UTC)
OLD, NEW = 30000, 40000  # JPY a month, no tax
ACCOUNTS = 6  # each finalizes its three drafts in an order of its own: all must agree


def _card(client: TestClient, headers: dict[str, str], account_id: str, source: str) -> None:
    card = {"source": source, "make_default": True}
    ok(client.post(f"/v1/accounts/{account_id}/payment_methods", json=card, headers=headers))


def _account(client: TestClient, headers: dict[str, str], n: int, source: str) -> str:
    body = {"name": f"Account {n}", "email": f"a{n}@example.com", "currency": "JPY"}
    body["time_zone"] = "UTC"
    account_id: str = ok(client.post("/v1/accounts", json=body, headers=headers))["id"]
    _card(client, headers, account_id, source)
    return account_id


def _owing(client: TestClient, headers: dict[str, str], account_id: str, sub_id: str) -> Any:
    """The subscription's invoices that bill something."""
    invoices = ok(client.get(f"/v1/invoices?account_id={account_id}", headers=headers))
    return [
        i for i in invoices["data"] if i["subscription_id"] == sub_id and i["totals"]["total"] > 0
    ]


def _paid_old_and_declined_new(
    client: TestClient, headers: dict[str, str], account_id: str, old: str, new: str
) -> None:
    renewal = max(_owing(client, headers, account_id, old), key=lambda i: i["created_at"])
    [fresh] = _owing(client, headers, account_id, new)
    # The credit (the whole period back) pays the old subscription's invoice of that instant.
    assert (renewal["status"], renewal["totals"]["credit_applied"]) == ("paid", OLD), renewal
    assert (fresh["status"], fresh["totals"]["credit_applied"]) == ("open", 0), fresh
    assert fresh["totals"]["amount_due"] == NEW
    balance = ok(client.get(f"/v1/accounts/{account_id}/balance", headers=headers))
    assert balance["balance"] == 0
    sub = ok(client.get(f"/v1/subscriptions/{new}", headers=headers))
    assert sub["status"] == "past_due"  # its own invoice was declined


def test_a_renewal_made_at_the_instant_of_a_new_subscription_takes_the_credit_first(
    client: TestClient, tenant: Tenant
) -> None:
    headers = jpy_sandbox(client, tenant, START, OLD, NEW)
    accounts = [_account(client, headers, n, "tok_sandbox_success") for n in range(ACCOUNTS)]
    old = {a: subscribe(client, headers, a, "old") for a in accounts}
    advance(client, headers, RENEWAL)  # each "old" renewed: a draft made at the renewal
    new = {}
    for account_id in accounts:
        _card(client, headers, account_id, "tok_sandbox_insufficient_funds")
        cancel_now(client, headers, old[account_id])  # the renewed period back: 30,000
        new[account_id] = subscribe(client, headers, account_id, "new")

    # Three drafts made at 00:00 (renewal, credit, new invoice), finalized at 01:00.
    advance(client, headers, "2027-09-30T02:00:00Z")

    for account_id in accounts:
        _paid_old_and_declined_new(client, headers, account_id, old[account_id], new[account_id])
