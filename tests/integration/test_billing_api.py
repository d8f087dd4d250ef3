"""The /v1 billing API on SQLite and PostgreSQL: billing runs, invoices, taxes, coupons, void,
payments, credit notes and customer credit, the upcoming invoice, the ledger.

Every account bills in JPY in Asia/Tokyo on Pro at 4,990 per seat per month, 3 seats: 4,990 x 3
= 14,970 a month. The clock starts at 2026-01-31 15:00 UTC, Feb 1 00:00 in Tokyo, so the first
period is [Feb 1, Mar 1) (28 days) and Mar 1 00:00 in Tokyo is 2026-02-28 15:00 UTC.

After every test the shared `ledger_invariants` fixture (tests/conftest.py) checks the ledger of
this module's `container`: each transaction balances, each invoice's totals are its lines' sums,
and each account's receivable is what its open invoices still owe.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.billing_run import run_billing
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.test_tenant_isolation import _dump

PROBLEM = "application/problem+json"
MAR_1 = datetime(2026, 2, 28, 15, tzinfo=UTC)  # 00:00 in Tokyo
APR_1 = datetime(2026, 3, 31, 15, tzinfo=UTC)
MAY_1 = datetime(2026, 4, 30, 15, tzinfo=UTC)
FEB_11 = datetime(2026, 2, 10, 15, tzinfo=UTC)
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


def _counts(container: Plansmith) -> dict[str, int]:
    with container.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in BILLING_TABLES
        }


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


# -- taxes ------------------------------------------------------------------------------------


@NO_GRACE
def test_tax_by_the_invoice_address_country_or_the_accounts_own_rate(api: Api) -> None:
    japan = api.tax_rate(name="Consumption tax", percent="10", country="JP")
    reduced = api.tax_rate(name="Reduced rate", percent="8", inclusive=True)
    tokyo = api.account("Tanaka Shoji", "JP")
    abroad = api.account("Smith Trading", "US")
    nowhere = api.account("Meyer Handel", "DE")
    chosen = _ok(api.post(f"/v1/accounts/{abroad}/tax_rate", {"tax_rate_id": reduced}))
    for account_id in (tokyo, abroad, nowhere):
        api.subscribe(account_id)

    api.run()

    assert chosen["tax_rate"]["id"] == reduced
    by_account = {i["account_id"]: i for i in api.invoices()}
    # JP address, 10 % exclusive: 14,970 x 10 % = 1,497 on top -> 16,467.
    assert _line_figures(by_account[tokyo]) == [("recurring", "2026-02-01", 14970, 0, 1497, 16467)]
    assert by_account[tokyo]["tax_summary"] == [
        {
            "tax_rate_id": japan,
            "name": "Consumption tax",
            "percent": "10",
            "inclusive": False,
            "taxable": 14970,
            "taxable_formatted": "¥14,970",
            "tax": 1497,
            "tax_formatted": "¥1,497",
        }
    ]
    assert (by_account[tokyo]["totals"]["tax"], by_account[tokyo]["totals"]["total"]) == (
        1497,
        16467,
    )
    # The account's own 8 % inclusive rate: 14,970 x 8 / 108 = 1,108.89 -> 1,109 inside it,
    # taxable 14,970 - 1,109 = 13,861, total still 14,970.
    assert _line_figures(by_account[abroad]) == [("recurring", "2026-02-01", 14970, 0, 1109, 14970)]
    summary = by_account[abroad]["tax_summary"][0]
    assert (summary["tax_rate_id"], summary["taxable"], summary["tax"]) == (reduced, 13861, 1109)
    # No rate for DE: no tax.
    assert _line_figures(by_account[nowhere]) == [("recurring", "2026-02-01", 14970, 0, 0, 14970)]
    assert by_account[nowhere]["tax_summary"] == []
    assert api.balances(tokyo) == {"receivable": 16467, "revenue": -14970, "tax_payable": -1497}
    listed = _ok(api.get("/v1/tax_rates"))["data"]
    assert [(r["id"], r["percent"], r["inclusive"], r["country"]) for r in listed] == [
        (japan, "10", False, "JP"),
        (reduced, "8", True, None),
    ]


def test_a_tax_rate_with_a_region_but_no_country_is_422_naming_region(
    api: Api, container: Plansmith
) -> None:
    before = _dump(container)

    response = api.post("/v1/tax_rates", {"name": "State tax", "percent": "7", "region": "CA"})

    _assert_problem(response, 422, "invalid_value", "region")
    assert _dump(container) == before


def test_a_tax_rate_of_another_organization_cannot_be_chosen_for_an_account(
    api: Api, client: TestClient, other_tenant: Tenant, container: Plansmith
) -> None:
    theirs = Api(client, other_tenant).tax_rate(name="VAT", percent="19", country="DE")
    account_id = api.account()
    before = _dump(container)

    response = api.post(f"/v1/accounts/{account_id}/tax_rate", {"tax_rate_id": theirs})

    _assert_problem(response, 404, "not_found", "tax_rate_id")
    assert _dump(container) == before


# -- coupons ----------------------------------------------------------------------------------


@NO_GRACE
def test_a_15_percent_coupon_for_3_invoices_discounts_three_and_then_no_more(
    api: Api, clock: TestClock
) -> None:
    coupon = {
        "code": "spring15",
        "name": "Spring 15 % off",
        "kind": "percent",
        "percent": "15",
        "duration": "repeating",
        "cycles": 3,
    }
    created = _ok(api.post("/v1/coupons", coupon), 201)
    sub_id = api.subscribe(api.account())
    redeemed = _ok(api.post(f"/v1/subscriptions/{sub_id}/coupons", {"code": "spring15"}), 201)

    api.run()
    for period_end in (MAR_1, APR_1, MAY_1):
        clock.set(period_end)
        api.run()

    # 14,970 x 15 % = 2,245.5 -> 2,246 off: 12,724 for Feb, Mar and Apr; May pays 14,970.
    assert [
        (i["number"], i["period"]["start"], i["totals"]["discount"], i["totals"]["total"])
        for i in api.invoices()
    ] == [
        ("INV-000001", "2026-02-01", 2246, 12724),
        ("INV-000002", "2026-03-01", 2246, 12724),
        ("INV-000003", "2026-04-01", 2246, 12724),
        ("INV-000004", "2026-05-01", 0, 14970),
    ]
    assert [len(i["discounts"]) for i in api.invoices()] == [1, 1, 1, 0]
    assert api.invoices()[0]["discounts"] == [
        {
            "coupon_id": created["id"],
            "name": "Spring 15 % off",
            "kind": "percent",
            "percent": "15",
            "amount": None,
        }
    ]
    assert (redeemed["invoices_used"], redeemed["coupon"]["cycles"]) == (0, 3)
    [used] = _ok(api.get(f"/v1/subscriptions/{sub_id}/coupons"))["data"]
    assert (used["coupon"]["code"], used["invoices_used"]) == ("spring15", 3)
    assert [c["code"] for c in _ok(api.get("/v1/coupons"))["data"]] == ["spring15"]


@pytest.mark.parametrize(
    ("percent", "code"),
    [("100.01", "discount_range"), ("150", "discount_range"), (15.5, "invalid_value")],
)
def test_a_coupon_over_100_percent_or_a_float_is_422_naming_percent_and_writes_nothing(
    api: Api, container: Plansmith, percent: Any, code: str
) -> None:
    before = _dump(container)

    response = api.post(
        "/v1/coupons", {"code": "huge", "name": "Huge", "kind": "percent", "percent": percent}
    )

    _assert_problem(response, 422, code, "percent")
    assert _dump(container) == before


def test_redeeming_an_unknown_a_repeated_or_a_foreign_currency_coupon_changes_nothing(
    api: Api, container: Plansmith
) -> None:
    sub_id = api.subscribe(api.account())
    percent = {"code": "ten", "name": "Ten", "kind": "percent", "percent": 10}
    _ok(api.post("/v1/coupons", percent), 201)
    dollars = {"code": "five-usd", "name": "$5 off", "kind": "amount", "amounts": {"USD": 500}}
    _ok(api.post("/v1/coupons", dollars), 201)
    _ok(api.post(f"/v1/subscriptions/{sub_id}/coupons", {"code": "ten"}), 201)
    before = _dump(container)

    unknown = api.post(f"/v1/subscriptions/{sub_id}/coupons", {"code": "nope"})
    twice = api.post(f"/v1/subscriptions/{sub_id}/coupons", {"code": "ten"})
    in_usd = api.post(f"/v1/subscriptions/{sub_id}/coupons", {"code": "five-usd"})

    _assert_problem(unknown, 404, "not_found", "code")
    _assert_problem(twice, 409, "already_redeemed", "code")
    _assert_problem(in_usd, 422, "currency_mismatch", "code")
    assert _dump(container) == before


@NO_GRACE
def test_a_mid_period_seat_change_under_a_coupon_bills_the_days_at_the_discounted_worth(
    api: Api, clock: TestClock
) -> None:
    coupon = {"code": "all15", "name": "15 % off", "kind": "percent", "percent": "15"}
    _ok(api.post("/v1/coupons", {**coupon, "duration": "forever"}), 201)
    sub_id = api.subscribe(api.account())
    _ok(api.post(f"/v1/subscriptions/{sub_id}/coupons", {"code": "all15"}), 201)
    api.run()
    clock.set(FEB_11)
    _ok(api.post(f"/v1/subscriptions/{sub_id}/changes", {"quantity": 4}))
    clock.set(MAR_1)

    api.run()

    # February at list price: 14,970 (Feb 1, 3 seats) - 9,624 (unused 18/28 days of 3 seats)
    # + 12,831 (those days with 4 seats) = 18,177; at 85 %: 15,450.45. Each of the 3 lines
    # rounds once, so the February nets on both invoices add up to 15,450 +- 3.
    february = [
        (li["kind"], li["amount"], li["discount"])
        for invoice in api.invoices()
        for li in invoice["lines"]
        if li["period_start"] < "2026-03-01"
    ]
    # 14,970 x 15 % = 2,245.5 -> 2,246. The credit mirrors that charge: -9,624 x 2,246/14,970
    # = -1,443.94 -> -1,444. The charge: 12,831 x 15 % = 1,924.65 -> 1,925.
    assert sorted(february) == [
        ("charge", 12831, 1925),
        ("credit", -9624, -1444),
        ("recurring", 14970, 2246),
    ]
    assert sum(amount - off for _kind, amount, off in february) == 15450


def test_the_upcoming_invoice_has_the_period_of_the_invoice_the_run_makes(
    api: Api, clock: TestClock
) -> None:
    account_id = api.account()
    sub_id = api.subscribe(account_id)
    api.run()
    clock.set(FEB_11)
    _ok(api.post(f"/v1/subscriptions/{sub_id}/changes", {"quantity": 4}))

    [upcoming] = _ok(api.get(f"/v1/accounts/{account_id}/upcoming_invoices"))["data"]
    clock.set(MAR_1)
    api.run()

    march = api.invoices()[1]
    assert march["period"] == {"start": "2026-02-11", "end": "2026-04-01"}
    assert upcoming["period"] == march["period"]


# -- void, payment, finalizing ------------------------------------------------------------------


def test_voiding_an_open_invoice_reverses_the_ledger(api: Api, clock: TestClock) -> None:
    api.tax_rate(name="Consumption tax", percent="10", country="JP")
    account_id = api.account()
    api.subscribe(account_id)
    api.run()
    [draft] = api.invoices()
    opened = _ok(api.post(f"/v1/invoices/{draft['id']}/finalize"))
    posted = api.balances(account_id)
    clock.advance(timedelta(minutes=1))

    voided = _ok(api.post(f"/v1/invoices/{draft['id']}/void"))

    assert (opened["status"], opened["number"]) == ("open", "INV-000001")
    # 14,970 + 10 % tax 1,497 = 16,467 owed.
    assert posted == {"receivable": 16467, "revenue": -14970, "tax_payable": -1497}
    assert (voided["status"], voided["number"], voided["voided_at"]) == (
        "void",
        "INV-000001",
        "2026-01-31T15:01:00Z",
    )
    assert api.balances(account_id) == {"receivable": 0, "revenue": 0, "tax_payable": 0}
    ledger = _ok(api.get(f"/v1/accounts/{account_id}/ledger"))["data"]
    assert [(x["kind"], x["reference"]) for x in ledger] == [
        ("invoice_finalized", draft["id"]),
        ("invoice_voided", draft["id"]),
    ]
    assert [(e["account"], e["amount"], e["amount_formatted"]) for e in ledger[1]["entries"]] == [
        ("receivable", -16467, "-¥16,467"),
        ("revenue", 14970, "¥14,970"),
        ("tax_payable", 1497, "¥1,497"),
    ]


@NO_GRACE
def test_voiding_a_paid_invoice_is_409_and_changes_nothing(api: Api, container: Plansmith) -> None:
    account_id = api.account()
    api.subscribe(account_id)
    api.run()
    [invoice] = api.invoices()
    paid = _ok(api.post(f"/v1/invoices/{invoice['id']}/mark_paid"))
    before = _dump(container)

    response = api.post(f"/v1/invoices/{invoice['id']}/void")

    _assert_problem(response, 409, "invalid_invoice_transition", "status")
    assert _dump(container) == before
    assert (paid["status"], paid["paid_at"], paid["totals"]["amount_due"]) == (
        "paid",
        "2026-01-31T15:00:00Z",
        0,
    )
    # The transfer of 14,970 moved the receivable to cash.
    assert api.balances(account_id) == {"receivable": 0, "revenue": -14970, "cash": 14970}


@NO_GRACE
def test_voiding_a_credited_invoice_is_409_and_changes_nothing(
    api: Api, container: Plansmith
) -> None:
    api.subscribe(api.account())
    api.run()
    [invoice] = api.invoices()
    credit = {"amount": 4970, "reason": "Goodwill"}
    _ok(api.post(f"/v1/invoices/{invoice['id']}/credit_notes", credit), 201)
    before = _dump(container)

    response = api.post(f"/v1/invoices/{invoice['id']}/void")

    # Reversing the whole finalization would leave the 4,970 credited as a receivable of
    # -4,970 on a void invoice; what is left (10,000) is credited instead.
    _assert_problem(response, 409, "has_credit_notes", "invoice_id")
    assert _dump(container) == before


@NO_GRACE
def test_an_uncollectible_invoice_is_still_owed_and_can_still_be_paid(
    api: Api, container: Plansmith, clock: TestClock
) -> None:
    account_id = api.account()
    api.subscribe(account_id)
    api.run()
    [invoice] = api.invoices()
    clock.advance(timedelta(days=40))

    written_off = _ok(api.post(f"/v1/invoices/{invoice['id']}/mark_uncollectible"))
    owed = api.balances(account_id)
    clock.advance(timedelta(days=1))
    paid = _ok(api.post(f"/v1/invoices/{invoice['id']}/mark_paid"))

    assert (written_off["status"], written_off["totals"]["amount_due"]) == ("uncollectible", 14970)
    assert owed == {"receivable": 14970, "revenue": -14970}  # nothing posted by the write-off
    assert (paid["status"], paid["paid_at"], paid["totals"]["amount_due"]) == (
        "paid",
        "2026-03-13T15:00:00Z",
        0,
    )
    assert api.balances(account_id) == {"receivable": 0, "revenue": -14970, "cash": 14970}


@NO_GRACE
def test_only_an_open_invoice_can_become_uncollectible_and_nothing_changes(
    api: Api, container: Plansmith
) -> None:
    account_id = api.account()
    api.subscribe(account_id)
    api.run()
    [invoice] = api.invoices()
    _ok(api.post(f"/v1/invoices/{invoice['id']}/mark_paid"))
    before = _dump(container)

    again = api.post(f"/v1/invoices/{invoice['id']}/mark_uncollectible")
    missing = api.post("/v1/invoices/inv_missing/mark_uncollectible")

    _assert_problem(again, 409, "invalid_invoice_transition", "status")
    assert missing.status_code == 404
    assert _dump(container) == before


def test_finalizing_twice_is_409_and_changes_nothing(api: Api, container: Plansmith) -> None:
    api.subscribe(api.account())
    api.run()
    [draft] = api.invoices()
    _ok(api.post(f"/v1/invoices/{draft['id']}/finalize"))
    before = _dump(container)

    response = api.post(f"/v1/invoices/{draft['id']}/finalize")

    _assert_problem(response, 409, "invalid_invoice_transition", "status")
    assert _dump(container) == before


def test_a_draft_cannot_be_paid_or_credited_and_nothing_changes(
    api: Api, container: Plansmith
) -> None:
    api.subscribe(api.account())
    api.run()
    [draft] = api.invoices()
    before = _dump(container)

    paid = api.post(f"/v1/invoices/{draft['id']}/mark_paid")
    credited = api.post(f"/v1/invoices/{draft['id']}/credit_notes", {"amount": 1, "reason": "x"})

    _assert_problem(paid, 409, "invalid_invoice_transition", "status")
    _assert_problem(credited, 409, "not_creditable", "invoice_id")
    assert _dump(container) == before


# -- credit notes and customer credit -----------------------------------------------------------


@NO_GRACE
def test_a_credit_note_leaves_customer_credit_that_the_next_invoice_uses_first(
    api: Api, clock: TestClock
) -> None:
    api.tax_rate(name="Consumption tax", percent="10", country="JP")
    account_id = api.account()
    api.subscribe(account_id)
    api.run()
    [february] = api.invoices()
    _ok(api.post(f"/v1/invoices/{february['id']}/mark_paid"))

    note = _ok(
        api.post(
            f"/v1/invoices/{february['id']}/credit_notes",
            {"amount": 5500, "reason": "Chat outage on Feb 3"},
        ),
        201,
    )
    credit = api.balances(account_id)["customer_credit"]
    clock.set(MAR_1)
    api.run()

    # The note's tax is its share of the invoice's: 1,497 x 5,500 / 16,467 = 500 exactly.
    assert {k: note[k] for k in ("number", "amount", "tax", "amount_formatted", "reason")} == {
        "number": "CN-000001",
        "amount": 5500,
        "tax": 500,
        "amount_formatted": "¥5,500",
        "reason": "Chat outage on Feb 3",
    }
    assert _ok(api.get(f"/v1/invoices/{february['id']}/credit_notes"))["data"] == [note]
    assert credit == -5500  # owed to the customer
    march = api.invoices()[1]
    # 16,467 for March, of which the 5,500 credit pays first: 10,967 due.
    assert (march["number"], march["status"]) == ("INV-000002", "open")
    assert {k: march["totals"][k] for k in ("total", "credit_applied", "amount_due")} == {
        "total": 16467,
        "credit_applied": 5500,
        "amount_due": 10967,
    }
    assert march["totals"]["credit_applied_formatted"] == "¥5,500"
    balances = api.balances(account_id)
    assert (balances["customer_credit"], balances["receivable"]) == (0, 10967)


@NO_GRACE
def test_a_credit_note_larger_than_the_invoice_is_422_and_changes_nothing(
    api: Api, container: Plansmith
) -> None:
    api.subscribe(api.account())
    api.run()
    [invoice] = api.invoices()
    body = {"amount": 4970, "reason": "Goodwill"}
    _ok(api.post(f"/v1/invoices/{invoice['id']}/credit_notes", body), 201)
    before = _dump(container)

    whole = api.post(f"/v1/invoices/{invoice['id']}/credit_notes", {"amount": 14970, "reason": "x"})
    # 14,970 - 4,970 credited = 10,000 left; one more is too many.
    rest = api.post(f"/v1/invoices/{invoice['id']}/credit_notes", {"amount": 10001, "reason": "x"})
    blank = api.post(f"/v1/invoices/{invoice['id']}/credit_notes", {"amount": 1, "reason": " "})

    _assert_problem(whole, 422, "credit_too_large", "amount")
    _assert_problem(rest, 422, "credit_too_large", "amount")
    _assert_problem(blank, 422, "required", "reason")
    assert _dump(container) == before
    # The open invoice's 4,970 credit went against what it owed: 10,000 still due.
    assert _ok(api.get(f"/v1/invoices/{invoice['id']}"))["totals"]["amount_due"] == 10000


# -- the upcoming invoice ---------------------------------------------------------------------


def test_the_upcoming_invoice_is_the_invoice_the_run_makes_at_the_period_end(
    api: Api, clock: TestClock
) -> None:
    rate = api.tax_rate(name="Consumption tax", percent="10", country="JP")
    account_id = api.account()
    sub_id = api.subscribe(account_id)
    api.run()
    clock.advance(timedelta(minutes=60))
    api.run()  # February's invoice is finalized
    clock.set(FEB_11)
    _ok(api.post(f"/v1/subscriptions/{sub_id}/changes", {"quantity": 4}))

    [upcoming] = _ok(api.get(f"/v1/accounts/{account_id}/upcoming_invoices"))["data"]
    clock.set(MAR_1)
    made = api.run()
    march = api.invoices()[1]
    clock.set(MAR_1 + timedelta(minutes=60))
    cut = api.run()

    assert (upcoming["object"], upcoming["status"], upcoming["subscription_id"]) == (
        "upcoming_invoice",
        "upcoming",
        sub_id,
    )
    # Mar 1 00:00 in Tokyo, plus the 60 minutes' grace.
    assert upcoming["cut_off"] == "2026-02-28T16:00:00Z"
    # The span its lines bill, as on the invoice it becomes: Feb 11 (the change) .. Apr 1.
    assert upcoming["period"] == {"start": "2026-02-11", "end": "2026-04-01"}
    # Feb 11: 18 of 28 days left. Unused 3 seats: 14,970 x 18/28 = 9,623.57 -> -9,624, tax
    # -962.4 -> -962; 4 seats for them: 19,960 x 18/28 = 12,831.43 -> 12,831, tax 1,283.1 ->
    # 1,283; March in advance: 19,960, tax 1,996.
    assert _line_figures(upcoming) == [
        ("credit", "2026-02-11", -9624, 0, -962, -10586),
        ("charge", "2026-02-11", 12831, 0, 1283, 14114),
        ("recurring", "2026-03-01", 19960, 0, 1996, 21956),
    ]
    assert [li["source_id"] for li in upcoming["lines"]] == [None, None, None]
    # -10,586 + 14,114 + 21,956 = 25,484; taxes -962 + 1,283 + 1,996 = 2,317.
    assert (upcoming["totals"]["total"], upcoming["totals"]["tax"]) == (25484, 2317)
    assert upcoming["tax_summary"][0]["tax_rate_id"] == rate
    assert _run_counts(made) == (1, 1, 0, 0, [])

    def without_sources(doc: dict[str, Any]) -> list[dict[str, Any]]:
        return [{k: v for k, v in li.items() if k != "source_id"} for li in doc["lines"]]

    assert without_sources(march) == without_sources(upcoming)
    assert (march["totals"], march["tax_summary"]) == (upcoming["totals"], upcoming["tax_summary"])
    # The invoice's period is the span its lines bill: Feb 11 (the credit) .. Apr 1.
    assert march["period"] == {"start": "2026-02-11", "end": "2026-04-01"}
    assert march["finalize_after"] == upcoming["cut_off"]
    assert _run_counts(cut) == (0, 0, 1, 0, [])
    final = _ok(api.get(f"/v1/invoices/{march['id']}"))
    assert (final["number"], final["finalized_at"]) == ("INV-000002", upcoming["cut_off"])


def test_before_the_first_run_the_upcoming_invoice_is_the_one_the_next_run_makes(
    api: Api,
) -> None:
    account_id = api.account()
    api.subscribe(account_id)

    [upcoming] = _ok(api.get(f"/v1/accounts/{account_id}/upcoming_invoices"))["data"]
    api.run()
    [made] = api.invoices()

    # The run bills February now, alone: 14,970, to be finalized at 15:00 + 60 minutes.
    assert _line_figures(made) == [("recurring", "2026-02-01", 14970, 0, 0, 14970)]
    assert made["finalize_after"] == "2026-01-31T16:00:00Z"
    # ... and that is what the upcoming invoice announced beforehand.
    assert (upcoming["cut_off"], upcoming["period"]) == (made["finalize_after"], made["period"])
    assert _line_figures(upcoming) == _line_figures(made)


def test_the_upcoming_invoices_of_another_organizations_account_are_404(
    api: Api, client: TestClient, other_tenant: Tenant
) -> None:
    theirs = Api(client, other_tenant)
    theirs.catalog()
    account_id = theirs.account()

    response = api.get(f"/v1/accounts/{account_id}/upcoming_invoices")

    _assert_problem(response, 404, "not_found", "account_id")


# -- lists ------------------------------------------------------------------------------------


@NO_GRACE
def test_invoices_filter_by_account_and_status_and_page_with_a_cursor(api: Api) -> None:
    first, second = api.account("Tanaka Shoji"), api.account("Suzuki Denki")
    api.subscribe(first)
    api.subscribe(second)
    api.run()
    ids = [i["id"] for i in api.invoices()]
    _ok(api.post(f"/v1/invoices/{ids[1]}/mark_paid"))

    page_one = _ok(api.get("/v1/invoices", limit=1))
    page_two = _ok(api.get("/v1/invoices", limit=1, cursor=page_one["next_cursor"]))
    of_first = api.invoices(account_id=first)
    paid = api.invoices(status="paid")
    bad_status = api.get("/v1/invoices", status="pending")
    bad_cursor = api.get("/v1/invoices", cursor="nonsense")

    assert ([i["id"] for i in page_one["data"]], page_one["has_more"]) == ([ids[0]], True)
    assert ([i["id"] for i in page_two["data"]], page_two["has_more"]) == ([ids[1]], False)
    assert page_two["next_cursor"] is None
    assert [i["account_id"] for i in of_first] == [first]
    assert [i["id"] for i in paid] == [ids[1]]
    _assert_problem(bad_status, 422, "invalid_value", "status")
    _assert_problem(bad_cursor, 422, "invalid_cursor", "cursor")
