"""Rating: the properties every charge model keeps, for any tiers, prices and quantities."""

from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.kernel.money import Currency, round_half_up
from plansmith.domain.usage.charges import (
    Charge,
    Graduated,
    GraduatedPercentage,
    Package,
    Percentage,
    PercentTier,
    Tier,
    Volume,
)
from plansmith.domain.usage.rating import SliceKind, rate
from tests.unit.usage_rating_support import (
    charge,
    charges,
    currencies,
    decimals,
    packages,
    percent_tier_lists,
    percentages,
    prices,
    quantities,
    tier_lists,
    whole_quantities,
)

PROPERTY = settings(max_examples=200, deadline=None)


def _events(c: Charge) -> int | None:
    return 7 if isinstance(c.model, Percentage) else None


# -- every model -----------------------------------------------------------------------------


@PROPERTY
@given(c=charges, quantity=quantities, allowance=st.integers(0, 2_000_000))
def test_a_line_is_its_exact_slices_rounded_once(
    c: Charge, quantity: Fraction, allowance: int
) -> None:
    line = rate(c, quantity, allowance=allowance, events=_events(c))

    exact = sum((s.amount for s in line.slices), Fraction(0))
    assert line.exact_amount == exact
    assert line.amount_minor == round_half_up(exact)
    assert -Fraction(1, 2) < line.amount_minor - exact <= Fraction(1, 2)
    assert line.billable_quantity == max(Fraction(0), quantity - allowance)
    assert line.quantity == quantity and line.allowance == allowance
    assert line.money.currency == c.currency


@PROPERTY
@given(c=charges, quantity=quantities, extra=st.integers(0, 10**6))
def test_nothing_is_billed_within_the_allowance(c: Charge, quantity: Fraction, extra: int) -> None:
    line = rate(c, quantity, allowance=math.ceil(quantity) + extra, events=0)

    assert line.billable_quantity == 0
    assert line.slices == ()
    assert line.amount_minor == 0


@PROPERTY
@given(c=charges, quantities_=st.lists(quantities, min_size=2, max_size=2))
def test_more_usage_never_costs_less(c: Charge, quantities_: list[Fraction]) -> None:
    low, high = sorted(quantities_)
    if isinstance(c.model, Volume):
        return  # volume pricing may drop at a tier bound; that is the model
    events = _events(c)
    assert rate(c, low, allowance=0, events=events).exact_amount <= (
        rate(c, high, allowance=0, events=events).exact_amount
    )


# -- graduated -------------------------------------------------------------------------------


def _walk_units(tiers: tuple[Tier, ...], quantity: int) -> Fraction:
    """Independent reference: price the units one by one, each tier's fee once when touched."""
    total = Fraction(0)
    touched: set[int] = set()
    for unit in range(1, quantity + 1):
        index = next(i for i, t in enumerate(tiers) if t.up_to is None or unit <= t.up_to)
        total += tiers[index].unit_price
        touched.add(index)
    return total + sum((tiers[i].flat_fee for i in touched), Fraction(0))


@PROPERTY
@given(tiers=tier_lists(whole=True), quantity=whole_quantities, currency=currencies)
def test_graduated_total_is_the_sum_of_its_tier_slices_rounded_once(
    tiers: tuple[Tier, ...], quantity: Fraction, currency: Currency
) -> None:
    line = rate(charge(Graduated(tiers), currency), quantity, allowance=0)

    expected = _walk_units(tiers, int(quantity))
    assert line.exact_amount == expected
    assert line.amount_minor == round_half_up(expected)
    assert sum((s.units for s in line.slices), Fraction(0)) == quantity
    assert [s.tier for s in line.slices] == list(range(len(line.slices)))
    assert all(s.flat_fee == tiers[s.tier].flat_fee for s in line.slices if s.tier is not None)


