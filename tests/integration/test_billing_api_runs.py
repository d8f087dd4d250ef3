"""The /v1 billing API on SQLite and PostgreSQL: billing runs.

Every account bills in JPY in Asia/Tokyo on Pro at 4,990 per seat per month, 3 seats: 4,990 x 3
= 14,970 a month. The clock starts at 2026-01-31 15:00 UTC, Feb 1 00:00 in Tokyo, so the first
period is [Feb 1, Mar 1) (28 days) and Mar 1 00:00 in Tokyo is 2026-02-28 15:00 UTC.

After every test the shared `ledger_invariants` fixture (tests/conftest.py) checks the ledger of
this module's `container`: each transaction balances, each invoice's totals are its lines' sums,
and each account's receivable is what its open invoices still owe."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.billing.run import run_billing
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_api_support import (
    NO_GRACE,
    Api,
    _ok,
    _run_counts,
    api,
)

__all__ = ["api"]  # the shared fixture


BILLING_TABLES = (
    t.invoices,
    t.invoice_lines,
    t.credit_notes,
    t.ledger_transactions,
    t.ledger_entries,
    t.document_sequences,
    t.coupon_redemptions,
    t.subscriptions,
    t.subscription_items,
)


def _counts(container: Plansmith) -> dict[str, int]:
    with container.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in BILLING_TABLES
        }


# -- the billing run --------------------------------------------------------------------------


@NO_GRACE
def test_a_run_without_grace_invoices_and_finalizes_and_a_second_run_creates_nothing(
    api: Api, container: Plansmith
) -> None:
    account_id = api.account()
    sub_id = api.subscribe(account_id)

    first = api.run()
    before = _counts(container)
    again = api.run()

    assert _run_counts(first) == (0, 1, 1, 0, [])
    assert _run_counts(again) == (0, 0, 0, 0, [])
    assert _counts(container) == before
    [invoice] = api.invoices()
    [item] = _ok(api.get(f"/v1/subscriptions/{sub_id}/items"))["data"]
    assert item["invoice_id"] == invoice["id"]
    assert invoice == {
        "object": "invoice",
        "id": invoice["id"],
        "number": "INV-000001",
        "status": "open",
        "account_id": account_id,
        "subscription_id": sub_id,
        "currency": "JPY",
        "period": {"start": "2026-02-01", "end": "2026-03-01"},
        # as it stood when finalized: no settings, the organization's own name
        "seller": {"name": "Acme Operator", "address": None, "tax_id": ""},
        "buyer": {
            "lines": ["Tanaka Shoji KK", "1-2-3 Shibuya", "150-0002 Tokyo", "JP"],
            "email": "billing@tanaka.example",
            "tax_id": None,
        },
        "lines": [
            {
                "kind": "recurring",
                "description": "Pro × 3, month",
                "quantity": 3,
                "unit_amount": 4990,
                "amount": 14970,  # 4,990 x 3
                "amount_formatted": "¥14,970",
                "discount": 0,
                "tax_rate_id": None,
                "tax": 0,
                "total": 14970,
                "total_formatted": "¥14,970",
                "period_start": "2026-02-01",
                "period_end": "2026-03-01",
                "source_id": item["id"],
                "plan_id": invoice["lines"][0]["plan_id"],
                "subscription_id": sub_id,
                "cycle": "month",
                "days": None,  # a full period
                "period_days": None,
                "usage": None,  # usage lines only
            }
        ],
        "discounts": [],
        "tax_summary": [],
        "totals": {
            "subtotal": 14970,
            "subtotal_formatted": "¥14,970",
            "discount": 0,
            "discount_formatted": "¥0",
            "tax": 0,
            "tax_formatted": "¥0",
            "total": 14970,
            "total_formatted": "¥14,970",
            "credit_applied": 0,
            "credit_applied_formatted": "¥0",
            "amount_due": 14970,
            "amount_due_formatted": "¥14,970",
        },
        "created_at": "2026-01-31T15:00:00Z",
        "finalize_after": "2026-01-31T15:00:00Z",
        "finalized_at": "2026-01-31T15:00:00Z",
        "paid_at": None,
        "voided_at": None,
        "billing_run_id": first["id"],
    }
    assert _ok(api.get(f"/v1/invoices/{invoice['id']}")) == invoice
    # Finalizing posts receivable 14,970 against revenue -14,970.
    assert api.balances(account_id) == {"receivable": 14970, "revenue": -14970}


def test_a_draft_waits_out_the_grace_period_then_a_run_finalizes_it(
    api: Api, clock: TestClock
) -> None:
    api.subscribe(api.account())

    made = api.run()
    [draft] = api.invoices()
    clock.advance(timedelta(minutes=59))
    early = api.run()
    still = api.invoices()
    clock.advance(timedelta(minutes=1))
    due = api.run()

    assert _run_counts(made) == (0, 1, 0, 0, [])
    assert (draft["status"], draft["number"], draft["finalize_after"]) == (
        "draft",
        None,
        "2026-01-31T16:00:00Z",  # made at 15:00 + 60 minutes
    )
    assert _run_counts(early) == (0, 0, 0, 0, [])
    assert [(i["status"], i["number"]) for i in still] == [("draft", None)]
    assert _run_counts(due) == (0, 0, 1, 0, [])
    [final] = api.invoices()
    assert (final["id"], final["status"], final["number"], final["finalized_at"]) == (
        draft["id"],
        "open",
        "INV-000001",
        "2026-01-31T16:00:00Z",
    )


def test_billing_runs_list_this_organizations_runs_newest_first(
    api: Api, container: Plansmith, clock: TestClock
) -> None:
    api.subscribe(api.account())
    first = api.run()
    clock.advance(timedelta(minutes=5))
    second = api.run()
    # A run over every organization (`plansmith bill --all`) names other tenants' work.
    run_billing(container.uow(), clock, None, grace=container.invoice_grace)

    listed = _ok(api.get("/v1/billing_runs"))["data"]
    limited = _ok(api.get("/v1/billing_runs", limit=1))["data"]

    assert listed == [second, first]
    assert limited == [second]
    assert second["as_of"] == "2026-01-31T15:05:00Z"


def test_a_billing_run_sent_twice_with_one_idempotency_key_runs_once(
    api: Api, client: TestClient, tenant: Tenant, container: Plansmith
) -> None:
    api.subscribe(api.account())
    headers = {**tenant.headers, "Idempotency-Key": "run-2026-02-01"}

    first = client.post("/v1/billing_runs", headers=headers)
    second = client.post("/v1/billing_runs", headers=headers)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert len(_ok(api.get("/v1/billing_runs"))["data"]) == 1
    assert len(api.invoices()) == 1
