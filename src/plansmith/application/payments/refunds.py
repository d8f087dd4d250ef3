"""Refunds and credits. A refund of part of a paid invoice is a credit note (revenue and tax
go back) whose amount goes back to the card up to what the card paid on that invoice less
earlier refunds; the rest stays on the prepaid balance (prepaid money is not paid out). A
credit on its own (a credit note, a cancellation's negative invoice) pays the account's open
invoices first, oldest first, and only the rest stays on the balance."""

from __future__ import annotations

from dataclasses import replace

from plansmith.application.invoicing.invoices import credit_note_in, held_invoice, issue_credit_note
from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.payments import dunning
from plansmith.application.payments.balance import spread_credit
from plansmith.application.payments.collection import IN_FLIGHT_VALUES
from plansmith.application.payments.ports import PaymentGateway, RefundRequest
from plansmith.domain.invoicing import postings
from plansmith.domain.invoicing.invoice import CreditNote, InvoiceStatus
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.payments.balance import refund_split
from plansmith.domain.payments.events import PaymentFailed, PaymentSucceeded, payment_fields
from plansmith.domain.payments.payments import (
    GatewayAnswer,
    Payment,
    PaymentKind,
    PaymentStatus,
)


def credit_invoice(
    uow: UnitOfWork, clock: Clock, organization_id: str, invoice_id: str, amount: int, reason: str
) -> CreditNote:
    """A credit note; what it leaves on the balance then pays the account's open invoices."""
    note = issue_credit_note(uow, clock, organization_id, invoice_id, amount, reason)
    with uow:
        invoice = uow.invoices.hold_invoice(organization_id, invoice_id)
        if invoice is not None and invoice.status is InvoiceStatus.PAID:
            # a note that paid off what a failing card owed: its dunning ends, the
            # subscription is active again (as when a card or the balance pays it)
            dunning.paid_up(uow, invoice, clock.now())
            uow.commit()
    if invoice is not None:
        spread_credit(uow, organization_id, invoice.account_id, invoice.currency, clock.now())
    return note


def refund_invoice(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    clock: Clock,
    organization_id: str,
    invoice_id: str,
    amount: object,
    reason: str,
) -> Payment:
    """Refund ``amount`` of a paid invoice: a credit note, the card part sent back through the
    gateway (its own idempotency key), the rest to the balance. A refund the gateway refuses
    leaves its card part on the balance, never lost."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidValue("a refund is a positive whole number of minor units", field="amount")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidValue("say why the invoice is refunded", field="reason", code=ec.REQUIRED)
    now = clock.now()
    with uow:
        invoice = held_invoice(uow, organization_id, invoice_id)
        if invoice.status is not InvoiceStatus.PAID:
            raise Conflict(
                f"a {invoice.status} invoice is not refunded; only a paid one "
                "(credit an open invoice instead)",
                field="invoice_id",
                code=ec.NOT_REFUNDABLE,
            )
        room = max(invoice.totals.total, 0) - sum(
            n.amount for n in uow.invoices.credit_notes(invoice.id)
        )
        if amount > room:
            raise InvalidValue(
                f"at most {room} minor units of this invoice are left to refund",
                field="amount",
                code=ec.REFUND_TOO_LARGE,
            )
        paid = uow.payments.of_invoice(invoice.id)
        charges = [
            p for p in paid if p.kind is PaymentKind.PAYMENT and p.status is PaymentStatus.SUCCEEDED
        ]
        refunds = [
            p for p in paid if p.kind is PaymentKind.REFUND and p.status is not PaymentStatus.FAILED
        ]
        card_paid = sum(p.amount for p in charges)
        to_card, to_balance = refund_split(amount, card_paid, sum(p.amount for p in refunds))
        note = credit_note_in(uow, invoice, amount, reason.strip(), now)
        refund = Payment(
            id=(rid := new_id("pay")),
            organization_id=organization_id,
            account_id=invoice.account_id,
            kind=PaymentKind.REFUND,
            status=PaymentStatus.PENDING if to_card else PaymentStatus.SUCCEEDED,
            amount=to_card,
            currency=invoice.currency,
            idempotency_key=f"{rid}-refund",
            created_at=now,
            invoice_id=invoice.id,
            payment_method_id=charges[-1].payment_method_id if charges else None,
            gateway=gateway.name if to_card else None,
            to_balance=to_balance,
            refund_of=charges[-1].id if charges else None,
            credit_note_id=note.id,
            settled_at=None if to_card else now,
        )
        uow.ledger.hold_credit(invoice.account_id)
        if to_card:
            uow.ledger.post(postings.refunded_to_card(new_id("txn"), invoice, rid, to_card, now))
        uow.payments.add(refund)
        if not to_card:
            uow.publish([PaymentSucceeded(**payment_fields(refund, now))])
        uow.commit()
    if not to_card:
        return refund
    charge = charges[-1]
    request = RefundRequest(
        refund.idempotency_key, charge.gateway_reference or "", to_card, invoice.currency
    )
    return record_refund(uow, refund, gateway.refund(request), clock)


def resolve_refund(
    uow: UnitOfWork, gateway: PaymentGateway, clock: Clock, refund: Payment
) -> Payment:
    """Ask again about a pending or unknown refund: the same request, the same key."""
    with uow:
        charge = (
            uow.payments.get(refund.organization_id, refund.refund_of) if refund.refund_of else None
        )
    if charge is None or charge.gateway_reference is None:
        raise NotFound("the refunded charge is not known", field="refund_of")
    request = RefundRequest(
        refund.idempotency_key, charge.gateway_reference, refund.amount, refund.currency
    )
    return record_refund(uow, refund, gateway.refund(request), clock)


def record_refund(uow: UnitOfWork, refund: Payment, answer: GatewayAnswer, clock: Clock) -> Payment:
    now = clock.now()
    answered = refund.answered(answer, now)
    status = answered.status
    settled = replace(
        answered,
        to_balance=refund.to_balance + (refund.amount if status is PaymentStatus.FAILED else 0),
    )
    with uow:
        assert refund.invoice_id is not None
        invoice = held_invoice(uow, refund.organization_id, refund.invoice_id)
        uow.ledger.hold_credit(refund.account_id)
        if not uow.payments.settle(settled, IN_FLIGHT_VALUES):
            return uow.payments.get(refund.organization_id, refund.id) or settled
        if status is PaymentStatus.FAILED:
            # The card part goes back onto the balance: the customer keeps it there.
            uow.ledger.post(
                postings.refund_returned(new_id("txn"), invoice, refund.id, refund.amount, now)
            )
            uow.publish([PaymentFailed(**payment_fields(settled, now))])
        elif status is PaymentStatus.SUCCEEDED:
            uow.publish([PaymentSucceeded(**payment_fields(settled, now))])
        uow.commit()
    return settled
