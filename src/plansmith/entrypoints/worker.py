"""`plansmith worker`: a process that runs billing and collection jobs from Redis (Dramatiq)
until stopped.

Start as many as you like, on as many machines; each billing job is a batch of subscriptions
(or one draft) in one transaction, each collection job one invoice, and a job done twice finds
nothing left to do.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading

import dramatiq

from plansmith.adapters.jobs import DramatiqBillingJobs, declare_actors, redis_broker
from plansmith.application.billing.jobs import bill_job, finalize_draft
from plansmith.application.billing.run_records import RunLog
from plansmith.application.payments.collection_batch import collect_batch
from plansmith.application.payments.ports import PaymentGateway
from plansmith.bootstrap import Plansmith
from plansmith.domain.kernel.errors import DomainError
from plansmith.entrypoints.relay_loop import RelayLoop

log = logging.getLogger("plansmith.worker")


def billing_jobs(plansmith: Plansmith) -> DramatiqBillingJobs:
    url = plansmith.settings.redis_url
    if not url:
        raise RuntimeError("set PLANSMITH_REDIS_URL to use workers")
    return DramatiqBillingJobs(redis_broker(url, plansmith.settings.job_namespace))


def make_worker(plansmith: Plansmith, threads: int = 1) -> dramatiq.Worker:
    jobs = billing_jobs(plansmith)

    def log_of(run_id: str | None) -> RunLog | None:
        return (
            None if run_id is None else RunLog(run_id, plansmith.clock, lease=plansmith.watch.lease)
        )

    # run_id and job are None in jobs sent before runs on workers had records.
    def bill(
        organization_id: str,
        subscription_ids: list[str],
        run_id: str | None = None,
        job: int | None = None,
    ) -> None:
        # Errors of single subscriptions are reported by the batch (and on the run's record),
        # not raised: retrying cannot help a rule that refuses; the next run reports them again.
        done = bill_job(
            plansmith.uow(),
            plansmith.clock,
            organization_id,
            subscription_ids,
            plansmith.invoice_grace,
            log_of(run_id),
            job,
        )
        for error in done.errors:
            log.warning(
                "could not bill %s (%s): %s",
                error["subscription_id"],
                error["code"],
                error["message"],
            )

    def finalize(
        organization_id: str, invoice_id: str, run_id: str | None = None, job: int | None = None
    ) -> None:
        finalize_draft(
            plansmith.uow(), plansmith.clock, organization_id, invoice_id, log_of(run_id), job
        )

    # An organization's gateway, looked up once per process: whether it is a sandbox never
    # changes, and the settings are the process's.
    gateways: dict[str, PaymentGateway] = {}

    def collect(organization_id: str, invoice_ids: list[str]) -> None:
        gateway = gateways.get(organization_id)
        if gateway is None:
            gateway = gateways[organization_id] = plansmith.gateway_for(organization_id)
        try:
            done = collect_batch(
                plansmith.uow(), gateway, plansmith.clock, organization_id, invoice_ids
            )
        except DomainError as exc:
            # A rule that refuses (an invoice gone) will refuse again: reported, not retried;
            # the next round looks at the batch's invoices again.
            log.warning(
                "could not collect %d invoice(s) (%s): %s", len(invoice_ids), exc.code, exc.message
            )
            return
        for invoice_id, why in done.errors:  # e.g. a customer paying it this very moment
            log.warning("could not collect %s: %s", invoice_id, why)

    declare_actors(jobs.broker, bill, finalize, collect)
    return dramatiq.Worker(jobs.broker, worker_threads=threads)


def collect_for_batches() -> None:
    """Set this process's cyclic garbage collector for billing batches. A batch makes about
    a hundred objects per subscription, most living until its end; at the default thresholds
    the collector ran every 700 of them and walked the whole heap (every module, table and
    route loaded at start-up) every 70,000: a fifth of a worker's time. What start-up loaded
    is frozen out of its way, and it runs every 10,000 (young) and rarely over all."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 50, 100)


def run_worker(plansmith: Plansmith, threads: int = 1) -> None:
    """Work until SIGTERM or SIGINT, then finish the jobs in hand and stop. The outbox relay
    runs here too (one worker at a time delivers, by its lease)."""
    from plansmith.entrypoints.webui.mail import equip

    worker = make_worker(plansmith, threads)
    collect_for_batches()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    every = plansmith.settings.relay_every_seconds
    relay = RelayLoop(equip(plansmith).relay(), every) if every > 0 else None
    worker.start()
    if relay is not None:
        relay.start()
    try:
        stop.wait()
    finally:
        if relay is not None:
            relay.stop()
        worker.stop()
