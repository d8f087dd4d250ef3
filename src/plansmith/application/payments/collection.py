"""Collecting an invoice: the balance first, then one attempt at the card.

Each attempt is a payment written ``pending`` with its own idempotency key and committed
*before* the gateway is called; the answer is recorded by a conditional update in a second
transaction. A payment found pending or unknown (a crash, a timeout, another worker in the
middle) is resolved first by sending the very same request with the very same key again:
the gateway answers what really happened, so an invoice is captured at most once per payment,
and a timeout counts as what it really was. The gateway is never called inside a
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from plansmith.application.invoicing.invoices import held_invoice
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.payments import dunning
from plansmith.application.payments.balance import (
    PAYABLE,
    paid_by,
    take_balance,
)
from plansmith.application.payments.ports import ChargeRequest, PaymentGateway
from plansmith.domain.invoicing import postings
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.payments.events import PaymentFailed, PaymentSucceeded, payment_fields
from plansmith.domain.payments.payments import (
    IN_FLIGHT,
    GatewayAnswer,
    Outcome,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
)

IN_FLIGHT_VALUES = tuple(s.value for s in IN_FLIGHT)
NO_CARD = "no_payment_method"


@dataclass(frozen=True)
class Collected:
    """Where an invoice stands after a collection: its state, the payment made now (None:
    nothing was tried at the card) and whether that payment answered for sure."""

    invoice: Invoice
    payment: Payment | None


def card_request(payment: Payment, method: PaymentMethod, description: str) -> ChargeRequest:
    return ChargeRequest(
        payment.idempotency_key,
        payment.amount,
        payment.currency,
        method.token,
        method.customer_ref,
        description,
    )


def record_answer(
    uow: UnitOfWork,
    payment: Payment,
    answer: GatewayAnswer,
    now: datetime,
    *,
    automatic: bool,
) -> Payment:
    """Record what the gateway answered for a payment of an invoice, in one transaction:
    the payment settled (once: whoever settles it first), and then the invoice paid, or the
    failure counted by dunning (``automatic``: an attempt of the collection, not the
    customer's own "pay now"), or the unknown outcome scheduled to be asked again."""
    return _record(uow, payment, answer, now, automatic=automatic)[0]


def _record(
    uow: UnitOfWork,
    payment: Payment,
    answer: GatewayAnswer,
    now: datetime,
    *,
    automatic: bool,
) -> tuple[Payment, Invoice | None]:
    """record_answer, and the invoice as it stood when the transaction committed (None:
    another worker recorded the payment first; read it anew)."""
    assert payment.invoice_id is not None
    settled = payment.answered(answer, now)
    with uow:
        invoice = held_invoice(uow, payment.organization_id, payment.invoice_id)
        after = record_held(uow, invoice, settled, now, automatic=automatic)
        if after is None:
            stored = uow.payments.get(payment.organization_id, payment.id)
            return stored or settled, None  # another worker recorded it first: theirs stands
        uow.commit()
    return settled, after


def record_held(
    uow: UnitOfWork, invoice: Invoice, settled: Payment, now: datetime, *, automatic: bool
) -> Invoice | None:
    """Inside an open unit of work holding ``invoice``: record its payment as the gateway's
    answer left it (``settled``). The invoice after it; None if someone settled the payment
    first (nothing written)."""
    if not uow.payments.settle(settled, IN_FLIGHT_VALUES):
        return None
    if settled.status is PaymentStatus.SUCCEEDED:
        invoice = _captured(uow, invoice, settled, now)
        uow.publish([PaymentSucceeded(**payment_fields(settled, now))])
    elif settled.status is PaymentStatus.FAILED:
        uow.publish([PaymentFailed(**payment_fields(settled, now))])
        if automatic and invoice.status in PAYABLE:
            dunning.failed(uow, invoice, settled.created_at, now)
            invoice = _invoice_in(uow, invoice)  # the last failure may have moved it
    else:
        dunning.unknown(uow, invoice, now)
    return invoice


def _captured(uow: UnitOfWork, invoice: Invoice, payment: Payment, now: datetime) -> Invoice:
    """The card paid ``payment.amount``: it pays what the invoice owes; anything it no longer
    owes (paid or voided meanwhile) goes to the balance, never lost. The invoice after it."""
    owed = invoice.totals.amount_due if invoice.status in PAYABLE else 0
    pays = min(owed, payment.amount)
    if pays > 0:
        uow.ledger.post(postings.paid(new_id("txn"), invoice, pays, now))
        invoice = paid_by(uow, invoice, pays, now)
        if invoice.totals.amount_due == 0:
            dunning.paid_up(uow, invoice, now)
    rest = payment.amount - pays
    if rest > 0:
        uow.ledger.hold_credit(invoice.account_id)
        uow.ledger.post(
            postings.topped_up(
                new_id("txn"),
                invoice.organization_id,
                invoice.account_id,
                payment.id,
                rest,
                payment.currency,
                now,
                kind="overpayment",
            )
        )
    return invoice


def _card(uow: UnitOfWork, invoice: Invoice, method_id: str | None) -> PaymentMethod | None:
    if method_id is None:
        return uow.payment_methods.default_of(invoice.account_id)
    method = uow.payment_methods.get(invoice.organization_id, method_id)
    if method is None or method.account_id != invoice.account_id:
        raise NotFound(
            f"no payment method {method_id!r} on this account", field="payment_method_id"
        )
    return method


def _method_of(uow: UnitOfWork, payment: Payment) -> PaymentMethod | None:
    if payment.payment_method_id is None:
        return None
    found = uow.payment_methods.get(payment.organization_id, payment.payment_method_id)
    return found or uow.payment_methods.get_any(payment.payment_method_id)


def resolve(
    uow: UnitOfWork, gateway: PaymentGateway, payment: Payment, now: datetime, *, automatic: bool
) -> Payment:
    """Ask the gateway what became of a pending or unknown payment: the same request with the
    same key, which captures at most once."""
    with uow:
        method = _method_of(uow, payment)
    if method is None:
        answer = GatewayAnswer(Outcome.FAILED, None, NO_CARD, "the card was removed")
    else:
        answer = gateway.charge(card_request(payment, method, f"invoice {payment.invoice_id}"))
    return record_answer(uow, payment, answer, now, automatic=automatic)


def collect_invoice(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    organization_id: str,
    invoice_id: str,
    *,
    method_id: str | None = None,
    by_customer: bool = False,
    force: bool = False,
) -> Collected:
    """Collect what an invoice owes: resolve an attempt in flight, take the balance, then
    charge the card (``method_id``, or the default). ``by_customer``: the customer's own
    "pay now" (refusals are errors; a decline is not counted by dunning); ``force``: now,
    whatever the schedule (a card fixed, an operator's "retry now"); otherwise only when a
    retry is due (a woken collection may be due for an escalation stage only)."""
    now = clock.now()
    with uow:
        in_flight = uow.payments.in_flight(invoice_id)
    if in_flight is not None:
        if in_flight.organization_id != organization_id:
            raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
        resolved = resolve(
            uow, gateway, in_flight, now, automatic=in_flight_was_automatic(in_flight)
        )
        if resolved.status in IN_FLIGHT:
            if by_customer:
                raise Conflict(
                    "a payment of this invoice is being made; wait for its outcome",
                    field="invoice_id",
                    code=ec.PAYMENT_IN_PROGRESS,
                )
            return Collected(_current(uow, organization_id, invoice_id), resolved)
        # The resolved attempt counts as what it was: no second one for the collection run,
        # and none for a customer whose earlier attempt turned out to have paid it.
        if not by_customer or resolved.status is PaymentStatus.SUCCEEDED:
            return Collected(_current(uow, organization_id, invoice_id), resolved)
    with uow:
        invoice = held_invoice(uow, organization_id, invoice_id)
        if invoice.status not in PAYABLE or invoice.totals.amount_due <= 0:
            if by_customer:
                raise Conflict(
                    f"a {invoice.status} invoice owes nothing; there is nothing to pay",
                    field="invoice_id",
                    code=ec.NOT_PAYABLE,
                )
            dunning.stopped(uow, invoice, now)
            uow.commit()
            return Collected(invoice, None)
        collection = uow.collections.hold(invoice.id)
        if not (by_customer or force) and collection is not None:
            if collection.state != dunning.SCHEDULED:
                return Collected(invoice, None)
            if not dunning.is_retry_due(uow, invoice, collection, now):
                dunning.wake_for_stages(uow, invoice, collection, now)
                uow.commit()
                return Collected(invoice, None)
        invoice = take_balance(uow, invoice, now)
        if invoice.totals.amount_due == 0:
            dunning.paid_up(uow, invoice, now)
            uow.commit()
            return Collected(invoice, None)
        method = _card(uow, invoice, method_id)
        if method is None and by_customer:
            raise Conflict(
                "the account has no card; add one first",
                field="payment_method_id",
                code=ec.NO_PAYMENT_METHOD,
            )
        payment = Payment(
            id=(pid := new_id("pay")),
            organization_id=organization_id,
            account_id=invoice.account_id,
            kind=PaymentKind.PAYMENT,
            status=PaymentStatus.PENDING,
            amount=invoice.totals.amount_due,
            currency=invoice.currency,
            idempotency_key=f"{pid}-{'customer' if by_customer else 'collect'}",
            created_at=now,
            invoice_id=invoice.id,
            payment_method_id=method.id if method is not None else None,
            gateway=gateway.name if method is not None else None,
        )
        if method is None:  # nothing to charge: a failed attempt, counted by dunning
            failed = replace(
                payment,
                status=PaymentStatus.FAILED,
                decline_code=NO_CARD,
                message="the account has no card to charge",
                settled_at=now,
            )
            uow.payments.add(failed)
            uow.publish([PaymentFailed(**payment_fields(failed, now))])
            dunning.failed(uow, invoice, now, now)
            uow.commit()
            return Collected(_invoice_in(uow, invoice), failed)
        uow.payments.add(payment)  # Conflict(payment_in_progress) if another one started
        uow.commit()
    answer = gateway.charge(
        card_request(payment, method, f"invoice {invoice.number or invoice.id}")
    )
    settled, after = _record(uow, payment, answer, now, automatic=not by_customer)
    return Collected(after or _current(uow, organization_id, invoice_id), settled)


def settle_unsettled(
    uow: UnitOfWork,
    gateway_for: Callable[[str], PaymentGateway],
    clock: Clock,
    organization_id: str | None,
    *,
    limit: int = 500,
) -> int:
    """Ask the gateway about top-ups, refunds, portal changes' and extra packs' payments left
    pending or unknown (a timeout, a crash between the call and its record), each with its own
    key: how many were asked about. Payments of invoices are asked about by the collection of
    their invoice."""
    # Imported here: these modules build on this one (its payment requests and records).
    from plansmith.application.payments.change_payment import resolve_change_payments
    from plansmith.application.payments.pack_resolution import resolve_pack_payments
    from plansmith.application.payments.refunds import resolve_refund
    from plansmith.application.payments.top_ups import record_top_up

    with uow:
        found = [
            p
            for p in uow.payments.unsettled(organization_id, limit)
            if p.kind is not PaymentKind.PAYMENT
        ]
    for payment in found:
        gateway = gateway_for(payment.organization_id)
        if payment.kind is PaymentKind.REFUND:
            resolve_refund(uow, gateway, clock, payment)
            continue
        with uow:
            method = _method_of(uow, payment)
        if method is None:
            answer = GatewayAnswer(Outcome.FAILED, None, NO_CARD, "the card was removed")
        else:
            answer = gateway.charge(card_request(payment, method, "top-up"))
        record_top_up(uow, payment, answer, clock.now())
    changes = resolve_change_payments(uow, gateway_for, clock.now(), organization_id)
    packs = resolve_pack_payments(uow, gateway_for, clock.now(), organization_id)
    return len(found) + len(changes) + len(packs)


def in_flight_was_automatic(payment: Payment) -> bool:
    return payment.idempotency_key.endswith("-collect")


def _current(uow: UnitOfWork, organization_id: str, invoice_id: str) -> Invoice:
    with uow:
        invoice = uow.invoices.get_invoice(organization_id, invoice_id)
    if invoice is None:
        raise NotFound(f"no invoice {invoice_id!r}", field="invoice_id")
    return invoice


def _invoice_in(uow: UnitOfWork, invoice: Invoice) -> Invoice:
    return uow.invoices.get_invoice(invoice.organization_id, invoice.id) or invoice
