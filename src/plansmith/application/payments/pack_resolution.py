"""Pack payments left in flight (a timeout, a crash between the charge and its record): the
collection run asks the gateway again with the same key (``pack-<purchase id>``), so a charge
that was captured is never captured twice, and records the answer as the purchase would have
(pack_purchases.record_pack_answer): paid with its invoice, failed, or, when the period the pack
was bought for ended before the answer, credited to the balance (docs/usage.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.payments.change_payment import IN_REQUEST
from plansmith.application.payments.collection import NO_CARD, _method_of, card_request
from plansmith.application.payments.pack_purchases import (
    DESCRIPTION,
    PAYMENT_KEY,
    record_pack_answer,
)
from plansmith.application.payments.ports import PaymentGateway
from plansmith.domain.payments.payments import (
    GatewayAnswer,
    Outcome,
    Payment,
    PaymentKind,
    PaymentStatus,
)
from plansmith.domain.usage.packs import PackPurchase, PackStatus


def is_pack_payment(payment: Payment) -> bool:
    return (
        payment.kind is PaymentKind.PAYMENT
        and payment.invoice_id is None
        and payment.idempotency_key.startswith(PAYMENT_KEY)
    )


def resolve_pack_payments(
    uow: UnitOfWork,
    gateway_for: Callable[[str], PaymentGateway],
    now: datetime,
    organization_id: str | None,
) -> list[Payment]:
    """Pending pack payments older than ``IN_REQUEST`` (younger ones may still be in their
    request) and unknown ones: asked again and recorded; the payments as they stand after."""
    with uow:
        stray: list[tuple[Payment, PackPurchase]] = []
        for p in uow.payments.unsettled(organization_id, 500):
            if not is_pack_payment(p):
                continue
            if p.status is not PaymentStatus.UNKNOWN and p.created_at > now - IN_REQUEST:
                continue
            purchase = uow.usage_packs.get(p.organization_id, p.idempotency_key[len(PAYMENT_KEY) :])
            if purchase is not None and purchase.status is PackStatus.PENDING:
                stray.append((p, purchase))
    done = []
    for payment, purchase in stray:
        with uow:
            method = _method_of(uow, payment)
        if method is None:
            answer = GatewayAnswer(Outcome.FAILED, None, NO_CARD, "the card was removed")
        else:
            gateway = gateway_for(payment.organization_id)
            answer = gateway.charge(card_request(payment, method, DESCRIPTION))
        recorded = record_pack_answer(uow, purchase, payment.answered(answer, now), now)
        done.append(recorded.payment or payment)
    return done
