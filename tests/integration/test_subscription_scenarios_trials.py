"""Whole subscription lives through the use cases, on SQLite and PostgreSQL, with the clock
moved across months and the renewal step run: trials.

Rows are (kind, component, quantity, unit amount, amount, period start, period end, days,
period days). Each scenario ends by running the renewal step once more: it makes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.queries import get_subscription
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.subscriptions.subscription import Status
from tests.conftest import Tenant
from tests.integration.subscription_scenarios_support import (
    D,
    _advance,
    _change,
    _count,
    _nothing_more_is_due,
    _plan,
    _stored,
    _subscribe,
)
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

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
