"""Billing a batch costs a fixed number of SQL statements: the same for 1, 5 or 50
subscriptions and for a catalog of 3 or 60 plans (the snapshot is loaded one query per table,
the outcomes written one bulk statement per table, the numbers taken once)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event

from plansmith.adapters.clock import TestClock
from plansmith.application.billing.run import bill_batch, run_billing
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import make_tenant
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

TZ = "UTC"
PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}


@contextmanager
def _statements(app: Plansmith) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(app.engine, "before_cursor_execute", count)


def _billing_statements(app: Plansmith, clock: TestClock, subscriptions: int, plans: int) -> int:
    """In an organization of its own: ``plans`` plans, ``subscriptions`` monthly
    subscriptions spread over them from Jan 10 (first period billed); the statements of
    billing them all, as one batch, at their renewal on Feb 10."""
    org = make_tenant(app, f"Operator {subscriptions} x {plans}").organization_id
    codes = [f"plan{k:02d}" for k in range(plans)]
    seed_catalog(app, org, plans=dict.fromkeys(codes, PLAN), add_ons=False)
    clock.set(local_at(date(2027, 1, 10), TZ, 9))
    pairs = []
    for n in range(subscriptions):
        account = new_account(app, org, "USD", TZ, name=f"Customer {n}")
        data = SubscribeInput(account, codes[n % plans], quantity=2)
        pairs.append((org, subscribe(app.uow(), clock, org, data).view.subscription.id))
    run_billing(app.uow(), clock, org, grace=timedelta(0))
    clock.set(local_at(date(2027, 2, 10), TZ, 1))

    with _statements(app) as seen:
        done = bill_batch(app.uow(), clock, pairs, timedelta(0))

    # It really billed them all, in one batch (no fallback one by one).
    n = subscriptions
    assert (done.renewed, done.invoiced, done.finalized, done.skipped, done.errors) == (
        n,
        n,
        n,
        0,
        [],
    )
    return len(seen)


def test_a_batch_costs_the_same_statements_whatever_its_size_and_the_catalogs(
    container: Plansmith, clock: TestClock
) -> None:
    five = _billing_statements(container, clock, 5, 3)

    assert _billing_statements(container, clock, 50, 3) == five
    assert _billing_statements(container, clock, 5, 60) == five
    # A single subscription is a batch of one: the same path, the same statements.
    assert _billing_statements(container, clock, 1, 3) == five
    assert five < 45, five  # a handful per table, not a round per subscription
