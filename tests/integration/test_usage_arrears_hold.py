"""The renewal outside the billing run (usage_arrears) holds the account's subscriptions
before it reads a closed period's usage, as the billing step does: an ingest holding them
shared (it reads its clock after) that accepted an event at the last instant commits first
and is read, never missed. PostgreSQL only: SQLite serialises writers already."""

from __future__ import annotations

import threading
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import text

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db.engine import make_engine
from plansmith.application.subscriptions.actions import advance_subscription
from plansmith.application.subscriptions.lifecycle import Result
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import LineKind
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import D, _monthly_plan, _subscribe
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_billing_support import send
from tests.unit.subscription_builders import local_at, new_account, seed_catalog


def _wait_for_lock_waiters(engine: Any, n: int) -> None:
    """Until n other backends of this database wait for a row lock (at most 30 s)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with engine.connect() as probe:
        for _ in range(3000):
            if probe.execute(query).scalar_one() >= n:
                return
            probe.rollback()
            threading.Event().wait(0.01)
    raise AssertionError("the renewal never waited on the account's subscriptions")


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # SQLite has no row locks
def test_a_renewal_outside_the_run_reads_the_usage_an_ingest_holding_the_account_commits(
    container: Plansmith, tenant: Tenant, clock: TestClock, db_url: str
) -> None:
    tz, org = "Asia/Tokyo", tenant.organization_id
    clock.set(local_at(D(2026, 2, 20), tz, 9))
    new_meter(container, org, "api_call")
    charge = {
        "meter": "api_call",
        "currency": "JPY",
        "included": 100,
        "model": "per_unit",
        "unit_price": "2",
    }
    seed_catalog(
        container,
        org,
        plans={"basic": _monthly_plan({"JPY": 1000}, charges=[charge])},
        add_ons=False,
    )
    acct = new_account(container, org, "JPY", tz)
    clock.set(local_at(D(2026, 3, 1), tz, 9))
    sub_id = _subscribe(container, org, acct, "basic", 1)
    clock.set(local_at(D(2026, 3, 15), tz, 12))
    assert set(send(container, org, acct, "api_call", "2026-03-15T12:00:00+09:00", 150)) == {
        "accepted"
    }
    clock.set(local_at(D(2026, 4, 1), tz, 1))  # March's end + the 1 hour grace: closed

    engine = make_engine(db_url)
    results: list[Result] = []
    with engine.connect() as ingest:
        # An ingest that accepted 10 more March calls at the last instant, not committed yet.
        ingest.execute(
            text("SELECT id FROM subscriptions WHERE account_id = :a ORDER BY id FOR SHARE"),
            {"a": acct},
        )
        ingest.execute(
            text("UPDATE usage_daily SET count = count + 10 WHERE account_id = :a"), {"a": acct}
        )
        renewal = threading.Thread(
            target=lambda: results.append(advance_subscription(container.uow(), clock, org, sub_id))
        )
        renewal.start()
        _wait_for_lock_waiters(engine, 1)
        ingest.commit()
        renewal.join(timeout=60)
    engine.dispose()

    (result,) = results
    usage = [i.usage for i in result.items if i.kind is LineKind.USAGE]
    assert [(u.meter, u.quantity, u.allowance, u.billable_quantity) for u in usage if u] == [
        ("api_call", Fraction(160), 100, Fraction(60))
    ]
    assert [i.amount for i in result.items if i.kind is LineKind.USAGE] == [120]
