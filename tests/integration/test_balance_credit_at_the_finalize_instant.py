"""A credit made at the instant other invoices of the account are finalized pays its open
invoices oldest first (by when made, then by number), those finalized at that instant
included, whichever is finalized first (ADR 0037). Found by the simulation (seeds 20400 and
20628): a cancellation's credit and a new subscription's invoice, drafted at one instant,
were finalized in the order of their random ids, so the credit paid either the canceled
subscription's failing invoice or the new one.

On SQLite and PostgreSQL, through the API under a sandbox's test clock (drafts wait an hour)."""

from __future__ import annotations

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
OLD, NEW = 30000, 10000  # JPY a month, no tax
ACCOUNTS = 5  # each finalizes its two drafts in an order of its own: all must agree


def _declining_account(client: TestClient, headers: dict[str, str], n: int) -> str:
    body = {
        "name": f"Account {n}",
        "email": f"a{n}@example.com",
        "currency": "JPY",
        "time_zone": "Europe/London",
    }
    account_id: str = ok(client.post("/v1/accounts", json=body, headers=headers))["id"]
    card = {"source": "tok_sandbox_insufficient_funds"}
    ok(client.post(f"/v1/accounts/{account_id}/payment_methods", json=card, headers=headers))
    return account_id


def test_a_cancellations_credit_pays_the_older_failing_invoice_before_the_new_one(
    client: TestClient, tenant: Tenant
) -> None:
    headers = jpy_sandbox(client, tenant, START, OLD, NEW)
    accounts = [_declining_account(client, headers, n) for n in range(ACCOUNTS)]
    old = {a: subscribe(client, headers, a, "old") for a in accounts}
    advance(client, headers, "2027-08-30T19:00:00Z")  # each "old" invoice declined: dunning
    new = {}
    for account_id in accounts:
        cancel_now(client, headers, old[account_id])  # the whole period back: 30,000
        new[account_id] = subscribe(client, headers, account_id, "new")

    # Both drafts (the credit, the new invoice) are made at 19:00 and finalized at 20:00.
    advance(client, headers, "2027-08-30T21:00:00Z")

    for account_id in accounts:
        invoices = ok(client.get(f"/v1/invoices?account_id={account_id}", headers=headers))
        by_sub = {
            (i["subscription_id"], i["totals"]["total"] > 0): i
            for i in invoices["data"]
            if i["totals"]["total"] != 0
        }
        failing, fresh = by_sub[(old[account_id], True)], by_sub[(new[account_id], True)]
        # The credit pays the older (failing) invoice first: all of it; none is left.
        assert (failing["status"], failing["totals"]["amount_due"]) == ("paid", 0)
        assert (fresh["status"], fresh["totals"]["credit_applied"]) == ("open", 0)
        assert fresh["totals"]["amount_due"] == NEW
        balance = ok(client.get(f"/v1/accounts/{account_id}/balance", headers=headers))
        assert balance["balance"] == 0
        sub = ok(client.get(f"/v1/subscriptions/{new[account_id]}", headers=headers))
        assert sub["status"] == "past_due"  # its own invoice was declined


def test_what_the_older_invoice_does_not_need_goes_to_the_new_one(
    client: TestClient, tenant: Tenant
) -> None:
    headers = jpy_sandbox(client, tenant, START, OLD, NEW)
    accounts = [_declining_account(client, headers, n) for n in range(ACCOUNTS)]
    old = {a: subscribe(client, headers, a, "old") for a in accounts}
    advance(client, headers, "2027-08-30T19:00:00Z")
    new = {}
    for account_id in accounts:
        # A credit note of 25,000 on the failing invoice leaves it owing 5,000.
        invoice = ok(client.get(f"/v1/invoices?account_id={account_id}", headers=headers))
        note = {"amount": 25000, "reason": "goodwill"}
        ok(
            client.post(
                f"/v1/invoices/{invoice['data'][0]['id']}/credit_notes", json=note, headers=headers
            )
        )
        cancel_now(client, headers, old[account_id])
        new[account_id] = subscribe(client, headers, account_id, "new")

    advance(client, headers, "2027-08-30T21:00:00Z")

    for account_id in accounts:
        invoices = ok(client.get(f"/v1/invoices?account_id={account_id}", headers=headers))
        fresh = next(
            i
            for i in invoices["data"]
            if i["subscription_id"] == new[account_id] and i["totals"]["total"] > 0
        )
        # The credit of 30,000: 5,000 to the older invoice, 10,000 to the new one, 15,000 left.
        assert (fresh["status"], fresh["totals"]["credit_applied"]) == ("paid", NEW)
        balance = ok(client.get(f"/v1/accounts/{account_id}/balance", headers=headers))
        assert balance["balance"] == 15000
