"""Review of ADR 0009: a billing run in batches bills exactly what billing each subscription on
its own bills.

Two organizations are built identically (the same catalog, accounts, subscriptions, coupons,
tax rates, credit and changes, on the same days). At each billing instant the first is billed
by ``run_billing`` (batches), the second one subscription at a time by ``invoice_subscription``
in the very order the batch took them. Then every invoice (head, lines, buyer, discounts,
number), ledger entry, stored subscription, span, event and item must be the same. It does.

"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_batch_review_support import (
    STEPS,
    World,
    _assert_same,
    _bill_both,
    _setup,
)


@pytest.mark.parametrize("batch", [500, 3])
def test_batches_bill_exactly_what_one_subscription_at_a_time_bills(
    container: Plansmith, tenant: Tenant, other_tenant: Tenant, clock: TestClock, batch: int
) -> None:
    batched = World(container, tenant.organization_id)
    single = World(container, other_tenant.organization_id)
    clock.set(STEPS[0][0])
    for world in (batched, single):
        _setup(world)
    for at, before in STEPS:
        clock.set(at)
        if before is not None:
            before(batched)
            before(single)
        _bill_both(batched, single, clock, batch)
        _assert_same(batched, single)
    with container.engine.connect() as connection:
        q = select(t.invoices.c.number).where(t.invoices.c.organization_id == batched.org)
        numbers = sorted(connection.execute(q).scalars())
    assert numbers == [f"INV-{n:06d}" for n in range(1, len(numbers) + 1)]  # no gap, no twice
    assert len(numbers) == 25
