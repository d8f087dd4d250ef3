"""Allowances: proration after a plan change (rounded once), packs, what is left, and the
entitlement question "is one more use of N units allowed"."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.money import round_half_up
from plansmith.domain.usage.allowances import (
    Holding,
    Standing,
    allows,
    period_allowance,
    prorated_allowance,
    remaining,
)
from plansmith.domain.usage.charges import LimitKind, PerUnit
from plansmith.domain.usage.rating import rate
from tests.unit.usage_rating_support import charge, major

PROPERTY = settings(max_examples=200, deadline=None)


# -- proration after a plan change -----------------------------------------------------------


def test_a_plan_held_all_period_grants_its_included_allowance() -> None:
    assert prorated_allowance([Holding(1_000, 30)], 30) == 1_000
    assert prorated_allowance([Holding(7, 31)], 31) == 7


def test_an_upgrade_mid_period_sums_the_plans_held_by_their_days() -> None:
    # 1,000 sessions for 10 days of 30, then 3,000 for 20: 333.33... + 2,000 = 2,333.
    assert prorated_allowance([Holding(1_000, 10), Holding(3_000, 20)], 30) == 2_333


def test_the_prorated_allowance_is_rounded_once_not_per_plan() -> None:
    # 3 for 15 of 30 days is 1.5, 5 for 15 days is 2.5: exactly 4 in all. Rounding each plan
    # half up first would give 2 + 3 = 5.
    assert prorated_allowance([Holding(3, 15), Holding(5, 15)], 30) == 4


def test_a_half_unit_rounds_up() -> None:
    assert prorated_allowance([Holding(1, 15)], 30) == 1  # 0.5 -> 1
    assert prorated_allowance([Holding(1, 14)], 30) == 0


def test_a_plan_held_again_after_a_round_trip_counts_each_stretch() -> None:
    # A (100) for 10 days, B (400) for 11, A again for 10 of a 31-day period:
    # (100 x 20 + 400 x 11) / 31 = 6,400 / 31 = 206.45 -> 206.
    holdings = [Holding(100, 10), Holding(400, 11), Holding(100, 10)]
    assert prorated_allowance(holdings, 31) == 206


@PROPERTY
@given(
    days_in_period=st.integers(28, 31),
    data=st.data(),
)
def test_the_prorated_allowance_is_within_half_a_unit_of_the_exact_sum(
    days_in_period: int, data: st.DataObject
) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, days_in_period), max_size=4)))
    edges = [0, *cuts, days_in_period]
    holdings = [
        Holding(data.draw(st.integers(0, 10**9)), end - start)
        for start, end in itertools.pairwise(edges)
    ]

    exact = sum((Fraction(h.included * h.days, days_in_period) for h in holdings), Fraction(0))
    result = prorated_allowance(holdings, days_in_period)

    assert result == round_half_up(exact)
    assert min(h.included for h in holdings) <= result <= max(h.included for h in holdings)


@pytest.mark.parametrize(
    ("holdings", "days", "field"),
    [
        ([Holding(10, 20), Holding(10, 11)], 30, "holdings"),
        ([Holding(10, 31)], 30, "holdings[0].days"),
        ([Holding(-1, 10)], 30, "holdings[0].included"),
        ([Holding(10, -1)], 30, "holdings[0].days"),
        ([Holding(10, 10), (10, 10)], 30, "holdings[1]"),
        ([Holding(10, 10)], 0, "days_in_period"),
        ([Holding(10, 10)], 1.5, "days_in_period"),
    ],
)
def test_bad_holdings_name_their_field(holdings: list[Holding], days: int, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        prorated_allowance(holdings, days)
    assert caught.value.field == field


# -- packs, what is left, leftovers ----------------------------------------------------------


def test_packs_add_their_units_to_the_period_at_once() -> None:
    assert period_allowance(1_000, [1_000]) == 2_000
    assert period_allowance(1_000) == 1_000
    assert remaining(1_000, [1_000, 500], 1_800) == 700
    assert remaining(1_000, [], 1_200) == 0  # never below 0


def test_what_is_left_at_period_end_expires() -> None:
    # Period 1: 100 included + a 50-unit pack, 30 used: 120 left, and they expire. Period 2
    # starts from its own allowance only.
    assert remaining(100, [50], 30) == 120
    assert remaining(100, [], 0) == 100
    assert Standing.of(100, [], 0).remaining == 100


def test_the_standing_for_the_allowance_bar() -> None:
    standing = Standing.of(1_000, [500], Fraction(1_600))

    assert (standing.included, standing.extra) == (1_000, 500)
    assert standing.used == 1_600
    assert standing.remaining == 0
    assert standing.excess == 100


def test_overage_is_rated_against_the_prorated_allowance_with_packs() -> None:
    # Upgrade on day 11 of 30 from 1,000 to 3,000 included: 2,333; a 1,000 pack bought: 3,333.
    # 4,000 used -> 667 billable at USD 0.01.
    allowance = period_allowance(prorated_allowance([Holding(1_000, 10), Holding(3_000, 20)], 30))
    c = charge(PerUnit(major("0.01")), included=3_000)

    line = rate(c, 4_000, allowance=period_allowance(allowance, [1_000]))

    assert line.billable_quantity == 667
    assert line.amount_minor == 667


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: period_allowance(-1), "allowance"),
        (lambda: period_allowance(10, [5, -5]), "packs[1]"),
        (lambda: period_allowance(10, [Fraction(1, 2)]), "packs[0]"),  # type: ignore[list-item]
        (lambda: remaining(10, [], -1), "used"),
        (lambda: remaining(10, [], 0.5), "used"),  # type: ignore[arg-type]
        (lambda: Standing.of(10, [], -1), "used"),
    ],
)
def test_bad_allowance_figures_name_their_field(call: object, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.field == field


# -- one more use ----------------------------------------------------------------------------


def test_a_hard_limit_allows_a_use_only_if_it_fits_whole() -> None:
    assert allows(5, 5, LimitKind.HARD)
    assert allows(5, 0, "hard")
    # an event of 6 units with 5 left is denied whole, not split into 5 allowed + 1 denied
    assert not allows(5, 6, LimitKind.HARD)
    assert not allows(0, 1, "hard")
    assert allows(Fraction(5, 2), Fraction(5, 2), "hard")


def test_a_soft_limit_always_allows_and_bills_the_excess() -> None:
    assert allows(0, 1_000, LimitKind.SOFT)
    assert allows(5, 6, "soft")


def test_a_pack_reopens_a_hard_limit() -> None:
    spent = Standing.of(1_000, [], 1_000)
    topped_up = Standing.of(1_000, [1_000], 1_000)

    assert not spent.allows(1, LimitKind.HARD)
    assert topped_up.allows(1, LimitKind.HARD)
    assert topped_up.remaining == 1_000


@PROPERTY
@given(left=st.integers(0, 10**6), units=st.integers(0, 10**6))
def test_hard_allows_exactly_what_fits(left: int, units: int) -> None:
    assert allows(left, units, LimitKind.HARD) is (units <= left)
    assert allows(left, units, LimitKind.SOFT) is True


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ((5, 1, "medium"), "limit"),
        ((5, -1, "hard"), "units"),
        ((5, 1.0, "hard"), "units"),
        ((-1, 1, "soft"), "remaining"),
    ],
)
def test_bad_questions_name_their_field(args: tuple[object, object, object], field: str) -> None:
    with pytest.raises(DomainError) as caught:
        allows(*args)  # type: ignore[arg-type]
    assert caught.value.field == field
