"""Whole subscription lives through the use cases, on SQLite and PostgreSQL, with the clock
moved across months and the renewal step run: every item is asserted, figures by hand.

Rows are (kind, component, quantity, unit amount, amount, period start, period end, days,
period days). Each scenario ends by running the renewal step once more: it makes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application import subscription_actions as actions
from plansmith.application.subscription_queries import get_subscription, subscription_items
from plansmith.application.subscriptions import Result, SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.errors import DomainError
from plansmith.domain.subscriptions import BillableItem, Status
from tests.conftest import Tenant
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

D = date


def _rows(items: Sequence[BillableItem]) -> list[tuple[object, ...]]:
    names = ("component", "quantity", "unit_amount", "amount", "period_start", "period_end")
    return [(i.kind.value, *(getattr(i, n) for n in names), i.days, i.period_days) for i in items]


def _stored(app: Plansmith, org: str, sub_id: str) -> list[tuple[object, ...]]:
    return _rows([s.item for s in subscription_items(app.uow(), org, sub_id)])


def _count(app: Plansmith, table: Table) -> int:
    with app.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _advance(app: Plansmith, org: str) -> actions.Advanced:
    return actions.advance_due(app.uow(), app.clock, org)


def _nothing_more_is_due(app: Plansmith, org: str, sub_id: str) -> None:
    before = _count(app, t.subscription_items), _count(app, t.subscription_events)
    assert _advance(app, org) == actions.Advanced(0, 0, 0)
    assert (_count(app, t.subscription_items), _count(app, t.subscription_events)) == before
    again = actions.advance_subscription(app.uow(), app.clock, org, sub_id)
    assert (again.applied, again.items) == (False, ())


def _subscribe(app: Plansmith, org: str, account: str, plan: str, quantity: int = 1) -> str:
    data = SubscribeInput(account, plan, quantity=quantity)
    return subscribe(app.uow(), app.clock, org, data).view.subscription.id


def _change(app: Plansmith, org: str, sub_id: str, **changes: Any) -> Result:
    data = actions.ChangeInput(**changes)
    return actions.change_subscription(app.uow(), app.clock, org, sub_id, data)


def _plan(amounts: dict[str, int], **extra: object) -> dict[str, object]:
    prices = [{"currency": c, "cycle": "month", "amount": a} for c, a in amounts.items()]
    return {"pricing": "per_seat", "prices": prices, **extra}


# -- a. month ends through a leap-year February ---------------------------------------------


def test_jan_31_anchor_in_tokyo_through_a_leap_february(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "Asia/Tokyo", tenant.organization_id
    seed_catalog(container, org, add_ons=False)
    acct = new_account(container, org, "JPY", tz)
    # 00:30 on Jan 31 in Tokyo is still Jan 30 in UTC: the local date is the anchor.
    clock.set(local_at(D(2028, 1, 31), tz, 0, 30))

    first = subscribe(container.uow(), clock, org, SubscribeInput(acct, "basic", quantity=3))
    sub_id = first.view.subscription.id

    # basic: 1490 a seat; x 3 = 4470 for each period, whatever its length.
    def renewal(start: date, end: date) -> tuple[object, ...]:
        return ("recurring", "plan", 3, 1490, 4470, start, end, None, None)

    assert _rows(first.items) == [renewal(D(2028, 1, 31), D(2028, 2, 29))]  # 29 days
    assert first.view.subscription.anchor == D(2028, 1, 31)
    assert first.view.period_amount == 4470
    # One minute before local midnight of Feb 29 nothing is due yet.
    clock.set(local_at(D(2028, 2, 29), tz) - timedelta(minutes=1))
    assert _advance(container, org) == actions.Advanced(0, 0, 0)
    expected = [renewal(D(2028, 1, 31), D(2028, 2, 29))]
    # Each boundary from the original anchor: Feb 29 (clamped), Mar 31 (back), Apr 30.
    for start, end in [
        (D(2028, 2, 29), D(2028, 3, 31)),
        (D(2028, 3, 31), D(2028, 4, 30)),
        (D(2028, 4, 30), D(2028, 5, 31)),
    ]:
        clock.set(local_at(start, tz))
        assert _advance(container, org) == actions.Advanced(1, 1, 0)
        expected.append(renewal(start, end))
        assert _stored(container, org, sub_id) == expected
    # Two months untouched: one run catches up with both period ends, in order.
    clock.set(local_at(D(2028, 7, 1), tz, 9))
    assert _advance(container, org) == actions.Advanced(1, 2, 0)
    expected += [renewal(D(2028, 5, 31), D(2028, 6, 30)), renewal(D(2028, 6, 30), D(2028, 7, 31))]
    assert _stored(container, org, sub_id) == expected
    view = get_subscription(container.uow(), org, sub_id).subscription
    assert (view.period_start, view.period_end, view.next_payment_on()) == (
        D(2028, 6, 30),
        D(2028, 7, 31),
        D(2028, 7, 31),
    )
    _nothing_more_is_due(container, org, sub_id)


# -- b. upgrade and more seats now, a downgrade at the term end --------------------------


def test_upgrade_and_seats_now_then_a_downgrade_scheduled_for_the_renewal(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    plans = {"silver": _plan({"USD": 2000}), "gold": _plan({"USD": 3500})}  # ranks 0, 1
    seed_catalog(container, org, plans=plans, add_ons=False)  # the default policy
    acct = new_account(container, org, "USD", tz)
    clock.set(local_at(D(2026, 3, 1), tz, 9))
    sub_id = _subscribe(container, org, acct, "silver", quantity=2)

    # Mar 11, 21 of 31 days left: silver x 2 = 4000 x 21/31 = 2709.68 -> -2710;
    # gold x 2 = 7000 x 21/31 = 4741.94 -> 4742.
    clock.set(local_at(D(2026, 3, 11), tz, 9))
    up = _change(container, org, sub_id, plan="gold")
    assert _rows(up.items) == [
        ("credit", "plan", 2, 2000, -2710, D(2026, 3, 11), D(2026, 4, 1), 21, 31),
        ("charge", "plan", 2, 3500, 4742, D(2026, 3, 11), D(2026, 4, 1), 21, 31),
    ]
    # Mar 21, 11 days left: gold x 2 = 7000 x 11/31 = 2483.87 -> -2484;
    # gold x 3 = 10500 x 11/31 = 3725.81 -> 3726.
    clock.set(local_at(D(2026, 3, 21), tz, 9))
    seats = _change(container, org, sub_id, quantity=3)
    assert _rows(seats.items) == [
        ("credit", "plan", 2, 3500, -2484, D(2026, 3, 21), D(2026, 4, 1), 11, 31),
        ("charge", "plan", 3, 3500, 3726, D(2026, 3, 21), D(2026, 4, 1), 11, 31),
    ]
    # A downgrade asked for "now" is refused by the policy, and nothing is written.
    clock.set(local_at(D(2026, 3, 25), tz, 9))
    counts = [_count(container, x) for x in (t.subscription_items, t.subscription_events)]
    with pytest.raises(DomainError) as refused:
        _change(container, org, sub_id, plan="silver", when="now")
    assert (refused.value.code, refused.value.field) == ("change_not_allowed_now", "when")
    assert [_count(container, x) for x in (t.subscription_items, t.subscription_events)] == counts
    # Silver with 2 seats, as the policy says: at the term end, nothing now.
    down = _change(container, org, sub_id, plan="silver", quantity=2)
    assert down.items == ()
    assert down.view.scheduled_plan_name == "Silver"
    scheduled = down.view.subscription.scheduled
    assert scheduled is not None
    assert (scheduled.effective, scheduled.terms.quantity) == (D(2026, 4, 1), 2)
    # The next invoice (cut off Apr 1) holds the pending items and silver x 2 in advance:
    # 4000 - 2710 + 4742 - 2484 + 3726 + 4000 = 11274.
    assert down.next_invoice.cut_off == D(2026, 4, 1)
    assert down.next_invoice.total == 11274

    clock.set(local_at(D(2026, 4, 1), tz))
    assert _advance(container, org) == actions.Advanced(1, 1, 0)

    assert _stored(container, org, sub_id) == [
        ("recurring", "plan", 2, 2000, 4000, D(2026, 3, 1), D(2026, 4, 1), None, None),
        *_rows(up.items),
        *_rows(seats.items),
        ("recurring", "plan", 2, 2000, 4000, D(2026, 4, 1), D(2026, 5, 1), None, None),
    ]
    view = get_subscription(container.uow(), org, sub_id)
    assert (view.plan.code, view.subscription.terms.quantity, view.subscription.scheduled) == (
        "silver",
        2,
        None,
    )
    _nothing_more_is_due(container, org, sub_id)


# -- c. trials ----------------------------------------------------------------------------


def _trial_catalog(app: Plansmith, org: str) -> None:
    seed_catalog(app, org, plans={"starter": _plan({"JPY": 1490}, trial_days=14)}, add_ons=False)


def test_a_trial_costs_nothing_moves_the_anchor_and_converts_with_a_full_period(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "Europe/Berlin", tenant.organization_id
    _trial_catalog(container, org)
    acct = new_account(container, org, "JPY", tz)
    clock.set(local_at(D(2026, 5, 10), tz, 10))

    started = subscribe(container.uow(), clock, org, SubscribeInput(acct, "starter", quantity=2))
    sub = started.view.subscription

    assert (sub.status, sub.period_start, sub.period_end) == (
        Status.TRIALING,
        D(2026, 5, 10),
        D(2026, 5, 24),
    )
    assert (sub.trial_end, sub.anchor, started.items) == (D(2026, 5, 24), D(2026, 5, 24), ())
    assert sub.shown_status == "Try"
    # A change during the trial makes no item: 4 seats from the conversion on.
    clock.set(local_at(D(2026, 5, 15), tz, 10))
    during = _change(container, org, sub.id, quantity=4)
    assert (during.items, during.view.subscription.status) == ((), Status.TRIALING)
    assert _stored(container, org, sub.id) == []
    # Conversion at the trial end: a full month of 4 x 1490 = 5960, in advance.
    clock.set(local_at(D(2026, 5, 24), tz) - timedelta(seconds=1))
    assert _advance(container, org) == actions.Advanced(0, 0, 0)
    clock.set(local_at(D(2026, 5, 24), tz))
    assert _advance(container, org) == actions.Advanced(1, 1, 0)
    clock.set(local_at(D(2026, 6, 24), tz, 1))
    assert _advance(container, org) == actions.Advanced(1, 1, 0)

    assert _stored(container, org, sub.id) == [
        ("recurring", "plan", 4, 1490, 5960, D(2026, 5, 24), D(2026, 6, 24), None, None),
        ("recurring", "plan", 4, 1490, 5960, D(2026, 6, 24), D(2026, 7, 24), None, None),
    ]
    after = get_subscription(container.uow(), org, sub.id).subscription
    assert (after.status, after.anchor, after.shown_status) == (
        Status.ACTIVE,
        D(2026, 5, 24),
        "Active",
    )
    _nothing_more_is_due(container, org, sub.id)


def test_a_trial_canceled_now_expires_free_and_cannot_be_reactivated(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    _trial_catalog(container, org)
    acct = new_account(container, org, "JPY", tz)
    clock.set(local_at(D(2026, 5, 10), tz, 10))
    sub_id = _subscribe(container, org, acct, "starter")
    clock.set(local_at(D(2026, 5, 12), tz, 10))

    out = actions.cancel_subscription(container.uow(), clock, org, sub_id, "now")

    assert (out.view.subscription.status, out.items) == (Status.EXPIRED, ())
    events = _count(container, t.subscription_events)
    with pytest.raises(DomainError) as refused:
        actions.reactivate_subscription(container.uow(), clock, org, sub_id)
    assert refused.value.code == "trial_expired"
    assert _count(container, t.subscription_events) == events
    clock.set(local_at(D(2026, 6, 1), tz))
    _nothing_more_is_due(container, org, sub_id)
    assert _stored(container, org, sub_id) == []


def test_a_trial_canceled_at_term_end_expires_at_the_trial_end_with_no_charge(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    _trial_catalog(container, org)
    acct = new_account(container, org, "JPY", tz)
    clock.set(local_at(D(2026, 5, 10), tz, 10))
    sub_id = _subscribe(container, org, acct, "starter")
    clock.set(local_at(D(2026, 5, 12), tz, 10))

    canceled = actions.cancel_subscription(container.uow(), clock, org, sub_id, "term_end")
    assert canceled.view.subscription.cancel_at_period_end is True
    clock.set(local_at(D(2026, 5, 24), tz))
    assert _advance(container, org) == actions.Advanced(1, 0, 0)

    after = get_subscription(container.uow(), org, sub_id).subscription
    assert (after.status, after.ended_on) == (Status.EXPIRED, D(2026, 5, 24))
    assert _stored(container, org, sub_id) == []
    _nothing_more_is_due(container, org, sub_id)


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
