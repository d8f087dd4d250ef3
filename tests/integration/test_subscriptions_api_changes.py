"""The /v1 subscriptions API on SQLite and PostgreSQL: change and preview, cancel, reactivate,
pause and resume.

Every account here bills in JPY in Asia/Tokyo. The clock starts at 2026-01-31 15:00 UTC, which is
2026-02-01 00:00 in Tokyo, so a monthly subscription's first period is [Feb 1, Mar 1): 28 days.
Ten days later it is Feb 11 in Tokyo, and [Feb 11, Mar 1) is 18 of those 28 days."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest.mock import ANY

import pytest
from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.route_calls import _dump
from tests.integration.subscriptions_api_support import (
    TEN_DAYS,
    _account,
    _assert_problem,
    _catalog,
    _counts,
    _ok,
    _post,
    _subscribe,
)


def _item(
    kind: str,
    description: str,
    quantity: int,
    unit: int,
    amount: int,
    formatted: str,
    period: tuple[str, str],
    days: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """A billable item of the plan as the API shows it; ``days`` is (covered, period's)."""
    return {
        "object": "billable_item",
        "kind": kind,
        "component": "plan",
        "description": description,
        "currency": "JPY",
        "quantity": quantity,
        "unit_amount": unit,
        "amount": amount,
        "amount_formatted": formatted,
        "period_start": period[0],
        "period_end": period[1],
        "days": days[0] if days else None,
        "period_days": days[1] if days else None,
        # Added with the line details; their exact ids are checked in test_line_details.py.
        "cycle": "month",
        "plan_id": ANY,
        "subscription_id": ANY,
    }


FEBRUARY = ("2026-02-01", "2026-03-01")


FROM_FEB_11 = ("2026-02-11", "2026-03-01")


# Lite x 3 for February, charged in advance when subscribing on Feb 1: 2,990 x 3 = 8,970.
LITE_FEBRUARY = _item("recurring", "Lite × 3, month", 3, 2990, 8970, "¥8,970", FEBRUARY)


# The unused 18 of 28 days of Lite x 3: 8,970 x 18 / 28 = 5,766.43 -> 5,766.
LITE_CREDIT = _item(
    "credit",
    "Unused time on Lite × 3 (18 of 28 days)",
    3,
    2990,
    -5766,
    "-¥5,766",
    FROM_FEB_11,
    (18, 28),
)


# -- changing ---------------------------------------------------------------------------------


def test_a_preview_equals_the_change_that_follows_and_saves_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant)
    sub = _subscribe(client, tenant, _account(client, tenant), add_ons={"telegram": 1})
    clock.advance(TEN_DAYS)
    before, counts = _dump(container), _counts(container)

    preview = _ok(_post(client, tenant, sub["id"], "changes/preview", {"plan": "pro"}))

    assert _dump(container) == before
    assert (
        _counts(container)
        == counts
        == {
            "subscriptions": 1,
            "subscription_items": 2,
            "subscription_events": 1,
        }
    )
    assert _ok(client.get(f"/v1/subscriptions/{sub['id']}", headers=tenant.headers)) == sub

    changed = _ok(_post(client, tenant, sub["id"], "changes", {"plan": "pro"}))

    assert preview["applied"] is False and changed["applied"] is True
    # The preview adds the change's effect on the period's estimate (test_invoice_prediction_api).
    assert {**preview, "applied": True, "prediction": None} == {**changed, "prediction": None}
    # Only the plan changed: the add-on's 500 is neither credited nor charged again.
    assert [(i["kind"], i["component"], i["amount"]) for i in changed["items"]] == [
        ("credit", "plan", -5766),  # 2,990 x 3 x 18 / 28 = 5,766.43
        ("charge", "plan", 9624),  # 4,990 x 3 x 18 / 28 = 9,623.57
    ]
    stored = client.get(
        f"/v1/subscriptions/{sub['id']}/items", params={"pending": "true"}, headers=tenant.headers
    )
    assert [i["amount"] for i in _ok(stored)["data"]] == [8970, 500, -5766, 9624]


