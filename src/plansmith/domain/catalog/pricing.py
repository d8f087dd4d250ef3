"""Quotes: what a plan version costs for a cycle, a currency and a number of seats.

Seed 002's formula, kept visible: Total = Price x Quantity, where Price is per seat for the
whole cycle after the cycle discount, rounded once to the minor unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from plansmith.domain.catalog.terms import PlanTerms, PricingModel
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.domain.kernel.money import Currency, Money, round_half_up
from plansmith.domain.kernel.periods import Cycle, CycleUnit


class NotOffered(DomainError):
    code = ec.PRICE_NOT_OFFERED


@dataclass(frozen=True)
class Quote:
    currency: Currency
    cycle: Cycle
    quantity: int
    per_seat: bool
    list_unit_amount: int  # per seat for the cycle before the cycle discount
    discount_percent: Decimal  # 0 for explicit prices
    unit_amount: int  # per seat for the cycle, what the customer pays
    total: int  # unit_amount x quantity

    @property
    def discount_amount(self) -> int:
        """What the cycle discount saves per seat."""
        return self.list_unit_amount - self.unit_amount

    @property
    def unit_price(self) -> Money:
        return Money(self.unit_amount, self.currency)

    @property
    def total_price(self) -> Money:
        return Money(self.total, self.currency)


def unit_price(terms: PlanTerms, cycle: Cycle, currency: Currency) -> tuple[int, Decimal, int]:
    """(list amount, discount %, amount) per seat for one cycle."""
    for price in terms.prices:
        if price.currency == currency.code and price.cycle == cycle:
            return price.amount, Decimal(0), price.amount
    if currency.code not in terms.currencies():
        priced_in = ", ".join(terms.currencies()) or "none"
        raise NotOffered(
            f"this plan has no prices in {currency.code}; it is priced in {priced_in}",
            field="currency",
        )
    base = terms.base_prices.get(currency.code)
    offered = cycle == Cycle.MONTHLY or cycle.name in terms.cycle_discounts
    if base is None or cycle.unit is not CycleUnit.MONTH or not offered:
        cycles = ", ".join(c.name for c in terms.cycles(currency.code)) or "none"
        raise NotOffered(
            f"no {currency.code} price per {cycle.name}; offered cycles in {currency.code}: "
            f"{cycles}",
            field="cycle",
        )
    percent = Decimal(terms.cycle_discounts.get(cycle.name, Decimal(0)))
    list_amount = base * cycle.count
    paid = Fraction(list_amount) * (100 - Fraction(percent)) / 100
    return list_amount, percent, round_half_up(paid)


def quote(terms: PlanTerms, cycle: Cycle, currency: Currency, quantity: int) -> Quote:
    """The price of `quantity` seats for one cycle. Flat plans take a quantity of 1."""
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidValue("quantity is a whole number", field="quantity")
    if terms.pricing is PricingModel.FLAT:
        if quantity != 1:
            raise InvalidValue("a flat-priced plan is bought once: quantity 1", field="quantity")
    elif quantity < terms.min_seats or (terms.max_seats is not None and quantity > terms.max_seats):
        most = f" and at most {terms.max_seats}" if terms.max_seats is not None else ""
        raise InvalidValue(
            f"this plan takes at least {terms.min_seats}{most} seats, not {quantity}",
            field="quantity",
            code=ec.SEATS_OUT_OF_RANGE,
        )
    list_amount, percent, amount = unit_price(terms, cycle, currency)
    return Quote(
        currency=currency,
        cycle=cycle,
        quantity=quantity,
        per_seat=terms.pricing is PricingModel.PER_SEAT,
        list_unit_amount=list_amount,
        discount_percent=percent,
        unit_amount=amount,
        total=amount * quantity,
    )
