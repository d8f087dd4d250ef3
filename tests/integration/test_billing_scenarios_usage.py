"""Usage lines at period end through the billing run, on SQLite and PostgreSQL, under the test
clock: one line per plan, meter and period, in arrears, on the invoice cut once the period's
end + the grace window for late events has passed (default 1 hour), with the renewal of the
next period in advance. Every usage line asserted, figures by hand.

Usage line rows: (kind, description, quantity, unit amount, amount, period start, period end,
meter, measured quantity, allowance, billable quantity)."""

from __future__ import annotations

from fractions import Fraction

from plansmith.adapters.clock import TestClock
from plansmith.application.subscriptions.actions import advance_due, cancel_subscription
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import (
    D,
    _bill,
    _change,
    _invoices,
    _made,
    _monthly_plan,
    _rerun_creates_nothing,
    _subscribe,
)
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_billing_support import other_lines, send, usage_lines
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

F = Fraction


def _per_unit(meter: str, currency: str, price: str, included: int) -> dict[str, object]:
    return {
        "meter": meter,
        "currency": currency,
        "included": included,
        "model": "per_unit",
        "unit_price": price,
    }


def test_per_unit_usage_in_tokyo_is_billed_in_arrears_once_the_grace_has_passed(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "Asia/Tokyo", tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), tz, 9))
    new_meter(container, org, "api_call")
    charge = _per_unit("api_call", "JPY", "2", 100)  # JPY 2 a call past 100 a month
    seed_catalog(
        container,
        org,
        plans={"basic": _monthly_plan({"JPY": 1000}, charges=[charge])},
        add_ons=False,
    )
    acct = new_account(container, org, "JPY", tz)
    clock.set(local_at(D(2026, 3, 1), tz, 9))
    _subscribe(container, org, acct, "basic", 1)
    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)

    clock.set(local_at(D(2026, 3, 15), tz, 12))
    assert set(send(container, org, acct, "api_call", "2026-03-15T12:00:00+09:00", 150)) == {
        "accepted"
    }
    # At the period's end the usage is not closed: the renewal waits for the grace window.
    clock.set(local_at(D(2026, 4, 1), tz, 0, 30))
    assert _made(_bill(container, org)) == (0, 0, 0, 0, 0)
    # A late event inside the grace window counts in March: its last second; the first
    # second of April counts in April.
    assert send(container, org, acct, "api_call", "2026-03-31T23:59:59+09:00") == ["accepted"]
    assert send(container, org, acct, "api_call", "2026-04-01T00:00:00+09:00") == ["accepted"]
    assert send(container, org, acct, "api_call", "2026-03-31T14:59:59Z") == ["accepted"]
    assert send(container, org, acct, "api_call", "2026-03-31T15:00:00Z") == ["accepted"]
    # At the end + 1 hour exactly March is closed: a late event is refused, never billed.
    clock.set(local_at(D(2026, 4, 1), tz, 1))
    assert send(container, org, acct, "api_call", "2026-03-31T23:00:00+09:00") == ["period_closed"]
    assert _made(_bill(container, org)) == (1, 1, 1, 0, 0)
    _rerun_creates_nothing(container, org)

    # April: 59 more calls (61 with the two of its first second): 39 of the allowance expire.
    clock.set(local_at(D(2026, 4, 20), tz, 12))
    send(container, org, acct, "api_call", "2026-04-20T12:00:00+09:00", 59)
    # May: 130 calls, 30 past its own allowance (nothing left from April counts).
    clock.set(local_at(D(2026, 5, 2), tz, 12))
    assert _made(_bill(container, org)) == (1, 1, 1, 0, 0)
    send(container, org, acct, "api_call", "2026-05-10T12:00:00+09:00", 130)
    clock.set(local_at(D(2026, 6, 1), tz, 1))
    assert _made(_bill(container, org)) == (1, 1, 1, 0, 0)
    _rerun_creates_nothing(container, org)

    invoices = _invoices(container, org)
    assert len(invoices) == 4
    march, april, may = (
        (D(2026, 3, 1), D(2026, 4, 1)),
        (D(2026, 4, 1), D(2026, 5, 1)),
        (D(2026, 5, 1), D(2026, 6, 1)),
    )
    assert usage_lines(invoices[0]) == []
    # March: 150 + the last second's 2 = 152 calls, 52 past 100, JPY 2 each = 104.
    assert usage_lines(invoices[1]) == [
        ("usage", "Usage: api_call", 1, 104, 104, *march, "api_call", F(152), 100, F(52))
    ]
    assert other_lines(invoices[1]) == [("recurring", 1000, *april)]
    assert invoices[1].totals.total == 1104
    assert usage_lines(invoices[2]) == [
        ("usage", "Usage: api_call", 1, 0, 0, *april, "api_call", F(61), 100, F(0))
    ]
    assert usage_lines(invoices[3]) == [
        ("usage", "Usage: api_call", 1, 60, 60, *may, "api_call", F(130), 100, F(30))
    ]
    assert other_lines(invoices[3]) == [("recurring", 1000, D(2026, 6, 1), D(2026, 7, 1))]


