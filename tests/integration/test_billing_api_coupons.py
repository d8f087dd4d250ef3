"""The /v1 billing API on SQLite and PostgreSQL: coupons.

Every account bills in JPY in Asia/Tokyo on Pro at 4,990 per seat per month, 3 seats: 4,990 x 3
= 14,970 a month. The clock starts at 2026-01-31 15:00 UTC, Feb 1 00:00 in Tokyo, so the first
period is [Feb 1, Mar 1) (28 days) and Mar 1 00:00 in Tokyo is 2026-02-28 15:00 UTC.

After every test the shared `ledger_invariants` fixture (tests/conftest.py) checks the ledger of
this module's `container`: each transaction balances, each invoice's totals are its lines' sums,
and each account's receivable is what its open invoices still owe."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.integration.billing_api_support import (
    FEB_11,
    MAR_1,
    NO_GRACE,
    Api,
    _assert_problem,
    _ok,
    api,
)
from tests.integration.route_calls import _dump

__all__ = ["api"]  # the shared fixture


APR_1 = datetime(2026, 3, 31, 15, tzinfo=UTC)


MAY_1 = datetime(2026, 4, 30, 15, tzinfo=UTC)


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
