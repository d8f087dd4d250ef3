"""The usage of a period stopped in its middle (ADR 0034), on SQLite and PostgreSQL, under the
test clock in Asia/Tokyo, JPY: billed once, after the stop and the grace window, on an
invoice of its own. A cancel at the term end, which the rule leaves alone, is checked as it
is."""

from __future__ import annotations

from fractions import Fraction

from plansmith.adapters.clock import TestClock
from plansmith.application.subscriptions.actions import cancel_subscription
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
from tests.integration.usage_billing_support import other_lines, send, usage_lines
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

F = Fraction


def test_usage_before_an_immediate_cancel_is_billed_once_after_the_stop_and_the_grace(
    container: Plansmith, tenant: Tenant, clock: TestClock
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
    sub_id = _subscribe(container, org, acct, "basic", 1)
    _bill(container, org)
    clock.set(local_at(D(2026, 3, 10), tz, 9))
    assert set(send(container, org, acct, "api_call", "2026-03-10T09:00:00+09:00", 150)) == {
        "accepted"
    }
    clock.set(local_at(D(2026, 3, 16), tz, 12))
    cancel_subscription(container.uow(), container.clock, org, sub_id, "now")

    # Within the grace: an event dated before the stop counts, one dated after it is refused.
    clock.set(local_at(D(2026, 3, 16), tz, 12, 30))
    assert send(container, org, acct, "api_call", "2026-03-16T11:00:00+09:00") == ["accepted"]
    assert send(container, org, acct, "api_call", "2026-03-16T12:01:00+09:00") == ["period_closed"]
    # The run bills the stop's credit for the rest of March now; the usage waits for the grace.
    _bill(container, org)
    assert all(usage_lines(i) == [] for i in _invoices(container, org))
    before = len(_invoices(container, org))

    clock.set(local_at(D(2026, 3, 16), tz, 13))  # the stop + the 1 hour grace
    _bill(container, org)
    _rerun_creates_nothing(container, org)
    invoices = _invoices(container, org)
    assert len(invoices) == before + 1
    # 151 calls; the allowance 100 x 15 days held / 31 = 48.39 -> 48; 103 past it at JPY 2.
    stopped = (D(2026, 3, 1), D(2026, 3, 17))
    assert usage_lines(invoices[-1]) == [
        ("usage", "Usage: api_call", 1, 206, 206, *stopped, "api_call", F(151), 48, F(103))
    ]


def test_a_cancel_at_the_term_end_in_tokyo_still_bills_the_whole_period_on_the_final_invoice(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    """Not a stopped period: the subscription is served to its end, whose final invoice
    bills the whole period's usage with the full allowance (ADR 0029), once."""
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
    sub_id = _subscribe(container, org, acct, "basic", 1)
    _bill(container, org)
    clock.set(local_at(D(2026, 3, 10), tz, 9))
    send(container, org, acct, "api_call", "2026-03-10T09:00:00+09:00", 130)
    clock.set(local_at(D(2026, 3, 16), tz, 12))
    cancel_subscription(container.uow(), container.clock, org, sub_id, "term_end")
    clock.set(local_at(D(2026, 4, 1), tz, 0, 59))
    _bill(container, org)
    assert len(_invoices(container, org)) == 1  # the end waits for the grace
    clock.set(local_at(D(2026, 4, 1), tz, 1))
    _bill(container, org)
    _rerun_creates_nothing(container, org)
    invoices = _invoices(container, org)
    assert len(invoices) == 2
    march = (D(2026, 3, 1), D(2026, 4, 1))
    # 130 calls, the full 100 included, 30 past it at JPY 2.
    assert usage_lines(invoices[1]) == [
        ("usage", "Usage: api_call", 1, 60, 60, *march, "api_call", F(130), 100, F(30))
    ]
    assert other_lines(invoices[1]) == []
