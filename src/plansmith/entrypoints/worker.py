"""`plansmith worker`: a process that runs billing jobs from Redis (Dramatiq) until stopped.

Start as many as you like, on as many machines; each job is one subscription (or one draft)
in its own transaction, and a job done twice finds nothing left to do.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading

import dramatiq

from plansmith.adapters.jobs import DramatiqBillingJobs, declare_actors, redis_broker
from plansmith.application.billing_run import finalize_draft, invoice_subscription
from plansmith.application.errors import Conflict
from plansmith.bootstrap import Plansmith
from plansmith.domain.errors import DomainError

log = logging.getLogger("plansmith.worker")


def billing_jobs(plansmith: Plansmith) -> DramatiqBillingJobs:
    url = plansmith.settings.redis_url
    if not url:
        raise RuntimeError("set PLANSMITH_REDIS_URL to use workers")
    return DramatiqBillingJobs(redis_broker(url, plansmith.settings.job_namespace))


def make_worker(plansmith: Plansmith, threads: int = 1) -> dramatiq.Worker:
    jobs = billing_jobs(plansmith)

    def bill(organization_id: str, subscription_id: str) -> None:
        try:
            invoice_subscription(
                plansmith.uow(),
                plansmith.clock,
                organization_id,
                subscription_id,
                plansmith.invoice_grace,
            )
        except Conflict:
            pass  # another worker billed it at the same moment: done
        except DomainError as exc:  # a rule refuses: retrying cannot help; the run reports it
            log.warning("could not bill %s (%s): %s", subscription_id, exc.code, exc.message)

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
