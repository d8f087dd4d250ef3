"""Bodies of the extra pack and entitlement routes. Units are exact decimals as JSON strings
when they are not whole ("2.5"), integers otherwise."""

from __future__ import annotations

from datetime import date, datetime
from fractions import Fraction
from typing import Annotated

from pydantic import BaseModel, Field, StrictInt, StrictStr

from plansmith.application.payments.entitlements import Entitlements
from plansmith.domain.kernel.limits import MAX_QUANTITY
from plansmith.domain.usage.charges import decimal_text
from plansmith.domain.usage.packs import PackPurchase
from plansmith.entrypoints.api.schemas import AtMost, Strict


class PackBuy(Strict):
    pack: StrictStr = Field(description="The extra pack's code")
    quantity: Annotated[StrictInt, AtMost(MAX_QUANTITY, 1)] = Field(
        default=1, description="How many of it, 1 or more"
    )


class PackPurchaseOut(BaseModel):
    object: str = "pack_purchase"
    id: str
    subscription_id: str
    account_id: str
    pack: str
    name: str
    meter: str = Field(description="The allowance (meter code) its units add to")
    quantity: int
    units: int
    currency: str
    amount: int = Field(description="Minor units: the pack's price x quantity")
    status: str = Field(description="paid, pending or failed")
    period_start: date
    period_end: date
    invoice_id: str | None
    payment_id: str | None
    created_at: datetime
    paid_at: datetime | None

    @classmethod
    def of(cls, p: PackPurchase) -> PackPurchaseOut:
        return cls(
            id=p.id,
            subscription_id=p.subscription_id,
            account_id=p.account_id,
            pack=p.pack_code,
            name=p.pack_name,
            meter=p.meter,
            quantity=p.quantity,
            units=p.units,
            currency=p.currency,
            amount=p.amount,
            status=p.status.value,
            period_start=p.period_start,
            period_end=p.period_end,
            invoice_id=p.invoice_id,
            payment_id=p.payment_id,
            created_at=p.created_at,
            paid_at=p.paid_at,
        )


def units(value: Fraction) -> int | str:
    return int(value) if value.denominator == 1 else decimal_text(value)


class FeatureOut(BaseModel):
    feature: str
    allowed: bool
    reason: str | None


class AllowanceOut(BaseModel):
    meter: str
    subscription_id: str
    period_start: date
    period_end: date
    included: int = Field(description="Granted by the plans and add-ons held (prorated)")
    extra: int = Field(description="Units of the extra packs paid this period")
    used: int | str
    remaining: int | str
    excess: int | str = Field(description="Used past included + extra (a soft limit bills it)")
    limit: str = Field(description="hard or soft")
    allowed: bool = Field(description="Whether one more use of `units` is allowed")
    reason: str | None = Field(description="limit_exceeded or overdue_blocked when not allowed")


class EntitlementsOut(BaseModel):
    object: str = "entitlements"
    account_id: str
    overdue_state: str = Field(description='"", warning or blocked (dunning)')
    units: int | str
    features: list[FeatureOut]
    allowances: list[AllowanceOut]

    @classmethod
    def of(cls, e: Entitlements) -> EntitlementsOut:
        return cls(
            account_id=e.account.id,
            overdue_state=e.overdue_state,
            units=units(e.units),
            features=[
                FeatureOut(feature=f.feature, allowed=f.allowed, reason=f.reason)
                for f in e.features
            ],
            allowances=[
                AllowanceOut(
                    meter=a.standing.meter,
                    subscription_id=a.standing.subscription_id,
                    period_start=a.standing.period_start,
                    period_end=a.standing.period_end,
                    included=a.standing.standing.included,
                    extra=a.standing.standing.extra,
                    used=units(a.standing.standing.used),
                    remaining=units(a.standing.standing.remaining),
                    excess=units(a.standing.standing.excess),
                    limit=a.standing.limit.value,
                    allowed=a.allowed,
                    reason=a.reason,
                )
                for a in e.allowances
            ],
        )
