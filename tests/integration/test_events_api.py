"""GET /v1/events and /v1/events/{id} on SQLite and PostgreSQL: newest first, cursor paging,
filters by type and by object, each organization seeing only its own events; and the
subscription history's answers now carry the details that were empty."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.unit.subscription_builders import new_account, seed_catalog

PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}


def _subscriptions(container: Plansmith, tenant: Tenant, clock: TestClock, n: int) -> list[str]:
    org = tenant.organization_id
    seed_catalog(container, org, plans={"seat": PLAN}, add_ons=False)
    subs = []
    for k in range(n):
        account = new_account(container, org, "USD", "UTC", name=f"Customer {k}")
        sub = subscribe(container.uow(), clock, org, SubscribeInput(account, "seat"))
        subs.append(sub.view.subscription.id)
        clock.advance(timedelta(minutes=1))
    return subs


def _get(client: TestClient, tenant: Tenant, url: str, status: int = 200) -> dict[str, Any]:
    response = client.get(url, headers=tenant.headers)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def test_events_list_newest_first_in_pages_and_by_type_and_object(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    subs = _subscriptions(container, tenant, clock, 3)
    actions.cancel_subscription(container.uow(), clock, org, subs[0], "now")

    seen, cursor = [], None
    while True:
        page = _get(client, tenant, "/v1/events?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert len(page["data"]) <= 2 and page["has_more"] == (page["next_cursor"] is not None)
        seen += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [(e["type"], e["object_id"]) for e in seen] == [
        ("subscription.canceled", subs[0]),
        ("subscription.created", subs[2]),
        ("subscription.created", subs[1]),
        ("subscription.created", subs[0]),
    ]
    newest = seen[0]
    assert newest["object"] == "event" and newest["object_type"] == "subscription"
    assert newest["version"] == 1 and newest["created"].startswith("2026-01-31T15:03")
    assert newest["data"]["subscription_id"] == subs[0]
    assert (newest["data"]["from_status"], newest["data"]["to_status"]) == ("active", "canceled")
    assert newest["data"]["terms"]["currency"] == "USD"

    created = _get(client, tenant, "/v1/events?type=subscription.created")["data"]
    assert [e["object_id"] for e in created] == subs[::-1]
    of_first = _get(client, tenant, f"/v1/events?object_id={subs[0]}")["data"]
    assert [e["type"] for e in of_first] == ["subscription.canceled", "subscription.created"]
    both = _get(client, tenant, f"/v1/events?object_id={subs[0]}&type=subscription.created")
    assert [e["id"] for e in both["data"]] == [of_first[1]["id"]]

    one = _get(client, tenant, f"/v1/events/{newest['id']}")
    assert one == newest


def test_events_are_the_organizations_own_and_bad_queries_name_the_field(
    client: TestClient,
    container: Plansmith,
    tenant: Tenant,
    other_tenant: Tenant,
    clock: TestClock,
) -> None:
    (sub_id,) = _subscriptions(container, tenant, clock, 1)
    mine = _get(client, tenant, "/v1/events")["data"]
    assert len(mine) == 1

    assert _get(client, other_tenant, "/v1/events")["data"] == []
    assert _get(client, other_tenant, f"/v1/events?object_id={sub_id}")["data"] == []
    missing = _get(client, other_tenant, f"/v1/events/{mine[0]['id']}", 404)
    assert (missing["code"], missing["field"]) == ("not_found", "event_id")
    wrong = _get(client, tenant, "/v1/events?cursor=not-a-cursor", 422)
    assert (wrong["code"], wrong["field"]) == ("invalid_cursor", "cursor")
    unknown = _get(client, tenant, "/v1/events?type=subscription.exploded", 422)
    assert unknown["field"] == "type"


def test_the_history_of_a_subscription_now_says_what_renewals_and_stops_did(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    (sub_id,) = _subscriptions(container, tenant, clock, 1)
    clock.advance(timedelta(days=30))
    actions.pause_subscription(container.uow(), clock, org, sub_id)

    history = _get(client, tenant, f"/v1/subscriptions/{sub_id}/events")["data"]

    assert [e["kind"] for e in history] == ["subscribed", "renewed", "paused"]
    renewed, paused = history[1]["details"], history[2]["details"]
    assert (renewed["period_start"], renewed["period_end"]) == ("2026-02-28", "2026-03-31")
    assert renewed["terms"]["plan_id"] and renewed["terms"]["quantity"] == 1
    assert paused["terms"] == renewed["terms"] and paused["period_end"] == "2026-03-31"
