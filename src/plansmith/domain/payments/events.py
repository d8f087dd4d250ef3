"""Events of payments (charges, top-ups, refunds) and of dunning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, TypedDict

from plansmith.domain.kernel.events import DomainEvent
from plansmith.domain.payments.payments import Payment


@dataclass(frozen=True, kw_only=True)
class PaymentEvent(DomainEvent):
    """A payment was settled. ``aggregate``: the invoice's when it pays one (its events stay
    in order with the invoice's), else the payment's."""

    OBJECT: ClassVar[str] = "payment"

    organization_id: str
    account_id: str
    payment_id: str
    kind: str  # payment, top_up, refund
    status: str
    amount: int
    currency: str
    invoice_id: str | None
    payment_method_id: str | None
    decline_code: str | None
    message: str | None

    @property
    def object_id(self) -> str:
        return self.payment_id

    @property
    def aggregate_id(self) -> str:
        return self.invoice_id or self.payment_id


class PaymentFields(TypedDict):
    organization_id: str
    account_id: str
    payment_id: str
    kind: str
    status: str
    amount: int
    currency: str
    invoice_id: str | None
    payment_method_id: str | None
    decline_code: str | None
    message: str | None
    at: datetime


def payment_fields(payment: Payment, at: datetime) -> PaymentFields:
    return PaymentFields(
        organization_id=payment.organization_id,
        account_id=payment.account_id,
        payment_id=payment.id,
        kind=payment.kind.value,
        status=payment.status.value,
        amount=payment.amount,
        currency=payment.currency,
        invoice_id=payment.invoice_id,
        payment_method_id=payment.payment_method_id,
        decline_code=payment.decline_code,
        message=payment.message,
        at=at,
    )


@dataclass(frozen=True, kw_only=True)
class PaymentSucceeded(PaymentEvent):
    TYPE: ClassVar[str] = "payment.succeeded"


@dataclass(frozen=True, kw_only=True)
class PaymentFailed(PaymentEvent):
    TYPE: ClassVar[str] = "payment.failed"


@dataclass(frozen=True, kw_only=True)
class DunningStageReached(DomainEvent):
    """An unpaid invoice's failure aged into an escalation stage of the dunning policy."""

    TYPE: ClassVar[str] = "dunning.stage_reached"
    OBJECT: ClassVar[str] = "invoice"

    organization_id: str
    account_id: str
    invoice_id: str
    action: str  # notify, restrict, cancel_now, cancel_at_term_end
    after_days: int
    overdue_state: str  # warning, blocked, or "" (none)

    @property
    def object_id(self) -> str:
        return self.invoice_id