@PROPERTY
@given(tiers=tier_lists(), quantity=quantities)
def test_graduated_slices_fill_each_tier_before_the_next(
    tiers: tuple[Tier, ...], quantity: Fraction
) -> None:
    line = rate(charge(Graduated(tiers)), quantity, allowance=0)

    assert sum((s.units for s in line.slices), Fraction(0)) == quantity
    for s in line.slices[:-1]:  # every slice but the last fills its tier completely
        assert s.tier is not None
        lower = tiers[s.tier - 1].up_to if s.tier else Fraction(0)
        upper = tiers[s.tier].up_to
        assert upper is not None and lower is not None
        assert s.units == upper - lower
    assert all(s.units > 0 for s in line.slices)


@PROPERTY
@given(
    unit_price=prices,
    flat_fee=prices,
    quantity=quantities,
    currency=currencies,
)
def test_volume_and_graduated_agree_on_a_single_tier(
    unit_price: Fraction, flat_fee: Fraction, quantity: Fraction, currency: Currency
) -> None:
    tiers = (Tier(None, unit_price, flat_fee),)

    graduated = rate(charge(Graduated(tiers), currency), quantity, allowance=0)
    volume = rate(charge(Volume(tiers), currency), quantity, allowance=0)

    assert graduated.exact_amount == volume.exact_amount
    assert graduated.amount_minor == volume.amount_minor


@PROPERTY
@given(tiers=tier_lists(), quantity=decimals(most=1_000_000, places=2, least=0))
def test_volume_prices_every_unit_at_the_tier_the_total_reaches(
    tiers: tuple[Tier, ...], quantity: Fraction
) -> None:
    line = rate(charge(Volume(tiers)), quantity, allowance=0)

    if quantity == 0:
        assert line.slices == ()
        return
    reached = next(t for t in tiers if t.up_to is None or quantity <= t.up_to)
    assert line.exact_amount == quantity * reached.unit_price + reached.flat_fee


@PROPERTY
@given(tiers=percent_tier_lists(), amount=quantities, currency=currencies)
def test_graduated_percentage_is_each_part_at_its_rate(
    tiers: tuple[PercentTier, ...], amount: Fraction, currency: Currency
) -> None:
    line = rate(charge(GraduatedPercentage(tiers), currency), amount, allowance=0)

    assert sum((s.units for s in line.slices), Fraction(0)) == amount
    for s in line.slices:
        assert s.kind is SliceKind.AMOUNT and s.tier is not None
        assert s.price == tiers[s.tier].rate * currency.minor_per_major / 100


# -- package ---------------------------------------------------------------------------------


@PROPERTY
@given(model=packages, quantity=quantities)
def test_package_charges_started_blocks_after_the_free_units(
    model: Package, quantity: Fraction
) -> None:
    line = rate(charge(model), quantity, allowance=0)

    beyond_free = max(Fraction(0), quantity - model.free_units)
    blocks = math.ceil(beyond_free / model.block_size)
    assert line.exact_amount == blocks * model.block_price
    assert blocks * model.block_size >= beyond_free > (blocks - 1) * model.block_size or (
        blocks == 0 and beyond_free == 0
    )


@PROPERTY
@given(
    model=packages,
    full_blocks=st.integers(0, 1_000),
    part=st.integers(1, 999),
)
def test_a_partial_block_costs_a_full_one(model: Package, full_blocks: int, part: int) -> None:
    if part >= model.block_size:
        part = model.block_size  # a block of one unit has no partial block
    partial = model.free_units + full_blocks * model.block_size + part
    whole = model.free_units + (full_blocks + 1) * model.block_size

    assert rate(charge(model), partial, allowance=0).amount_minor == (
        rate(charge(model), whole, allowance=0).amount_minor
    )
    assert rate(charge(model), model.free_units, allowance=0).amount_minor == 0


# -- percentage ------------------------------------------------------------------------------


@PROPERTY
@given(
    model=percentages,
    amount=quantities,
    events=st.integers(0, 10_000),
    currency=currencies,
)
def test_percentage_is_the_rate_plus_a_fee_per_event_past_the_free_ones(
    model: Percentage, amount: Fraction, events: int, currency: Currency
) -> None:
    line = rate(charge(model, currency), amount, allowance=0, events=events)

    charged = max(0, events - model.free_events)
    expected = amount * model.rate / 100 * currency.minor_per_major + charged * model.fixed_fee
    assert line.exact_amount == expected
    assert line.amount_minor == round_half_up(expected)
