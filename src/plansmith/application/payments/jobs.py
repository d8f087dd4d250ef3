"""Collection on worker processes: the run walks the invoices due for an attempt and sends one
job per invoice, carrying only (organization id, invoice id); a worker collects it with
``collect_invoice``. A job delivered twice, or sent again by the next round while the first is
still running, collects once: the second finds the first's payment in flight and asks the
gateway about it with the same idempotency key, and outcomes are recorded by conditional
updates (see collection)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.payments.collection import CollectionRun, run_collection
from plansmith.application.payments.ports import PaymentGateway


class CollectionJobs(Protocol):
    """A job system that collects invoices on worker processes (Dramatiq on Redis)."""

    def collect_invoice(self, organization_id: str, invoice_id: str) -> None: ...


def dispatch_collection(
    uow: UnitOfWork,
    gateway_for: Callable[[str], PaymentGateway],
    clock: Clock,
    organization_id: str | None,
    jobs: CollectionJobs,
    *,
    batch: int = 500,
) -> CollectionRun:
    """Send a job for each invoice due for an attempt now (of one organization, or of every
    live one): ``attempted`` counts the jobs sent; the outcomes are the workers'."""

    def send(org: str, invoice_id: str) -> None:
        jobs.collect_invoice(org, invoice_id)

    return run_collection(uow, gateway_for, clock, organization_id, batch=batch, collect=send)
