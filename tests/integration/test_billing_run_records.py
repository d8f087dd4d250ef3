"""A billing run's record tells the truth however the run ends, on both databases: each batch
counts itself in its own transaction; an error ends the run `failed`; a run whose process
died is marked `abandoned` by the next run of its scope after the lease (and not before);
a run on workers is finished by its last job, each job counted once."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.billing import run as billing_run
from plansmith.application.billing.jobs import BillingJobs, bill_job, dispatch_run
from plansmith.application.billing.ports import RunRecord
from plansmith.application.billing.run import batches, bill_batch, run_billing
from plansmith.application.billing.run_records import RunLog, start_run
from plansmith.application.billing.test_clocks import FrozenClock
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith, Settings, bootstrap
from plansmith.entrypoints.cli import main
from plansmith.entrypoints.web import create_app
from plansmith.entrypoints.worker import billing_jobs, make_worker
from tests.conftest import Tenant, _truncate
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

SUBSCRIBERS, BATCH = 12, 5  # batches of 5, 5 and 2
PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}
NO_GRACE = timedelta(0)


def _subscribed(app: Plansmith, org: str, clock: TestClock) -> list[str]:
    """SUBSCRIBERS new subscriptions, their first period pending: each run invoices it once."""
    seed_catalog(app, org, plans={"seat": PLAN}, add_ons=False)
    clock.set(local_at(date(2027, 1, 10), "UTC", 9))
    ids = []
    for n in range(SUBSCRIBERS):
        account = new_account(app, org, "USD", "UTC", name=f"Customer {n}")
        started = subscribe(app.uow(), clock, org, SubscribeInput(account, "seat", quantity=2))
        ids.append(started.view.subscription.id)
    return ids


def _run(app: Plansmith, run_id: str) -> RunRecord:
    with app.uow() as uow:
        found = uow.billing_runs.get_run(run_id)
    assert found is not None
    return found


def _invoices_per_subscription(app: Plansmith) -> dict[str, int]:
    i = t.invoices.c
    with app.engine.connect() as connection:
        q = select(i.subscription_id, func.count()).group_by(i.subscription_id)
        rows = connection.execute(q)
        return {sub_id: int(n) for sub_id, n in rows}


def _die_after_first_batch(app: Plansmith, clock: TestClock, org: str) -> RunLog:
    """What `run_billing` leaves when its process is killed after its first batch committed."""
    log = start_run(app.uow(), app.watch, org, clock.now())
    first = next(batches(app.uow(), org, clock.now(), BATCH))
    bill_batch(app.uow(), clock, first, NO_GRACE, log=log)
    return log


def test_each_batch_counts_itself_and_a_run_an_error_stopped_says_failed(
    container: Plansmith, tenant: Tenant, clock: TestClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = tenant.organization_id
    ids = _subscribed(container, org, clock)
    real = billing_run.bill_batch
    calls = []

    def broken_in_second_batch(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("a bug met in the second batch, before its commit")
        return real(*args, **kwargs)

    monkeypatch.setattr(billing_run, "bill_batch", broken_in_second_batch)
    with pytest.raises(RuntimeError):
        run_billing(container.uow(), clock, org, grace=NO_GRACE, batch=BATCH)
    monkeypatch.undo()
    (failed,) = _runs(container, org)
    billed_by_failed = sum(_invoices_per_subscription(container).values())

    finished = run_billing(container.uow(), clock, org, grace=NO_GRACE, batch=BATCH)

    assert (failed.status, failed.finished_at) == ("failed", None)
    assert (failed.invoiced, failed.finalized) == (BATCH, BATCH) == (billed_by_failed,) * 2
    assert (finished.status, finished.invoiced) == ("finished", SUBSCRIBERS - BATCH)
    assert finished.finished_at == clock.now()
    assert _invoices_per_subscription(container) == dict.fromkeys(ids, 1)
    assert _run(container, failed.id) == failed  # the next run leaves a failed one as it is


def _runs(app: Plansmith, org: str) -> list[RunRecord]:
    with app.uow() as uow:
        return list(uow.billing_runs.runs(org, 100))


def test_a_dead_run_is_abandoned_by_the_next_run_of_its_scope_after_the_lease(
    container: Plansmith,
    tenant: Tenant,
    other_tenant: Tenant,
    clock: TestClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org = tenant.organization_id
    ids = _subscribed(container, org, clock)
    dead = _die_after_first_batch(container, clock, org)
    left_by_death = _run(container, dead.run_id)
    watch = container.watch

    clock.advance(watch.lease - timedelta(seconds=1))
    within = run_billing(container.uow(), clock, org, grace=NO_GRACE, watch=watch)
    still = _run(container, dead.run_id)
    clock.advance(timedelta(seconds=2))
    other = run_billing(container.uow(), clock, other_tenant.organization_id, grace=NO_GRACE)
    not_by_other = _run(container, dead.run_id)
    monkeypatch.setattr(main, "bootstrap", lambda settings=None: container)
    cli = CliRunner().invoke(main.app, ["bill", "--org", org])
    after = _run(container, dead.run_id)

    assert (left_by_death.status, left_by_death.invoiced, left_by_death.finalized) == (
        "running",
        BATCH,
        BATCH,
    )
    assert left_by_death.progress_at == local_at(date(2027, 1, 10), "UTC", 9)
    assert (within.invoiced, still.status) == (SUBSCRIBERS - BATCH, "running")
    assert (other.invoiced, not_by_other.status) == (0, "running")
    assert cli.exit_code == 0, cli.output
    cli_run = next(r for r in _runs(container, org) if r.id not in (dead.run_id, within.id))
    assert (after.status, after.abandoned_by, after.finished_at) == ("abandoned", cli_run.id, None)
    assert (after.invoiced, after.finalized) == (BATCH, BATCH)  # what it did, still true
    assert (cli_run.status, cli_run.invoiced) == ("finished", 0)
    assert _invoices_per_subscription(container) == dict.fromkeys(ids, 1)


def test_a_sandbox_run_is_watched_by_the_wall_clock_not_its_frozen_one(
    container: Plansmith, clock: TestClock
) -> None:
    sandbox = create_organization(container.uow(), clock, "Frozen Ltd", sandbox=True)
    frozen = FrozenClock(clock.now())
    dead = start_run(container.uow(), container.watch, sandbox.id, frozen.now())
    clock.advance(container.watch.lease + timedelta(seconds=1))  # only the wall clock moves

    later = run_billing(container.uow(), frozen, sandbox.id, grace=NO_GRACE, watch=container.watch)

    assert later.as_of == _run(container, dead.run_id).as_of == frozen.now()
    assert _run(container, dead.run_id).status == "abandoned"
    assert later.progress_at == clock.now()


class _Sent:
    """The jobs as a queue would hold them, to be run in any order (a real queue: below)."""

    def __init__(self) -> None:
        self.jobs: list[tuple[str, tuple[Any, ...]]] = []

    def bill_subscriptions(self, org: str, subs: Any, run_id: str, job: int) -> None:
        self.jobs.append(("bill", (org, list(subs), run_id, job)))

    def finalize_draft(self, org: str, invoice_id: str, run_id: str, job: int) -> None:
        self.jobs.append(("finalize", (org, invoice_id, run_id, job)))


def test_a_run_on_workers_is_finished_by_its_last_job_and_counts_a_redelivered_job_once(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    ids = _subscribed(container, org, clock)
    sent = _Sent()
    jobs: BillingJobs = sent

    dispatched = dispatch_run(container.uow(), clock, org, jobs, batch=BATCH)
    sent_only = _run(container, dispatched.run_id)
    seen = []
    for _kind, (job_org, subs, run_id, job) in [*sent.jobs, sent.jobs[0]]:  # one twice
        log = RunLog(run_id, clock)
        bill_job(container.uow(), clock, job_org, subs, NO_GRACE, log, job)
        seen.append(_run(container, run_id))

    assert (dispatched.jobs, dispatched.sent) == (3, SUBSCRIBERS)
    assert (sent_only.status, sent_only.jobs, sent_only.jobs_done) == ("running", 3, 0)
    assert [(r.status, r.jobs_done, r.invoiced) for r in seen] == [
        ("running", 1, 5),
        ("running", 2, 10),
        ("finished", 3, 12),
        ("finished", 3, 12),  # delivered twice: billed nothing, counted once
    ]
    assert seen[-1].finished_at == clock.now()
    assert _invoices_per_subscription(container) == dict.fromkeys(ids, 1)


def test_jobs_done_before_the_dispatch_ended_let_the_dispatch_finish_the_run(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    _subscribed(container, org, clock)
    log = start_run(container.uow(), container.watch, org, clock.now())
    for job, chunk in enumerate(batches(container.uow(), org, clock.now(), BATCH)):
        subs = [sub for _org, sub in chunk]
        bill_job(container.uow(), clock, org, subs, NO_GRACE, log, job)  # before all are sent
    while_sending = _run(container, log.run_id)

    with container.uow() as uow:
        uow.billing_runs.run_dispatched(log.run_id, 3, clock.now())
        uow.commit()

    assert (while_sending.status, while_sending.jobs, while_sending.jobs_done) == (
        "running",
        None,
        3,
    )
    assert _run(container, log.run_id).status == "finished"


def test_runs_are_listed_with_their_status_through_the_api(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    _subscribed(container, org, clock)
    dead = _die_after_first_batch(container, clock, org)
    clock.advance(container.watch.lease + timedelta(seconds=1))

    with TestClient(create_app(container)) as client:
        made = client.post("/v1/billing_runs", headers=tenant.headers)
        listed = client.get("/v1/billing_runs", headers=tenant.headers).json()["data"]

    assert made.status_code == 201, made.text
    assert made.json()["status"] == "finished" and made.json()["invoiced"] == SUBSCRIBERS - BATCH
    shown = {r["id"]: r for r in listed}[dead.run_id]
    assert (shown["status"], shown["abandoned_by"], shown["invoiced"]) == (
        "abandoned",
        made.json()["id"],
        BATCH,
    )
    assert shown["jobs"] is None and shown["finished_at"] is None


@pytest.mark.postgres
def test_a_run_on_real_workers_ends_finished_with_its_true_counts(
    postgres_database: str, clock: TestClock
) -> None:
    from tests.integration.test_billing_workers import REDIS_URL, _redis_reason

    if reason := _redis_reason():
        pytest.skip(reason)
    _truncate(postgres_database)
    settings = Settings(
        database_url=postgres_database,
        secret_key="workers",
        redis_url=REDIS_URL,
        job_namespace=f"plansmith-test-{uuid.uuid4().hex[:8]}",
        invoice_grace_minutes=0,
    )
    app = bootstrap(settings, clock=clock)
    org = create_organization(app.uow(), clock, "Workers Ltd").id
    ids = _subscribed(app, org, clock)
    worker = make_worker(app, threads=2)  # Dramatiq on Redis, in this process
    worker.start()
    try:
        done = dispatch_run(app.uow(), clock, org, billing_jobs(app), batch=BATCH)
        deadline = time.monotonic() + 120  # polls for the end; asserts nothing on time
        while _run(app, done.run_id).status != "finished" and time.monotonic() < deadline:
            time.sleep(0.1)
        record = _run(app, done.run_id)
        invoiced = _invoices_per_subscription(app)
    finally:
        worker.stop()
        app.dispose()

    assert (record.status, record.jobs, record.jobs_done) == ("finished", 3, 3)
    assert (record.invoiced, record.finalized, record.errors) == (SUBSCRIBERS, SUBSCRIBERS, ())
    assert invoiced == dict.fromkeys(ids, 1)
