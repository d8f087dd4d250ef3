"""The largest numbers the API takes, fed through a quote, a change preview and an invoice (draft
and finalize) on SQLite and PostgreSQL: nothing overflows a 64-bit column, and every number the
database gives back is the one computed.

Each example is a new organization selling one per-seat plan and one add-on at prices close to
MAX_PRICE, to an account holding close to MAX_QUANTITY seats and add-on units, taxed at up to
100 % (inclusive or not), with or without a coupon. Mid-period the account goes to exactly
MAX_QUANTITY of both, previewed first, then applied; the billing run makes the draft, which is
finalized. See docs/api.md, "Limits", for the arithmetic these bounds rest on.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.limits import BIGINT_MAX, MAX_LINE_AMOUNT, MAX_PRICE, MAX_QUANTITY
from tests.conftest import START, make_tenant

ORGANIZATIONS = itertools.count(1)
CYCLES = {"month": 1, "year": 12, "60_months": 60}  # the longest cycle the catalog takes


@dataclass(frozen=True)
class Case:
    currency: str
    cycle: str
    plan_price: int
    add_on_price: int
    seats: int
    units: int
    tax: str
    inclusive: bool
    coupon: dict[str, Any] | None
    days_in: int


def _coupon(currency: str) -> st.SearchStrategy[dict[str, Any] | None]:
    percent = st.sampled_from(["100", "99.9999", "12.5"]).map(
        lambda p: {"kind": "percent", "percent": p}
    )
    amount = st.integers(MAX_PRICE - 10**6, MAX_PRICE).map(
        lambda a: {"kind": "amount", "amounts": {currency: a}}
    )
    return st.none() | percent | amount


@st.composite
def cases(draw: st.DrawFn) -> Case:
    currency = draw(st.sampled_from(["USD", "JPY", "KWD"]))  # 2, 0 and 3 decimals
    near_max_price = st.integers(MAX_PRICE - 10**6, MAX_PRICE)
    near_max_quantity = st.integers(MAX_QUANTITY // 2, MAX_QUANTITY - 1)
    return Case(
        currency=currency,
        cycle=draw(st.sampled_from(sorted(CYCLES))),
        plan_price=draw(near_max_price),
        add_on_price=draw(near_max_price),
        seats=draw(near_max_quantity),
        units=draw(near_max_quantity),
        tax=draw(st.sampled_from(["100", "99.9999", "8.875", "0.0001"])),
        inclusive=draw(st.booleans()),
        coupon=draw(_coupon(currency)),
        days_in=draw(st.integers(1, 27)),
    )


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _numbers(value: Any) -> list[int]:
    """Every whole number in a JSON answer."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return []


def _fits(answer: Any) -> None:
    assert all(-BIGINT_MAX - 1 <= n <= BIGINT_MAX for n in _numbers(answer))