def test_an_upgrade_mid_period_credits_and_charges_the_rest_by_the_day(
    client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    plans = _catalog(client, tenant)
    sub = _subscribe(client, tenant, _account(client, tenant))
    clock.advance(TEN_DAYS)

    response = _post(client, tenant, sub["id"], "changes", {"plan": "pro", "quantity": 4})

    result = _ok(response)
    changed = result["subscription"]
    assert (changed["plan"]["code"], changed["version"]["id"]) == (
        "pro",
        plans["pro"]["current_version_id"],
    )
    assert (changed["quantity"], changed["unit_amount"], changed["total"]) == (4, 4990, 19960)
    assert changed["formula"] == "¥4,990 × 4 = ¥19,960"
    # The period and the billing day stay: [Feb 1, Mar 1), next payment Mar 1.
    assert changed["current_period"] == {"start": "2026-02-01", "end": "2026-03-01"}
    assert changed["next_payment_on"] == "2026-03-01"
    # The rest of Pro x 4: 19,960 x 18 / 28 = 12,831.43 -> 12,831.
    description = "Remaining time on Pro × 4 (18 of 28 days)"
    pro_charge = _item("charge", description, 4, 4990, 12831, "¥12,831", FROM_FEB_11, (18, 28))
    march = ("2026-03-01", "2026-04-01")
    pro_march = _item("recurring", "Pro × 4, month", 4, 4990, 19960, "¥19,960", march)
    assert result["items"] == [LITE_CREDIT, pro_charge]
    assert [e["kind"] for e in result["events"]] == ["changed"]
    # The next invoice, cut on Mar 1: February's Lite, the credit, the charge and March's Pro:
    # 8,970 - 5,766 + 12,831 + 19,960 = 35,995.
    assert result["next_invoice"] == {
        "object": "next_invoice",
        "cut_off": "2026-03-01",
        "currency": "JPY",
        "total": 35995,
        "total_formatted": "¥35,995",
        "items": [LITE_FEBRUARY, LITE_CREDIT, pro_charge, pro_march],
    }


def test_a_downgrade_waits_for_the_term_end_and_delete_withdraws_it(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    plans = _catalog(client, tenant)
    sub = _subscribe(client, tenant, _account(client, tenant), plan="pro")
    clock.advance(TEN_DAYS)

    scheduled = _ok(_post(client, tenant, sub["id"], "changes", {"plan": "lite"}))

    assert (scheduled["applied"], scheduled["items"]) == (True, [])
    change = scheduled["subscription"]["scheduled_change"]
    assert change == {
        "plan_id": plans["lite"]["id"],
        "plan_name": "Lite",
        "version_id": plans["lite"]["current_version_id"],
        "cycle": "month",
        "quantity": 3,
        "add_ons": {},
        "effective": "2026-03-01",
        "summary": "downgrade",
        "requested_at": "2026-02-10T15:00:00Z",
    }
    assert scheduled["subscription"]["plan"]["code"] == "pro"  # held until Mar 1
    # Cut on Mar 1: February's Pro (4,990 x 3 = 14,970) and March's Lite (2,990 x 3 = 8,970).
    invoice = scheduled["next_invoice"]
    assert [(i["description"], i["amount"]) for i in invoice["items"]] == [
        ("Pro × 3, month", 14970),
        ("Lite × 3, month", 8970),
    ]
    assert (invoice["total"], invoice["total_formatted"]) == (23940, "¥23,940")
    url = f"/v1/subscriptions/{sub['id']}/scheduled_change"

    withdrawn = _ok(client.delete(url, headers=tenant.headers))

    assert withdrawn["subscription"]["scheduled_change"] is None
    assert [e["kind"] for e in withdrawn["events"]] == ["scheduled_change_withdrawn"]
    fetched = _ok(client.get(f"/v1/subscriptions/{sub['id']}", headers=tenant.headers))
    assert fetched == withdrawn["subscription"]
    before = _dump(container)
    _assert_problem(client.delete(url, headers=tenant.headers), 409, "nothing_scheduled", None)
    assert _dump(container) == before


# -- canceling, reactivating, pausing ---------------------------------------------------------


def test_cancel_at_term_end_bills_nothing_more_and_reactivate_withdraws_it(
    client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant)
    sub = _subscribe(client, tenant, _account(client, tenant))
    clock.advance(TEN_DAYS)

    canceled = _ok(_post(client, tenant, sub["id"], "cancel", {"when": "term_end"}))

    held = canceled["subscription"]
    assert (held["status"], held["cancel_at_period_end"], held["next_payment_on"]) == (
        "active",
        True,
        None,
    )
    assert canceled["items"] == []
    # No March in advance: the next invoice holds February's 8,970 only.
    assert (canceled["next_invoice"]["items"], canceled["next_invoice"]["total"]) == (
        [LITE_FEBRUARY],
        8970,
    )

    reactivated = _ok(_post(client, tenant, sub["id"], "reactivate"))

    back = reactivated["subscription"]
    assert (back["status"], back["cancel_at_period_end"], back["next_payment_on"]) == (
        "active",
        False,
        "2026-03-01",
    )
    assert reactivated["items"] == []
    assert reactivated["next_invoice"]["total"] == 17940  # 8,970 for February + 8,970 for March
    events = _ok(client.get(f"/v1/subscriptions/{sub['id']}/events", headers=tenant.headers))
    assert [e["kind"] for e in events["data"]] == [
        "subscribed",
        "cancel_scheduled",
        "cancel_withdrawn",
    ]


def test_cancel_now_credits_the_rest_of_the_period_and_the_preview_matches(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant)
    sub = _subscribe(client, tenant, _account(client, tenant))
    clock.advance(TEN_DAYS)
    before = _dump(container)

    preview = _ok(_post(client, tenant, sub["id"], "cancel/preview", {"when": "now"}))
    assert _dump(container) == before
    canceled = _ok(_post(client, tenant, sub["id"], "cancel", {"when": "now"}))

    assert {**preview, "applied": True} == canceled
    ended = canceled["subscription"]
    assert (ended["status"], ended["shown_status"], ended["ended_on"]) == (
        "canceled",
        "Inactive",
        "2026-02-11",
    )
    assert (ended["next_payment_on"], canceled["next_invoice"]["cut_off"]) == (None, None)
    assert canceled["items"] == [LITE_CREDIT]
    assert canceled["next_invoice"]["total"] == 3204  # 8,970 - 5,766


def test_cancel_with_an_unknown_timing_is_422_and_writes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _catalog(client, tenant)
    sub = _subscribe(client, tenant, _account(client, tenant))
    before = _dump(container)

    unknown = _post(client, tenant, sub["id"], "cancel", {"when": "tomorrow"})
    missing = _post(client, tenant, sub["id"], "cancel", {})

    _assert_problem(unknown, 422, "invalid_value", "when")
    _assert_problem(missing, 422, "required", "when")
    assert _dump(container) == before


def test_pause_credits_the_rest_and_resume_charges_the_rest_on_the_same_anchor(
    client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant)
    sub = _subscribe(client, tenant, _account(client, tenant))
    clock.advance(TEN_DAYS)

    paused = _ok(_post(client, tenant, sub["id"], "pause"))
    clock.advance(timedelta(days=7))  # Feb 18 in Tokyo
    resumed = _ok(_post(client, tenant, sub["id"], "resume"))

    assert (paused["subscription"]["status"], paused["items"]) == ("paused", [LITE_CREDIT])
    # The rest from Feb 18: 8,970 x 11 / 28 = 3,523.93 -> 3,524.
    description = "Remaining time on Lite × 3 (11 of 28 days)"
    rest = ("2026-02-18", "2026-03-01")
    assert resumed["items"] == [
        _item("charge", description, 3, 2990, 3524, "¥3,524", rest, (11, 28))
    ]
    back = resumed["subscription"]
    assert (back["status"], back["anchor"], back["current_period"]) == (
        "active",
        "2026-02-01",
        {"start": "2026-02-01", "end": "2026-03-01"},
    )


def test_reactivating_while_another_plan_of_the_family_is_held_is_409_and_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _catalog(client, tenant)
    account_id = _account(client, tenant)
    first = _subscribe(client, tenant, account_id)
    _ok(_post(client, tenant, first["id"], "cancel", {"when": "now"}))
    _subscribe(client, tenant, account_id, plan="pro")  # the family's place is free again
    before = _dump(container)

    response = _post(client, tenant, first["id"], "reactivate")

    _assert_problem(response, 409, "already_subscribed", "status")
    assert _dump(container) == before


def test_pay_per_day_bills_exactly_the_days_in_service(
    client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant)
    daily = {"code": "flex", "name": "Flex", "family": "support", "rank": 1, "publish": True}
    terms = {"pricing": "flat", "base_prices": {"JPY": 3000}, "pay_per_day": True}
    _ok(client.post("/v1/plans", json={**daily, "terms": terms}, headers=tenant.headers), 201)
    sub = _subscribe(client, tenant, _account(client, tenant), plan="flex", quantity=None)
    clock.advance(TEN_DAYS)
    canceled = _ok(_post(client, tenant, sub["id"], "cancel", {"when": "now"}))
    clock.advance(timedelta(days=5))  # Feb 16: idle for five days
    _ok(_post(client, tenant, sub["id"], "reactivate"))
    clock.advance(timedelta(days=13))  # Mar 1 00:00 in Tokyo

    _ok(client.post("/v1/subscriptions/advance", headers=tenant.headers))

    # Nothing in advance, nothing credited: the month is billed when it ends.
    assert (sub["pay_per_day"], sub["next_payment_on"], canceled["items"]) == (
        True,
        "2026-03-01",
        [],
    )
    # Feb 1-10 and Feb 16-28: 10 + 13 = 23 of 28 days; 3,000 x 23 / 28 = 2,464.29 -> 2,464.
    items = _ok(client.get(f"/v1/subscriptions/{sub['id']}/items", headers=tenant.headers))
    assert [(i["kind"], i["description"], i["amount"]) for i in items["data"]] == [
        ("accrual", "Flex × 1, 23 of 28 days (month, pay per day)", 2464)
    ]


@pytest.mark.parametrize(("stop", "hint"), [("cancel", "reactivate"), ("pause", "resume")])
def test_a_stopped_subscription_cannot_change_until_it_is_back(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    clock: TestClock,
    stop: str,
    hint: str,
) -> None:
    _catalog(client, tenant)
    sub = _subscribe(client, tenant, _account(client, tenant))
    clock.advance(TEN_DAYS)
    _ok(_post(client, tenant, sub["id"], stop, {"when": "now"} if stop == "cancel" else None))
    before = _dump(container)

    response = _post(client, tenant, sub["id"], "changes", {"plan": "pro"})

    # Changing now would credit Lite's rest of the period a second time: refused.
    body = _assert_problem(response, 409, "invalid_transition", "status")
    assert f"; {hint} it first" in body["detail"]
    assert _dump(container) == before
