"""Payment methods and payments as records.

A payment is one attempt to move money through a gateway (or from the prepaid balance): a
charge for an invoice, a top-up of the balance, or a refund. It is written ``pending`` with
its idempotency key *before* the gateway is called, then settled as ``succeeded``, ``failed``
or ``unknown`` (a timeout: the gateway may or may not have captured). An unknown or pending
payment is resolved by sending the same request with the same key again, which the gateway
answers with what really happened: money is captured at most once per payment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class PaymentKind(StrEnum):
    PAYMENT = "payment"  # an invoice (or a portal change's invoice) paid
    TOP_UP = "top_up"  # money put on the prepaid balance
    REFUND = "refund"  # money given back: to the card, the rest to the balance


class PaymentStatus(StrEnum):
    PENDING = "pending"  # written, the gateway not answered yet
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"  # the gateway did not say (timeout); resolved before any new attempt


IN_FLIGHT = frozenset({PaymentStatus.PENDING, PaymentStatus.UNKNOWN})


class Outcome(StrEnum):
    """What a gateway answered."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class GatewayAnswer:
    outcome: Outcome
    reference: str | None = None  # the gateway's id of the charge or refund
    decline_code: str | None = None  # e.g. insufficient_funds, expired_card, do_not_honor
    message: str | None = None  # why, in words a customer may read


@dataclass(frozen=True)
class PaymentMethod:
    """A card as the gateway keeps it: only its token and what may be shown of it."""

    id: str
    organization_id: str
    account_id: str
    gateway: str  # sandbox or stripe
    token: str  # the gateway's id of the card; never a card number
    customer_ref: str | None  # the gateway's id of the customer, where it has one
    brand: str  # visa, mastercard, amex, jcb, ...
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool
    created_at: datetime


@dataclass(frozen=True)
class Payment:
    id: str
    organization_id: str
    account_id: str
    kind: PaymentKind
    status: PaymentStatus
    amount: int  # minor units through the gateway (a refund: to the card)
    currency: str
    idempotency_key: str  # sent to the gateway; one per payment
    created_at: datetime
    invoice_id: str | None = None
    payment_method_id: str | None = None  # None: the balance, or a refund to it only
    gateway: str | None = None  # None: nothing went through a gateway
    gateway_reference: str | None = None
    decline_code: str | None = None
    message: str | None = None
    settled_at: datetime | None = None
    to_balance: int = 0  # a refund's part given back to the balance; a payment's from it
    refund_of: str | None = None  # a refund: the payment whose charge it gives back
    credit_note_id: str | None = None  # a refund: the credit note it rests on

    def answered(self, answer: GatewayAnswer, now: datetime) -> Payment:
        """The payment as the gateway's answer leaves it (unknown: not settled yet)."""
        status = STATUS_OF[answer.outcome]
        return replace(
            self,
            status=status,
            gateway_reference=answer.reference or self.gateway_reference,
            decline_code=answer.decline_code,
            message=answer.message,
            settled_at=None if status is PaymentStatus.UNKNOWN else now,
        )


STATUS_OF = {
    Outcome.SUCCEEDED: PaymentStatus.SUCCEEDED,
    Outcome.FAILED: PaymentStatus.FAILED,
    Outcome.UNKNOWN: PaymentStatus.UNKNOWN,
}
