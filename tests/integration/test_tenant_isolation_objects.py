"""Organizations sharing a deployment never see or touch each other's objects: lists,
subscriptions, portal sessions, addresses, invoices, coupons and billing runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.route_calls import (
    COUPON,
    PLAN,
    PROBLEM,
    _created,
    _dump,
    _objects,
)


def _assert_not_found(response: Any, what: str) -> None:
    assert response.status_code == 404, f"{what}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == PROBLEM, what
    body = response.json()
    assert (body["status"], body["code"]) == (404, "not_found"), what


def test_list_never_shows_another_organizations_accounts(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    mine = _objects(client, tenant)

    listed = client.get("/v1/accounts", headers=tenant.headers)
    by_name = client.get("/v1/accounts", params={"search": "bravo"}, headers=tenant.headers)
    by_id = client.get(
        "/v1/accounts", params={"search": theirs["account_id"]}, headers=tenant.headers
    )

    # Made at the same instant, they are listed by id.
    mine_only = sorted([mine["account_id"], mine["second_account_id"], mine["paying_account_id"]])
    assert [a["id"] for a in listed.json()["data"]] == mine_only
    assert [a["id"] for a in by_name.json()["data"]] == mine_only
    assert by_id.json()["data"] == []


def test_subscription_list_never_shows_another_organizations_subscriptions(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    mine = _objects(client, tenant)

    listed = client.get("/v1/subscriptions", headers=tenant.headers)
    by_their_account = client.get(
        "/v1/subscriptions", params={"account_id": theirs["account_id"]}, headers=tenant.headers
    )

    mine_only = sorted(
        [mine["subscription_id"], mine["second_subscription_id"], mine["paying_subscription_id"]]
    )
    assert [s["id"] for s in listed.json()["data"]] == mine_only
    assert by_their_account.json()["data"] == []


def test_subscribing_another_organizations_account_is_404_and_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    _objects(client, tenant)
    before = _dump(container)

    response = client.post(
        "/v1/subscriptions",
        json={"account_id": theirs["account_id"], "plan": PLAN["code"]},
        headers=tenant.headers,
    )

    _assert_not_found(response, "subscribing another organization's account")
    assert response.json()["field"] == "account_id"
    assert _dump(container) == before


def test_portal_session_for_another_organizations_account_is_404(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)

    response = client.post(
        "/v1/portal_sessions", json={"account_id": theirs["account_id"]}, headers=tenant.headers
    )

    _assert_not_found(response, "portal session")
    assert response.json()["field"] == "account_id"


def test_default_address_from_another_organization_is_404_and_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    mine = _objects(client, tenant)
    before = _dump(container)

    response = client.patch(
        f"/v1/accounts/{mine['account_id']}",
        json={"default_invoice_address_id": theirs["address_id"]},
        headers=tenant.headers,
    )

    _assert_not_found(response, "default address of another organization")
    assert _dump(container) == before


def test_invoice_list_never_shows_another_organizations_invoices(
    client: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    mine = _objects(client, tenant)

    listed = client.get("/v1/invoices", headers=tenant.headers)
    by_their_account = client.get(
        "/v1/invoices", params={"account_id": theirs["account_id"]}, headers=tenant.headers
    )

    mine_only = sorted([mine["invoice_id"], mine["second_invoice_id"], mine["payable_invoice_id"]])
    assert [i["id"] for i in listed.json()["data"]] == mine_only
    assert by_their_account.json()["data"] == []


def test_redeeming_another_organizations_coupon_is_404_and_changes_nothing(
    client: TestClient, container: Plansmith, tenant: Tenant, other_tenant: Tenant
) -> None:
    _objects(client, other_tenant)
    mine = _objects(client, tenant)
    theirs_only = {**COUPON, "code": "theirs-only"}
    _created(client, other_tenant, "/v1/coupons", theirs_only)
    before = _dump(container)

    response = client.post(
        f"/v1/subscriptions/{mine['subscription_id']}/coupons",
        json={"code": "theirs-only"},
        headers=tenant.headers,
    )

    _assert_not_found(response, "redeeming another organization's coupon")
    assert response.json()["field"] == "code"
    assert _dump(container) == before


def test_a_billing_run_finalizes_only_its_own_organizations_invoices(
    client: TestClient, clock: TestClock, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = _objects(client, other_tenant)
    mine = _objects(client, tenant)
    clock.advance(timedelta(minutes=60))  # both organizations' drafts are past their grace

    run = client.post("/v1/billing_runs", headers=tenant.headers)

    assert (run.status_code, run.json()["finalized"]) == (201, 2)
    statuses = {
        who: [
            client.get(f"/v1/invoices/{ids[key]}", headers=tenant_.headers).json()["status"]
            for key in ("invoice_id", "second_invoice_id")
        ]
        for who, ids, tenant_ in (("mine", mine, tenant), ("theirs", theirs, other_tenant))
    }
    assert statuses == {"mine": ["open", "open"], "theirs": ["draft", "draft"]}
    runs = client.get("/v1/billing_runs", headers=other_tenant.headers).json()["data"]
    assert len(runs) == 1  # theirs, made by _objects(); not mine
