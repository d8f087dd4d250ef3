"""Extra packs bought: a purchase is charged once in full, as its own invoice, and its units
count in the period it was bought in only once its payment succeeded (``paid``). A failed
payment leaves the purchase ``failed``: no units, no invoice."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.limits import MAX_QUANTITY

__all__ = ["PackPurchase", "PackStatus", "check_quantity"]


class PackStatus(StrEnum):
    PENDING = "pending"  # written before the card is charged: counts nothing
    PAID = "paid"  # its units are in the period's allowance
    FAILED = "failed"  # the payment failed: counts nothing, no invoice


@dataclass(frozen=True)
class PackPurchase:
    id: str
    organization_id: str
    account_id: str
    subscription_id: str
    request_key: str  # one purchase per request, however often it is retried
    pack_code: str
    pack_name: str
    meter: str  # the pack's allowance key: a meter code
    quantity: int
    units: int  # the pack's amount x quantity
    currency: str
    amount: int  # minor units: price x quantity
    status: PackStatus
    period_start: date  # the period its units count in
    period_end: date
    created_at: datetime
    payment_id: str | None = None
    invoice_id: str | None = None
    paid_at: datetime | None = None

    def paid(self, invoice_id: str, payment_id: str | None, now: datetime) -> PackPurchase:
        return replace(
            self, status=PackStatus.PAID, invoice_id=invoice_id, payment_id=payment_id, paid_at=now
        )

    def failed(self, payment_id: str | None) -> PackPurchase:
        return replace(self, status=PackStatus.FAILED, payment_id=payment_id)


def check_quantity(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise InvalidValue(
            f"the quantity is a whole number from 1 to {MAX_QUANTITY:,}", field="quantity"
        )
    return value
