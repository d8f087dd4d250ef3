"""Collection jobs on real worker processes (Dramatiq on Redis) on PostgreSQL: every job is
delivered twice, to two workers that may run both copies at once, and each invoice is still
captured exactly once. Cards that time out while really capturing are among them: whichever
copy comes second asks the gateway again with the same idempotency key, and a third delivery
resolves what is still unknown, never charging a second time."""

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
from sqlalchemy import func, select

from plansmith.adapters.db import tables as t
from plansmith.application.organizations.organizations import create_organization
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.worker import billing_jobs
from tests.conftest import IN_CI, _truncate
from tests.integration.collection_support import (
    PRICE,
    captures,
    catalog,
    due_invoices,
    invoice_state,
    payments_of,
)
from tests.integration.ledger_invariants import assert_ledger_invariants

REDIS_URL = os.environ.get("PLANSMITH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PLANSMITH = Path(sys.executable).with_name("plansmith")
SUCCESS, TIMEOUT = "tok_sandbox_success", "tok_sandbox_timeout_succeeded"
INVOICES = 30

pytestmark = pytest.mark.postgres


@pytest.fixture
def workers_app(postgres_database: str) -> Iterator[Plansmith]:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # no server here
        if IN_CI:
            pytest.fail(f"CI=true but Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
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
    jobs = billing_jobs(app)
    jobs.broker.flush_all()
    jobs.broker.close()
    app.dispose()


def _worker(app: Plansmith) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": app.settings.database_url,
        "PLANSMITH_SECRET_KEY": "workers",
        "PLANSMITH_REDIS_URL": REDIS_URL,
        "PLANSMITH_JOB_NAMESPACE": app.settings.job_namespace,
    }
    return subprocess.Popen(
        [str(PLANSMITH), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _wait_until(done: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not done():
        time.sleep(0.2)


def _payments(app: Plansmith) -> int:
    with app.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t.payments)).scalar_one())


def test_every_job_delivered_twice_captures_each_invoice_once(workers_app: Plansmith) -> None:
    app = workers_app
    org = create_organization(app.uow(), app.clock, "Workers Inc").id
    catalog(app, org)
    tokens = [TIMEOUT if n % 3 == 0 else SUCCESS for n in range(INVOICES)]
    due = due_invoices(app, org, tokens)
    jobs = billing_jobs(app)
    procs = [_worker(app) for _ in range(2)]
    try:
        ids = [d.invoice_id for d in due]
        for at in range(0, len(ids), 4):  # each batch's job twice, back to back: the two
            jobs.collect_invoices(org, ids[at : at + 4])  # workers may take one each
            jobs.collect_invoices(org, ids[at : at + 4])
        _wait_until(lambda: jobs.pending_collections() == 0, 120)
        # a third delivery, all in one batch: what is still unknown is asked about again
        jobs.collect_invoices(org, ids)
        _wait_until(lambda: jobs.pending_collections() == 0, 120)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(30)

    assert jobs.pending_collections() == 0
    for d in due:
        assert invoice_state(app, d.invoice_id) == ("paid", 0), d
        # one attempt, succeeded: a second delivery never made a second attempt
        assert payments_of(app, d.invoice_id) == [("succeeded", PRICE)], d
    assert _payments(app) == INVOICES
    assert captures(app) == INVOICES
    assert_ledger_invariants(app.engine)
