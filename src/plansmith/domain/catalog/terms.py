"""What a plan version costs and grants: its terms (pricing model, prices per cycle, seats,
trial, discount) and the checks that keep them sound, with the check every catalog code passes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, InvalidValue
from plansmith.domain.kernel.limits import (
    MAX_ALLOWANCE,
    MAX_CYCLE_MONTHS,
    MAX_PRICE,
    MAX_QUANTITY,
    MAX_TRIAL_DAYS,
    TooLarge,
    at_most,
    cycle_length,
    figure,
    percent_places,
)
from plansmith.domain.kernel.money import Currency
from plansmith.domain.kernel.periods import Cycle, CycleUnit
from plansmith.domain.usage.charges import Charge

CODE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")


class PricingModel(StrEnum):
    FLAT = "flat"  # one price per subscription
    PER_SEAT = "per_seat"  # price per seat (account, representative) x quantity


def check_code(value: str, field_name: str = "code") -> str:
    code = value.strip() if isinstance(value, str) else ""
    if not CODE.fullmatch(code):
        raise InvalidValue(
            f"{value!r} is not a code: use 1-63 lower-case letters, digits, '_', '.' or '-'",
            field=field_name,
            code=ec.INVALID_CODE,
        )
    return code


@dataclass(frozen=True)
class Price:
    """An explicit price: amount in minor units per seat (or per subscription) per cycle."""

    currency: str
    cycle: Cycle
    amount: int


@dataclass(frozen=True)
class PlanTerms:
    """Everything a published version fixes: prices, seats, trial, allowances, features."""

    pricing: PricingModel = PricingModel.PER_SEAT
    # Explicit prices win; otherwise a cycle's price is the monthly base price x months,
    # less that cycle's discount (seed 002: "the longer the cycle, the higher the discount").
    prices: tuple[Price, ...] = ()
    base_prices: Mapping[str, int] = field(default_factory=dict)  # currency -> per month
    cycle_discounts: Mapping[str, Decimal] = field(default_factory=dict)  # cycle name -> %
    min_seats: int = 1
    max_seats: int | None = None
    trial_days: int = 0
    allowances: Mapping[str, int] = field(default_factory=dict)  # per period, e.g. scans
    features: frozenset[str] = frozenset()
    description: str = ""
    pay_per_day: bool = False
    # Usage charges, at most one per meter and currency, each in a currency the version is
    # priced in; versioned with the prices (a published version's never change).
    charges: tuple[Charge, ...] = ()

    def charges_in(self, currency: str) -> tuple[Charge, ...]:
        return tuple(c for c in self.charges if c.currency.code == currency)

    def currencies(self) -> list[str]:
        return sorted({p.currency for p in self.prices} | set(self.base_prices))

    def cycles(self, currency: str) -> list[Cycle]:
        """The cycles offered in a currency, shortest first."""
        found = {p.cycle for p in self.prices if p.currency == currency}
        if currency in self.base_prices:
            found.add(Cycle.MONTHLY)
            found.update(Cycle.parse(name) for name in self.cycle_discounts)
        return sorted(found, key=_cycle_days)

    def validated(self) -> PlanTerms:
        """These terms, or an InvalidInput naming every wrong field."""
        checks = Checks()
        seen: set[tuple[str, Cycle]] = set()
        for i, price in enumerate(self.prices):
            checks.run(Currency.of, price.currency, field=f"prices[{i}].currency")
            checks.run(_amount, price.amount, f"prices[{i}].amount")
            if (price.currency, price.cycle) in seen:
                checks.add(
                    InvalidValue(
                        f"two prices for {price.currency} per {price.cycle.name}",
                        field=f"prices[{i}]",
                        code=ec.DUPLICATE_PRICE,
                    )
                )
            seen.add((price.currency, price.cycle))
        for currency, amount in self.base_prices.items():
            checks.run(Currency.of, currency, field=f"base_prices.{currency}")
            checks.run(_amount, amount, f"base_prices.{currency}")
        for name, percent in self.cycle_discounts.items():
            checks.run(_discount_cycle, name)
            checks.run(discount_percent, percent, f"cycle_discounts.{name}")
        if not self.prices and not self.base_prices:
            checks.add(
                InvalidValue("a plan needs at least one price", field="prices", code=ec.REQUIRED)
            )
        checks.run(lambda: _count(self.min_seats, "min_seats", minimum=1))
        if self.max_seats is not None:
            checks.run(lambda: _count(self.max_seats, "max_seats", minimum=1))
            if (
                isinstance(self.min_seats, int)
                and isinstance(self.max_seats, int)
                and self.min_seats > self.max_seats
            ):
                checks.add(
                    InvalidValue(
                        f"min_seats ({self.min_seats}) is more than max_seats ({self.max_seats})",
                        field="min_seats",
                        code=ec.SEATS_RANGE,
                    )
                )
        checks.run(lambda: _count(self.trial_days, "trial_days", minimum=0, maximum=MAX_TRIAL_DAYS))
        for key, amount in self.allowances.items():
            checks.run(check_code, key, f"allowances.{key}")
            checks.run(_count, amount, f"allowances.{key}", minimum=0)
        for flag in self.features:
            checks.run(check_code, flag, "features")
        self._check_charges(checks)
        if self.pricing is PricingModel.FLAT and (self.min_seats != 1 or self.max_seats):
            checks.add(
                InvalidValue(
                    "a flat price has no seats; use per_seat pricing for seat limits",
                    field="pricing",
                    code=ec.FLAT_WITH_SEATS,
                )
            )
        checks.raise_if_any()
        return self

    def _check_charges(self, checks: Checks) -> None:
        priced = set(self.currencies())
        seen: set[tuple[str, str]] = set()
        for i, charge in enumerate(self.charges):
            if not isinstance(charge, Charge):
                checks.add(InvalidValue("expected a usage charge", field=f"charges[{i}]"))
                continue
            code = charge.currency.code
            if code not in priced:
                checks.add(
                    InvalidValue(
                        f"the plan is not priced in {code}: a charge is in one of "
                        f"{', '.join(sorted(priced)) or 'its prices currencies'}",
                        field=f"charges[{i}].currency",
                    )
                )
            if (charge.meter, code) in seen:
                checks.add(
                    InvalidValue(
                        f"two charges for the meter {charge.meter!r} in {code}",
                        field=f"charges[{i}].meter",
                        code=ec.DUPLICATE_CHARGE,
                    )
                )
            seen.add((charge.meter, code))

    def within_limits(self) -> PlanTerms:
        """These terms, or an InvalidInput naming every number above the bounds of
        domain/limits.py. Checked where terms come in (API, console, catalog file), not where
        they are read back: terms stored before the bounds existed still load."""
        checks = Checks()
        for i, price in enumerate(self.prices):
            checks.run(cycle_length, price.cycle, f"prices[{i}].cycle")
            if _whole(price.amount):
                checks.run(_price_at_most, price.amount, f"prices[{i}].amount")
        for currency, amount in self.base_prices.items():
            if _whole(amount):
                checks.run(self._longest_cycle_price, currency, amount)
        for name, percent in self.cycle_discounts.items():
            where = f"cycle_discounts.{name}"
            cycle = _parsed(name)  # None: reported as a wrong cycle name
            if cycle is not None:
                checks.run(cycle_length, cycle, where)
            if isinstance(percent, Decimal) and percent.is_finite():
                checks.run(percent_places, percent, where)
        seats = {"min_seats": self.min_seats, "max_seats": self.max_seats}
        for key, value in seats.items():
            if _whole(value):
                checks.run(at_most, value, MAX_QUANTITY, key)
        for key, amount in self.allowances.items():
            if _whole(amount):
                checks.run(at_most, amount, MAX_ALLOWANCE, f"allowances.{key}", key)
        checks.raise_if_any()
        return self

    def _longest_cycle_price(self, currency: str, base: int) -> None:
        """A monthly base price is a price, and so is what it comes to over the longest cycle
        it prices (before that cycle's discount): both stay within MAX_PRICE."""
        where = f"base_prices.{currency}"
        _price_at_most(base, where)
        longest = 1
        for name in self.cycle_discounts:
            cycle = _parsed(name)
            if (
                cycle is not None
                and cycle.unit is CycleUnit.MONTH
                and cycle.count <= MAX_CYCLE_MONTHS
            ):
                longest = max(longest, cycle.count)  # a longer one is reported as such
        if base * longest > MAX_PRICE:
            raise TooLarge(
                f"{figure(base)} a month over {longest} months comes to {figure(base * longest)}"
                f", more than the largest price, {figure(MAX_PRICE)} minor units",
                field=where,
            )


def _parsed(name: str) -> Cycle | None:
    try:
        return Cycle.parse(name)
    except InvalidValue:
        return None


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _price_at_most(value: int, field_name: str) -> int:
    if value > MAX_PRICE:
        raise TooLarge(f"a price is at most {figure(MAX_PRICE)} minor units", field=field_name)
    return value


def _cycle_days(cycle: Cycle) -> int:
    per = {CycleUnit.DAY: 1, CycleUnit.WEEK: 7, CycleUnit.MONTH: 30}
    return per[cycle.unit] * cycle.count


def _discount_cycle(name: str) -> Cycle:
    where = f"cycle_discounts.{name}"
    try:
        cycle = Cycle.parse(name)
    except InvalidValue as exc:
        raise InvalidValue(exc.message, field=where) from None
    if cycle.unit is not CycleUnit.MONTH or cycle.count < 2:
        raise InvalidValue(
            f"a cycle discount applies to cycles of 2 months or more, not {name!r}",
            field=where,
        )
    if cycle.name != name:
        # Quotes look discounts up by canonical name; "annual" would never be found.
        raise InvalidValue(
            f"name the cycle {cycle.name!r}, not {name!r}", field=where, code=ec.CYCLE_NAME
        )
    return cycle


def _amount(value: object, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue("an amount is a whole number of minor units", field=field_name)
    if value < 0:
        raise InvalidValue("a price cannot be negative", field=field_name, code=ec.NEGATIVE)
    return value


def _count(value: object, field_name: str, *, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidValue(f"must be a whole number of at least {minimum}", field=field_name)
    if maximum is not None and value > maximum:  # trial_days: its code predates too_large
        raise InvalidValue(f"must be at most {figure(maximum)}", field=field_name)
    return value


def discount_percent(value: object, field_name: str) -> Decimal:
    """A percentage from 0 to 100 as an exact Decimal (never a float)."""
    if isinstance(value, bool | float):
        raise InvalidValue('give percentages as text or integers, e.g. "12.5"', field=field_name)
    try:
        percent = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidValue(f"{value!r} is not a percentage", field=field_name) from None
    if not percent.is_finite() or not 0 <= percent <= 100:
        raise InvalidValue(
            "a discount is between 0 and 100 %", field=field_name, code=ec.DISCOUNT_RANGE
        )
    return percent
