"""Request and response bodies for tax rates, coupons and their redemptions in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool, StrictInt

from plansmith.application.invoicing.ports import Redemption
from plansmith.domain.invoicing.coupons import Coupon, Duration
from plansmith.domain.invoicing.invoice import DiscountKind, TaxRate
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.limits import MAX_COUPON_CYCLES, MAX_PRICE
from plansmith.entrypoints.api.invoicing.schemas import (
    PERCENT_HELP,
    Percent,
    PercentOff,
    money,
    percent_text,
)
from plansmith.entrypoints.api.schemas import AtMost, OneOf, Strict

# -- requests ---------------------------------------------------------------------------------


class TaxRateCreate(Strict):
    name: str = Field(examples=["Consumption tax"])
    percent: Percent = Field(description=PERCENT_HELP, examples=["10"])
    inclusive: StrictBool = Field(False, description="true: prices already include the tax")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2 of invoice addresses")
    region: str | None = Field(None, description="Narrows a country rate to one region")


class AccountTaxRateSet(Strict):
    tax_rate_id: str | None = Field(
        description="The rate this account's invoices use whatever its address; null: by address"
    )


class CouponCreate(Strict):
    code: str = Field(examples=["spring15"])
    name: str = Field(examples=["Spring 15 % off"])
    kind: Annotated[str, OneOf(DiscountKind)] = Field(description="percent or amount")
    percent: PercentOff = Field(None, description=PERCENT_HELP)
    # Checked here: the use case reads `amounts` for an amount coupon only.
    amounts: dict[str, Annotated[StrictInt, AtMost(MAX_PRICE, 1, ec.INVALID_VALUE)]] = Field(
        {}, description="For amount: {currency: minor units}"
    )
    duration: Annotated[str, OneOf(Duration)] = Field(
        "once", description="once, repeating (for `cycles` invoices), forever"
    )
    cycles: Annotated[StrictInt, AtMost(MAX_COUPON_CYCLES, 1)] | None = Field(
        None, description="How many invoices, for repeating"
    )
    plan_codes: list[str] = Field([], description="Only lines of these plans; empty: every line")


class RedeemRequest(Strict):
    code: str = Field(description="The coupon's code", examples=["spring15"])


# -- responses --------------------------------------------------------------------------------


class TaxRateOut(BaseModel):
    object: str = "tax_rate"
    id: str
    name: str
    percent: str
    inclusive: bool
    country: str | None
    region: str | None

    @classmethod
    def of(cls, rate: TaxRate) -> TaxRateOut:
        return cls.model_validate({**rate.__dict__, "percent": percent_text(rate.percent)})


class AccountTaxRateOut(BaseModel):
    object: str = "account_tax_rate"
    account_id: str
    tax_rate: TaxRateOut | None = Field(description="null: the rate of the invoice address")


class CouponOut(BaseModel):
    object: str = "coupon"
    id: str
    code: str
    name: str
    kind: str
    percent: str | None = Field(description="For kind percent")
    amounts: dict[str, int]
    amounts_formatted: dict[str, str]
    duration: str
    cycles: int | None
    plan_codes: list[str]
    archived_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, coupon: Coupon) -> CouponOut:
        percent = coupon.kind is DiscountKind.PERCENT
        return cls.model_validate(
            {
                **coupon.__dict__,
                "kind": coupon.kind.value,
                "duration": coupon.duration.value,
                "percent": percent_text(coupon.percent) if percent else None,
                "amounts": dict(coupon.amounts),
                "amounts_formatted": {c: money(a, c) for c, a in coupon.amounts.items()},
                "plan_codes": sorted(coupon.plan_codes),
            }
        )


class RedemptionOut(BaseModel):
    object: str = "coupon_redemption"
    id: str
    subscription_id: str
    invoices_used: int = Field(description="Finalized invoices it has discounted")
    coupon: CouponOut

    @classmethod
    def of(cls, redemption: Redemption) -> RedemptionOut:
        return cls.model_validate(
            {**redemption.__dict__, "coupon": CouponOut.of(redemption.coupon)}
        )
