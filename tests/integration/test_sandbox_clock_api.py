"""/v1/test_clock on SQLite and PostgreSQL: a sandbox's use cases run at its frozen instant
(through the API and the console), advancing bills on the way, a live organization is
refused, a bad instant is named `to`.

The wall clock (a TestClock) starts at 2026-01-31 15:00 UTC; the sandbox is made then, so its
test clock starts there too. The default grace period of 60 minutes applies.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.billing.test_clocks import organization_clock
from plansmith.application.organizations.api_keys import create_api_key
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import START, Tenant
from tests.integration.invoice_pages import catalog, csrf, open_customer, sign_in_console
from tests.integration.route_calls import _dump
from tests.unit.subscription_builders import new_account, seed_catalog

PROBLEM = "application/problem+json"
BASIC = {
    "pricing": "per_seat",
    "prices": [{"currency": "JPY", "cycle": "month", "amount": 1490}],
}


@pytest.fixture
def sandbox(container: Plansmith) -> Tenant:
    org = create_organization(container.uow(), container.clock, "Acme Sandbox", sandbox=True)
    issued = create_api_key(container.uow(), container.clock, org.id, "test")
    seed_catalog(container, org.id, plans={"basic": BASIC}, add_ons=False)
    return Tenant(org.id, issued.secret)


def test_a_sandbox_runs_at_its_instant_and_advancing_bills_on_the_way(
    client: TestClient, container: Plansmith, sandbox: Tenant, clock: TestClock
) -> None:
    account = new_account(container, sandbox.organization_id, "JPY", "UTC")
    clock.advance(timedelta(days=10))  # the wall clock moves on; the sandbox's does not
    h = sandbox.headers

    created = client.post(
        "/v1/subscriptions", json={"account_id": account, "plan": "basic", "quantity": 3}, headers=h
    )
    first = client.post(
        "/v1/test_clock/advance",
        json={"to": "2026-03-15T21:00:00+09:00"},  # 12:00 UTC
        headers={**h, "Idempotency-Key": "adv-1"},
    )
    runs_after_first = len(client.get("/v1/billing_runs", headers=h).json()["data"])
    replayed = client.post(
        "/v1/test_clock/advance",
        json={"to": "2026-03-15T21:00:00+09:00"},
        headers={**h, "Idempotency-Key": "adv-1"},
    )
    shown = client.get("/v1/test_clock", headers=h)
    changed = client.post(
        f"/v1/subscriptions/{created.json()['id']}/changes",
        json={"quantity": 5, "when": "now"},
        headers=h,
    )
    invoices = client.get("/v1/invoices", headers=h).json()["data"]

    assert created.status_code == 201, created.text
    # Stamped at the sandbox's instant, not the wall clock's Feb 10.
    assert created.json()["created_at"] == "2026-01-31T15:00:00Z"
    assert created.json()["current_period"]["start"] == "2026-01-31"
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["previous"], body["frozen_at"]) == ("2026-01-31T15:00:00Z", "2026-03-15T12:00:00Z")
    # Jan 31 drafted then finalized at 16:00; Feb 28 renewed, drafted, finalized at 01:00.
    assert (body["renewed"], body["invoiced"], body["finalized"], body["errors"]) == (1, 2, 2, [])
    assert [s["at"] for s in body["steps"]] == [
        "2026-01-31T15:00:00Z",
        "2026-01-31T16:00:00Z",
        "2026-02-28T00:00:00Z",
        "2026-02-28T01:00:00Z",
        "2026-03-15T12:00:00Z",
    ]
    assert replayed.json() == body
    assert len(client.get("/v1/billing_runs", headers=h).json()["data"]) == runs_after_first
    assert shown.json() == {
        "object": "test_clock",
        "organization_id": sandbox.organization_id,
        "sandbox": True,
        "frozen_at": "2026-03-15T12:00:00Z",
        "now": "2026-03-15T12:00:00Z",
    }
    assert changed.status_code == 200, changed.text
    assert {e["at"] for e in changed.json()["events"]} == {"2026-03-15T12:00:00Z"}
    assert sorted((i["number"], i["created_at"], i["finalized_at"]) for i in invoices) == [
        ("INV-000001", "2026-01-31T15:00:00Z", "2026-01-31T16:00:00Z"),
        ("INV-000002", "2026-02-28T00:00:00Z", "2026-02-28T01:00:00Z"),
    ]


def test_a_billing_run_of_a_sandbox_is_as_of_its_instant(
    client: TestClient, sandbox: Tenant, clock: TestClock
) -> None:
    clock.advance(timedelta(days=400))

    run = client.post("/v1/billing_runs", headers=sandbox.headers)

    assert run.status_code == 201, run.text
    assert run.json()["as_of"] == "2026-01-31T15:00:00Z"


def test_a_live_organization_shows_the_wall_clock_and_is_refused_with_nothing_changed(
    client: TestClient, container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    clock.advance(timedelta(days=3))
    before = _dump(container)

    shown = client.get("/v1/test_clock", headers=tenant.headers)
    refused = client.post(
        "/v1/test_clock/advance", json={"to": "2026-06-01T00:00:00Z"}, headers=tenant.headers
    )

    assert shown.json() == {
        "object": "test_clock",
        "organization_id": tenant.organization_id,
        "sandbox": False,
        "frozen_at": None,
        "now": "2026-02-03T15:00:00Z",
    }
    assert refused.status_code == 409
    assert refused.headers["content-type"] == PROBLEM
    problem = refused.json()
    assert (problem["code"], problem["field"]) == ("not_sandbox", "organization_id")
    assert _dump(container) == before


@pytest.mark.parametrize(
    ("to", "code", "says"),
    [
        ("2026-01-31T14:59:59Z", "invalid_value", "only moves forward"),
        ("2026-06-01T00:00:00", "invalid_value", "UTC offset"),
        ("2031-01-31T15:00:01Z", "invalid_value", "at most 5 years"),
        ("soon", "invalid_value", "datetime"),
    ],
    ids=["backwards", "naive", "over-5-years", "not-an-instant"],
)
def test_a_refused_instant_is_a_422_naming_to_with_nothing_changed(
    client: TestClient, container: Plansmith, sandbox: Tenant, to: str, code: str, says: str
) -> None:
    before = _dump(container)

    refused = client.post("/v1/test_clock/advance", json={"to": to}, headers=sandbox.headers)

    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM
    problem = refused.json()
    assert (problem["code"], problem["field"]) == (code, "to")
    assert says in problem["detail"]
    assert _dump(container) == before


def test_the_consoles_run_now_bills_a_sandbox_as_of_its_instant(
    client: TestClient, container: Plansmith, sandbox: Tenant, clock: TestClock
) -> None:
    org = sandbox.organization_id
    catalog(container, org)
    account = open_customer(container, org)
    sandbox_clock = organization_clock(container.uow(), container.clock, org)
    subscribe(container.uow(), sandbox_clock, org, SubscribeInput(account.id, "chat-team"))
    clock.advance(timedelta(days=10))  # sessions run on the wall clock, billing does not
    sign_in_console(client, container, sandbox)

    ran = client.post(
        "/console/billing-runs",
        data={"csrf_token": csrf(client.get("/console/billing-runs"))},
        follow_redirects=False,
    )

    assert ran.status_code == 303
    with container.engine.connect() as connection:
        as_of = connection.execute(select(t.billing_runs.c.as_of)).scalar_one()
        created = connection.execute(select(t.invoices.c.created_at)).scalar_one()
    assert as_of.astimezone(UTC) == created.astimezone(UTC) == START
