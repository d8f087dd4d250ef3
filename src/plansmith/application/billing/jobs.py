"""A billing run spread over worker processes: one job per batch of subscriptions that are
due or have pending items, one per draft past its grace.

The run has a record like any other (see run_records): each job adds what it did to it in
its own transactions, then counts itself done once (a job delivered twice is counted once);
the job that completes the last one finishes the run. Jobs are idempotent, so a job sent
twice, a worker killed mid-job or a second dispatch bills nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from plansmith.application.billing.run import BatchResult, batches, bill_batch
from plansmith.application.billing.run_records import (
    RunLog,
    RunWatch,
    publish_if_finished,
    start_run,
)
from plansmith.application.invoicing.invoices import finalize_in
from plansmith.application.kernel.errors import Conflict
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.domain.invoicing.invoice import InvoiceStatus


class BillingJobs(Protocol):
    """A job system that runs billing work on worker processes (Dramatiq on Redis)."""

    def bill_subscriptions(
        self, organization_id: str, subscription_ids: Sequence[str], run_id: str, job: int
    ) -> None: ...
    def finalize_draft(
        self, organization_id: str, invoice_id: str, run_id: str, job: int
    ) -> None: ...


@dataclass(frozen=True)
class Dispatch:
    run_id: str
    sent: int  # subscriptions and drafts
    jobs: int


def dispatch_run(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str | None,
    jobs: BillingJobs,
    *,
    batch: int = 500,
    watch: RunWatch | None = None,
) -> Dispatch:
    """Record a run and send its jobs; the workers' jobs finish it."""
    as_of = clock.now()
    log = start_run(uow, watch or RunWatch(clock), organization_id, as_of)
    sent = job = 0
    for chunk in batches(uow, organization_id, as_of, batch):
        jobs.bill_subscriptions(chunk[0][0], [sub_id for _org, sub_id in chunk], log.run_id, job)
        sent, job = sent + len(chunk), job + 1
    with uow:
        drafts = list(uow.invoices.drafts_to_finalize(organization_id, as_of, 100_000))
    for org, invoice_id in drafts:
        jobs.finalize_draft(org, invoice_id, log.run_id, job)
        sent, job = sent + 1, job + 1
    with uow:
        at, until = log.stamp()
        uow.billing_runs.run_dispatched(log.run_id, job, at, until)
        publish_if_finished(uow, log.run_id, at)  # no job at all, or all done already
        uow.commit()
    return Dispatch(log.run_id, sent, job)


def _job_done(uow: UnitOfWork, log: RunLog | None, job: int | None) -> None:
    if log is None or job is None:
        return
    with uow:
        at, until = log.stamp()
        if uow.billing_runs.run_job_done(log.run_id, job, at, until):
            publish_if_finished(uow, log.run_id, at)
        uow.commit()


def bill_job(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_ids: Sequence[str],
    grace: timedelta,
    log: RunLog | None = None,
    job: int | None = None,
) -> BatchResult:
    """The body of a batch job (``log`` and ``job``: which run and job it is, if any)."""
    pairs = [(organization_id, sub_id) for sub_id in subscription_ids]
    done = bill_batch(uow, clock, pairs, grace, log=log)
    _job_done(uow, log, job)
    return done


def finalize_draft(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    invoice_id: str,
    log: RunLog | None = None,
    job: int | None = None,
) -> bool:
    """The body of a draft job: finalize a draft whose grace is over; False if it is not one
    (any more), or another worker finalized it meanwhile."""
    finalized = False
    try:
        with uow:
            invoice = uow.invoices.hold_invoice(organization_id, invoice_id)
            if (
                invoice is not None
                and invoice.status is InvoiceStatus.DRAFT
                and invoice.finalize_after <= clock.now()
            ):
                finalize_in(uow, invoice, clock.now())
                if log is not None:
                    log.count(uow, 0, 0, 1)
                uow.commit()
                finalized = True
    except Conflict:  # finalized by another worker meanwhile
        if log is not None:
            log.problems(uow, 1, [])
    _job_done(uow, log, job)
    return finalized
