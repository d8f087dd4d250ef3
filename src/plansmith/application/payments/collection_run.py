"""The collection run: every invoice due for an attempt now, walked in invoice id order and
collected in batches of one organization's invoices (here, or by worker processes)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.payments.balance import spread_waiting_credits
from plansmith.application.payments.collection import settle_unsettled
from plansmith.application.payments.collection_batch import BatchCollected, collect_batch
from plansmith.application.payments.ports import PaymentGateway
from plansmith.domain.payments.payments import IN_FLIGHT, PaymentStatus


@dataclass(frozen=True)
class CollectionRun:
    attempted: int  # invoices collected or looked at
    succeeded: int  # payments that succeeded
    failed: int
    unknown: int
    errors: tuple[tuple[str, str], ...] = ()  # (invoice id, what went wrong)


def run_collection(
    uow: UnitOfWork,
    gateway_for: Callable[[str], PaymentGateway],
    clock: Clock,
    organization_id: str | None,
    *,
    batch: int = 500,
    collect: Callable[[str, Sequence[str]], BatchCollected | None] | None = None,
) -> CollectionRun:
    """Every invoice due for an attempt now, of one organization (None: every live one), in
    invoice id order, each once, in batches of one organization's invoices. ``collect``: how
    a batch is collected (default: here, now, by ``collect_batch``); a job system passes a
    function that hands it to a worker instead and returns None (its invoices are counted as
    attempted; their outcomes are the worker's). First, top-ups and refunds in flight are
    asked about, then credits waiting on balances (a cancellation's negative invoice) pay
    their accounts' open invoices."""
    gateways: dict[str, PaymentGateway] = {}  # each organization's, looked up once a run

    def here(org: str, invoice_ids: Sequence[str]) -> BatchCollected | None:
        gateway = gateways.get(org)
        if gateway is None:
            gateway = gateways[org] = gateway_for(org)
        return collect_batch(uow, gateway, clock, org, invoice_ids)

    many = collect or here
    now = clock.now()
    settle_unsettled(uow, gateway_for, clock, organization_id)
    spread_waiting_credits(uow, organization_id, now)
    after: str | None = None
    attempted = succeeded = failed = unknown = 0
    errors: list[tuple[str, str]] = []
    while True:
        with uow:
            due = uow.collections.due(organization_id, now, batch, after)
        if not due:
            break
        for org, invoice_ids in _by_organization(due):
            attempted += len(invoice_ids)
            done = many(org, invoice_ids)
            if done is None:  # handed to a worker
                continue
            errors.extend(done.errors)
            for outcome in done.outcomes:
                status = outcome.payment.status if outcome.payment else None
                succeeded += status is PaymentStatus.SUCCEEDED
                failed += status is PaymentStatus.FAILED
                unknown += status in IN_FLIGHT if status is not None else 0
        after = due[-1][1]
    return CollectionRun(attempted, succeeded, failed, unknown, tuple(errors))


def _by_organization(due: Sequence[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """(organization id, its invoice ids) of a page of due invoices, in the page's order."""
    groups: dict[str, list[str]] = {}
    for org, invoice_id in due:
        groups.setdefault(org, []).append(invoice_id)
    return list(groups.items())
