"""A usage line read through the API says what it measured: the meter, the exact quantity,
the period's allowance and the billable rest (exact decimals as text), so an operator can
reconcile the line without recomputing it; other lines carry no `usage`."""

from __future__ import annotations

from fastapi.testclient import TestClient

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import (
    D,
    _bill,
    _invoices,
    _monthly_plan,
    _subscribe,
)
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_billing_support import send
from tests.unit.subscription_builders import local_at, new_account, seed_catalog


def test_the_invoice_api_shows_what_a_usage_line_measured(
    container: Plansmith, tenant: Tenant, clock: TestClock, client: TestClient
) -> None:
    tz, org = "Asia/Tokyo", tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), tz, 9))
    new_meter(container, org, "api_call")
    charge = {
        "meter": "api_call",
        "currency": "JPY",
        "included": 100,
        "model": "per_unit",
        "unit_price": "2",
    }
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge])}
    seed_catalog(container, org, plans=plans, add_ons=False)
    acct = new_account(container, org, "JPY", tz)
    clock.set(local_at(D(2026, 3, 1), tz, 9))
    _subscribe(container, org, acct, "basic", 1)
    _bill(container, org)
    clock.set(local_at(D(2026, 3, 15), tz, 12))
    assert set(send(container, org, acct, "api_call", "2026-03-15T12:00:00+09:00", 152)) == {
        "accepted"
    }
    clock.set(local_at(D(2026, 4, 1), tz, 1))
    _bill(container, org)
    march = _invoices(container, org)[1]

    body = client.get(f"/v1/invoices/{march.id}", headers=tenant.headers).json()
    usage = [line for line in body["lines"] if line["kind"] == "usage"]
    assert [line["usage"] for line in usage] == [
        {"meter": "api_call", "quantity": "152", "allowance": 100, "billable_quantity": "52"}
    ]
    assert usage[0]["amount"] == 104
    assert {line["usage"] is None for line in body["lines"] if line["kind"] != "usage"} == {True}
