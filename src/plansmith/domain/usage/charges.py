"""Charges: how a plan version prices a meter's billable quantity at the end of a period.

A charge names its meter, its currency, the allowance included per period, its limit (``hard``
denies use past what is left, ``soft`` bills the excess) and one charge model.

Numbers, exact everywhere (never a float):

- Prices and fees are ``Fraction``s of a minor unit, because a unit may cost less than one:
  USD 0.0025 a unit is ``Fraction(1, 4)`` cent. People write them in major units ("0.0025");
  :func:`minor_units` converts exactly with the currency's ISO 4217 exponent. A price may be at
  most PRICE_PLACES decimal places finer than the minor unit, so it always prints back exactly.
- Quantities and tier bounds are ``Fraction``s >= 0: a count meter gives whole numbers, a sum
  meter may give 2.5 (GB, hours). For the two percentage models the quantity is an amount of
  money in major units of the charge's currency (events summing to USD 1,050.00 give 1050).
- A rate is a percentage: ``Fraction(12, 10)`` is 1.2 %.

Tiers are half-open from below: a tier with ``up_to`` 100 holds the units above the previous
bound up to and including 100 (Lago's "1 to 100, 101 to 200"); the last tier has no bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.limits import MAX_ALLOWANCE, MAX_PRICE, TooLarge, figure
from plansmith.domain.kernel.money import Currency

__all__ = [
    "MAX_TIERS",
    "PRICE_PLACES",
    "Charge",
    "ChargeModel",
    "Graduated",
    "GraduatedPercentage",
    "LimitKind",
    "ModelKind",
    "Package",
    "PerUnit",
    "PercentTier",
    "Percentage",
    "Tier",
    "Volume",
    "check_meter",
    "decimal_text",
    "decimal_value",
    "exact_quantity",
    "major_text",
    "minor_units",
]

MAX_TIERS = 100
"""Tiers of one charge: enough for any published price list, small enough to show."""

PRICE_PLACES = 10
"""Decimal places a price, fee, rate or bound may have beyond its unit (a minor unit for prices):
USD 0.000000000001 a unit is the finest price, 10**-10 cent."""

_FINEST = 10**PRICE_PLACES
_CODE = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")
_DECIMAL_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


class LimitKind(StrEnum):
    HARD = "hard"  # a use past what is left is denied
    SOFT = "soft"  # a use past what is left is allowed and the excess billed


class ModelKind(StrEnum):
    PER_UNIT = "per_unit"
    GRADUATED = "graduated"
    GRADUATED_PERCENTAGE = "graduated_percentage"
    VOLUME = "volume"
    PACKAGE = "package"
    PERCENTAGE = "percentage"


# -- exact numbers ---------------------------------------------------------------------------


def exact_quantity(value: object, field: str) -> Fraction:
    """An exact number >= 0 (int or Fraction); floats, bools and negatives are refused."""
    if isinstance(value, bool) or not isinstance(value, int | Fraction):
        raise InvalidValue(
            f"expected an exact number (int or Fraction), got {type(value).__name__}",
            field=field,
        )
    if value < 0:
        raise InvalidValue(f"cannot be negative (got {value})", field=field, code=ec.NEGATIVE)
    return Fraction(value)


def _places(value: Fraction, field: str, what: str) -> Fraction:
    if _FINEST % value.denominator:
        raise InvalidValue(
            f"{what} has at most {PRICE_PLACES} decimal places",
            field=field,
            code=ec.TOO_MANY_DECIMALS,
        )
    return value


def _price(value: object, field: str) -> Fraction:
    """A price or fee in minor units: exact, >= 0, at most MAX_PRICE, finitely many decimals."""
    if isinstance(value, int | Fraction) and not isinstance(value, bool) and value < 0:
        raise InvalidValue("a price or fee cannot be negative", field=field, code=ec.NEGATIVE)
    price = exact_quantity(value, field)
    if price > MAX_PRICE:
        raise TooLarge(f"a price is at most {figure(MAX_PRICE)} minor units", field=field)
    return _places(price, field, "a price in minor units")


def _whole(value: object, field: str, *, least: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"expected a whole number, got {value!r}", field=field)
    if value < least:
        code = ec.NEGATIVE if value < 0 else ec.INVALID_VALUE
        raise InvalidValue(f"must be at least {least} (got {value})", field=field, code=code)
    if value > MAX_ALLOWANCE:
        raise TooLarge(f"at most {figure(MAX_ALLOWANCE)}", field=field)
    return value


def _bound(value: object, field: str) -> Fraction:
    bound = exact_quantity(value, field)
    if bound == 0:
        raise InvalidValue("a tier's upper bound must be above 0", field=field)
    if bound > MAX_ALLOWANCE:
        raise TooLarge(f"a tier bound is at most {figure(MAX_ALLOWANCE)}", field=field)
    return _places(bound, field, "a tier bound")


def _percent(value: object, field: str) -> Fraction:
    rate = exact_quantity(value, field)
    if rate > 100:
        raise InvalidValue(f"a rate is a percentage from 0 to 100 (got {rate})", field=field)
    return _places(rate, field, "a rate")


def _decimal(value: object, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise InvalidValue(
            f'expected a decimal number as text, like "0.0025", got {value!r}', field=field
        )
    if isinstance(value, str):
        text = value.strip()
        if not _DECIMAL_TEXT.fullmatch(text):
            raise InvalidValue(f"{value!r} is not a number like 0.0025", field=field)
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid text
            raise InvalidValue(f"{value!r} is not a number", field=field) from None
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidValue(f"{value} is not a finite number", field=field)
    return Decimal(value)


def minor_units(value: str | int | Decimal, currency: Currency, field: str) -> Fraction:
    """An amount written in major units ("0.0025" USD) as exact minor units (Fraction(1, 4))."""
    return Fraction(_decimal(value, field)) * currency.minor_per_major


def decimal_value(value: str | int | Decimal, field: str) -> Fraction:
    """A number written as decimal text ("2.5", "1.2") as an exact Fraction."""
    return Fraction(_decimal(value, field))


def decimal_text(value: Fraction) -> str:
    """The exact decimal text of a Fraction whose denominator divides a power of ten."""
    places = 0
    while (10**places) % value.denominator:
        places += 1
        if places > 4 * PRICE_PLACES:
            raise ValueError(f"{value} has no finite decimal expansion")
    scaled = (value * 10**places).numerator
    digits = str(abs(scaled)).rjust(places + 1, "0")
    text = f"{digits[:-places]}.{digits[-places:]}" if places else digits
    return f"-{text}" if scaled < 0 else text


def major_text(minor: Fraction, currency: Currency) -> str:
    """Exact minor units back as major-unit text: Fraction(1, 4) cent is "0.0025"."""
    return decimal_text(minor / currency.minor_per_major)


def check_meter(value: object, field: str) -> str:
    """A meter code, like every catalog code: 1-63 of a-z 0-9 _ . - (no padding, no case)."""
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise InvalidValue(
            f"{value!r} is not a meter code: use 1-63 lower-case letters, digits, '_', '.' or '-'",
            field=field,
            code=ec.INVALID_CODE,
        )
    return value


# -- the charge models -----------------------------------------------------------------------


def _set(record: object, name: str, value: object) -> None:
    # Frozen records take ints too; keep the checked Fraction so equality sees one type.
    object.__setattr__(record, name, value)


@dataclass(frozen=True)
class PerUnit:
    """Every billable unit at one price."""

    unit_price: Fraction

    kind = ModelKind.PER_UNIT

    def __post_init__(self) -> None:
        _set(self, "unit_price", _price(self.unit_price, "unit_price"))


@dataclass(frozen=True)
class Tier:
    """A price tier: units up to ``up_to`` (None: no bound) at ``unit_price``, and a flat fee.

    In a graduated charge the flat fee is charged once when any unit falls in the tier; in a
    volume charge, once when the total lands in it.
    """

    up_to: Fraction | None
    unit_price: Fraction
    flat_fee: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        if self.up_to is not None:
            _set(self, "up_to", _bound(self.up_to, "up_to"))
        _set(self, "unit_price", _price(self.unit_price, "unit_price"))
        _set(self, "flat_fee", _price(self.flat_fee, "flat_fee"))


@dataclass(frozen=True)
class PercentTier:
    """A percentage tier: the amount up to ``up_to`` (major units) at ``rate`` %, and a flat fee."""

    up_to: Fraction | None
    rate: Fraction
    flat_fee: Fraction = Fraction(0)

    def __post_init__(self) -> None:
        if self.up_to is not None:
            _set(self, "up_to", _bound(self.up_to, "up_to"))
        _set(self, "rate", _percent(self.rate, "rate"))
        _set(self, "flat_fee", _price(self.flat_fee, "flat_fee"))


def _check_tiers(tiers: object, kind: type[Tier] | type[PercentTier]) -> None:
    if not isinstance(tiers, tuple) or not tiers:
        raise InvalidValue("at least one tier is needed (a tuple of tiers)", field="tiers")
    if len(tiers) > MAX_TIERS:
        raise TooLarge(f"at most {MAX_TIERS} tiers", field="tiers")
    previous = Fraction(0)
    for index, tier in enumerate(tiers):
        if not isinstance(tier, kind):
            raise InvalidValue(f"expected a {kind.__name__}", field=f"tiers[{index}]")
        last = index == len(tiers) - 1
        if tier.up_to is None and not last:
            raise InvalidValue(
                "only the last tier is unbounded; give this one an upper bound",
                field=f"tiers[{index}].up_to",
            )
        if tier.up_to is not None and last:
            raise InvalidValue(
                "the last tier has no upper bound (it takes every unit above the one before)",
                field=f"tiers[{index}].up_to",
            )
        if tier.up_to is not None:
            if tier.up_to <= previous:
                raise InvalidValue(
                    f"tier bounds must ascend: {tier.up_to} is not above {previous}",
                    field=f"tiers[{index}].up_to",
                )
            previous = tier.up_to


@dataclass(frozen=True)
class Graduated:
    """Each unit priced by the tier it falls in; a tier's flat fee once when a unit falls in it."""

    tiers: tuple[Tier, ...]

    kind = ModelKind.GRADUATED

    def __post_init__(self) -> None:
        _check_tiers(self.tiers, Tier)