def _item_figures(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    keys = ("kind", "component", "quantity", "unit_amount", "amount", "period_start", "days")
    return [tuple(item[k] for k in keys) for item in items]


class Seller:
    """One new organization's catalog, customer, tax rate and coupon, through the API."""

    def __init__(self, client: TestClient, container: Plansmith, case: Case) -> None:
        tenant = make_tenant(container, f"Largest {next(ORGANIZATIONS)}")
        self.client, self.headers, self.case = client, tenant.headers, case

    def post(self, path: str, body: Any = None, status: int = 200) -> Any:
        return _ok(self.client.post(path, json=body, headers=self.headers), status)

    def get(self, path: str, **params: Any) -> Any:
        return _ok(self.client.get(path, params=params, headers=self.headers))

    def catalog(self) -> str:
        c = self.case
        self.post("/v1/plan_families", {"code": "chat", "name": "Chat"}, 201)
        price = {"currency": c.currency, "cycle": c.cycle}
        plan = {
            "code": "max",
            "name": "Max",
            "family": "chat",
            "terms": {"prices": [{**price, "amount": c.plan_price}]},
            "publish": True,
        }
        plan_id: str = self.post("/v1/plans", plan, 201)["id"]
        add_on = {
            "code": "seats-plus",
            "name": "Seats plus",
            "prices": [{**price, "amount": c.add_on_price}],
            "quantity_allowed": True,
        }
        self.post("/v1/add_ons", add_on, 201)
        return plan_id

    def customer(self) -> tuple[str, str]:
        c = self.case
        body: dict[str, Any] = {
            "name": "Largest Ltd",
            "email": "billing@largest.example",
            "currency": c.currency,
        }
        account_id: str = self.post("/v1/accounts", body, 201)["id"]
        rate = {"name": "Tax", "percent": c.tax, "inclusive": c.inclusive}
        rate_id = self.post("/v1/tax_rates", rate, 201)["id"]
        self.post(f"/v1/accounts/{account_id}/tax_rate", {"tax_rate_id": rate_id})
        body = {
            "account_id": account_id,
            "plan": "max",
            "cycle": c.cycle,
            "quantity": c.seats,
            "add_ons": {"seats-plus": c.units},
        }
        sub = self.post("/v1/subscriptions", body, 201)
        assert (sub["quantity"], sub["add_ons"]) == (c.seats, {"seats-plus": c.units})
        assert sub["total"] == c.plan_price * c.seats + c.add_on_price * c.units
        if c.coupon is not None:
            coupon = {"code": "big", "name": "Big", "duration": "forever", **c.coupon}
            self.post("/v1/coupons", coupon, 201)
            self.post(f"/v1/subscriptions/{sub['id']}/coupons", {"code": "big"}, 201)
        return account_id, sub["id"]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
def test_the_largest_amounts_never_overflow_and_read_back_exactly(
    client: TestClient, container: Plansmith, clock: TestClock, case: Case
) -> None:
    clock.set(START)
    seller = Seller(client, container, case)
    plan_id = seller.catalog()

    quote = seller.get(
        f"/v1/plans/{plan_id}/quote",
        cycle=case.cycle,
        currency=case.currency,
        quantity=MAX_QUANTITY,
    )["quote"]
    assert (quote["unit_amount"], quote["total"]) == (
        case.plan_price,
        case.plan_price * MAX_QUANTITY,
    )
    assert quote["total"] <= MAX_LINE_AMOUNT

    account_id, sub_id = seller.customer()
    clock.advance(timedelta(days=case.days_in))
    change = {"quantity": MAX_QUANTITY, "add_ons": {"seats-plus": MAX_QUANTITY}, "when": "now"}
    preview = seller.post(f"/v1/subscriptions/{sub_id}/changes/preview", change)
    applied = seller.post(f"/v1/subscriptions/{sub_id}/changes", change)
    _fits(preview)
    assert not preview["applied"] and applied["applied"]
    assert _item_figures(applied["items"]) == _item_figures(preview["items"])
    assert {item["kind"] for item in applied["items"]} == {"credit", "charge"}
    assert all(abs(item["amount"]) <= MAX_LINE_AMOUNT for item in applied["items"])
    assert preview["next_invoice"]["total"] == sum(
        i["amount"] for i in preview["next_invoice"]["items"]
    )
    stored_items = seller.get(f"/v1/subscriptions/{sub_id}/items")["data"]
    assert _item_figures(stored_items)[-len(applied["items"]) :] == _item_figures(applied["items"])

    run = seller.post("/v1/billing_runs", status=201)
    assert (run["invoiced"], run["errors"]) == (1, [])
    (draft,) = seller.get("/v1/invoices", account_id=account_id)["data"]
    finalized = seller.post(f"/v1/invoices/{draft['id']}/finalize")
    stored = seller.get(f"/v1/invoices/{draft['id']}")

    for invoice in (draft, finalized, stored):
        _fits(invoice)
    assert stored["lines"] == finalized["lines"] == draft["lines"]
    assert stored["totals"] == finalized["totals"]
    lines, totals = stored["lines"], stored["totals"]
    assert [li["amount"] for li in lines] == [i["amount"] for i in stored_items]
    assert totals["subtotal"] == sum(li["amount"] for li in lines)
    assert totals["tax"] == sum(li["tax"] for li in lines)
    assert totals["total"] == sum(li["total"] for li in lines)
    plan_line, add_on_line = lines[0], lines[1]
    assert plan_line["amount"] == case.plan_price * case.seats
    assert add_on_line["amount"] == case.add_on_price * case.units
    ledger = seller.get(f"/v1/accounts/{account_id}/ledger")["data"]
    _fits(ledger)
    (posted,) = [txn for txn in ledger if txn["reference"] == draft["id"]]
    assert sum(e["amount"] for e in posted["entries"]) == 0

    # One more than the largest is refused at the edge, naming the field.
    over = [
        seller.client.get(
            f"/v1/plans/{plan_id}/quote",
            params={"cycle": case.cycle, "currency": case.currency, "quantity": MAX_QUANTITY + 1},
            headers=seller.headers,
        ),
        seller.client.post(
            f"/v1/subscriptions/{sub_id}/changes/preview",
            json={"add_ons": {"seats-plus": MAX_QUANTITY + 1}},
            headers=seller.headers,
        ),
        seller.client.patch(
            f"/v1/plans/{plan_id}/draft",
            json={
                "terms": {
                    "prices": [
                        {"currency": case.currency, "cycle": case.cycle, "amount": MAX_PRICE + 1}
                    ]
                }
            },
            headers=seller.headers,
        ),
    ]
    assert [(r.status_code, r.json()["code"], r.json()["field"]) for r in over] == [
        (422, "too_large", "quantity"),
        (422, "too_large", "add_ons.seats-plus"),
        (422, "too_large", "terms.prices[0].amount"),
    ]
