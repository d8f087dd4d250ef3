"""Money as integer minor units of an ISO 4217 currency, with one rounding rule.

Amounts are stored and shown as ``int`` minor units (cents, yen, fils). Calculations that
need more precision (proration, tiers, discounts) work in exact ``Fraction``s of a minor
unit and come back to an integer exactly once, through :func:`round_half_up`. Splitting
an amount goes through :func:`allocate`, which never loses or creates a minor unit.
Floats are rejected everywhere: they cannot represent 0.10 exactly.

The minor-unit exponent comes from ISO 4217 itself (the pure-data ``iso4217`` package),
not from CLDR, whose display digits differ for some currencies (IQD is 3 in ISO, 0 in CLDR).
See docs/adr/0001-money-as-integer-minor-units.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

from iso4217 import Currency as _Iso

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue

__all__ = [
    "Currency",
    "CurrencyMismatch",
    "Money",
    "TooPrecise",
    "UnknownCurrency",
    "allocate",
    "round_half_up",
    "sum_money",
]


class UnknownCurrency(DomainError):
    """The code is not an active ISO 4217 currency."""

    code = ec.UNKNOWN_CURRENCY


class CurrencyMismatch(DomainError):
    """Two amounts in different currencies were combined or compared."""

    code = ec.CURRENCY_MISMATCH


class TooPrecise(DomainError):
    """An amount has more decimals than its currency's minor unit allows."""

    code = ec.TOO_MANY_DECIMALS


@cache
def _exponents() -> dict[str, int]:
    """ISO 4217 code -> minor-unit exponent, built once on first use.

    Members without an exponent (gold, SDR, the test code XTS, "no currency" XXX) are not
    money one can bill in, so they are left out.
    """
    table: dict[str, int] = {}
    for member in _Iso:
        exponent = member.exponent
        if exponent is not None:
            table[str(member.code)] = int(exponent)
    return table


def _unknown(code: object, field: str) -> UnknownCurrency:
    return UnknownCurrency(
        f"{code!r} is not an active ISO 4217 currency code (e.g. USD, EUR, JPY)",
        field=field,
    )


@dataclass(frozen=True)
class Currency:
    """An ISO 4217 currency: its three-letter code and how many decimals its minor unit has."""

    code: str
    exponent: int

    def __post_init__(self) -> None:
        # Constructing directly is allowed but must agree with ISO, so a wrong exponent
        # can never slip in and shift every amount by a factor of ten.
        expected = _exponents().get(self.code) if isinstance(self.code, str) else None
        if expected is None:
            raise _unknown(self.code, "currency")
        if self.exponent != expected or type(self.exponent) is not int:
            raise InvalidValue(
                f"{self.code} has {expected} decimals in ISO 4217, not {self.exponent!r}",
                field="currency",
            )

    @classmethod
    def of(cls, code: str, *, field: str = "currency") -> Currency:
        """The currency for an exact, uppercase ISO 4217 code ("usd" is rejected, not guessed)."""
        currency = _currencies().get(code) if isinstance(code, str) else None
        if currency is None:
            raise _unknown(code, field)
        return currency

    @classmethod
    def all(cls) -> tuple[Currency, ...]:
        """Every active currency, sorted by code."""
        return tuple(_currencies().values())

    @property
    def minor_per_major(self) -> int:
        return int(10**self.exponent)

    def __str__(self) -> str:
        return self.code


@cache
def _currencies() -> dict[str, Currency]:
    return {code: Currency(code, exp) for code, exp in sorted(_exponents().items())}


def _exact(value: object, field: str) -> Fraction:
    """An exact Fraction from an int, Fraction or finite Decimal; floats and bools refused."""
    if isinstance(value, bool) or not isinstance(value, int | Fraction | Decimal):
        raise InvalidValue(
            f"expected an exact number (int, Fraction or Decimal), got {type(value).__name__}",
            field=field,
        )
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidValue(f"{value} is not a finite number", field=field)
    return Fraction(value)


def round_half_up(value: Fraction | Decimal | int) -> int:
    """Round to an integer, halves away from zero: 1496.5 -> 1497, -1496.5 -> -1497.

    This is the one rounding rule of plansmith; it works on the magnitude so a credit
    rounds exactly like the matching charge.
    """
    exact = _exact(value, "amount")
    quotient, remainder = divmod(abs(exact.numerator), exact.denominator)
    if 2 * remainder >= exact.denominator:
        quotient += 1
    return -quotient if exact < 0 else quotient


