"""`plansmith worker`: a process that runs billing jobs from Redis (Dramatiq) until stopped.

Start as many as you like, on as many machines; each job is a batch of subscriptions (or one
draft) in one transaction, and a job done twice finds nothing left to do.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading

import dramatiq

from plansmith.adapters.jobs import DramatiqBillingJobs, declare_actors, redis_broker
from plansmith.application.billing_run import bill_batch, finalize_draft
from plansmith.application.errors import Conflict
from plansmith.bootstrap import Plansmith

log = logging.getLogger("plansmith.worker")


def billing_jobs(plansmith: Plansmith) -> DramatiqBillingJobs:
    url = plansmith.settings.redis_url
    if not url:
        raise RuntimeError("set PLANSMITH_REDIS_URL to use workers")
    return DramatiqBillingJobs(redis_broker(url, plansmith.settings.job_namespace))


def make_worker(plansmith: Plansmith, threads: int = 1) -> dramatiq.Worker:
    jobs = billing_jobs(plansmith)

    def bill(organization_id: str, subscription_ids: list[str]) -> None:
        # Errors of single subscriptions are reported by the batch, not raised: retrying
        # cannot help a rule that refuses; the next run reports them again.
        pairs = [(organization_id, sub_id) for sub_id in subscription_ids]
        done = bill_batch(plansmith.uow(), plansmith.clock, pairs, plansmith.invoice_grace)
        for error in done.errors:
            log.warning(
                "could not bill %s (%s): %s",
                error["subscription_id"],
                error["code"],
                error["message"],
            )

    def finalize(organization_id: str, invoice_id: str) -> None:
        with contextlib.suppress(Conflict):  # finalized by another worker meanwhile
            finalize_draft(plansmith.uow(), plansmith.clock, organization_id, invoice_id)

    declare_actors(jobs.broker, bill, finalize)
    return dramatiq.Worker(jobs.broker, worker_threads=threads)


def run_worker(plansmith: Plansmith, threads: int = 1) -> None:
    """Work until SIGTERM or SIGINT, then finish the jobs in hand and stop."""
    worker = make_worker(plansmith, threads)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    try:
        stop.wait()
    finally:
        worker.stop()
