"""A sandbox's test clock with payments: at each instant the clock stops at, the billing run
and then the collection run (what the run invoiced is charged at that same instant), and the
clock also stops at every scheduled retry, so dunning happens in order under the test clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from plansmith.application.billing import test_clocks
from plansmith.application.billing.run_records import RunWatch
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.payments.collection_run import run_collection
from plansmith.application.payments.ports import PaymentGateway


def advance_clock(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    organization_id: str,
    to: datetime,
    grace: timedelta,
    on_step: Callable[[test_clocks.Step], None] | None = None,
    watch: RunWatch | None = None,
) -> test_clocks.ClockAdvance:
    def collect_at(at: datetime) -> None:
        run_collection(uow, lambda _org: gateway, test_clocks.FrozenClock(at), organization_id)

    def next_attempt(after: datetime, until: datetime) -> datetime | None:
        with uow:
            return uow.collections.next_attempt_at(organization_id, after, until)

    return test_clocks.advance_clock(
        uow,
        organization_id,
        to,
        grace,
        on_step,
        watch,
        after_each=collect_at,
        also_due=next_attempt,
    )
