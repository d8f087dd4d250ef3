"""Whole subscription lives through the use cases, on SQLite and PostgreSQL, with the clock
moved across months and the renewal step run: month ends through a leap February, and
changes now and at the renewal.

Rows are (kind, component, quantity, unit amount, amount, period start, period end, days,
period days). Each scenario ends by running the renewal step once more: it makes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.queries import get_subscription
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.errors import DomainError
from tests.conftest import Tenant
from tests.integration.subscription_scenarios_support import (
    D,
    _advance,
    _change,
    _count,
    _nothing_more_is_due,
    _plan,
    _rows,
    _stored,
    _subscribe,
)
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

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
