"""The /v1 subscriptions API on SQLite and PostgreSQL: lists, an account's plans per family,
notices, the renewal step, and concurrent subscribes under uvicorn.

Every account here bills in JPY in Asia/Tokyo. The clock starts at 2026-01-31 15:00 UTC, which is
2026-02-01 00:00 in Tokyo, so a monthly subscription's first period is [Feb 1, Mar 1): 28 days.
Ten days later it is Feb 11 in Tokyo, and [Feb 11, Mar 1) is 18 of those 28 days."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant
from tests.integration.subscriptions_api_support import (
    PROBLEM,
    TEN_DAYS,
    _account,
    _assert_problem,
    _catalog,
    _counts,
    _ok,
    _post,
    _subscribe,
)
from tests.live_server import serving

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
        per_account: dict[str, int] = dict(
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