def allocate(total: int, weights: Sequence[int | Fraction]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder.

    The parts sum exactly to ``total`` and each is within one unit of its exact share.
    Leftover units go to the largest fractional remainders, ties to the earliest index, so
    the result is deterministic. A negative total is split by magnitude and negated, so a
    credit splits exactly like the charge it reverses.
    """
    if isinstance(total, bool) or not isinstance(total, int):
        raise InvalidValue("the amount to split must be an integer", field="amount")
    if len(weights) == 0:
        raise InvalidValue("at least one weight is needed to split an amount", field="weights")
    exact: list[Fraction] = []
    for weight in weights:
        if isinstance(weight, bool) or not isinstance(weight, int | Fraction):
            raise InvalidValue("weights must be integers or Fractions", field="weights")
        if weight < 0:
            raise InvalidValue(f"weights cannot be negative (got {weight})", field="weights")
        exact.append(Fraction(weight))
    weight_sum = sum(exact, Fraction(0))
    if weight_sum == 0:
        raise InvalidValue("weights cannot all be zero", field="weights")

    magnitude = abs(total)
    shares = [magnitude * w / weight_sum for w in exact]
    parts = [share.numerator // share.denominator for share in shares]
    leftover = magnitude - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in by_remainder[:leftover]:
        parts[i] += 1
    return [-p for p in parts] if total < 0 else parts


_MAJOR_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


@dataclass(frozen=True, order=False)
class Money:
    """An exact amount: ``amount`` minor units of ``currency`` (USD 10.00 is 1000)."""

    amount: int
    currency: Currency

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise InvalidValue(
                f"amount must be an integer number of minor units, got {self.amount!r}",
                field="amount",
            )
        if not isinstance(self.currency, Currency):
            raise InvalidValue("currency must be a Currency", field="currency")

    # -- construction ---------------------------------------------------------------

    @classmethod
    def zero(cls, currency: Currency) -> Money:
        return cls(0, currency)

    @classmethod
    def of(cls, amount_minor: int, code: str) -> Money:
        """Shorthand: ``Money.of(1000, "USD")`` is USD 10.00."""
        return cls(amount_minor, Currency.of(code))

    @classmethod
    def from_major(
        cls, value: str | Decimal | int, currency: Currency, *, field: str = "amount"
    ) -> Money:
        """Exact amount from major units ("10.50", Decimal("10.5"), 10).

        Never rounds: more decimals than the currency has raises TooPrecise (trailing
        zeros are fine, "10.500" USD is 1050). Floats are refused.
        """
        if isinstance(value, str):
            text = value.strip()
            if not _MAJOR_TEXT.fullmatch(text):
                raise InvalidValue(f"{value!r} is not a number like 12.34", field=field)
            value = Decimal(text)
        major = _exact(value, field)
        minor = major * currency.minor_per_major
        if minor.denominator != 1:
            raise TooPrecise(
                f"{currency.code} amounts have at most {currency.exponent} decimals; "
                f"{value} has more",
                field=field,
            )
        return cls(minor.numerator, currency)

    @classmethod
    def from_exact(cls, minor: Fraction | Decimal | int, currency: Currency) -> Money:
        """Round an exact number of minor units once, with :func:`round_half_up`."""
        return cls(round_half_up(minor), currency)

    # -- views ----------------------------------------------------------------------

    def to_decimal(self) -> Decimal:
        """Major units, exact, with exactly ``exponent`` decimals (1000 USD cents -> 10.00)."""
        digits = tuple(int(c) for c in str(abs(self.amount)))
        return Decimal((1 if self.amount < 0 else 0, digits, -self.currency.exponent))

    def is_zero(self) -> bool:
        return self.amount == 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def __str__(self) -> str:
        return f"{self.currency.code} {self.to_decimal():f}"

    def __repr__(self) -> str:
        return f"Money.of({self.amount}, {self.currency.code!r})"

    # -- arithmetic -----------------------------------------------------------------

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot combine {self.currency.code} with {other.currency.code}",
                field="currency",
            )

    def __add__(self, other: Any) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Any) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: Any) -> Money:
        # Only integers keep the result in whole minor units; anything else must go through
        # times() and be rounded deliberately, once.
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError(
                "Money can only be multiplied by an int; use times() for an exact Fraction "
                "and round once with Money.from_exact()"
            )
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def times(self, factor: Fraction | Decimal | int) -> Fraction:
        """The exact product in minor units, deliberately not rounded."""
        return self.amount * _exact(factor, "factor")

    def allocate(self, weights: Sequence[int | Fraction]) -> list[Money]:
        """Split into parts proportional to ``weights``; they sum exactly to this amount."""
        return [Money(part, self.currency) for part in allocate(self.amount, weights)]

    # -- ordering (equality comes from the dataclass: other currencies are simply unequal) --

    def _ordered(self, other: Any) -> bool:
        if not isinstance(other, Money):
            return False
        self._same(other)
        return True

    def __lt__(self, other: Any) -> bool:
        if not self._ordered(other):
            return NotImplemented
        return bool(self.amount < other.amount)

    def __le__(self, other: Any) -> bool:
        if not self._ordered(other):
            return NotImplemented
        return bool(self.amount <= other.amount)

    def __gt__(self, other: Any) -> bool:
        if not self._ordered(other):
            return NotImplemented
        return bool(self.amount > other.amount)

    def __ge__(self, other: Any) -> bool:
        if not self._ordered(other):
            return NotImplemented
        return bool(self.amount >= other.amount)


def sum_money(items: Iterable[Money], currency: Currency) -> Money:
    """Sum of amounts in ``currency``; zero for none, CurrencyMismatch for a stranger."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total
