"""Money: integer minor units, ISO exponents, one rounding rule, lossless splitting."""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.money import (
    Currency,
    CurrencyMismatch,
    Money,
    TooPrecise,
    UnknownCurrency,
    allocate,
    round_half_up,
    sum_money,
)

USD = Currency.of("USD")
JPY = Currency.of("JPY")
KWD = Currency.of("KWD")
EUR = Currency.of("EUR")

PROPERTY = settings(max_examples=200, deadline=None)

weights_strategy = st.lists(
    st.one_of(
        st.integers(min_value=0, max_value=10_000),
        st.fractions(min_value=0, max_value=1000, max_denominator=1000),
    ),
    min_size=1,
    max_size=12,
).filter(lambda ws: sum(ws) > 0)


# -- currencies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "exponent"), [("JPY", 0), ("USD", 2), ("EUR", 2), ("KWD", 3), ("IQD", 3)]
)
def test_currency_exponent_is_iso_4217(code: str, exponent: int) -> None:
    currency = Currency.of(code)

    assert currency == Currency(code, exponent)
    assert currency.minor_per_major == 10**exponent


def test_currency_all_is_sorted_and_only_billable_codes() -> None:
    codes = [c.code for c in Currency.all()]

    assert codes == sorted(codes)
    assert {"USD", "JPY", "KWD", "CLF"} <= set(codes)
    assert not {"XAU", "XDR", "XTS", "XXX"} & set(codes)


@pytest.mark.parametrize("code", ["usd", "Usd", "XTS", "XAU", "ABC", "", " USD", "US"])
def test_unknown_or_lowercase_currency_is_refused_naming_the_field(code: str) -> None:
    with pytest.raises(UnknownCurrency) as caught:
        Currency.of(code, field="plan.currency")

    assert caught.value.code == "unknown_currency"
    assert caught.value.field == "plan.currency"
    assert repr(code) in caught.value.message
    assert "ISO 4217" in caught.value.message


def test_lowercase_currency_message_shows_examples() -> None:
    with pytest.raises(UnknownCurrency) as caught:
        Currency.of("usd")

    assert caught.value.field == "currency"
    assert caught.value.message == (
        "'usd' is not an active ISO 4217 currency code (e.g. USD, EUR, JPY)"
    )


def test_currency_constructed_with_a_wrong_exponent_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        Currency("USD", 3)

    assert caught.value.field == "currency"


# -- round_half_up ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(2993, 2), 1497),
        (Fraction(-2993, 2), -1497),
        (Decimal("1496.5"), 1497),
        (Decimal("-1496.5"), -1497),
        (Decimal("2.4999"), 2),
        (Decimal("-2.4999"), -2),
        (Fraction(1, 2), 1),
        (Fraction(-1, 2), -1),
        (Fraction(1, 3), 0),
        (Fraction(2, 3), 1),
        (7, 7),
        (0, 0),
    ],
)
def test_round_half_up_examples(value: Fraction | Decimal | int, expected: int) -> None:
    assert round_half_up(value) == expected


def _reference_round(value: Fraction) -> int:
    # Independent: Decimal's ROUND_HALF_UP on the magnitude. Truncating the division at 300
    # digits keeps exact halves exact and cannot move any other bounded value across .5.
    context = decimal.Context(prec=300, rounding=decimal.ROUND_DOWN)
    magnitude = context.divide(Decimal(abs(value.numerator)), Decimal(value.denominator))
    rounded = int(magnitude.quantize(Decimal(1), rounding=ROUND_HALF_UP, context=context))
    return -rounded if value < 0 else rounded


@PROPERTY
@given(
    st.fractions(min_value=Fraction(-(10**15)), max_value=Fraction(10**15), max_denominator=10**9)
)
def test_round_half_up_matches_decimal_round_half_up_on_the_magnitude(value: Fraction) -> None:
    assert round_half_up(value) == _reference_round(value)


