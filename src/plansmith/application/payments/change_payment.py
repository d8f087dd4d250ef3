"""Paying for a change in the portal (seed 002: choose, review, choose how to pay, pay): the
card is charged first, and the change is applied only once the charge succeeded.

1. One transaction writes the payment ``pending`` for the amount the review showed as due
   now (the change's invoice less the balance it takes), with an idempotency key made from
   the payment form's own attempt id: posting that form twice makes one payment.
2. The gateway is called, outside any transaction.
3. One transaction records the answer. On success it applies the change (``apply``: the
   very change reviewed, saved and invoiced at once), links the payment to that invoice and
   posts it as paid (what the card paid beyond what the invoice owes goes to the balance).
   When the change no longer applies (the figures moved, another change came first), the
   transaction rolls back and a second one credits the whole charge to the balance. A
   decline or a timeout changes nothing but the payment's record.

So no charge is ever left without either its change or a balance credit: a crash after the
charge leaves the payment pending, and ``resolve_change_payments`` (the collection run, and
the account's next visit to the payment step) asks the gateway again with the same key and
credits what was captured to the balance. The change itself is never applied later than the
customer's own request: the customer sees the outcome and decides again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.payments.balance import balance_of, spread_credit
from plansmith.application.payments.collection import (
    IN_FLIGHT_VALUES,
    NO_CARD,
    _captured,
    _method_of,
    card_request,
)
from plansmith.application.payments.ports import PaymentGateway
from plansmith.domain.invoicing import postings
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.domain.payments.events import PaymentFailed, PaymentSucceeded, payment_fields
from plansmith.domain.payments.payments import (
    GatewayAnswer,
    Outcome,
    Payment,
    PaymentKind,
    PaymentMethod,
    PaymentStatus,
)

KEY_PREFIX = "change-"
DESCRIPTION = "plan change"
# A pending change payment younger than this may still be in its customer's request: the
# resolver leaves it alone (an unknown one is resolved at once).
IN_REQUEST = timedelta(minutes=5)

# Applies the reviewed change inside the open unit of work and invoices it at once; raises a
# DomainError when it no longer applies. Returns the change's invoice.
Apply = Callable[[UnitOfWork], Invoice | None]


@dataclass(frozen=True)
class ChangePaid:
    """What became of "Pay": ``invoice`` set when the change was applied; ``payment`` the
    card's (None: no card was charged); ``refused`` why a captured charge found its change no
    longer applying (its amount is on the balance)."""

    invoice: Invoice | None
    payment: Payment | None
    refused: DomainError | None = None

    @property
    def applied(self) -> bool:
        return self.invoice is not None


def attempt_key(account_id: str, attempt: str) -> str:
    """The payment's idempotency key: one per payment form shown (``attempt``)."""
    if not (16 <= len(attempt) <= 40) or not attempt.replace("-", "").replace("_", "").isalnum():
        raise InvalidValue("reload the payment page and pay again", field="attempt")
    return f"{KEY_PREFIX}{account_id}-{attempt}"


def card_of(
    uow: UnitOfWork, organization_id: str, account_id: str, method_id: str
) -> PaymentMethod:
    method = uow.payment_methods.get(organization_id, method_id)
    if method is None or method.account_id != account_id:
        raise NotFound(
            f"no payment method {method_id!r} on this account", field="payment_method_id"
        )
    return method


def pay_with_balance(uow: UnitOfWork, apply: Apply) -> ChangePaid:
    """The balance pays all: the change applied and invoiced in one transaction, refused
    (BALANCE_TOO_LOW, nothing written) unless its invoice is paid by the balance at once."""
    with uow:
        invoice = apply(uow)
        if invoice is not None and invoice.totals.amount_due > 0:
            raise Conflict(
                "your balance no longer covers this change; choose a card",
                field="pay_with",
                code=ec.BALANCE_TOO_LOW,
            )
        uow.commit()
    return ChangePaid(invoice, None)


def pay_by_card(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    now: datetime,
    organization_id: str,
    account_id: str,
    method_id: str,
    amount: int,
    currency: str,
    attempt: str,
    apply: Apply,
) -> ChangePaid:
    """Charge ``amount`` (what the review showed as due now) to the card, then apply."""
    key = attempt_key(account_id, attempt)
    with uow:
        method = card_of(uow, organization_id, account_id, method_id)
        payment = Payment(
            id=new_id("pay"),
            organization_id=organization_id,
            account_id=account_id,
            kind=PaymentKind.PAYMENT,
            status=PaymentStatus.PENDING,
            amount=amount,
            currency=currency,
            idempotency_key=key,
            created_at=now,
            payment_method_id=method.id,
            gateway=gateway.name,
        )
        try:
            uow.payments.add(payment)  # the key is unique: the same form posted twice
        except Conflict:
            raise Conflict(
                "this payment was sent already; see its outcome on the Plans page",
                field="attempt",
                code=ec.PAYMENT_IN_PROGRESS,
            ) from None
        uow.commit()
    answer = gateway.charge(card_request(payment, method, DESCRIPTION))
    return record_change_answer(uow, payment, answer, now, apply)


