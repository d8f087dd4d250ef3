"""The /v1 subscriptions API on SQLite and PostgreSQL: subscribe, change and preview, cancel,
reactivate, pause and resume, the renewal step, and an account's plans per family.

Every account here bills in JPY in Asia/Tokyo. The clock starts at 2026-01-31 15:00 UTC, which is
2026-02-01 00:00 in Tokyo, so a monthly subscription's first period is [Feb 1, Mar 1): 28 days.
Ten days later it is Feb 11 in Tokyo, and [Feb 11, Mar 1) is 18 of those 28 days.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from unittest.mock import ANY

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant
from tests.integration.test_tenant_isolation import _dump
from tests.live_server import serving

PROBLEM = "application/problem+json"
TEN_DAYS = timedelta(days=10)
SUBSCRIPTION_TABLES = (t.subscriptions, t.subscription_items, t.subscription_events)
PLANS: list[dict[str, Any]] = [
    {
        "code": "lite",
        "name": "Lite",
        "family": "service",
        "rank": 1,
        "terms": {"base_prices": {"JPY": 2990}, "cycle_discounts": {"year": "20"}},
    },
    {
        "code": "pro",
        "name": "Pro",
        "family": "service",
        "rank": 2,
        "terms": {"base_prices": {"JPY": 4990}, "min_seats": 3, "max_seats": 50},
    },
    {
        "code": "starter",
        "name": "Starter",
        "family": "service",
        "rank": 0,
        "terms": {"base_prices": {"JPY": 990}, "trial_days": 14},
    },
    {
        "code": "support-basic",
        "name": "Support Basic",
        "family": "support",
        "terms": {"pricing": "flat", "base_prices": {"JPY": 5000}},
    },
]
TELEGRAM = {
    "code": "telegram",
    "name": "Telegram Integration",
    "prices": [{"currency": "JPY", "cycle": "month", "amount": 500}],
}


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _assert_problem(response: Any, status: int, code: str, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"], body.get("field")) == (status, code, field)
    assert body["type"] == f"https://plansmith.dev/problems/{code}"
    assert body["detail"]
    return body


def _counts(container: Plansmith) -> dict[str, int]:
    with container.engine.connect() as connection:
        return {
            table.name: int(
                connection.execute(select(func.count()).select_from(table)).scalar_one()
            )
            for table in SUBSCRIPTION_TABLES
        }


def _catalog(client: TestClient, tenant: Tenant) -> dict[str, dict[str, Any]]:
    """Two families with the default policy (upgrades now, downgrades and fewer seats at the
    term end), four published plans and one add-on; the plans by code."""
    for code, name in (("service", "Service plans"), ("support", "Support plans")):
        body = {"code": code, "name": name}
        _ok(client.post("/v1/plan_families", json=body, headers=tenant.headers), 201)
    _ok(client.post("/v1/add_ons", json=TELEGRAM, headers=tenant.headers), 201)
    plans = {}
    for plan in PLANS:
        body = {**plan, "publish": True}
        plans[plan["code"]] = _ok(client.post("/v1/plans", json=body, headers=tenant.headers), 201)
    return plans


def _account(client: TestClient, tenant: Tenant, name: str = "Tanaka Shoji") -> str:
    body = {
        "name": name,
        "email": "billing@tanaka.example",
        "currency": "JPY",
        "time_zone": "Asia/Tokyo",
    }
    account_id: str = _ok(client.post("/v1/accounts", json=body, headers=tenant.headers), 201)["id"]
    return account_id


def _subscribe(client: TestClient, tenant: Tenant, account_id: str, **fields: Any) -> Any:
    body = {"account_id": account_id, "plan": "lite", "quantity": 3, **fields}
    return _ok(client.post("/v1/subscriptions", json=body, headers=tenant.headers), 201)


def _post(client: TestClient, tenant: Tenant, sub_id: str, action: str, body: Any = None) -> Any:
    return client.post(f"/v1/subscriptions/{sub_id}/{action}", json=body, headers=tenant.headers)


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


# -- subscribing ----------------------------------------------------------------------------


def test_subscribe_returns_the_subscription_and_get_returns_the_same(
    client: TestClient, tenant: Tenant
) -> None:
    plans = _catalog(client, tenant)
    account_id = _account(client, tenant)

    response = client.post(
        "/v1/subscriptions",
        json={"account_id": account_id, "plan": "lite", "quantity": 3, "add_ons": {"telegram": 1}},
        headers=tenant.headers,
    )

    body = _ok(response, 201)
    lite = plans["lite"]
    assert body == {
        "object": "subscription",
        "id": body["id"],
        "account_id": account_id,
        "family": "service",
        "plan": {"id": lite["id"], "code": "lite", "name": "Lite"},
        "version": {"id": lite["current_version_id"], "number": 1, "name": "Lite"},
        "status": "active",
        "shown_status": "Active",
        "cycle": "month",
        "currency": "JPY",
        "quantity": 3,
        "add_ons": {"telegram": 1},
        "unit_amount": 2990,
        "total": 9470,  # 2,990 x 3 + 500 x 1
        "total_formatted": "¥9,470",
        "formula": "¥2,990 × 3 + ¥500 × 1 = ¥9,470",
        "parts": [
            {
                "component": "plan",
                "name": "Lite",
                "unit_amount": 2990,
                "quantity": 3,
                "amount": 8970,
                "formula": "¥2,990 × 3 = ¥8,970",
            },
            {
                "component": "add_on:telegram",
                "name": "Telegram Integration",
                "unit_amount": 500,
                "quantity": 1,
                "amount": 500,
                "formula": "¥500 × 1 = ¥500",
            },
        ],
        "current_period": {"start": "2026-02-01", "end": "2026-03-01"},
        "anchor": "2026-02-01",
        "trial_end": None,
        "cancel_at_period_end": False,
        "scheduled_change": None,
        "next_payment_on": "2026-03-01",
        "registered_at": "2026-01-31T15:00:00Z",
        "ended_on": None,
        "pay_per_day": False,
        "created_at": "2026-01-31T15:00:00Z",
        "updated_at": "2026-01-31T15:00:00Z",
    }
    assert body["id"].startswith("sub_")
    assert _ok(client.get(f"/v1/subscriptions/{body['id']}", headers=tenant.headers)) == body
    items = _ok(client.get(f"/v1/subscriptions/{body['id']}/items", headers=tenant.headers))
    assert [(i["object"], i["component"], i["amount"], i["invoice_id"]) for i in items["data"]] == [
        ("subscription_item", "plan", 8970, None),
        ("subscription_item", "add_on:telegram", 500, None),
    ]
    events = _ok(client.get(f"/v1/subscriptions/{body['id']}/events", headers=tenant.headers))
    assert [(e["seq"], e["kind"], e["actor"], e["to_status"]) for e in events["data"]] == [
        (1, "subscribed", "operator", "active")
    ]


def test_subscribe_to_a_plan_with_a_trial_starts_a_free_try(
    client: TestClient, tenant: Tenant
) -> None:
    _catalog(client, tenant)
    account_id = _account(client, tenant)

    body = _subscribe(client, tenant, account_id, plan="starter", quantity=None)

    # 14 days from Feb 1: the trial ends, and the anchor moves to, Feb 15.
    assert (body["status"], body["shown_status"], body["quantity"]) == ("trialing", "Try", 1)
    assert (body["trial_end"], body["anchor"], body["next_payment_on"]) == (
        "2026-02-15",
        "2026-02-15",
        "2026-02-15",
    )
    assert body["current_period"] == {"start": "2026-02-01", "end": "2026-02-15"}
    items = client.get(f"/v1/subscriptions/{body['id']}/items", headers=tenant.headers)
    assert _ok(items)["data"] == []


def test_idempotency_key_replay_of_subscribe_makes_one_subscription(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _catalog(client, tenant)
    account_id = _account(client, tenant)
    headers = {**tenant.headers, "Idempotency-Key": "subscribe-tanaka-1"}
    body = {"account_id": account_id, "plan": "lite", "quantity": 3}

    first = client.post("/v1/subscriptions", json=body, headers=headers)
    second = client.post("/v1/subscriptions", json=body, headers=headers)

    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert (first.headers.get("idempotent-replayed"), second.headers["idempotent-replayed"]) == (
        None,
        "true",
    )
    assert _counts(container) == {
        "subscriptions": 1,
        "subscription_items": 1,
        "subscription_events": 1,
    }


# -- refused requests change nothing ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "status", "code", "field"),
    [
        ({"plan": "pro", "quantity": 2}, 422, "seats_out_of_range", "quantity"),  # min 3
        ({"plan": "platinum"}, 404, "not_found", "plan"),
        ({"currency": "USD"}, 422, "currency_mismatch", "currency"),
        ({"cycle": "fortnight"}, 422, "invalid_value", "cycle"),
        ({"cycle": "quarter"}, 422, "price_not_offered", "cycle"),  # Lite: month and year
        ({"quantity": "3"}, 422, "invalid_value", "quantity"),
        ({"add_ons": {"telegram": 2}}, 422, "invalid_value", "add_ons.telegram"),
        ({"add_ons": {"fax": 1}}, 422, "unknown_reference", "add_ons.fax"),
        ({"trial": True}, 422, "no_trial", "trial"),
        ({"colour": "red"}, 422, "unknown_field", "colour"),
    ],
)
def test_a_refused_subscribe_names_the_field_and_writes_nothing(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    fields: dict[str, Any],
    status: int,
    code: str,
    field: str,
) -> None:
    _catalog(client, tenant)
    account_id = _account(client, tenant)
    before = _dump(container)

    response = client.post(
        "/v1/subscriptions",
        json={"account_id": account_id, "plan": "lite", "quantity": 3, **fields},
        headers=tenant.headers,
    )

    _assert_problem(response, status, code, field)
    assert _dump(container) == before


def test_a_second_subscription_in_the_same_family_is_409_already_subscribed(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _catalog(client, tenant)
    account_id = _account(client, tenant)
    held = _subscribe(client, tenant, account_id)
    before = _dump(container)

    response = client.post(
        "/v1/subscriptions",
        json={"account_id": account_id, "plan": "pro", "quantity": 3},
        headers=tenant.headers,
    )

    body = _assert_problem(response, 409, "already_subscribed", "plan")
    assert "holds a Service plans plan already" in body["detail"]
    assert _dump(container) == before
    # Another family is another place: the same account may hold a support plan.
    support = _subscribe(client, tenant, account_id, plan="support-basic", quantity=1)
    assert (support["family"], held["family"]) == ("support", "service")


@pytest.mark.parametrize("action", ["changes", "changes/preview"])
@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"plan": "support-basic"}, 422, "wrong_family", "plan"),
        # A downgrade waits for the term end under the default policy: "now" is refused.
        ({"plan": "lite", "when": "now"}, 409, "change_not_allowed_now", "when"),
        ({"quantity": 2}, 422, "seats_out_of_range", "quantity"),  # Pro takes 3 to 50
        ({"quantity": 0}, 422, "invalid_value", "quantity"),
        ({"cycle": "year"}, 422, "price_not_offered", "cycle"),  # Pro is monthly only
        ({"cycle": "weekly-ish"}, 422, "invalid_value", "cycle"),
        ({"quantity": 4, "when": "soon"}, 422, "invalid_value", "when"),
        ({"plan": "platinum"}, 404, "not_found", "plan"),
        ({"quantity": 3}, 422, "no_change", None),
        ({"seats": 4}, 422, "unknown_field", "seats"),
    ],
)
def test_a_refused_change_or_preview_names_the_field_and_writes_nothing(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    clock: TestClock,
    action: str,
    body: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    _catalog(client, tenant)
    sub = _subscribe(client, tenant, _account(client, tenant), plan="pro")
    clock.advance(TEN_DAYS)
    before = _dump(container)

    response = _post(client, tenant, sub["id"], action, body)

    _assert_problem(response, status, code, field)
    assert _dump(container) == before


def test_reactivating_an_expired_trial_is_409_trial_expired(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant)
    sub = _subscribe(client, tenant, _account(client, tenant), plan="starter", quantity=1)
    clock.advance(TEN_DAYS)
    # Canceling a trial now ends it for good: nothing was paid, so nothing is credited.
    expired = _ok(_post(client, tenant, sub["id"], "cancel", {"when": "now"}))
    assert (expired["subscription"]["status"], expired["items"]) == ("expired", [])
    before = _dump(container)

    response = _post(client, tenant, sub["id"], "reactivate")

    body = _assert_problem(response, 409, "trial_expired", "status")
    assert "subscribe again without a trial" in body["detail"]
    assert _dump(container) == before


def test_an_unknown_subscription_is_404_naming_subscription_id(
    client: TestClient, tenant: Tenant
) -> None:
    response = client.get("/v1/subscriptions/sub_nope", headers=tenant.headers)

    _assert_problem(response, 404, "not_found", "subscription_id")


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
    assert {**preview, "applied": True} == changed
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


# -- reading ----------------------------------------------------------------------------------


def test_list_filters_by_account_and_status_and_pages_with_a_cursor(
    client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant)
    subs = []
    for name in ("Aoki", "Baba", "Chiba"):
        subs.append(_subscribe(client, tenant, _account(client, tenant, name))["id"])
        clock.advance(timedelta(minutes=1))  # distinct creation times: a stable order
    _ok(_post(client, tenant, subs[1], "cancel", {"when": "now"}))

    first = _ok(client.get("/v1/subscriptions", params={"limit": 2}, headers=tenant.headers))
    rest = _ok(
        client.get(
            "/v1/subscriptions",
            params={"limit": 2, "cursor": first["next_cursor"]},
            headers=tenant.headers,
        )
    )
    canceled = client.get(
        "/v1/subscriptions", params={"status": "canceled"}, headers=tenant.headers
    )
    account = _ok(client.get(f"/v1/subscriptions/{subs[2]}", headers=tenant.headers))["account_id"]
    by_account = client.get(
        "/v1/subscriptions", params={"account_id": account}, headers=tenant.headers
    )

    assert ([s["id"] for s in first["data"]], first["has_more"]) == (subs[:2], True)
    assert ([s["id"] for s in rest["data"]], rest["has_more"], rest["next_cursor"]) == (
        subs[2:],
        False,
        None,
    )
    assert [s["id"] for s in _ok(canceled)["data"]] == [subs[1]]
    assert [s["id"] for s in _ok(by_account)["data"]] == [subs[2]]


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"status": "asleep"}, "invalid_value", "status"),
        ({"cursor": "not-a-cursor"}, "invalid_cursor", "cursor"),
        ({"limit": 0}, "invalid_value", "limit"),
    ],
)
def test_a_bad_list_filter_is_422_naming_it(
    client: TestClient, tenant: Tenant, params: dict[str, Any], code: str, field: str
) -> None:
    response = client.get("/v1/subscriptions", params=params, headers=tenant.headers)

    _assert_problem(response, 422, code, field)


def test_account_plans_show_the_plan_held_per_family_and_its_history(
    client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant)
    account_id = _account(client, tenant)
    sub = _subscribe(client, tenant, account_id)
    clock.advance(TEN_DAYS)
    upgraded = _ok(_post(client, tenant, sub["id"], "changes", {"plan": "pro"}))["subscription"]

    response = client.get(f"/v1/accounts/{account_id}/plans", headers=tenant.headers)

    service, support = _ok(response)["data"]
    assert (service["object"], service["family"], service["family_name"]) == (
        "family_plans",
        "service",
        "Service plans",
    )
    assert service["current"] == service["latest"] == upgraded
    assert [
        (h["plan_name"], h["status"], h["started_on"], h["ended_on"]) for h in service["history"]
    ] == [("Pro", "active", "2026-02-11", None), ("Lite", "replaced", "2026-02-01", "2026-02-11")]
    assert support == {
        "object": "family_plans",
        "family": "support",
        "family_name": "Support plans",
        "current": None,
        "latest": None,
        "history": [],
    }


def test_notices_show_what_a_subscriber_is_told_before_a_version_move(
    client: TestClient, tenant: Tenant
) -> None:
    plans = _catalog(client, tenant)
    sub = _subscribe(client, tenant, _account(client, tenant))
    lite = plans["lite"]["id"]
    draft = {"terms": {"base_prices": {"JPY": 3290}, "cycle_discounts": {"year": "20"}}}
    _ok(client.patch(f"/v1/plans/{lite}/draft", json=draft, headers=tenant.headers))
    published = _ok(
        client.post(
            f"/v1/plans/{lite}/publish",
            json={"apply_to_existing": "at_renewal"},
            headers=tenant.headers,
        )
    )

    response = client.get(f"/v1/subscriptions/{sub['id']}/notices", headers=tenant.headers)

    [notice] = _ok(response)["data"]
    assert notice == {
        "object": "subscription_notice",
        "id": notice["id"],
        "subscription_id": sub["id"],
        "account_id": sub["account_id"],
        "move_id": published["move"]["id"],
        "effective_on": "2026-03-01",  # the subscriber's renewal
        "text": published["move"]["notice"],
        "created_at": "2026-01-31T15:00:00Z",
    }
    # Year: 2,990 x 12 = 35,880 less 20 % = 28,704; 3,290 x 12 = 39,480 less 20 % = 31,584.
    assert notice["text"] == (
        "Your plan Lite changes at your next renewal:\n"
        "- price per seat per month: JPY 2990 -> JPY 3290\n"
        "- price per seat per year: JPY 28704 -> JPY 31584"
    )


def test_advance_renews_each_due_subscription_once(
    client: TestClient, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant)
    sub = _subscribe(client, tenant, _account(client, tenant))
    clock.advance(timedelta(days=28))  # Mar 1 00:00 in Tokyo: February has ended

    first = _ok(client.post("/v1/subscriptions/advance", headers=tenant.headers))
    again = _ok(client.post("/v1/subscriptions/advance", headers=tenant.headers))

    assert first == {
        "object": "subscription_advance",
        "as_of": "2026-02-28T15:00:00Z",
        "renewed": 1,
        "items": 1,
        "skipped": 0,
        "failed": [],
    }
    assert (again["renewed"], again["items"]) == (0, 0)
    renewed = _ok(client.get(f"/v1/subscriptions/{sub['id']}", headers=tenant.headers))
    assert renewed["current_period"] == {"start": "2026-03-01", "end": "2026-04-01"}
    items = _ok(client.get(f"/v1/subscriptions/{sub['id']}/items", headers=tenant.headers))
    assert [(i["period_start"], i["amount"]) for i in items["data"]] == [
        ("2026-02-01", 8970),
        ("2026-03-01", 8970),
    ]


# -- real concurrency: the app under uvicorn, on PostgreSQL -----------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_concurrent_subscribes_in_one_family_make_exactly_one_subscription(
    client: TestClient, container: Plansmith, tenant: Tenant
) -> None:
    _catalog(client, tenant)
    rounds = 5
    accounts = [_account(client, tenant, f"Race {n}") for n in range(rounds)]

    def race(account_id: str) -> list[httpx.Response]:
        barrier = threading.Barrier(2)

        def one(plan: str) -> httpx.Response:
            body = {"account_id": account_id, "plan": plan, "quantity": 3}
            with httpx.Client(base_url=base_url, timeout=60) as http:
                barrier.wait()
                return http.post("/v1/subscriptions", json=body, headers=tenant.headers)

        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(one, ["lite", "pro"]))

    with serving(lambda _url: create_app(container)) as base_url:
        results = [race(account_id) for account_id in accounts]

    for responses in results:
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 409], [(r.status_code, r.text) for r in responses]
        loser = next(r for r in responses if r.status_code == 409)
        assert loser.headers["content-type"] == PROBLEM
        problem = loser.json()
        assert problem["code"] in ("already_subscribed", "concurrent_change"), problem
        # Whichever check caught it (the use case's, or the unique index), the message says why.
        assert problem["detail"].startswith("the account holds a"), problem
        assert "one plan per family" in problem["detail"], problem
    with container.engine.connect() as connection:
        per_account = dict(
            connection.execute(
                select(t.subscriptions.c.account_id, func.count()).group_by(
                    t.subscriptions.c.account_id
                )
            ).all()
        )
    assert per_account == dict.fromkeys(accounts, 1)
    # The losers left nothing behind: one event and one recurring item per winner.
    assert _counts(container) == {
        "subscriptions": rounds,
        "subscription_items": rounds,
        "subscription_events": rounds,
    }
