"""Shared by the stopped-period usage scenarios (ADR 0034, test_usage_stopped_*.py): Asia/Tokyo,
JPY, a monthly plan at JPY 1,000 charging api_call at JPY 2 past 100 included, taken out on
1 March 2026 and its first invoice made; 150 calls dated 10 March."""

from __future__ import annotations

from dataclasses import dataclass

from plansmith.adapters.clock import TestClock
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _bill, _monthly_plan, _subscribe
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_billing_support import send
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

TZ = "Asia/Tokyo"
CHARGE = {"meter": "api_call", "currency": "JPY", "included": 100, "model": "per_unit"}


@dataclass(frozen=True)
class Setup:
    org: str
    account: str
    subscription: str


def catalog(app: Plansmith, org: str) -> None:
    new_meter(app, org, "api_call")
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[{**CHARGE, "unit_price": "2"}])}
    seed_catalog(app, org, plans=plans, add_ons=False)


def march_with_150_calls(app: Plansmith, tenant: Tenant, clock: TestClock) -> Setup:
    org = tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    catalog(app, org)
    acct = new_account(app, org, "JPY", TZ)
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    sub_id = _subscribe(app, org, acct, "basic", 1)
    _bill(app, org)
    clock.set(local_at(D(2026, 3, 10), TZ, 9))
    assert set(send(app, org, acct, "api_call", "2026-03-10T09:00:00+09:00", 150)) == {"accepted"}
    return Setup(org, acct, sub_id)
