"""What a billed line says about the terms it bills, on SQLite and PostgreSQL: every billable
item and invoice line carries the cycle of those terms, the days it bills of its period (part
periods and pay per day; null for a full period), its plan and its subscription, in the
answers that make items, the items list, the upcoming invoice and the invoice itself.

Accounts bill in JPY in Asia/Tokyo. The clock starts at 2026-01-31 15:00 UTC, Feb 1 00:00 in
Tokyo: the first period is [Feb 1, Mar 1), 28 days. Lite is 2,990 and Pro 4,990 a seat a
month; 3 seats: 8,970 and 14,970 a month.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from tests.conftest import Tenant

FOURTEEN_DAYS = timedelta(days=14)  # Feb 15 00:00 in Tokyo: 14 of February's 28 days left
TO_MARCH = timedelta(days=28)  # from Feb 1: Mar 1 00:00 in Tokyo
PLANS = [
    ("lite", "Lite", 1, {"base_prices": {"JPY": 2990}}),
    ("pro", "Pro", 2, {"base_prices": {"JPY": 4990}, "cycle_discounts": {"year": "20"}}),
    ("flex", "Flex", 3, {"pricing": "flat", "base_prices": {"JPY": 3000}, "pay_per_day": True}),
]
DETAILS = ("kind", "amount", "cycle", "days", "period_days", "plan_id", "subscription_id")


class Api:
    def __init__(self, client: TestClient, tenant: Tenant) -> None:
        self.client, self.headers = client, tenant.headers

    def ok(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = self.client.request(method, path, json=body, headers=self.headers)
        assert response.status_code == status, response.text
        return response.json()

    def catalog(self) -> dict[str, str]:
        """The plans' ids by code: Lite and Pro in one family, pay-per-day Flex in another."""
        for family in ("service", "support"):
            self.ok("POST", "/v1/plan_families", {"code": family, "name": family}, 201)
        ids = {}
        for code, name, rank, terms in PLANS:
            family = "support" if code == "flex" else "service"
            body = {"code": code, "name": name, "family": family, "rank": rank, "terms": terms}
            ids[code] = self.ok("POST", "/v1/plans", {**body, "publish": True}, 201)["id"]
        return ids

    def subscribe(self, plan: str, quantity: int | None = 3) -> tuple[str, str]:
        """A new account and its subscription: (account id, subscription id)."""
        account = {
            "name": "Tanaka Shoji",
            "email": "billing@tanaka.example",
            "currency": "JPY",
            "time_zone": "Asia/Tokyo",
        }
        account_id = self.ok("POST", "/v1/accounts", account, 201)["id"]
        body = {"account_id": account_id, "plan": plan, "quantity": quantity}
        return account_id, self.ok("POST", "/v1/subscriptions", body, 201)["id"]

    def invoice_lines(self, run: dict[str, Any]) -> list[list[dict[str, Any]]]:
        """The lines of each invoice the run made, as GET /v1/invoices/{id} shows them."""
        return [
            self.ok("GET", f"/v1/invoices/{made['id']}")["lines"]
            for made in run["invoices"]["data"]
        ]


@pytest.fixture
def api(client: TestClient, tenant: Tenant) -> Api:
    return Api(client, tenant)


