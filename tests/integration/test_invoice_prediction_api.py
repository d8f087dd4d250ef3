"""The invoice prediction through the /v1 API, on both databases: the figures worked out by
hand from the plan, the events sent and the tax rate; a pay-per-day plan on its first day
shows one day; a change previewed shows the period's estimate before and after it and
changes nothing; an unknown account is a problem naming account_id. Reads stay within the
upcoming invoice's statement budget.

Accounts are in Asia/Tokyo; the clock starts at Feb 1 00:00 there (the period is Feb 1 to
Mar 1, 28 days) and the prediction is made on Feb 7 at noon: 7 of 28 days elapsed."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.integration.billing_api_support import _assert_problem, _ok
from tests.integration.statement_budgets_support import PREVIEW, counted
from tests.integration.usage_api_support import UsageApi, call, usage
from tests.unit.subscription_builders import local_at

__all__ = ["usage"]

TZ = "Asia/Tokyo"
CALLS = {"meter": "calls", "currency": "JPY", "model": "per_unit"}
METERED = {
    "base_prices": {"JPY": 2800},
    "charges": [
        {**CALLS, "included": 100, "unit_price": "2"},
        {"meter": "peak", "currency": "JPY", "model": "per_unit", "unit_price": "0.5"},
    ],
}
PLUS = {"base_prices": {"JPY": 5600}, "charges": [{**CALLS, "included": 500, "unit_price": "1"}]}


def _plan(api: UsageApi, code: str, rank: int, terms: dict[str, Any]) -> None:
    body = {"code": code, "name": code.title(), "family": "service", "rank": rank}
    _ok(api.post("/v1/plans", {**body, "terms": terms, "publish": True}), 201)


def _metered_account(api: UsageApi, clock: TestClock) -> tuple[str, str]:
    """Subscribed on Feb 1 to Metered; 20 calls a day Feb 1..7, the largest 500 bytes."""
    api.tax_rate(name="Consumption tax", percent="10", country="JP")
    _plan(api, "metered", 1, METERED)
    _plan(api, "plus", 2, PLUS)
    account = api.account("Kato Ltd")
    body = {"account_id": account, "plan": "metered", "quantity": 1}
    sub = _ok(api.post("/v1/subscriptions", body), 201)["id"]
    clock.set(local_at(date(2026, 2, 7), TZ, 12))
    events = [
        call(account, f"c-{day}-{n}", f"2026-02-{day:02d}T10:00:00+09:00", bytes=100 + n * 20)
        for day in range(1, 8)
        for n in range(20)
    ]
    _ok(api.batch(events))
    return account, sub


def _lines(found: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            line["component"],
            line["quantity_so_far"],
            line["quantity_projected"],
            line["allowance"],
            line["so_far"],
            line["estimate"],
            line["tax_so_far"],
            line["tax_estimate"],
        )
        for line in found["lines"]
    ]


def test_the_prediction_equals_the_figures_worked_out_by_hand(
    usage: UsageApi, clock: TestClock, container: Plansmith
) -> None:
    account, sub = _metered_account(usage, clock)

    with counted(container) as reads:
        found = _ok(usage.get(f"/v1/accounts/{account}/prediction"))

    assert len(reads.statements) <= PREVIEW
    [one] = found["subscriptions"]
    assert (one["subscription_id"], one["currency"]) == (sub, "JPY")
    assert (one["period_start"], one["period_end"], one["today"]) == (
        "2026-02-01",
        "2026-03-01",
        "2026-02-07",
    )
    assert (one["elapsed_days"], one["period_days"]) == (7, 28)
    assert _lines(one) == [
        # JPY 2,800 a month of 28 days: 7 days so far = 700; tax 10 % per line.
        ("plan", "7", "28", None, 700, 2800, 70, 280),
        # 140 calls, 100 included: 40 x 2 = 80 so far; 140 / 7 x 28 = 560 at the end:
        # 460 x 2 = 920.
        ("usage:calls", "140", "560", 100, 80, 920, 8, 92),
        # The largest response is not projected: 480 x 0.5 = 240 both.
        ("usage:peak", "480", "480", 0, 240, 240, 24, 24),
    ]
    assert (one["subtotal_so_far"], one["tax_so_far"], one["so_far"]) == (1020, 102, 1122)
    assert (one["subtotal_estimate"], one["tax_estimate"], one["estimate"]) == (3960, 396, 4356)
    assert found["totals"] == [{"currency": "JPY", "so_far": 1122, "estimate": 4356}]
    assert "today whole" in found["method"]


def test_a_pay_per_day_plan_on_its_first_day_shows_one_day(
    usage: UsageApi, clock: TestClock
) -> None:
    _plan(usage, "daily", 1, {"base_prices": {"JPY": 3100}, "pay_per_day": True})
    account = usage.account("Daily KK")
    clock.set(local_at(date(2026, 2, 1), TZ, 9))
    _ok(usage.post("/v1/subscriptions", {"account_id": account, "plan": "daily"}), 201)

    found = _ok(usage.get(f"/v1/accounts/{account}/prediction"))

    [one] = found["subscriptions"]
    # 3,100 / 28 = 110.71 a day: one day so far, 28 at the end.
    assert (one["so_far"], one["estimate"], one["elapsed_days"]) == (111, 3100, 1)
    assert _lines(one) == [("plan", "1", "28", None, 111, 3100, 0, 0)]


def test_a_change_previewed_shows_the_estimate_before_and_after_and_saves_nothing(
    usage: UsageApi, clock: TestClock, container: Plansmith
) -> None:
    account, sub = _metered_account(usage, clock)
    before = _ok(usage.get(f"/v1/accounts/{account}/prediction"))
    with container.engine.connect() as db:
        spans = db.execute(select(func.count()).select_from(t.subscription_spans)).scalar()

    with counted(container) as reads:
        preview = _ok(
            usage.post(f"/v1/subscriptions/{sub}/changes/preview", {"plan": "plus", "when": "now"})
        )

    assert len(reads.statements) <= PREVIEW
    assert preview["applied"] is False and preview["next_invoice"] is not None  # kept
    effect = preview["prediction"]
    assert effect["before"]["estimate"] == 4356
    after = effect["after"]
    # Metered Feb 1..6 (6 days: 600), Plus Feb 7..28 (22 days: 5,600 x 22/28 = 4,400, one
    # day so far: 200); the allowance 100 x 6/28 + 500 x 22/28 = 414.29 -> 414; Plus's calls
    # rate the 560 projected: 146 x 1; Plus charges no peak.
    assert _lines(after) == [
        ("plan", "6", "6", None, 600, 600, 60, 60),
        ("plan", "1", "22", None, 200, 4400, 20, 440),
        ("usage:calls", "140", "560", 414, 0, 146, 0, 15),
    ]
    assert (after["estimate"], effect["estimate_change"]) == (5661, 5661 - 4356)
    # Nothing was saved: the prediction and the log are as they were.
    assert _ok(usage.get(f"/v1/accounts/{account}/prediction")) == before
    with container.engine.connect() as db:
        assert db.execute(select(func.count()).select_from(t.subscription_spans)).scalar() == spans


def test_an_unknown_account_is_a_problem_naming_account_id(usage: UsageApi) -> None:
    missing = usage.get("/v1/accounts/acct_nobody/prediction")
    _assert_problem(missing, 404, "not_found", "account_id")
