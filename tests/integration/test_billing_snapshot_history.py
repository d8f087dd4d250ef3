"""A billing snapshot reads the billing keys a subscription's next invoice may have, not one
per invoice it ever had: its history does not make billing it slower. Catching up only moves
a subscription on, so keys of periods (and stops) before its current one cannot come again."""

from __future__ import annotations

from datetime import date, timedelta

from plansmith.adapters.clock import TestClock
from plansmith.application.billing.run import run_billing
from plansmith.application.subscriptions.actions import cancel_subscription
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

TZ = "UTC"
PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}


def _subscribed(app: Plansmith, org: str, clock: TestClock) -> str:
    """A monthly subscription from Jan 10, 2027, its first period billed."""
    seed_catalog(app, org, plans={"seat": PLAN}, add_ons=False)
    clock.set(local_at(date(2027, 1, 10), TZ, 9))
    account = new_account(app, org, "USD", TZ)
    sub_id = subscribe(app.uow(), clock, org, SubscribeInput(account, "seat")).view.subscription.id
    run_billing(app.uow(), clock, org, grace=timedelta(0))
    return sub_id


def _keys(app: Plansmith, org: str, sub_id: str) -> frozenset[str]:
    with app.uow() as uow:
        snapshot = uow.billing_batches.snapshot(org, [sub_id], hold_credit=False)
    return snapshot.entries[sub_id].invoiced_keys


def test_only_the_keys_from_the_current_period_on_are_read(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    sub_id = _subscribed(container, org, clock)
    for month in (2, 3, 4, 5):
        clock.set(local_at(date(2027, month, 10), TZ, 1))
        run_billing(container.uow(), clock, org, grace=timedelta(0))
    clock.set(local_at(date(2027, 5, 20), TZ, 9))

    # Five invoices (Jan 10 to May 10); only the current period's key is read.
    assert _keys(container, org, sub_id) == {"period:2027-05-10"}

    # Billing still refuses a period invoiced already, and bills the next one once.
    done = run_billing(container.uow(), clock, org, grace=timedelta(0))
    assert done.invoiced == 0
    clock.set(local_at(date(2027, 6, 10), TZ, 1))
    assert run_billing(container.uow(), clock, org, grace=timedelta(0)).invoiced == 1
    assert run_billing(container.uow(), clock, org, grace=timedelta(0)).invoiced == 0
    assert _keys(container, org, sub_id) == {"period:2027-06-10"}


def test_a_stop_before_the_current_period_keeps_its_key(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    sub_id = _subscribed(container, org, clock)
    clock.set(local_at(date(2027, 1, 20), TZ, 9))
    cancel_subscription(container.uow(), clock, org, sub_id, "now")

    assert run_billing(container.uow(), clock, org, grace=timedelta(0)).invoiced == 1  # credit

    assert _keys(container, org, sub_id) == {"period:2027-01-10", "stop:2027-01-20"}
    clock.set(local_at(date(2027, 3, 10), TZ, 1))
    assert run_billing(container.uow(), clock, org, grace=timedelta(0)).invoiced == 0