def _details(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [tuple(row[k] for k in DETAILS) for row in rows]


def test_a_prorated_upgrade_bills_14_of_28_days_of_each_plan_and_says_so_everywhere(
    api: Api, clock: TestClock
) -> None:
    plans = api.catalog()
    account_id, sub = api.subscribe("lite")
    february = api.ok("POST", "/v1/billing_runs", status=201)
    clock.advance(FOURTEEN_DAYS)

    preview = api.ok("POST", f"/v1/subscriptions/{sub}/changes/preview", {"plan": "pro"})
    changed = api.ok("POST", f"/v1/subscriptions/{sub}/changes", {"plan": "pro"})
    items = api.ok("GET", f"/v1/subscriptions/{sub}/items")["data"]
    [upcoming] = api.ok("GET", f"/v1/accounts/{account_id}/upcoming_invoices")["data"]
    clock.advance(FOURTEEN_DAYS)  # Mar 1
    march = api.ok("POST", "/v1/billing_runs", status=201)

    lite, pro = plans["lite"], plans["pro"]
    # Lite x 3 for the 14 days left: 8,970 x 14 / 28 = 4,485 back; Pro x 3: 14,970 x 14 / 28
    # = 7,485. Both exact, both of a monthly period of 28 days.
    credit = ("credit", -4485, "month", 14, 28, lite, sub)
    charge = ("charge", 7485, "month", 14, 28, pro, sub)
    assert _details(changed["items"]) == [credit, charge]
    assert _details(preview["items"]) == [credit, charge]
    # February in advance was a full period: no days; it was invoiced by the first run.
    assert _details(items) == [("recurring", 8970, "month", None, None, lite, sub), credit, charge]
    # The next invoice: the credit and charge, and March of Pro in advance (a full period).
    march_pro = ("recurring", 14970, "month", None, None, pro, sub)
    assert _details(changed["next_invoice"]["items"]) == [credit, charge, march_pro]
    assert _details(upcoming["lines"]) == [credit, charge, march_pro]
    assert api.invoice_lines(february) == [[_line_of(items[0], lite, sub)]]
    [march_lines] = api.invoice_lines(march)
    assert _details(march_lines) == [credit, charge, march_pro]
    assert [line["source_id"] for line in march_lines[:2]] == [items[1]["id"], items[2]["id"]]


def _line_of(item: dict[str, Any], plan_id: str, sub: str) -> dict[str, Any]:
    """The invoice line of a full-period item with no discount or tax, every field."""
    return {
        "kind": "recurring",
        "description": "Lite × 3, month",
        "quantity": 3,
        "unit_amount": 2990,
        "amount": 8970,
        "amount_formatted": "¥8,970",
        "discount": 0,
        "tax_rate_id": None,
        "tax": 0,
        "total": 8970,
        "total_formatted": "¥8,970",
        "period_start": "2026-02-01",
        "period_end": "2026-03-01",
        "source_id": item["id"],
        "plan_id": plan_id,
        "subscription_id": sub,
        "cycle": "month",
        "days": None,
        "period_days": None,
        "usage": None,
    }


def test_a_yearly_subscription_s_lines_say_year(api: Api) -> None:
    plans = api.catalog()
    _account_id, sub = api.subscribe("pro", quantity=1)
    changed = api.ok("POST", f"/v1/subscriptions/{sub}/changes", {"cycle": "year"})

    run = api.ok("POST", "/v1/billing_runs", status=201)

    # Changing the cycle starts a year today: February's unused 28 days of the month are
    # credited in full (4,990 x 28 / 28) and the year is charged in advance (no days).
    pro = plans["pro"]
    [lines] = api.invoice_lines(run)
    month_credit = ("credit", -4990, "month", 28, 28, pro, sub)
    assert _details(changed["items"])[0] == month_credit
    assert [(k, c, d, p) for k, _a, c, d, p, _pl, _s in _details(lines)] == [
        ("recurring", "month", None, None),  # February, billed when subscribing
        ("credit", "month", 28, 28),
        ("recurring", "year", None, None),
    ]


def test_a_pay_per_day_line_bills_the_days_in_service_of_its_period(
    api: Api, clock: TestClock
) -> None:
    plans = api.catalog()
    _account_id, sub = api.subscribe("flex", quantity=None)
    clock.advance(timedelta(days=10))  # Feb 11
    api.ok("POST", f"/v1/subscriptions/{sub}/cancel", {"when": "now"})
    clock.advance(timedelta(days=18))  # Mar 1: the period ends, its days are billed

    run = api.ok("POST", "/v1/billing_runs", status=201)

    # In service Feb 1-10: 10 of 28 days; 3,000 x 10 / 28 = 1,071.43 -> 1,071.
    accrual = ("accrual", 1071, "month", 10, 28, plans["flex"], sub)
    assert _details(api.ok("GET", f"/v1/subscriptions/{sub}/items")["data"]) == [accrual]
    assert [_details(lines) for lines in api.invoice_lines(run)] == [[accrual]]
