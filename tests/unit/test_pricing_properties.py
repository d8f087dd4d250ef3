"""Quotes: the formula's properties for any base price, quantity and discount."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.catalog.pricing import NotOffered, Quote, quote
from plansmith.domain.catalog.terms import PlanTerms
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.periods import Cycle
from tests.unit.pricing_support import USD, seat_terms

PROPERTY = settings(max_examples=100, deadline=None)


# -- properties ----------------------------------------------------------------------------

month_counts = st.sampled_from([2, 3, 6, 12, 18, 24])


percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)


def _discounted(base: int, months: int, percent: Decimal) -> PlanTerms:
    return PlanTerms(
        base_prices={"USD": base},
        cycle_discounts={Cycle.every_n_months(months).name: percent},
    ).validated()


@PROPERTY
@given(
    base=st.integers(min_value=0, max_value=10_000_000),
    months=month_counts,
    percent=percents,
    quantity=st.integers(min_value=1, max_value=100_000),
)
def test_total_is_unit_times_quantity_and_discount_is_list_less_unit(
    base: int, months: int, percent: Decimal, quantity: int
) -> None:
    terms = _discounted(base, months, percent)

    result = quote(terms, Cycle.every_n_months(months), USD, quantity)

    assert result.total == result.unit_amount * quantity
    assert result.discount_amount == result.list_unit_amount - result.unit_amount
    assert result.list_unit_amount == base * months
    assert 0 <= result.unit_amount <= result.list_unit_amount
    # within half a minor unit of the exact discounted price, ties going up
    exact = Fraction(base * months) * (100 - Fraction(percent)) / 100
    error = result.unit_amount - exact
    assert -Fraction(1, 2) < error <= Fraction(1, 2)


@PROPERTY
@given(
    base=st.integers(min_value=0, max_value=10_000_000),
    months=month_counts,
    quantity=st.integers(min_value=1, max_value=1000),
)
def test_zero_discount_charges_base_times_months(base: int, months: int, quantity: int) -> None:
    terms = _discounted(base, months, Decimal(0))

    result = quote(terms, Cycle.every_n_months(months), USD, quantity)

    assert result.unit_amount == base * months
    assert result.total == base * months * quantity
    assert result.discount_amount == 0


@PROPERTY
@given(
    base=st.integers(min_value=0, max_value=10_000_000),
    months=month_counts,
    quantity=st.integers(min_value=1, max_value=1000),
)
def test_full_discount_charges_nothing(base: int, months: int, quantity: int) -> None:
    terms = _discounted(base, months, Decimal(100))

    result = quote(terms, Cycle.every_n_months(months), USD, quantity)

    assert (result.unit_amount, result.total) == (0, 0)
    assert result.discount_amount == base * months


@PROPERTY
@given(
    base=st.integers(min_value=0, max_value=1_000_000),
    months=month_counts,
    low=percents,
    high=percents,
)
def test_a_bigger_discount_never_costs_more(
    base: int, months: int, low: Decimal, high: Decimal
) -> None:
    low, high = min(low, high), max(low, high)
    cycle = Cycle.every_n_months(months)

    cheaper = quote(_discounted(base, months, high), cycle, USD, 1)
    dearer = quote(_discounted(base, months, low), cycle, USD, 1)

    assert cheaper.unit_amount <= dearer.unit_amount


def test_quote_is_a_plain_value() -> None:
    first = quote(seat_terms(), Cycle.ANNUAL, USD, 2)

    assert first == quote(seat_terms(), Cycle.ANNUAL, USD, 2)
    assert isinstance(first, Quote)
    assert issubclass(NotOffered, DomainError)
