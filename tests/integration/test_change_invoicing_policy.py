"""A family's ``change_invoicing`` policy through the API, on both databases: ``next_invoice``
(the default: a change's items wait for the next invoice) or ``immediately`` (an invoice of
their own, finalized at once and collected like any other), like Stripe's proration_behavior.

JPY in Tokyo: Lite × 3 (8,970 a month) from Feb 1; ten days later (18 of 28 days left) the
upgrade to Pro × 4 credits 5,766 and charges 12,831 (see test_subscriptions_api_changes)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.payments.collection_run import run_collection
from plansmith.application.payments.methods import add_card
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.ledger_invariants import assert_ledger_invariants
from tests.integration.subscriptions_api_support import (
    PLANS,
    TEN_DAYS,
    _account,
    _assert_problem,
    _ok,
    _post,
    _subscribe,
)

UPGRADE = {"plan": "pro", "quantity": 4}


def _catalog(client: TestClient, tenant: Tenant, policy: dict[str, Any] | None) -> None:
    body: dict[str, Any] = {"code": "service", "name": "Service plans"}
    if policy is not None:
        body["policy"] = policy
    _ok(client.post("/v1/plan_families", json=body, headers=tenant.headers), 201)
    for plan in PLANS[:2]:
        _ok(client.post("/v1/plans", json={**plan, "publish": True}, headers=tenant.headers), 201)


def _invoices(container: Plansmith) -> list[tuple[Any, ...]]:
    i = t.invoices.c
    with container.engine.connect() as connection:
        rows = connection.execute(
            select(i.id, i.billing_key, i.status, i.number, i.total, i.amount_due).order_by(i.id)
        ).all()
        lines = connection.execute(
            select(t.invoice_lines.c.invoice_id, t.invoice_lines.c.amount).order_by(
                t.invoice_lines.c.position
            )
        ).all()
    return [(*tuple(r)[1:], [a for invoice_id, a in lines if invoice_id == r.id]) for r in rows]


def _pending(container: Plansmith, sub_id: str) -> list[int]:
    it = t.subscription_items.c
    with container.engine.connect() as connection:
        query = select(it.amount).where(it.subscription_id == sub_id, it.invoice_id.is_(None))
        return sorted(int(a) for a in connection.execute(query).scalars())


def test_the_default_policy_leaves_a_change_for_the_next_invoice(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant, None)
    sub = _subscribe(client, tenant, _account(client, tenant))
    clock.advance(TEN_DAYS)

    result = _ok(_post(client, tenant, sub["id"], "changes", UPGRADE))

    families = _ok(client.get("/v1/plan_families", headers=tenant.headers))["data"]
    assert families[0]["policy"]["change_invoicing"] == "next_invoice"
    assert [i["amount"] for i in result["items"]] == [-5766, 12831]
    assert result["next_invoice"]["total"] == 35995  # 8,970 - 5,766 + 12,831 + 19,960
    assert _invoices(container) == []
    assert _pending(container, sub["id"]) == [-5766, 8970, 12831]


def test_immediately_invoices_the_change_at_once_and_the_collection_run_charges_it(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant, {"change_invoicing": "immediately"})
    account_id = _account(client, tenant)
    sub = _subscribe(client, tenant, account_id)
    org = tenant.organization_id
    gateway = container.gateway_for(org)
    add_card(container.uow(), gateway, clock, org, account_id, source="tok_sandbox_success")
    clock.advance(TEN_DAYS)

    result = _ok(_post(client, tenant, sub["id"], "changes", UPGRADE))
    invoiced = _invoices(container)
    run = run_collection(container.uow(), container.gateway_for, clock, org)

    families = _ok(client.get("/v1/plan_families", headers=tenant.headers))["data"]
    assert families[0]["policy"]["change_invoicing"] == "immediately"
    assert [i["amount"] for i in result["items"]] == [-5766, 12831]
    # The next invoice keeps February's Lite and adds March's Pro × 4: 8,970 + 19,960.
    assert [i["amount"] for i in result["next_invoice"]["items"]] == [8970, 19960]
    assert result["next_invoice"]["total"] == 28930
    assert invoiced == [("change:2", "open", "INV-000001", 7065, 7065, [-5766, 12831])]
    # February's Lite was never invoiced (no billing run yet): it waits for the run.
    assert _pending(container, sub["id"]) == [8970]
    assert (run.attempted, run.succeeded) == (1, 1)
    assert _invoices(container) == [("change:2", "paid", "INV-000001", 7065, 0, [-5766, 12831])]
    assert_ledger_invariants(container.engine)


def test_a_scheduled_change_makes_no_invoice_even_when_immediately(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant, {"change_invoicing": "immediately"})
    sub = _subscribe(client, tenant, _account(client, tenant), plan="pro", quantity=4)
    clock.advance(TEN_DAYS)

    result = _ok(_post(client, tenant, sub["id"], "changes", {"quantity": 3}))

    assert [e["kind"] for e in result["events"]] == ["change_scheduled"]
    assert _invoices(container) == []


def test_a_family_policy_takes_only_the_two_invoicing_words(
    client: TestClient, tenant: Tenant
) -> None:
    body = {"code": "service", "name": "Service plans", "policy": {"change_invoicing": "later"}}

    response = client.post("/v1/plan_families", json=body, headers=tenant.headers)

    problem = _assert_problem(response, 422, "invalid_value", "policy.change_invoicing")
    assert problem["detail"] == "use next_invoice or immediately"


def test_patching_the_policy_switches_a_family_to_immediately(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    _catalog(client, tenant, None)
    sub = _subscribe(client, tenant, _account(client, tenant))
    [family] = _ok(client.get("/v1/plan_families", headers=tenant.headers))["data"]
    clock.advance(TEN_DAYS)

    patched = _ok(
        client.patch(
            f"/v1/plan_families/{family['id']}",
            json={"policy": {"change_invoicing": "immediately"}},
            headers=tenant.headers,
        )
    )
    _ok(_post(client, tenant, sub["id"], "changes", UPGRADE))

    assert patched["policy"] == {**family["policy"], "change_invoicing": "immediately"}
    assert _invoices(container) == [("change:2", "open", "INV-000001", 7065, 7065, [-5766, 12831])]
