"""The billing run bills subscriptions in batches, one transaction each (ADR 0009).

These tests pin what the batch must keep: it is really one batch (a fixed, small number of
statements, not one round of statements per subscription), numbers stay gapless, a
subscription that a rule refuses costs only itself, and a batch that loses a race to another
writer rolls back whole and is billed one subscription at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.billing.writer import SqlBillingBatches
from plansmith.application.billing import step as billing_step
from plansmith.application.billing.run import bill_batch, run_billing
from plansmith.application.invoicing import drafts as invoice_drafts
from plansmith.application.subscriptions.actions import ChangeInput, change_subscription
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.errors import InvalidValue
from tests.conftest import Tenant
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

TZ = "UTC"
SUBSCRIBERS = 40
PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}


def _due_subscriptions(app: Plansmith, org: str, clock: TestClock) -> list[str]:
    """SUBSCRIBERS monthly subscriptions started Jan 10, first period billed; due Feb 10."""
    seed_catalog(app, org, plans={"seat": PLAN}, add_ons=False)
    clock.set(local_at(date(2027, 1, 10), TZ, 9))
    ids = []
    for n in range(SUBSCRIBERS):
        account = new_account(app, org, "USD", TZ, name=f"Customer {n}")
        started = subscribe(app.uow(), clock, org, SubscribeInput(account, "seat", quantity=2))
        ids.append(started.view.subscription.id)
    run_billing(app.uow(), clock, org, grace=timedelta(0))
    clock.set(local_at(date(2027, 2, 10), TZ, 1))
    return ids


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


def _numbers(app: Plansmith) -> list[str]:
    with app.engine.connect() as connection:
        return sorted(connection.execute(select(t.invoices.c.number)).scalars())


def _invoices_of(app: Plansmith, sub_id: str) -> int:
    with app.engine.connect() as connection:
        q = select(func.count()).where(t.invoices.c.subscription_id == sub_id)
        return int(connection.execute(q.select_from(t.invoices)).scalar_one())


def test_a_run_bills_a_batch_in_a_fixed_number_of_statements(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    _due_subscriptions(container, org, clock)

    with _statements(container) as seen:
        record = run_billing(container.uow(), clock, org, grace=timedelta(0))

    assert (record.renewed, record.invoiced, record.finalized, record.errors) == (40, 40, 40, ())
    # One subscription alone costs about 35 statements; 40 in one batch cost a few dozen in
    # all (the walk, the loads, one bulk write per table, the numbers, the run record).
    assert len(seen) < 80, len(seen)
    assert _numbers(container) == [f"INV-{n:06d}" for n in range(1, 2 * SUBSCRIBERS + 1)]
    again = run_billing(container.uow(), clock, org, grace=timedelta(0))
    assert (again.renewed, again.invoiced) == (0, 0)


def test_a_refused_subscription_costs_only_itself(
    container: Plansmith, tenant: Tenant, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = tenant.organization_id
    ids = _due_subscriptions(container, org, clock)
    refused = ids[7]
    draft = invoice_drafts.draft_invoice

    def refusing(sub: Any, *args: Any) -> Any:
        if sub.id == refused:
            raise InvalidValue("no price for this subscription", field="plan")
        return draft(sub, *args)

    monkeypatch.setattr(billing_step, "draft_invoice", refusing)
    with container.uow() as uow:
        before = uow.subscriptions.get(org, refused)

    record = run_billing(container.uow(), clock, org, grace=timedelta(0))

    assert (record.invoiced, record.finalized) == (SUBSCRIBERS - 1, SUBSCRIBERS - 1)
    assert [e["subscription_id"] for e in record.errors] == [refused]
    with container.uow() as uow:
        assert uow.subscriptions.get(org, refused) == before  # not even renewed: one transaction
    assert _invoices_of(container, refused) == 1  # the first period only
    assert _numbers(container) == [f"INV-{n:06d}" for n in range(1, 2 * SUBSCRIBERS)]


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_batch_that_loses_a_race_rolls_back_and_bills_one_by_one(
    container: Plansmith, tenant: Tenant, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = tenant.organization_id
    ids = _due_subscriptions(container, org, clock)
    raced = ids[3]
    step = billing_step.bill_subscription
    calls: list[str] = []

    def racing(snapshot: Any, entry: Any, *args: Any) -> Any:
        if not calls:  # while the batch holds its loaded rows, a customer changes one
            change_subscription(
                container.uow(), clock, org, raced, ChangeInput(quantity=5), preview=False
            )
        calls.append(entry.subscription.id)
        return step(snapshot, entry, *args)

    monkeypatch.setattr(billing_step, "bill_subscription", racing)
    pairs = [(org, sub_id) for sub_id in ids]

    done = bill_batch(container.uow(), clock, pairs, timedelta(0))

    # The batch ran all 40, its commit found the changed revision, and it rolled back whole;
    # then each was billed on its own: 40 + 40 calls, 40 invoices, no gap.
    assert len(calls) == 2 * SUBSCRIBERS
    assert (done.invoiced, done.finalized, done.skipped, done.errors) == (40, 40, 0, [])
    assert _numbers(container) == [f"INV-{n:06d}" for n in range(1, 2 * SUBSCRIBERS + 1)]
    assert all(_invoices_of(container, sub_id) == 2 for sub_id in ids)
    with container.engine.connect() as connection:
        quantity = connection.execute(
            select(t.subscriptions.c.quantity).where(t.subscriptions.c.id == raced)
        ).scalar_one()
    assert quantity == 5


def test_numbers_are_taken_per_organization_in_the_order_invoices_were_finalized(
    container: Plansmith, tenant: Tenant, other_tenant: Tenant, clock: TestClock
) -> None:
    first = _due_subscriptions(container, tenant.organization_id, clock)
    clock.set(datetime(2027, 1, 10, 9, tzinfo=clock.now().tzinfo))
    seed_catalog(container, other_tenant.organization_id, plans={"seat": PLAN}, add_ons=False)
    account = new_account(container, other_tenant.organization_id, "USD", TZ)
    subscribe(container.uow(), clock, other_tenant.organization_id, SubscribeInput(account, "seat"))
    clock.set(local_at(date(2027, 2, 10), TZ, 1))

    record = run_billing(container.uow(), clock, None, grace=timedelta(0))

    # 40 renewals, and the other's first period with its renewal on one invoice.
    assert record.invoiced == SUBSCRIBERS + 1
    with container.engine.connect() as connection:
        rows = connection.execute(
            select(t.invoices.c.organization_id, t.invoices.c.number, t.invoices.c.subscription_id)
        ).all()
    mine = sorted(n for o, n, _s in rows if o == tenant.organization_id)
    theirs = sorted(n for o, n, _s in rows if o == other_tenant.organization_id)
    assert mine == [f"INV-{n:06d}" for n in range(1, 2 * SUBSCRIBERS + 1)]
    assert theirs == ["INV-000001"]
    assert {s for o, _n, s in rows if o == tenant.organization_id} == set(first)


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_two_runs_at_once_over_the_same_subscriptions_bill_each_once_without_gaps(
    container: Plansmith, tenant: Tenant, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = tenant.organization_id
    ids = _due_subscriptions(container, org, clock)
    start = threading.Barrier(2)
    # Both runs' first batches have loaded the same subscriptions before either writes.
    both_loaded = threading.Barrier(2, timeout=10)
    first_commits: set[int] = set()
    write = SqlBillingBatches.write

    def commit_together(self: SqlBillingBatches, outcomes: Any) -> Any:
        if threading.get_ident() not in first_commits:
            first_commits.add(threading.get_ident())
            both_loaded.wait()
        return write(self, outcomes)

    monkeypatch.setattr(SqlBillingBatches, "write", commit_together)
    records: list[Any] = []

    def bill() -> None:
        start.wait()
        records.append(run_billing(container.uow(), clock, org, grace=timedelta(0), batch=10))

    runs = [threading.Thread(target=bill) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)

    # One run's first batch lost to the other's and went one by one, finding them done.
    assert sum(r.invoiced for r in records) == SUBSCRIBERS
    assert [r.errors for r in records] == [(), ()]
    assert _numbers(container) == [f"INV-{n:06d}" for n in range(1, 2 * SUBSCRIBERS + 1)]
    assert all(_invoices_of(container, sub_id) == 2 for sub_id in ids)
