"""Collecting a batch of one organization's invoices at once, with the very rules of
``collect_invoice`` and a fixed number of statements per batch.

The common case, an open invoice due for its first attempt with a default card and no
balance, no attempt in flight and no dunning state, goes the batch's way: the invoices held
and read at once, their pending payments written together and committed, the gateway asked
about all of them outside any transaction (each with its own idempotency key), then the
invoices held again and the answers recorded together: payments settled, ledger posted,
invoices paid, events published, one transaction. Whatever is not that case (an attempt in
flight, a retry, a balance to take first, no card, a decline, an unknown outcome, an
invoice voided or paid meanwhile) is left to ``collect_invoice`` or recorded by the same
function a single payment is recorded with, invoice by invoice: rare, and written once.

Crash safety is the single path's: the pending payments are committed before the gateway
is called, so a batch killed after charging leaves them in flight, and the next collection
of those invoices asks the gateway about each with the same key (captured at most once).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from plansmith.application.invoicing.invoices import held_invoice
from plansmith.application.kernel.errors import Conflict
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.payments.collection import (
    Collected,
    card_request,
    collect_invoice,
    record_held,
)
from plansmith.application.payments.ports import ChargeRequest, HeldBatch, PaymentGateway
from plansmith.domain.invoicing import postings
from plansmith.domain.invoicing.events import InvoicePaid, invoice_fields
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from plansmith.domain.invoicing.ledger import Transaction
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.events import DomainEvent
from plansmith.domain.payments.events import PaymentSucceeded, payment_fields
from plansmith.domain.payments.payments import Payment, PaymentKind, PaymentStatus
from plansmith.domain.subscriptions.subscription import Status

# The one status paying an invoice moves a subscription from (to active: recovered).
_MOVED = Status.PAST_DUE.value


@dataclass(frozen=True)
class BatchCollected:
    """What a batch did: the outcome of each invoice it tried or recorded (those charged
    together first, then the others in the order given; an invoice whose payment another
    worker recorded meanwhile has none here), and the refusals, (invoice id, why)."""

    outcomes: Sequence[Collected]
    errors: Sequence[tuple[str, str]]


def _chargeable(invoice: Invoice, batch: HeldBatch) -> bool:
    """The batch's case: nothing about the invoice but its first charge to decide."""
    return (
        invoice.status is InvoiceStatus.OPEN
        and invoice.totals.amount_due > 0
        and invoice.id not in batch.in_flight
        and invoice.id not in batch.collected
        and (invoice.account_id, invoice.currency) not in batch.holding_credit
        and invoice.account_id in batch.cards
    )


def _paid_in_full(invoice: Invoice, payment: Payment, batch: HeldBatch) -> bool:
    """A capture that pays exactly what the held invoice owes, whose paying moves nothing
    else (no dunning state to end, no past-due subscription to recover)."""
    status = batch.subscription_status.get(invoice.subscription_id or "")
    return (
        payment.status is PaymentStatus.SUCCEEDED
        and invoice.status is InvoiceStatus.OPEN
        and invoice.totals.amount_due == payment.amount
        and invoice.id not in batch.collected
        and status != _MOVED
    )


def _pending(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    organization_id: str,
    ids: Sequence[str],
    now: datetime,
) -> tuple[list[Payment], list[ChargeRequest], list[str]]:
    """Write the pending payments of the batch's case (committed), with what to ask the
    gateway for each; the other invoices' ids."""
    payments: list[Payment] = []
    requests: list[ChargeRequest] = []
    others: list[str] = []
    with uow:
        batch = uow.collection_batches.hold(organization_id, ids)
        held = {i.id for i in batch.invoices}
        others.extend(i for i in ids if i not in held)  # collect_invoice says why
        for invoice in batch.invoices:
            if not _chargeable(invoice, batch):
                others.append(invoice.id)
                continue
            pid = new_id("pay")
            card = batch.cards[invoice.account_id]
            payment = Payment(
                id=pid,
                organization_id=organization_id,
                account_id=invoice.account_id,
                kind=PaymentKind.PAYMENT,
                status=PaymentStatus.PENDING,
                amount=invoice.totals.amount_due,
                currency=invoice.currency,
                idempotency_key=f"{pid}-collect",
                created_at=now,
                invoice_id=invoice.id,
                payment_method_id=card.id,
                gateway=gateway.name,
            )
            payments.append(payment)
            requests.append(card_request(payment, card, f"invoice {invoice.number or invoice.id}"))
        if payments:
            uow.collection_batches.add_payments(payments)
        uow.commit()
    return payments, requests, others