@dataclass(frozen=True)
class Volume:
    """All units at the price of the tier the total reaches, plus that tier's flat fee."""

    tiers: tuple[Tier, ...]

    kind = ModelKind.VOLUME

    def __post_init__(self) -> None:
        _check_tiers(self.tiers, Tier)


@dataclass(frozen=True)
class GraduatedPercentage:
    """Each part of the amount at its tier's rate; a tier's flat fee once when reached."""

    tiers: tuple[PercentTier, ...]

    kind = ModelKind.GRADUATED_PERCENTAGE

    def __post_init__(self) -> None:
        _check_tiers(self.tiers, PercentTier)


@dataclass(frozen=True)
class Package:
    """``block_price`` per started block of ``block_size`` units, after ``free_units`` free."""

    block_size: int
    block_price: Fraction
    free_units: int = 0

    kind = ModelKind.PACKAGE

    def __post_init__(self) -> None:
        _whole(self.block_size, "block_size", least=1)
        _set(self, "block_price", _price(self.block_price, "block_price"))
        _whole(self.free_units, "free_units")


@dataclass(frozen=True)
class Percentage:
    """``rate`` % of the amount, plus ``fixed_fee`` per event past the first ``free_events``."""

    rate: Fraction
    fixed_fee: Fraction = Fraction(0)
    free_events: int = 0

    kind = ModelKind.PERCENTAGE

    def __post_init__(self) -> None:
        _set(self, "rate", _percent(self.rate, "rate"))
        _set(self, "fixed_fee", _price(self.fixed_fee, "fixed_fee"))
        _whole(self.free_events, "free_events")


ChargeModel = PerUnit | Graduated | GraduatedPercentage | Volume | Package | Percentage
_MODELS = (PerUnit, Graduated, GraduatedPercentage, Volume, Package, Percentage)


@dataclass(frozen=True)
class Charge:
    """A plan version's charge on one meter, in one currency."""

    meter: str
    currency: Currency
    model: ChargeModel
    included: int = 0  # whole units granted each period before anything is billed
    limit: LimitKind = LimitKind.SOFT

    def __post_init__(self) -> None:
        check_meter(self.meter, "meter")
        if not isinstance(self.currency, Currency):
            raise InvalidValue("expected a Currency", field="currency")
        if not isinstance(self.model, _MODELS):
            raise InvalidValue(
                f"expected a charge model ({', '.join(k.value for k in ModelKind)})",
                field="model",
            )
        _whole(self.included, "included")
        if not isinstance(self.limit, LimitKind):
            if self.limit not in {k.value for k in LimitKind}:
                raise InvalidValue(
                    f"{self.limit!r} is not a limit: use 'hard' (deny past the allowance) "
                    "or 'soft' (bill the excess)",
                    field="limit",
                )
            object.__setattr__(self, "limit", LimitKind(self.limit))