def test_graduated_usage_in_kwd_rounds_the_line_once(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), tz, 9))
    new_meter(container, org, "transfer")
    # KWD 0.0015 a transfer to 100, 0.0005 above: 1.5 and 0.5 fils.
    charge = {
        "meter": "transfer",
        "currency": "KWD",
        "model": "graduated",
        "tiers": [
            {"up_to": "100", "unit_price": "0.0015"},
            {"up_to": None, "unit_price": "0.0005", "flat_fee": "0.100"},
        ],
    }
    plans = {"flow": _monthly_plan({"KWD": 5000}, charges=[charge])}
    seed_catalog(container, org, plans=plans, add_ons=False)
    acct = new_account(container, org, "KWD", tz)
    clock.set(local_at(D(2026, 3, 1), tz, 9))
    _subscribe(container, org, acct, "flow", 1)
    _bill(container, org)
    clock.set(local_at(D(2026, 3, 10), tz, 9))
    send(container, org, acct, "transfer", "2026-03-10T09:00:00Z", 251)
    clock.set(local_at(D(2026, 4, 1), tz, 1))
    assert _made(_bill(container, org)) == (1, 1, 1, 0, 0)
    _rerun_creates_nothing(container, org)
    # 100 x 1.5 = 150 fils; 151 x 0.5 = 75.5 fils + the tier's fee of 100 fils: 325.5 exact,
    # rounded once: 326 fils.
    renewal = _invoices(container, org)[1]
    march = (D(2026, 3, 1), D(2026, 4, 1))
    assert usage_lines(renewal) == [
        ("usage", "Usage: transfer", 1, 326, 326, *march, "transfer", F(251), 0, F(251))
    ]
    assert renewal.totals.total == 5326


def test_an_upgrade_mid_period_prorates_the_allowance_and_pro_rates_the_overage(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), tz, 9))
    new_meter(container, org, "tokens", "sum", property="amount")
    plans = {
        "basic": _monthly_plan({"USD": 1000}, charges=[_per_unit("tokens", "USD", "0.01", 1000)]),
        "pro": _monthly_plan({"USD": 4000}, charges=[_per_unit("tokens", "USD", "0.005", 4000)]),
    }
    seed_catalog(container, org, plans=plans, add_ons=False)
    acct = new_account(container, org, "USD", tz)
    clock.set(local_at(D(2026, 3, 1), tz, 9))
    sub_id = _subscribe(container, org, acct, "basic", 1)
    _bill(container, org)
    clock.set(local_at(D(2026, 3, 5), tz, 9))
    send(container, org, acct, "tokens", "2026-03-05T09:00:00Z", amount=2000)
    clock.set(local_at(D(2026, 3, 11), tz, 9))
    _change(container, org, sub_id, plan="pro")  # an upgrade: now
    clock.set(local_at(D(2026, 3, 20), tz, 9))
    assert send(container, org, acct, "tokens", "2026-03-20T09:00:00Z", amount=1500.5) == [
        "accepted"
    ]
    clock.set(local_at(D(2026, 4, 1), tz, 1))
    assert _made(_bill(container, org)) == (1, 1, 1, 0, 0)
    _rerun_creates_nothing(container, org)
    # Basic 10 days, pro 21 of March's 31: 1000 x 10/31 + 4000 x 21/31 = 94000/31 = 3032.26,
    # rounded once: 3032. 2000 before the change count against it: 3500.5 - 3032 = 468.5
    # billable at pro's 0.5 cent = 234.25 cents: USD 2.34.
    renewal = _invoices(container, org)[1]
    march = (D(2026, 3, 1), D(2026, 4, 1))
    assert usage_lines(renewal) == [
        ("usage", "Usage: tokens", 1, 234, 234, *march, "tokens", F(7001, 2), 3032, F(937, 2))
    ]


