"""The tax and coupon part of the /v1 API: tax rates (by country, or chosen per account) and
coupons with their redemptions on a subscription. Writes go through the taxes-and-coupons use
cases, each one transaction; the redemptions read checks the subscription belongs to the key's
organization first (404 otherwise).
"""

from __future__ import annotations

import copy
from enum import Enum

from plansmith.application.invoicing import taxes_and_coupons as tc
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError
from plansmith.entrypoints.api.deps import CurrentOrg, OrgClock, UoW
from plansmith.entrypoints.api.invoicing.tax_coupon_schemas import (
    AccountTaxRateOut,
    AccountTaxRateSet,
    CouponCreate,
    CouponOut,
    RedeemRequest,
    RedemptionOut,
    TaxRateCreate,
    TaxRateOut,
)
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import ListOut
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["invoicing"]


def _renamed(exc: DomainError, field: str) -> DomainError:
    moved = copy.copy(exc)
    moved.field = field
    return moved


# -- tax rates --------------------------------------------------------------------------------


@router.post(
    "/tax_rates",
    operation_id="create_tax_rate",
    status_code=201,
    response_model=TaxRateOut,
    tags=TAGS,
)
def create_tax_rate(body: TaxRateCreate, org: CurrentOrg, uow: UoW, clock: OrgClock) -> TaxRateOut:
    """A rate by country (and region), or one to choose per account (no country)."""
    rate = tc.create_tax_rate(uow, clock, org.id, tc.TaxRateInput(**body.model_dump()))
    return TaxRateOut.of(rate)


@router.get(
    "/tax_rates", operation_id="list_tax_rates", response_model=ListOut[TaxRateOut], tags=TAGS
)
def list_tax_rates(org: CurrentOrg, uow: UoW) -> ListOut[TaxRateOut]:
    return ListOut[TaxRateOut](data=[TaxRateOut.of(r) for r in tc.list_tax_rates(uow, org.id)])


@router.post(
    "/accounts/{account_id}/tax_rate",
    operation_id="set_account_tax_rate",
    response_model=AccountTaxRateOut,
    tags=TAGS,
)
def set_account_tax_rate(
    account_id: str, body: AccountTaxRateSet, org: CurrentOrg, uow: UoW
) -> AccountTaxRateOut:
    """The rate the account's next invoices use whatever its address; null: by its address."""
    tc.set_account_tax_rate(uow, org.id, account_id, body.tax_rate_id)
    rates = {r.id: r for r in tc.list_tax_rates(uow, org.id)}
    chosen = rates.get(body.tax_rate_id) if body.tax_rate_id is not None else None
    return AccountTaxRateOut(
        account_id=account_id, tax_rate=TaxRateOut.of(chosen) if chosen else None
    )


# -- coupons ----------------------------------------------------------------------------------


@router.post(
    "/coupons",
    operation_id="create_coupon",
    responses=problems(ec.DUPLICATE_CODE),
    status_code=201,
    response_model=CouponOut,
    tags=TAGS,
)
def create_coupon(body: CouponCreate, org: CurrentOrg, uow: UoW, clock: OrgClock) -> CouponOut:
    """A percentage or an amount off; once, for `cycles` invoices, or forever."""
    coupon = tc.create_coupon(uow, clock, org.id, tc.CouponInput(**body.model_dump()))
    return CouponOut.of(coupon)


@router.get("/coupons", operation_id="list_coupons", response_model=ListOut[CouponOut], tags=TAGS)
def list_coupons(org: CurrentOrg, uow: UoW) -> ListOut[CouponOut]:
    return ListOut[CouponOut](data=[CouponOut.of(c) for c in tc.list_coupons(uow, org.id)])


def _redemptions(
    uow: UnitOfWork, organization_id: str, subscription_id: str
) -> list[RedemptionOut]:
    with uow:
        if uow.subscriptions.get(organization_id, subscription_id) is None:
            raise NotFound(f"no subscription {subscription_id!r}", field="subscription_id")
        return [RedemptionOut.of(r) for r in uow.coupons.redemptions(subscription_id)]


@router.post(
    "/subscriptions/{subscription_id}/coupons",
    operation_id="redeem_coupon",
    responses=problems(ec.ALREADY_REDEEMED),
    status_code=201,
    response_model=RedemptionOut,
    tags=TAGS,
)
def redeem_coupon(
    subscription_id: str, body: RedeemRequest, org: CurrentOrg, uow: UoW, clock: OrgClock
) -> RedemptionOut:
    """Apply a coupon to the subscription's next invoices (as many as its duration says)."""
    try:
        coupon = tc.redeem_coupon(uow, clock, org.id, subscription_id, body.code)
    except DomainError as exc:
        if exc.field != "coupon":
            raise
        # The use case names the coupon "coupon"; this request body calls it "code".
        raise _renamed(exc, "code") from exc
    redeemed = _redemptions(uow, org.id, subscription_id)
    return next(r for r in redeemed if r.coupon.id == coupon.id)


@router.get(
    "/subscriptions/{subscription_id}/coupons",
    operation_id="list_coupon_redemptions",
    response_model=ListOut[RedemptionOut],
    tags=TAGS,
)
def list_redemptions(subscription_id: str, org: CurrentOrg, uow: UoW) -> ListOut[RedemptionOut]:
    """The subscription's coupons and how many invoices each has discounted."""
    return ListOut[RedemptionOut](data=_redemptions(uow, org.id, subscription_id))
