"""Hard limits and the period's close under concurrency, on PostgreSQL with two connections:
a batch holding the last units of a hard limit (paused before its commit) makes a second
batch wait on the standing row, and the second then finds nothing left: exactly one wins. An
event accepted at the last instant before its period closed, whose batch commits after the
billing run started, is billed by that run (the run waits for it), never lost. Two buys of
one pack under one request key charge once. No timing is asserted: each test waits until
PostgreSQL reports the second transaction waiting on a lock, then lets the first commit."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from types import TracebackType
from typing import Any, cast

import pytest
from sqlalchemy import text

from plansmith.adapters.clock import TestClock
from plansmith.application.billing.run import run_billing
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.usage.ingest import ingest
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _invoices, _monthly_plan, _subscribe
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_billing_support import usage_lines
from tests.integration.usage_packs_support import TZ, buy, card, charge, pack
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]


class PausedBeforeCommit:
    """A real unit of work whose ``commit`` waits for ``go``, having set ``reached``: the
    transaction holds its locks meanwhile."""

    def __init__(self, inner: UnitOfWork) -> None:
        self.inner = inner
        self.reached = threading.Event()
        self.go = threading.Event()

    def __enter__(self) -> PausedBeforeCommit:
        self.inner.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.inner.__exit__(kind, error, tb)

    def commit(self) -> None:
        self.reached.set()
        assert self.go.wait(60), "never released"
        self.inner.commit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _wait_for_a_lock_wait(app: Plansmith) -> None:
    """Until a backend of this database waits on a lock (the second transaction)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(6000):
        with app.engine.connect() as connection:
            if connection.execute(query).scalar_one() > 0:
                return
        time.sleep(0.01)
    raise AssertionError("the second transaction never waited on a lock")


def _event(account: str, event_id: str, at: str) -> dict[str, object]:
    return {"id": event_id, "account_id": account, "code": "chatbot_sessions", "timestamp": at}


def _race(
    app: Plansmith, first: Callable[[UnitOfWork], Any], second: Callable[[], Any]
) -> tuple[Any, Any]:
    paused = PausedBeforeCommit(app.uow())
    with ThreadPoolExecutor(max_workers=2) as pool:
        one: Future[Any] = pool.submit(first, cast(UnitOfWork, paused))
        assert paused.reached.wait(60)
        two = pool.submit(second)
        _wait_for_a_lock_wait(app)
        paused.go.set()
        return one.result(), two.result()


def _setup(app: Plansmith, org: str, clock: TestClock, limit: str = "hard") -> tuple[str, str]:
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(app, org, "chatbot_sessions")
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 2, limit)])}
    seed_catalog(app, org, plans=plans, add_ons=False)
    pack(app, org, "sessions_5", "chatbot_sessions", 5, 500)
    acct = new_account(app, org, "JPY", TZ)
    card(app, org, acct)
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    sub_id = _subscribe(app, org, acct, "basic", 1)
    run_billing(app.uow(), clock, org, grace=timedelta(0))
    return acct, sub_id


def test_two_batches_racing_for_the_last_unit_of_a_hard_limit_exactly_one_wins(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    acct, _sub = _setup(container, org, clock)
    clock.set(local_at(D(2026, 3, 10), TZ, 9))
    at = "2026-03-10T09:00:00+09:00"
    assert [a.status for a in ingest(container.uow(), clock, org, [_event(acct, "e0", at)])] == [
        "accepted"
    ]
    one, two = _race(
        container,
        lambda uow: ingest(uow, clock, org, [_event(acct, "e1", at)]),
        lambda: ingest(container.uow(), clock, org, [_event(acct, "e2", at)]),
    )
    assert [a.code or a.status for a in one] == ["accepted"]
    assert [(a.code, a.field) for a in two] == [("limit_exceeded", "code")]


def test_an_event_accepted_before_the_close_and_committed_after_the_run_began_is_billed(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    acct, _sub = _setup(container, org, clock, limit="soft")
    # 59 minutes 59 seconds into the grace window: March is still open.
    clock.set(local_at(D(2026, 4, 1), TZ, 0, 59))
    at = "2026-03-31T23:00:00+09:00"
    late = [_event(acct, f"late-{n}", at) for n in range(3)]

    def bill_after_the_close() -> Any:
        clock.set(local_at(D(2026, 4, 1), TZ, 1))  # March closed: the run bills it
        return run_billing(container.uow(), clock, org, grace=timedelta(0))

    answers, _run = _race(
        container, lambda uow: ingest(uow, clock, org, late), bill_after_the_close
    )
    assert [a.status for a in answers] == ["accepted"] * 3
    renewal = next(i for i in _invoices(container, org) if usage_lines(i))
    (line,) = usage_lines(renewal)
    assert line[7:] == ("chatbot_sessions", 3, 2, 1)


def test_two_buys_of_one_request_charge_once(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    _acct, sub_id = _setup(container, org, clock)
    clock.set(local_at(D(2026, 3, 10), TZ, 9))
    with ThreadPoolExecutor(max_workers=4) as pool:
        bought = list(
            pool.map(lambda _n: buy(container, org, sub_id, "sessions_5", key="k1"), range(4))
        )
    assert len({b.purchase.id for b in bought}) == 1
    with container.engine.connect() as connection:
        payments = connection.execute(
            text("SELECT count(*) FROM payments WHERE idempotency_key LIKE 'pack-%'")
        ).scalar_one()
        packs = connection.execute(text("SELECT count(*) FROM usage_packs")).scalar_one()
        pack_invoices = connection.execute(
            text("SELECT count(*) FROM invoices WHERE billing_key LIKE 'pack:%'")
        ).scalar_one()
    assert (payments, packs, pack_invoices) == (1, 1, 1)
