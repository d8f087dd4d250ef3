"""A billing snapshot is loaded for exactly the ids asked for, whatever they hold: the batch's
ids go to PostgreSQL as one comma-separated text (split by the server), and an id with a
comma in it must not split into others."""

from __future__ import annotations

from datetime import date, timedelta

from plansmith.adapters.clock import TestClock
from plansmith.application.billing.run import run_billing
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

TZ = "UTC"
PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}


def test_odd_ids_load_nothing_but_themselves(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    seed_catalog(container, org, plans={"seat": PLAN}, add_ons=False)
    clock.set(local_at(date(2027, 1, 10), TZ, 9))
    subs = []
    for n in range(2):
        account = new_account(container, org, "USD", TZ, name=f"Customer {n}")
        data = SubscribeInput(account, "seat")
        subs.append(subscribe(container.uow(), clock, org, data).view.subscription.id)
    run_billing(container.uow(), clock, org, grace=timedelta(0))
    first, second = subs

    with container.uow() as uow:
        batches = uow.billing_batches
        assert set(batches.snapshot(org, subs, hold_credit=False).entries) == set(subs)
        odd = [f"{first},{second}", f"{second}'", "{" + first + "}", ""]
        assert batches.snapshot(org, odd, hold_credit=False).entries == {}
        mixed = batches.snapshot(org, [*odd, second], hold_credit=True)
        assert set(mixed.entries) == {second}
        assert mixed.entries[second].invoiced_keys == {"period:2027-01-10"}
        assert batches.snapshot(org, [], hold_credit=False).entries == {}
