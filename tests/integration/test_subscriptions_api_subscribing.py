"""The /v1 subscriptions API on SQLite and PostgreSQL: subscribing, and refused
requests that change nothing.

Every account here bills in JPY in Asia/Tokyo. The clock starts at 2026-01-31 15:00 UTC, which is
2026-02-01 00:00 in Tokyo, so a monthly subscription's first period is [Feb 1, Mar 1): 28 days.
Ten days later it is Feb 11 in Tokyo, and [Feb 11, Mar 1) is 18 of those 28 days."""

from __future__ import annotations

from typing import Any

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