@PROPERTY
@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_round_half_up_sends_exact_halves_away_from_zero(whole: int) -> None:
    half = Fraction(2 * whole + 1, 2)

    assert round_half_up(half) == (whole + 1 if half > 0 else whole)
    assert round_half_up(-half) == -round_half_up(half)


@pytest.mark.parametrize("value", [1.5, True, "1.5", Decimal("NaN"), Decimal("Infinity")])
def test_round_half_up_refuses_inexact_or_non_numbers(value: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        round_half_up(value)  # type: ignore[arg-type]

    assert caught.value.code == "invalid_value"


# -- allocate -----------------------------------------------------------------------------


@PROPERTY
@given(st.integers(min_value=-(10**12), max_value=10**12), weights_strategy)
def test_allocate_parts_sum_to_the_whole_and_stay_within_one_of_their_share(
    total: int, weights: list[int | Fraction]
) -> None:
    parts = allocate(total, weights)

    assert sum(parts) == total
    assert len(parts) == len(weights)
    weight_sum = sum(Fraction(w) for w in weights)
    for part, weight in zip(parts, weights, strict=True):
        assert abs(part - total * Fraction(weight) / weight_sum) < 1


@PROPERTY
@given(
    st.integers(min_value=-(10**9), max_value=10**9),
    st.integers(min_value=1, max_value=50),
)
def test_allocate_equal_weights_differ_by_at_most_one_unit(total: int, ways: int) -> None:
    parts = allocate(total, [1] * ways)

    assert sum(parts) == total
    assert max(parts) - min(parts) <= 1


@PROPERTY
@given(st.integers(min_value=1, max_value=10**9), weights_strategy)
def test_allocate_of_a_credit_mirrors_the_charge(total: int, weights: list[int | Fraction]) -> None:
    assert allocate(-total, weights) == [-p for p in allocate(total, weights)]


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (-100, [1, 1, 1], [-34, -33, -33]),
        (5, [1, 0, 1], [3, 0, 2]),
        (1000, [Fraction(1, 3), Fraction(2, 3)], [333, 667]),
        (0, [3, 7], [0, 0]),
        (7, [10], [7]),
    ],
)
def test_allocate_examples_give_ties_to_the_earliest_index(
    total: int, weights: list[int | Fraction], expected: list[int]
) -> None:
    assert allocate(total, weights) == expected


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [1.5], [True]])
def test_allocate_refuses_unusable_weights(weights: list[int | Fraction]) -> None:
    with pytest.raises(InvalidValue) as caught:
        allocate(100, weights)

    assert caught.value.code == "invalid_value"
    assert caught.value.field == "weights"


def test_money_allocate_keeps_the_currency() -> None:
    parts = Money.of(1000, "USD").allocate([1, 2])

    assert parts == [Money.of(333, "USD"), Money.of(667, "USD")]


# -- Money construction -------------------------------------------------------------------


@pytest.mark.parametrize("amount", [10.0, True, Decimal("10"), Fraction(10), "10"])
def test_money_amount_must_be_an_int_of_minor_units(amount: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        Money(amount, USD)  # type: ignore[arg-type]

    assert caught.value.code == "invalid_value"
    assert caught.value.field == "amount"


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("10.50", USD, 1050),
        ("10.5", USD, 1050),
        ("10.500", USD, 1050),
        (" -0.01 ", USD, -1),
        ("1000", JPY, 1000),
        ("1.5", KWD, 1500),
        (Decimal("0.001"), KWD, 1),
        (12, USD, 1200),
    ],
)
def test_from_major_is_exact(value: str | Decimal | int, currency: Currency, minor: int) -> None:
    assert Money.from_major(value, currency) == Money(minor, currency)


@pytest.mark.parametrize(
    ("value", "currency"),
    [("10.005", USD), ("1.5", JPY), (Decimal("0.0001"), KWD), ("0.001", EUR)],
)
def test_from_major_with_too_many_decimals_is_refused(
    value: str | Decimal, currency: Currency
) -> None:
    with pytest.raises(TooPrecise) as caught:
        Money.from_major(value, currency, field="price")

    assert caught.value.code == "too_many_decimals"
    assert caught.value.field == "price"
    assert currency.code in caught.value.message


