"""Top-ups and refunds left in flight: the gateway timed out (unknown), or the process died
after writing the payment and before recording the answer (pending). Nothing else asks about
them (an invoice's own attempts are resolved by its collection), so the money a timed-out
top-up really captured would never reach the balance. Each is asked again with the very same
request and idempotency key, which the gateway answers with what really happened."""

from __future__ import annotations

from collections.abc import Callable

from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.payments.collection import NO_CARD, card_request
from plansmith.application.payments.dunning import RESOLVE_AFTER
from plansmith.application.payments.ports import PaymentGateway
from plansmith.application.payments.refunds import resolve_refund
from plansmith.application.payments.top_ups import record_top_up
from plansmith.domain.payments.payments import (
    IN_FLIGHT,
    GatewayAnswer,
    Outcome,
    Payment,
    PaymentKind,
    PaymentStatus,
)


def _resolve_top_up(
    uow: UnitOfWork, gateway: PaymentGateway, clock: Clock, payment: Payment
) -> Payment:
    with uow:
        method = (
            uow.payment_methods.get_any(payment.payment_method_id)
            if payment.payment_method_id is not None
            else None
        )
    if method is None:
        answer = GatewayAnswer(Outcome.FAILED, None, NO_CARD, "the card was removed")
    else:
        answer = gateway.charge(card_request(payment, method, "top-up"))
    return record_top_up(uow, payment, answer, clock.now())


def settle_unsettled(
    uow: UnitOfWork,
    gateway_for: Callable[[str], PaymentGateway],
    clock: Clock,
    organization_id: str | None,
    *,
    batch: int = 500,
) -> int:
    """Ask again about the top-ups and refunds in flight (oldest first, at most ``batch``): an
    unknown one at once, a pending one once it is RESOLVE_AFTER old (a process may be calling
    the gateway for it right now). How many were settled."""
    now = clock.now()
    with uow:
        found = uow.payments.unsettled(organization_id, batch)
    settled = 0
    for payment in found:
        if payment.kind is PaymentKind.PAYMENT:
            continue  # its invoice's collection asks about it
        if payment.status is PaymentStatus.PENDING and payment.created_at > now - RESOLVE_AFTER:
            continue
        gateway = gateway_for(payment.organization_id)
        if payment.gateway != gateway.name:
            continue
        if payment.kind is PaymentKind.TOP_UP:
            done = _resolve_top_up(uow, gateway, clock, payment)
        else:
            done = resolve_refund(uow, gateway, clock, payment)
        settled += done.status not in IN_FLIGHT
    return settled
