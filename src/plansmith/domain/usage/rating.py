"""Rating: a charge applied to a period's meter value, giving one usage line.

The billable quantity is the meter value less the period's allowance, never below 0. The
charge model prices it in exact slices (a tier, the blocks of a package, the events past the
free ones); the line's amount is their exact sum rounded ONCE with the one rounding rule
(:func:`round_half_up`), never per tier or per event. The slices stay exact, for display.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import TypeVar

from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.limits import MAX_ALLOWANCE, TooLarge, figure
from plansmith.domain.kernel.money import Currency, Money, round_half_up
from plansmith.domain.usage.charges import (
    Charge,
    Graduated,
    GraduatedPercentage,
    Package,
    Percentage,
    PercentTier,
    PerUnit,
    Tier,
    Volume,
    exact_quantity,
)

__all__ = ["RatedLine", "Slice", "SliceKind", "billable", "rate"]

MAX_EVENTS = 2**63 - 1  # a count of events fits a BIGINT

T = TypeVar("T", Tier, PercentTier)


class SliceKind(StrEnum):
    UNITS = "units"  # units at a unit price
    BLOCKS = "blocks"  # started blocks of a package at the block price
    AMOUNT = "amount"  # an amount in major units at a rate (price = minor units per major unit)
    EVENTS = "events"  # charged events at the fixed fee per event


@dataclass(frozen=True)
class Slice:
    """One exact part of a line: ``units`` x ``price`` + ``flat_fee``, in minor units.

    ``tier`` is the 0-based tier index for tiered models, None otherwise.
    """

    kind: SliceKind
    units: Fraction
    price: Fraction
    flat_fee: Fraction = Fraction(0)
    tier: int | None = None

    @property
    def amount(self) -> Fraction:
        return self.units * self.price + self.flat_fee


@dataclass(frozen=True)
class RatedLine:
    """One usage line: the quantity, what of it is billable, and its amount rounded once."""

    meter: str
    currency: Currency
    quantity: Fraction
    allowance: Fraction
    billable_quantity: Fraction
    slices: tuple[Slice, ...]
    exact_amount: Fraction  # the unrounded sum of the slices, in minor units
    amount_minor: int  # round_half_up(exact_amount): the only rounding of the line

    @property
    def money(self) -> Money:
        return Money(self.amount_minor, self.currency)


def billable(quantity: Fraction | int, allowance: Fraction | int) -> Fraction:
    """The meter value less the allowance, never below 0."""
    used = exact_quantity(quantity, "quantity")
    granted = exact_quantity(allowance, "allowance")
    return max(Fraction(0), used - granted)


def rate(
    charge: Charge,
    quantity: Fraction | int,
    *,
    allowance: Fraction | int | None = None,
    events: int | None = None,
) -> RatedLine:
    """Rate a period's meter value with ``charge``.

    ``quantity`` is the meter value for the period (exact, >= 0; an amount in major units for
    the percentage models). ``allowance`` is the period's allowance: the charge's ``included``
    when omitted; pass the prorated allowance plus pack units when there are any. ``events``
    is the number of events summed into the quantity; the percentage model needs it for its
    fixed fee per event, the others ignore it.
    """
    if not isinstance(charge, Charge):
        raise InvalidValue("expected a Charge", field="charge")
    used = exact_quantity(quantity, "quantity")
    if used > MAX_ALLOWANCE:
        raise TooLarge(f"a period's quantity is at most {figure(MAX_ALLOWANCE)}", field="quantity")
    granted = exact_quantity(charge.included if allowance is None else allowance, "allowance")
    billable_quantity = max(Fraction(0), used - granted)
    slices = tuple(_slices(charge, billable_quantity, events))
    exact = sum((s.amount for s in slices), Fraction(0))
    return RatedLine(
        meter=charge.meter,
        currency=charge.currency,
        quantity=used,
        allowance=granted,
        billable_quantity=billable_quantity,
        slices=slices,
        exact_amount=exact,
        amount_minor=round_half_up(exact),
    )


def _slices(charge: Charge, units: Fraction, events: int | None) -> Iterator[Slice]:
    model = charge.model
    per_major = charge.currency.minor_per_major
    if isinstance(model, PerUnit):
        if units:
            yield Slice(SliceKind.UNITS, units, model.unit_price)
    elif isinstance(model, Graduated):
        for index, tier, part in _fill(model.tiers, units):
            yield Slice(SliceKind.UNITS, part, tier.unit_price, tier.flat_fee, index)
    elif isinstance(model, Volume):
        yield from _volume(model, units)
    elif isinstance(model, GraduatedPercentage):
        for index, band, part in _fill(model.tiers, units):
            yield Slice(SliceKind.AMOUNT, part, band.rate * per_major / 100, band.flat_fee, index)
    elif isinstance(model, Package):
        yield from _package(model, units)
    else:
        yield from _percentage(model, units, per_major, events)


def _fill(tiers: tuple[T, ...], units: Fraction) -> Iterator[tuple[int, T, Fraction]]:
    """Graduated filling: each tier takes the units above the previous bound up to its own."""
    lower = Fraction(0)
    for index, tier in enumerate(tiers):
        if units <= lower:
            return
        top = units if tier.up_to is None else min(units, tier.up_to)
        yield index, tier, top - lower
        if tier.up_to is None:
            return
        lower = tier.up_to


def _volume(model: Volume, units: Fraction) -> Iterator[Slice]:
    # Nothing billable reaches no tier, so no flat fee either (and a one-tier volume charge
    # always agrees with the graduated one).
    if not units:
        return
    for index, tier in enumerate(model.tiers):
        if tier.up_to is None or units <= tier.up_to:
            yield Slice(SliceKind.UNITS, units, tier.unit_price, tier.flat_fee, index)
            return


def _package(model: Package, units: Fraction) -> Iterator[Slice]:
    beyond_free = max(Fraction(0), units - model.free_units)
    blocks = math.ceil(beyond_free / model.block_size)  # a started block is a whole block
    if blocks:
        yield Slice(SliceKind.BLOCKS, Fraction(blocks), model.block_price)


def _percentage(
    model: Percentage, amount: Fraction, per_major: int, events: int | None
) -> Iterator[Slice]:
    if events is None:
        raise InvalidValue(
            "the percentage model needs the number of events (its fixed fee is per event)",
            field="events",
        )
    if isinstance(events, bool) or not isinstance(events, int) or events < 0:
        raise InvalidValue(f"expected a whole number >= 0, got {events!r}", field="events")
    if events > MAX_EVENTS:
        raise TooLarge(f"at most {figure(MAX_EVENTS)} events", field="events")
    if amount and model.rate:
        yield Slice(SliceKind.AMOUNT, amount, model.rate * per_major / 100)
    charged = max(0, events - model.free_events)
    if charged and model.fixed_fee:
        yield Slice(SliceKind.EVENTS, Fraction(charged), model.fixed_fee)
