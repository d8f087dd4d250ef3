"""Billing a batch whose plans charge usage still costs a fixed number of SQL statements: the
daily aggregates of all the batch's accounts are read at once (with the meters and the grace
window), the same for 1, 5 or 30 subscriptions, with or without unique-count meters' values.
And a period's usage of a meter is one item: a second with the same key is refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.billing.run import bill_batch, run_billing
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import make_tenant
from tests.integration.test_billing_step_statements import _statements
from tests.integration.usage_billing_support import meter, send
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

TZ = "UTC"
CHARGES = [
    {"meter": "call", "currency": "USD", "included": 2, "model": "per_unit", "unit_price": "1"},
    {"meter": "user", "currency": "USD", "included": 0, "model": "per_unit", "unit_price": "1"},
]
PLAN = {
    "pricing": "per_seat",
    "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}],
    "charges": CHARGES,
}


def _usage_billing_statements(app: Plansmith, clock: TestClock, subscriptions: int) -> int:
    clock.set(local_at(date(2027, 1, 1), TZ, 9))
    org = make_tenant(app, f"Operator {subscriptions}").organization_id
    meter(app, org, "call")
    meter(app, org, "user", "unique_count", property="who")
    seed_catalog(app, org, plans={"metered": PLAN}, add_ons=False)
    clock.set(local_at(date(2027, 1, 10), TZ, 9))
    pairs = []
    for n in range(subscriptions):
        account = new_account(app, org, "USD", TZ, name=f"Customer {n}")
        data = SubscribeInput(account, "metered", quantity=1)
        pairs.append((org, subscribe(app.uow(), clock, org, data).view.subscription.id))
        send(app, org, account, "call", "2027-01-20T09:00:00Z", 3)
        send(app, org, account, "user", "2027-01-21T09:00:00Z", who="ann")
        send(app, org, account, "user", "2027-01-22T09:00:00Z", who="ann")
    run_billing(app.uow(), clock, org, grace=timedelta(0))
    clock.set(local_at(date(2027, 2, 10), TZ, 1))

    with _statements(app) as seen:
        done = bill_batch(app.uow(), clock, pairs, timedelta(0))

    n = subscriptions
    assert (done.renewed, done.invoiced, done.finalized, done.errors) == (n, n, n, [])
    with app.engine.connect() as connection:
        usage = connection.execute(
            select(t.invoice_lines.c.amount).where(t.invoice_lines.c.kind == "usage")
        ).all()
    # Per subscription: 3 calls, 1 past the 2 included (USD 1.00); 1 distinct user (USD 1.00).
    assert sorted(a for (a,) in usage).count(100) >= 2 * n
    return len(seen)


def test_a_batch_with_usage_costs_the_same_statements_whatever_its_size(
    container: Plansmith, clock: TestClock
) -> None:
    five = _usage_billing_statements(container, clock, 5)

    assert (
        _usage_billing_statements(
            container,
            clock,
            30,
        )
        == five
    )
    assert _usage_billing_statements(container, clock, 1) == five


def test_a_periods_usage_of_a_meter_is_one_item(container: Plansmith, clock: TestClock) -> None:
    _usage_billing_statements(container, clock, 1)
    it = t.subscription_items.c
    with container.engine.connect() as connection:
        row = connection.execute(
            select(t.subscription_items).where(it.kind == "usage").limit(1)
        ).one()
        twin = {**row._mapping, "id": "item_twin", "position": 99}
        with pytest.raises(IntegrityError):
            connection.execute(insert(t.subscription_items), [twin])
    assert row.usage_key.endswith(":2027-01-10")
