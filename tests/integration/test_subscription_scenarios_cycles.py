"""Whole subscription lives through the use cases, on SQLite and PostgreSQL, with the clock
moved across months and the renewal step run: monthly to annual, pay per day, and
"today" in the account's time zone.

Rows are (kind, component, quantity, unit amount, amount, period start, period end, days,
period days). Each scenario ends by running the renewal step once more: it makes nothing."""

from __future__ import annotations

from datetime import datetime

from plansmith.adapters.clock import TestClock
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.queries import get_subscription
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.subscriptions.subscription import Status
from tests.conftest import Tenant
from tests.integration.subscription_scenarios_support import (
    D,
    _advance,
    _change,
    _nothing_more_is_due,
    _plan,
    _rows,
    _stored,
    _subscribe,
)
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

# -- d. monthly to annual ------------------------------------------------------------------


def test_switching_from_monthly_to_a_discounted_annual_cycle_mid_period(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "Asia/Tokyo", tenant.organization_id
    team = {"pricing": "per_seat", "base_prices": {"JPY": 3000}, "cycle_discounts": {"year": "20"}}
    seed_catalog(container, org, plans={"team": team}, add_ons=False)
    acct = new_account(container, org, "JPY", tz)
    clock.set(local_at(D(2026, 4, 1), tz, 1))
    sub_id = _subscribe(container, org, acct, "team", quantity=2)

    # Apr 16: 15 of 30 days used. Credit 6000 x 15/30 = 3000; the year costs
    # 3000 x 12 x 80 % = 28800 a seat, x 2 = 57600, for a full year from Apr 16.
    clock.set(local_at(D(2026, 4, 16), tz, 23, 30))
    switched = _change(container, org, sub_id, cycle="year")

    assert _rows(switched.items) == [
        ("credit", "plan", 2, 3000, -3000, D(2026, 4, 16), D(2026, 5, 1), 15, 30),
        ("recurring", "plan", 2, 28800, 57600, D(2026, 4, 16), D(2027, 4, 16), None, None),
    ]
    sub = switched.view.subscription
    assert (sub.anchor, sub.period_start, sub.period_end) == (
        D(2026, 4, 16),
        D(2026, 4, 16),
        D(2027, 4, 16),
    )
    # May 1, the old monthly boundary, is no longer a renewal.
    clock.set(local_at(D(2026, 5, 1), tz, 1))
    assert _advance(container, org) == actions.Advanced(0, 0, 0)
    clock.set(local_at(D(2027, 4, 16), tz))
    assert _advance(container, org) == actions.Advanced(1, 1, 0)
    assert _stored(container, org, sub_id) == [
        ("recurring", "plan", 2, 3000, 6000, D(2026, 4, 1), D(2026, 5, 1), None, None),
        *_rows(switched.items),
        ("recurring", "plan", 2, 28800, 57600, D(2027, 4, 16), D(2028, 4, 16), None, None),
    ]
    _nothing_more_is_due(container, org, sub_id)


# -- e. pay per day ------------------------------------------------------------------------


def test_pay_per_day_bills_the_days_active_between_two_gaps_at_the_period_end(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "Europe/Berlin", tenant.organization_id
    flex = _plan({"USD": 2990}, pay_per_day=True)
    seed_catalog(container, org, plans={"flex": flex}, add_ons=False)
    acct = new_account(container, org, "USD", tz)
    uow = container.uow
    clock.set(local_at(D(2026, 7, 1), tz, 10))
    started = subscribe(uow(), clock, org, SubscribeInput(acct, "flex", quantity=2))
    sub_id = started.view.subscription.id
    assert started.items == ()
    july = (D(2026, 7, 1), D(2026, 8, 1))

    # Held Jul 1-5, canceled Jul 6, back Jul 10-19, canceled Jul 20, back from Jul 25.
    for day, step in [(6, "cancel"), (10, "reactivate"), (20, "cancel"), (25, "reactivate")]:
        clock.set(local_at(D(2026, 7, day), tz, 10))
        if step == "cancel":
            out = actions.cancel_subscription(uow(), clock, org, sub_id, "now")
        else:
            out = actions.reactivate_subscription(uow(), clock, org, sub_id)
        s = out.view.subscription
        assert out.items == ()  # nothing is billed before the period ends
        assert (s.period_start, s.period_end) == july  # the anchor keeps the periods
    assert _stored(container, org, sub_id) == []

    # Aug 1: 5 + 10 + 7 = 22 days of 31 at 2 x 2990 = 5980: 5980 x 22/31 = 4243.87 -> 4244.
    clock.set(local_at(D(2026, 8, 1), tz))
    assert _advance(container, org) == actions.Advanced(1, 1, 0)
    accrued = ("accrual", "plan", 2, 2990, 4244, *july, 22, 31)
    assert _stored(container, org, sub_id) == [accrued]

    # August: 3 seats from Aug 11, canceled Aug 21: one line per quantity at Sep 1.
    clock.set(local_at(D(2026, 8, 11), tz, 10))
    assert _change(container, org, sub_id, quantity=3).items == ()
    clock.set(local_at(D(2026, 8, 21), tz, 10))
    actions.cancel_subscription(uow(), clock, org, sub_id, "now")
    clock.set(local_at(D(2026, 9, 1), tz))
    assert _advance(container, org) == actions.Advanced(1, 2, 0)

    aug = (D(2026, 8, 1), D(2026, 9, 1))
    assert _stored(container, org, sub_id) == [
        accrued,
        ("accrual", "plan", 2, 2990, 1929, *aug, 10, 31),  # 5980 x 10/31 = 1929.03
        ("accrual", "plan", 3, 2990, 2894, *aug, 10, 31),  # 8970 x 10/31 = 2893.55
    ]
    after = get_subscription(container.uow(), org, sub_id).subscription
    assert (after.status, after.next_payment_on(), after.due_on()) == (Status.CANCELED, None, None)
    clock.set(local_at(D(2026, 11, 1), tz))
    _nothing_more_is_due(container, org, sub_id)


# -- "today" in the account's time zone, through the use cases ---------------------------


def test_new_york_late_evening_and_just_after_midnight_fall_in_different_periods(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "America/New_York", tenant.organization_id
    seed_catalog(container, org, add_ons=False)
    accounts = [new_account(container, org, "JPY", tz, name) for name in ("Late", "Early")]
    clock.set(local_at(D(2026, 2, 10), tz, 12))
    subs = [
        subscribe(container.uow(), clock, org, SubscribeInput(a, "basic")).view.subscription.id
        for a in accounts
    ]

    # Mar 8 springs forward. 03:30 UTC on Mar 10 is 23:30 EDT on Mar 9, the last day of
    # [Feb 10, Mar 10); 04:30 UTC is 00:30 EDT on Mar 10, the first day of [Mar 10, Apr 10).
    clock.set(datetime.fromisoformat("2026-03-10T03:30:00+00:00"))
    late = _change(container, org, subs[0], plan="pro")
    clock.set(datetime.fromisoformat("2026-03-10T04:30:00+00:00"))
    early = _change(container, org, subs[1], plan="pro")

    # 1 of 28 days: 1490/28 = 53.21 -> -53 and 3270/28 = 116.79 -> 117.
    assert _rows(late.items) == [
        ("credit", "plan", 1, 1490, -53, D(2026, 3, 9), D(2026, 3, 10), 1, 28),
        ("charge", "plan", 1, 3270, 117, D(2026, 3, 9), D(2026, 3, 10), 1, 28),
    ]
    # Renewed first, then all 31 days of the new period move.
    assert _rows(early.items) == [
        ("recurring", "plan", 1, 1490, 1490, D(2026, 3, 10), D(2026, 4, 10), None, None),
        ("credit", "plan", 1, 1490, -1490, D(2026, 3, 10), D(2026, 4, 10), 31, 31),
        ("charge", "plan", 1, 3270, 3270, D(2026, 3, 10), D(2026, 4, 10), 31, 31),
    ]
    # The late one renews at 04:00 UTC, local midnight in EDT: already passed.
    assert _advance(container, org) == actions.Advanced(1, 1, 0)
    _nothing_more_is_due(container, org, subs[0])
