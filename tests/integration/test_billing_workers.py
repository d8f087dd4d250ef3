"""The billing run spread over worker processes (Dramatiq on Redis), on PostgreSQL.

4 workers bill 2,000 due subscriptions in jobs of 50; one is killed with SIGKILL mid-run; a
second run finishes the job. Exactly 2,000 invoices come out, numbered INV-000001..INV-002000
with no gap: each job's batch is one transaction, and a killed worker's transaction (with the
numbers it took) is rolled back by the database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from plansmith.adapters.db import tables as t
from plansmith.application.accounts.accounts import AccountInput, open_account
from plansmith.application.billing.jobs import dispatch_run
from plansmith.application.catalog import plan_families as families
from plansmith.application.catalog import plans as cat
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.worker import billing_jobs
from tests.conftest import IN_CI, _truncate

SUBSCRIPTIONS = 2000
WORKERS = 4
BATCH = 50  # 40 jobs: the kill lands while the others still have work
REDIS_URL = os.environ.get("PLANSMITH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PLANSMITH = Path(sys.executable).with_name("plansmith")

pytestmark = pytest.mark.postgres


def _redis_reason() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # no server here
        return f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}"
    return None


@pytest.fixture
def workers_app(postgres_database: str) -> Iterator[Plansmith]:
    reason = _redis_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    _truncate(postgres_database)
    settings = Settings(
        database_url=postgres_database,
        secret_key="workers",
        redis_url=REDIS_URL,
        job_namespace=f"plansmith-test-{uuid.uuid4().hex[:8]}",
        invoice_grace_minutes=0,
    )
    app = bootstrap(settings)  # the system clock: workers are separate processes
    yield app
    app.dispose()


def _setup(app: Plansmith) -> str:
    org = create_organization(app.uow(), app.clock, "Workers Inc").id
    families.create_family(app.uow(), app.clock, org, families.FamilyInput("service", "Service"))
    terms = {"base_prices": {"USD": 1000}}
    cat.create_plan(
        app.uow(), app.clock, org, cat.PlanInput("std", "Std", "service", 1, terms, [], True)
    )
    for n in range(SUBSCRIPTIONS):
        account = open_account(
            app.uow(), app.clock, org, AccountInput(f"Customer {n}", f"c{n}@example.com", "USD")
        )
        subscribe(app.uow(), app.clock, org, SubscribeInput(account.id, "std"))
    return org


def _worker(app: Plansmith) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": app.settings.database_url,
        "PLANSMITH_SECRET_KEY": "workers",
        "PLANSMITH_REDIS_URL": REDIS_URL,
        "PLANSMITH_JOB_NAMESPACE": app.settings.job_namespace,
        "PLANSMITH_INVOICE_GRACE_MINUTES": "0",
    }
    return subprocess.Popen(
        [str(PLANSMITH), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _invoices(app: Plansmith) -> int:
    with app.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t.invoices)).scalar_one())


def _wait_until(done: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not done():
        time.sleep(0.2)


def _wait_until_still(app: Plansmith, seconds: float, still_for: float = 2.0) -> None:
    """Until no new invoice appeared for ``still_for`` seconds (bounded by ``seconds``)."""
    deadline = time.monotonic() + seconds
    last, since = _invoices(app), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < still_for:
        time.sleep(0.2)
        now = _invoices(app)
        if now != last:
            last, since = now, time.monotonic()


def test_four_workers_one_killed_bill_each_subscription_once_without_gaps(
    workers_app: Plansmith,
) -> None:
    app = workers_app
    org = _setup(app)
    jobs = billing_jobs(app)
    procs = [_worker(app) for _ in range(WORKERS)]
    try:
        sent = dispatch_run(app.uow(), app.clock, org, jobs, batch=BATCH, watch=app.watch).sent
        _wait_until(lambda: _invoices(app) >= SUBSCRIPTIONS // 4, 120)
        procs[0].send_signal(signal.SIGKILL)  # mid-run, perhaps mid-transaction
        procs[0].wait(10)
        # The others drain the queue; a job the killed one held waits for its heartbeat to
        # expire. The next run does not wait: it sends jobs again for what is left.
        _wait_until_still(app, 120)
        resent = dispatch_run(app.uow(), app.clock, org, jobs, batch=BATCH, watch=app.watch).sent
        _wait_until(lambda: _invoices(app) >= SUBSCRIPTIONS, 120)
        _wait_until_still(app, 30)
        third = dispatch_run(app.uow(), app.clock, org, jobs, batch=BATCH, watch=app.watch).sent
    finally:
        for proc in procs[1:]:
            proc.send_signal(signal.SIGTERM)
        for proc in procs[1:]:
            proc.wait(30)

    assert sent == SUBSCRIPTIONS
    assert 0 < resent < SUBSCRIPTIONS or _invoices(app) == SUBSCRIPTIONS  # only what was left
    assert third == 0  # nothing due, nothing pending
    with app.engine.connect() as connection:
        numbers = sorted(connection.execute(select(t.invoices.c.number)).scalars())
        per_sub = connection.execute(
            text(
                "SELECT max(n) FROM (SELECT count(*) AS n FROM invoices GROUP BY subscription_id) x"
            )
        ).scalar_one()
        pending = connection.execute(
            select(func.count())
            .select_from(t.subscription_items)
            .where(t.subscription_items.c.invoice_id.is_(None))
        ).scalar_one()
    assert numbers == [f"INV-{n:06d}" for n in range(1, SUBSCRIPTIONS + 1)]
    assert per_sub == 1
    assert pending == 0
