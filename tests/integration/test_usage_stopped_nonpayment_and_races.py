"""A stopped period's usage (ADR 0034) when dunning cancels for nonpayment, and billed exactly
once by two billing runs at the same instant, on SQLite and PostgreSQL (on PostgreSQL the
two run at once, in two threads), Asia/Tokyo, JPY."""

from __future__ import annotations

import threading
from datetime import timedelta
from fractions import Fraction

from plansmith.adapters.clock import TestClock
from plansmith.application.billing.ports import RunRecord
from plansmith.application.billing.run import run_billing
from plansmith.application.payments.dunning import exhaust, new_collection
from plansmith.bootstrap import Plansmith
from plansmith.domain.payments.dunning import DEFAULT_POLICY
from plansmith.domain.subscriptions.subscription import Status
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _bill, _invoices, _rerun_creates_nothing
from tests.integration.stopped_usage_support import TZ, march_with_150_calls
from tests.integration.usage_billing_support import send, usage_lines
from tests.unit.subscription_builders import local_at

F = Fraction
LINE = ("usage", "Usage: api_call", 1, 204, 204, D(2026, 3, 1), D(2026, 3, 17), "api_call")


def test_a_cancel_for_nonpayment_bills_the_usage_until_then_once(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    s = march_with_150_calls(container, tenant, clock)
    org, acct = s.org, s.account
    (unpaid,) = _invoices(container, org)
    clock.set(local_at(D(2026, 3, 16), TZ, 12))
    with container.uow() as uow:  # the last retry failed: the default policy cancels now
        exhaust(uow, unpaid, new_collection(unpaid), DEFAULT_POLICY, clock.now())
        uow.commit()
    with container.uow() as uow:
        sub = uow.subscriptions.get(org, s.subscription)
    assert sub is not None and sub.status is Status.CANCELED
    clock.set(local_at(D(2026, 3, 16), TZ, 12, 30))
    assert send(container, org, acct, "api_call", "2026-03-16T12:10:00+09:00") == ["period_closed"]
    _bill(container, org)
    assert len(_invoices(container, org)) == 1  # nothing credited; the usage waits
    clock.set(local_at(D(2026, 3, 16), TZ, 13))
    _bill(container, org)
    _rerun_creates_nothing(container, org)
    invoices = _invoices(container, org)
    assert len(invoices) == 2
    assert usage_lines(invoices[1]) == [(*LINE, F(150), 48, F(102))]


def test_two_billing_runs_at_the_stop_plus_the_grace_bill_the_usage_once(
    container: Plansmith, tenant: Tenant, clock: TestClock, db_url: str
) -> None:
    from plansmith.application.subscriptions.actions import cancel_subscription

    s = march_with_150_calls(container, tenant, clock)
    org = s.org
    clock.set(local_at(D(2026, 3, 16), TZ, 12))
    cancel_subscription(container.uow(), container.clock, org, s.subscription, "now")
    clock.set(local_at(D(2026, 3, 16), TZ, 13))
    runs: list[RunRecord] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def one_run() -> None:
        try:
            start.wait(timeout=30)
            runs.append(run_billing(container.uow(), clock, org, grace=timedelta(0)))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    if db_url.startswith("postgresql"):
        threads = [threading.Thread(target=one_run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    else:  # SQLite serialises writers: one run after the other
        start = threading.Barrier(1)
        one_run()
        one_run()
    assert errors == [] and len(runs) == 2
    assert all(run.errors == () or list(run.errors) == [] for run in runs)
    _rerun_creates_nothing(container, org)
    invoices = _invoices(container, org)
    usage = [line for i in invoices for line in usage_lines(i)]
    assert usage == [(*LINE, F(150), 48, F(102))]
    # The first invoice, the credit of the rest of March, the usage: each made once.
    assert len(invoices) == 3
    assert sum(run.invoiced for run in runs) == 2
