"""Events of extra packs: a pack bought and paid, its units added to the period's allowance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from plansmith.domain.kernel.events import DomainEvent
from plansmith.domain.usage.packs import PackPurchase


@dataclass(frozen=True, kw_only=True)
class PackPurchased(DomainEvent):
    """An extra pack was paid: ``units`` of ``meter`` added to the period's allowance."""

    TYPE: ClassVar[str] = "pack.purchased"
    OBJECT: ClassVar[str] = "pack"

    organization_id: str
    account_id: str
    subscription_id: str
    purchase_id: str
    pack: str
    meter: str
    quantity: int
    units: int
    amount: int
    currency: str
    invoice_id: str | None
    period_start: date
    period_end: date

    @property
    def object_id(self) -> str:
        return self.purchase_id

    @property
    def aggregate_id(self) -> str:
        return self.subscription_id

    @classmethod
    def of(cls, purchase: PackPurchase, at: datetime) -> PackPurchased:
        return cls(
            organization_id=purchase.organization_id,
            account_id=purchase.account_id,
            subscription_id=purchase.subscription_id,
            purchase_id=purchase.id,
            pack=purchase.pack_code,
            meter=purchase.meter,
            quantity=purchase.quantity,
            units=purchase.units,
            amount=purchase.amount,
            currency=purchase.currency,
            invoice_id=purchase.invoice_id,
            period_start=purchase.period_start,
            period_end=purchase.period_end,
            at=at,
        )