def test_a_cancel_at_the_term_end_bills_the_last_period_usage_on_the_final_invoice(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), tz, 9))
    new_meter(container, org, "api_call")
    plans = {
        "basic": _monthly_plan({"USD": 1000}, charges=[_per_unit("api_call", "USD", "0.1", 5)])
    }
    seed_catalog(container, org, plans=plans, add_ons=False)
    acct = new_account(container, org, "USD", tz)
    clock.set(local_at(D(2026, 3, 1), tz, 9))
    sub_id = _subscribe(container, org, acct, "basic", 1)
    _bill(container, org)
    clock.set(local_at(D(2026, 3, 10), tz, 9))
    send(container, org, acct, "api_call", "2026-03-10T09:00:00Z", 8)
    cancel_subscription(container.uow(), container.clock, org, sub_id, "term_end")
    clock.set(local_at(D(2026, 4, 1), tz, 0, 59))
    assert _made(_bill(container, org)) == (0, 0, 0, 0, 0)
    clock.set(local_at(D(2026, 4, 1), tz, 1))
    assert _made(_bill(container, org))[1:3] == (1, 1)
    _rerun_creates_nothing(container, org)
    final = _invoices(container, org)[1]
    march = (D(2026, 3, 1), D(2026, 4, 1))
    # 3 past the 5 included at 10 cents.
    assert usage_lines(final) == [
        ("usage", "Usage: api_call", 1, 30, 30, *march, "api_call", F(8), 5, F(3))
    ]
    assert other_lines(final) == []


def test_the_renewal_job_waits_for_the_grace_too_and_its_usage_item_is_invoiced_once(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), tz, 9))
    new_meter(container, org, "api_call")
    plans = {
        "basic": _monthly_plan({"USD": 1000}, charges=[_per_unit("api_call", "USD", "0.1", 5)])
    }
    seed_catalog(container, org, plans=plans, add_ons=False)
    acct = new_account(container, org, "USD", tz)
    clock.set(local_at(D(2026, 3, 1), tz, 9))
    _subscribe(container, org, acct, "basic", 1)
    _bill(container, org)
    clock.set(local_at(D(2026, 3, 10), tz, 9))
    send(container, org, acct, "api_call", "2026-03-10T09:00:00Z", 7)
    clock.set(local_at(D(2026, 4, 1), tz, 0, 30))
    assert advance_due(container.uow(), container.clock, org).renewed == 0
    clock.set(local_at(D(2026, 4, 1), tz, 1))
    assert advance_due(container.uow(), container.clock, org).renewed == 1
    assert _made(_bill(container, org))[1:3] == (1, 1)
    _rerun_creates_nothing(container, org)
    assert advance_due(container.uow(), container.clock, org).renewed == 0
    renewal = _invoices(container, org)[1]
    march = (D(2026, 3, 1), D(2026, 4, 1))
    assert usage_lines(renewal) == [
        ("usage", "Usage: api_call", 1, 20, 20, *march, "api_call", F(7), 5, F(2))
    ]
    assert other_lines(renewal) == [("recurring", 1000, D(2026, 4, 1), D(2026, 5, 1))]


def test_a_change_inside_the_grace_window_is_made_on_the_periods_last_day(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), tz, 9))
    new_meter(container, org, "api_call")
    plans = {
        "basic": _monthly_plan({"USD": 3100}, charges=[_per_unit("api_call", "USD", "0.1", 5)]),
        "pro": _monthly_plan({"USD": 6200}, charges=[_per_unit("api_call", "USD", "0.1", 31)]),
    }
    seed_catalog(container, org, plans=plans, add_ons=False)
    acct = new_account(container, org, "USD", tz)
    clock.set(local_at(D(2026, 3, 1), tz, 9))
    sub_id = _subscribe(container, org, acct, "basic", 1)
    _bill(container, org)
    send(container, org, acct, "api_call", "2026-03-10T09:00:00Z", 8)
    clock.set(local_at(D(2026, 4, 1), tz, 0, 30))
    changed = _change(container, org, sub_id, plan="pro")  # an upgrade, in March's last day
    assert [(i.kind.value, i.amount, i.period_start) for i in changed.items] == [
        ("credit", -100, D(2026, 3, 31)),
        ("charge", 200, D(2026, 3, 31)),
    ]
    clock.set(local_at(D(2026, 4, 1), tz, 1))
    assert _made(_bill(container, org))[:3] == (1, 1, 1)
    _rerun_creates_nothing(container, org)
    renewal = _invoices(container, org)[1]
    # Basic 30 days, pro 1 of 31: 5 x 30/31 + 31 x 1/31 = 181/31 = 5.84 -> 6; 8 - 6 = 2 at
    # pro's 10 cents.
    assert usage_lines(renewal) == [
        (
            "usage",
            "Usage: api_call",
            1,
            20,
            20,
            D(2026, 3, 1),
            D(2026, 4, 1),
            "api_call",
            F(8),
            6,
            F(2),
        )
    ]
    assert other_lines(renewal) == [
        ("credit", -100, D(2026, 3, 31), D(2026, 4, 1)),
        ("charge", 200, D(2026, 3, 31), D(2026, 4, 1)),
        ("recurring", 6200, D(2026, 4, 1), D(2026, 5, 1)),
    ]
