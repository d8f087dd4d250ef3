"""An account's use of a meter is billed once: with two subscriptions whose plans both charge
the meter, the one taken out first bills all of it and the other bills no line for it (on
SQLite and PostgreSQL, under the test clock, Tokyo account)."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

from plansmith.adapters.clock import TestClock
from plansmith.application.catalog import plan_families
from plansmith.application.catalog import plans as cat
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import (
    D,
    _bill,
    _invoices,
    _monthly_plan,
    _rerun_creates_nothing,
    _subscribe,
)
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_billing_support import send, usage_lines
from tests.integration.usage_packs_support import TZ, charge
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

MARCH = (D(2026, 3, 1), D(2026, 4, 1))


def test_two_subscriptions_charging_one_meter_bill_its_usage_once_on_the_older(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(container, org, "api_call")
    basic = _monthly_plan({"JPY": 1000}, charges=[charge("api_call", 10, "soft", "2")])
    seed_catalog(container, org, plans={"basic": basic}, add_ons=False)
    plan_families.create_family(
        container.uow(), clock, org, plan_families.FamilyInput("support", "Support plans")
    )
    support = _monthly_plan({"JPY": 500}, charges=[charge("api_call", 5, "soft", "3")])
    cat.create_plan(
        container.uow(),
        clock,
        org,
        cat.PlanInput("support", "Support", "support", rank=0, terms=support, publish=True),
    )
    acct = new_account(container, org, "JPY", TZ)
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    first = _subscribe(container, org, acct, "basic", 1)
    clock.advance(timedelta(minutes=1))
    second = _subscribe(container, org, acct, "support", 1)
    _bill(container, org)
    clock.set(local_at(D(2026, 3, 15), TZ, 9))
    at = "2026-03-15T09:00:00+09:00"
    assert send(container, org, acct, "api_call", at, 30) == ["accepted"] * 30
    clock.set(local_at(D(2026, 4, 1), TZ, 1))
    _bill(container, org)
    _rerun_creates_nothing(container, org)
    lines = {i.subscription_id: usage_lines(i) for i in _invoices(container, org) if usage_lines(i)}
    # The older subscription bills the 30 calls past its 10 included at JPY 2: JPY 40; the
    # newer one bills no usage line (it would have billed 25 at JPY 3 again).
    assert lines == {
        first: [
            (
                "usage",
                "Usage: api_call",
                1,
                40,
                40,
                *MARCH,
                "api_call",
                Fraction(30),
                10,
                Fraction(20),
            )
        ]
    }
    assert second not in lines
