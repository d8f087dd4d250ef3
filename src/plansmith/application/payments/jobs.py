"""Collection on worker processes: the run walks the invoices due for an attempt and sends one
job per batch of one organization's invoices, carrying only (organization id, invoice ids); a
worker collects it with ``collect_batch``. A job delivered twice, or sent again by the next
round while the first is still running, collects once: the second finds the first's payments
in flight and asks the gateway about each with the same idempotency key, and outcomes are
recorded under the invoices' row locks (see collection_batch)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.payments.collection_batch import BatchCollected
from plansmith.application.payments.collection_run import CollectionRun, run_collection
from plansmith.application.payments.ports import PaymentGateway


class CollectionJobs(Protocol):
    """A job system that collects invoices on worker processes (Dramatiq on Redis)."""

    def collect_invoices(self, organization_id: str, invoice_ids: Sequence[str]) -> None: ...


def dispatch_collection(
    uow: UnitOfWork,
    gateway_for: Callable[[str], PaymentGateway],
    clock: Clock,
    organization_id: str | None,
    jobs: CollectionJobs,
    *,
    batch: int = 500,
) -> CollectionRun:
    """Send a job for each batch of invoices due for an attempt now (of one organization, or
    of every live one): ``attempted`` counts the invoices sent; the outcomes are the
    workers'."""

    def send(org: str, invoice_ids: Sequence[str]) -> BatchCollected | None:
        jobs.collect_invoices(org, invoice_ids)
        return None

    return run_collection(uow, gateway_for, clock, organization_id, batch=batch, collect=send)
