"""Use cases for tax rates (by country/region, or chosen per account) and coupons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.kernel.validation import country_code
from plansmith.domain.accounts.account import require_text
from plansmith.domain.catalog.terms import check_code, discount_percent
from plansmith.domain.invoicing.coupons import Coupon, Duration
from plansmith.domain.invoicing.invoice import DiscountKind, TaxRate
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, InvalidValue
from plansmith.domain.kernel.limits import percent_places
from plansmith.domain.kernel.money import Currency


@dataclass(frozen=True)
class TaxRateInput:
    name: str
    percent: str | int  # exact, e.g. "10" or "8.25"
    inclusive: bool = False
    country: str | None = None
    region: str | None = None


def create_tax_rate(
    uow: UnitOfWork, clock: Clock, organization_id: str, data: TaxRateInput
) -> TaxRate:
    checks = Checks()
    name = checks.run(require_text, data.name, "name", max_length=100)
    percent = checks.run(_percent, data.percent)
    country = checks.run(country_code, data.country) if data.country is not None else None
    if data.region is not None and data.country is None:
        checks.add(InvalidValue("a region belongs to a country; give the country", field="region"))
    if not isinstance(data.inclusive, bool):
        checks.add(InvalidValue("inclusive is true or false", field="inclusive"))
    checks.raise_if_any()
    assert name is not None and percent is not None
    region = data.region.strip() if data.region else None
    rate = TaxRate(new_id("txr"), name, percent, data.inclusive, country, region)
    with uow:
        uow.tax_rates.add_tax_rate(rate, organization_id, clock.now())
        uow.commit()
    return rate


def list_tax_rates(uow: UnitOfWork, organization_id: str) -> list[TaxRate]:
    with uow:
        return list(uow.tax_rates.tax_rates(organization_id))


def set_account_tax_rate(
    uow: UnitOfWork, organization_id: str, account_id: str, tax_rate_id: str | None
) -> None:
    """The rate this account's invoices use, whatever its address (None: by its address)."""
    with uow:
        if uow.accounts.get(organization_id, account_id) is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        rates = {r.id for r in uow.tax_rates.tax_rates(organization_id)}
        if tax_rate_id is not None and tax_rate_id not in rates:
            raise NotFound(f"no tax rate {tax_rate_id!r}", field="tax_rate_id")
        uow.tax_rates.set_account_tax_rate(organization_id, account_id, tax_rate_id)
        uow.commit()


@dataclass(frozen=True)
class CouponInput:
    code: str
    name: str
    kind: str  # percent | amount
    percent: str | int | None = None
    amounts: Mapping[str, int] = field(default_factory=dict)
    duration: str = "once"  # once | repeating | forever
    cycles: int | None = None
    plan_codes: Sequence[str] = ()


def create_coupon(uow: UnitOfWork, clock: Clock, organization_id: str, data: CouponInput) -> Coupon:
    checks = Checks()
    code = checks.run(check_code, data.code)
    name = checks.run(require_text, data.name, "name")
    kind = checks.run(_kind, data.kind)
    duration = checks.run(_duration, data.duration)
    percent = Decimal(0)
    if kind is DiscountKind.PERCENT:
        percent = checks.run(_percent, data.percent) or Decimal(0)
    for currency in data.amounts:
        checks.run(Currency.of, currency, field=f"amounts.{currency}")
    for i, plan in enumerate(data.plan_codes):
        checks.run(check_code, plan, f"plan_codes[{i}]")
    checks.raise_if_any()
    assert code and name and kind and duration
    coupon = Coupon(
        id=new_id("cpn"),
        organization_id=organization_id,
        code=code,
        name=name,
        kind=kind,
        percent=percent,
        amounts=dict(data.amounts) if kind is DiscountKind.AMOUNT else {},
        duration=duration,
        cycles=data.cycles,
        plan_codes=frozenset(data.plan_codes),
        archived_at=None,
        created_at=clock.now(),
    ).validated()
    with uow:
        if uow.coupons.coupon_by_code(organization_id, code) is not None:
            raise Conflict(
                f"a coupon {code!r} exists already", field="code", code=ec.DUPLICATE_CODE
            )
        known = {p.code for p in uow.plans.list(organization_id)}
        unknown = sorted(coupon.plan_codes - known)
        if unknown:
            raise InvalidValue(
                f"no plan {unknown[0]!r}", field="plan_codes", code=ec.UNKNOWN_REFERENCE
            )
        uow.coupons.add_coupon(coupon)
        uow.commit()
    return coupon


def _percent(value: object) -> Decimal:
    """From 0 to 100 with at most four decimal places (stored as short exact text)."""
    return percent_places(discount_percent(value, "percent"), "percent")


def _kind(value: str) -> DiscountKind:
    try:
        return DiscountKind(value)
    except ValueError:
        raise InvalidValue("kind is percent or amount", field="kind") from None


def _duration(value: str) -> Duration:
    try:
        return Duration(value)
    except ValueError:
        raise InvalidValue("duration is once, repeating or forever", field="duration") from None


def list_coupons(uow: UnitOfWork, organization_id: str) -> list[Coupon]:
    with uow:
        return list(uow.coupons.coupons(organization_id))


def redeem_coupon(
    uow: UnitOfWork, clock: Clock, organization_id: str, subscription_id: str, code: str
) -> Coupon:
    """Apply a coupon to a subscription's next invoices (as many as its duration says)."""
    with uow:
        sub = uow.subscriptions.get(organization_id, subscription_id)
        if sub is None:
            raise NotFound(f"no subscription {subscription_id!r}", field="subscription_id")
        coupon = uow.coupons.coupon_by_code(organization_id, code)
        if coupon is None or coupon.archived_at is not None:
            raise NotFound(f"no coupon {code!r}", field="coupon")
        if coupon.kind is DiscountKind.AMOUNT and sub.terms.currency not in coupon.amounts:
            raise InvalidValue(
                f"coupon {code!r} has no amount in {sub.terms.currency}",
                field="coupon",
                code=ec.CURRENCY_MISMATCH,
            )
        uow.coupons.redeem(new_id("red"), organization_id, coupon.id, sub.id, clock.now())
        uow.commit()
    return coupon