def record_change_answer(
    uow: UnitOfWork,
    payment: Payment,
    answer: GatewayAnswer,
    now: datetime,
    apply: Apply | None,
) -> ChangePaid:
    """The gateway's answer for a change's payment. ``apply`` None (the resolver): what was
    captured goes to the balance."""
    settled = payment.answered(answer, now)
    if settled.status is not PaymentStatus.SUCCEEDED:
        with uow:
            if not uow.payments.settle(settled, IN_FLIGHT_VALUES):
                return ChangePaid(None, uow.payments.get(payment.organization_id, payment.id))
            if settled.status is PaymentStatus.FAILED:
                uow.publish([PaymentFailed(**payment_fields(settled, now))])
            uow.commit()
        return ChangePaid(None, settled)
    refused: DomainError | None = None
    if apply is not None:
        try:
            with uow:
                invoice = apply(uow)
                if invoice is None:
                    raise Conflict("the change bills nothing now", field="expect")
                linked = replace(settled, invoice_id=invoice.id)
                if not uow.payments.settle(linked, IN_FLIGHT_VALUES):
                    stored = uow.payments.get(payment.organization_id, payment.id)
                    return ChangePaid(None, stored)  # resolved meanwhile: theirs stands
                held = uow.invoices.hold_invoice(invoice.organization_id, invoice.id)
                assert held is not None
                _captured(uow, held, linked, now)
                uow.publish([PaymentSucceeded(**payment_fields(linked, now))])
                after = uow.invoices.get_invoice(invoice.organization_id, invoice.id)
                uow.commit()
            return ChangePaid(after or invoice, linked)
        except DomainError as error:  # rolled back whole: nothing of the change was written
            refused = error
    with uow:
        uow.ledger.hold_credit(payment.account_id)
        if not uow.payments.settle(settled, IN_FLIGHT_VALUES):
            return ChangePaid(None, uow.payments.get(payment.organization_id, payment.id))
        uow.ledger.post(
            postings.topped_up(
                new_id("txn"),
                payment.organization_id,
                payment.account_id,
                payment.id,
                payment.amount,
                payment.currency,
                now,
                kind="overpayment",
            )
        )
        uow.publish([PaymentSucceeded(**payment_fields(settled, now))])
        uow.commit()
    spread_credit(uow, payment.organization_id, payment.account_id, payment.currency, now)
    return ChangePaid(None, settled, refused)


def is_change_payment(payment: Payment) -> bool:
    return (
        payment.kind is PaymentKind.PAYMENT
        and payment.invoice_id is None
        and payment.idempotency_key.startswith(KEY_PREFIX)
    )


def resolve_change_payments(
    uow: UnitOfWork,
    gateway_for: Callable[[str], PaymentGateway],
    now: datetime,
    organization_id: str | None,
    account_id: str | None = None,
) -> list[Payment]:
    """Change payments left in flight (a crash after the charge, a timeout): asked again with
    the same key; what was captured is credited to the balance (the change was not applied).
    A pending one younger than ``IN_REQUEST`` may still be in its request and is left alone."""
    with uow:
        stray = [
            p
            for p in uow.payments.unsettled(organization_id, 500)
            if is_change_payment(p)
            and (account_id is None or p.account_id == account_id)
            and (p.status is PaymentStatus.UNKNOWN or p.created_at <= now - IN_REQUEST)
        ]
    done = []
    for payment in stray:
        with uow:
            method = _method_of(uow, payment)
        if method is None:
            answer = GatewayAnswer(Outcome.FAILED, None, NO_CARD, "the card was removed")
        else:
            gateway = gateway_for(payment.organization_id)
            answer = gateway.charge(card_request(payment, method, DESCRIPTION))
        paid = record_change_answer(uow, payment, answer, now, None).payment
        done.append(paid or payment)
    return done


def balance_in(uow: UnitOfWork, account_id: str, currency: str) -> int:
    with uow:
        return balance_of(uow, account_id, currency)