def _record(
    uow: UnitOfWork, organization_id: str, settled: Sequence[Payment], now: datetime
) -> list[Collected]:
    """Record the gateway's answers (``settled``: each pending payment as its answer leaves
    it) in one transaction: the payments still in flight are this batch's to record."""
    outcomes: list[Collected] = []
    with uow:
        by_invoice = {p.invoice_id or "": p for p in settled}
        batch = uow.collection_batches.hold(organization_id, list(by_invoice), to_charge=False)
        paid: list[tuple[Invoice, Payment]] = []
        for invoice in batch.invoices:
            payment = by_invoice[invoice.id]
            current = batch.in_flight.get(invoice.id)
            if current is None or current.id != payment.id:
                continue  # recorded meanwhile by whoever resolved it: theirs stands
            if _paid_in_full(invoice, payment, batch):
                paid.append((invoice, payment))
                continue
            full = held_invoice(uow, organization_id, invoice.id)
            after = record_held(uow, full, payment, now, automatic=True)
            outcomes.append(Collected(after or full, payment))
        outcomes.extend(_paid_together(uow, paid, now))
        uow.commit()
    return outcomes


def _paid_together(
    uow: UnitOfWork, paid: Sequence[tuple[Invoice, Payment]], now: datetime
) -> list[Collected]:
    """Captures that pay their invoices in full, written at once: what record_held does for
    one (the payment settled, posted, the invoice paid, the same events in the same order)."""
    posts: list[Transaction] = []
    invoices: list[Invoice] = []
    events: list[DomainEvent] = []
    outcomes: list[Collected] = []
    for invoice, payment in paid:
        posts.append(postings.paid(new_id("txn"), invoice, payment.amount, now))
        totals = replace(invoice.totals, amount_due=0)
        after = replace(invoice, totals=totals).moved(InvoiceStatus.PAID, now)
        invoices.append(after)
        events.append(InvoicePaid(**invoice_fields(after, now), paid_amount=payment.amount))
        events.append(PaymentSucceeded(**payment_fields(payment, now)))
        outcomes.append(Collected(after, payment))
    if paid:
        uow.collection_batches.settle_payments([p for _i, p in paid])
        uow.collection_batches.post(posts)
        uow.collection_batches.update_invoices(invoices)
        uow.publish(events)
    return outcomes


def collect_batch(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    organization_id: str,
    invoice_ids: Sequence[str],
) -> BatchCollected:
    """Collect these invoices of one organization as ``collect_invoice`` would collect each
    (a retry only when due), the common case together and first: the order of the others
    is kept, but they come after it (ids are random: no order among invoices is promised)."""
    now = clock.now()
    try:
        pending, requests, others = _pending(uow, gateway, organization_id, invoice_ids, now)
    except Conflict:  # a payment started meanwhile outside a held invoice: one by one
        pending, requests, others = [], [], list(invoice_ids)
    outcomes: list[Collected] = []
    if pending:
        answers = gateway.charge_many(requests)
        settled = [p.answered(a, now) for p, a in zip(pending, answers, strict=True)]
        outcomes.extend(_record(uow, organization_id, settled, now))
    errors: list[tuple[str, str]] = []
    for invoice_id in others:
        try:
            outcomes.append(collect_invoice(uow, gateway, clock, organization_id, invoice_id))
        except DomainError as exc:  # e.g. a customer paying it at this very moment
            errors.append((invoice_id, exc.message))
    return BatchCollected(outcomes, errors)