@pytest.mark.parametrize(
    "value", [10.5, 10.0, "abc", "", "1e3", "1_000", "NaN", Decimal("NaN"), "1,000.00", True]
)
def test_from_major_refuses_floats_and_non_numbers(value: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        Money.from_major(value, USD)  # type: ignore[arg-type]

    assert caught.value.code == "invalid_value"
    assert caught.value.field == "amount"


def test_from_exact_rounds_once_half_up() -> None:
    assert Money.from_exact(Fraction(2993, 2), JPY) == Money(1497, JPY)
    assert Money.from_exact(Fraction(-2993, 2), JPY) == Money(-1497, JPY)
    assert Money.from_exact(Decimal("1049.4999"), USD) == Money(1049, USD)


@PROPERTY
@given(st.sampled_from(Currency.all()), st.integers(min_value=-(10**40), max_value=10**40))
def test_to_decimal_and_from_major_round_trip(currency: Currency, amount: int) -> None:
    money = Money(amount, currency)

    assert Money.from_major(money.to_decimal(), currency) == money
    assert Money.from_major(str(money.to_decimal()), currency) == money
    assert money.to_decimal().as_tuple().exponent == -currency.exponent


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money.of(1000, "USD"), "USD 10.00"),
        (Money.of(-5, "USD"), "USD -0.05"),
        (Money.of(1000, "JPY"), "JPY 1000"),
        (Money.of(-1500, "KWD"), "KWD -1.500"),
        (Money.of(1, "KWD"), "KWD 0.001"),
        (Money.of(0, "EUR"), "EUR 0.00"),
    ],
)
def test_str_is_code_and_fixed_decimals(money: Money, text: str) -> None:
    assert str(money) == text


# -- Money arithmetic ---------------------------------------------------------------------


def test_arithmetic_stays_in_minor_units() -> None:
    ten = Money.of(1000, "USD")
    three = Money.of(300, "USD")

    assert ten + three == Money.of(1300, "USD")
    assert ten - three == Money.of(700, "USD")
    assert -ten == Money.of(-1000, "USD")
    assert abs(Money.of(-1000, "USD")) == ten
    assert ten * 3 == Money.of(3000, "USD")
    assert 3 * ten == Money.of(3000, "USD")
    assert ten.times(Fraction(1, 3)) == Fraction(1000, 3)
    assert Money.zero(USD).is_zero()
    assert Money.of(-1, "USD").is_negative()
    assert not ten.is_negative()


def test_comparisons_within_a_currency() -> None:
    small, big = Money.of(1, "USD"), Money.of(2, "USD")

    assert small < big <= big
    assert big > small >= small
    assert Money.of(1, "USD") == small
    assert Money.of(1, "USD") != Money.of(1, "EUR")


@pytest.mark.parametrize(
    "operation",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_mixing_currencies_raises_currency_mismatch(operation: object) -> None:
    with pytest.raises(CurrencyMismatch) as caught:
        operation(Money.of(1, "USD"), Money.of(1, "EUR"))  # type: ignore[operator]

    assert caught.value.code == "currency_mismatch"
    assert caught.value.field == "currency"


@pytest.mark.parametrize("factor", [Fraction(1, 2), Decimal("1.5"), 1.5, True])
def test_multiplying_by_anything_but_an_int_is_refused(factor: object) -> None:
    with pytest.raises(TypeError, match="times"):
        Money.of(100, "USD") * factor


def test_sum_money_adds_in_one_currency() -> None:
    items = [Money.of(100, "USD"), Money.of(250, "USD"), Money.of(-50, "USD")]

    assert sum_money(items, USD) == Money.of(300, "USD")
    assert sum_money([], JPY) == Money.zero(JPY)
    with pytest.raises(CurrencyMismatch):
        sum_money([Money.of(1, "EUR")], USD)
