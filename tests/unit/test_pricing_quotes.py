"""Quotes: per-seat price x quantity x cycle, less the cycle discount, exact to the minor unit.

Every expected figure is worked out by hand in the comment beside it, never by calling the
code under test, so a change to the rounding rule or the formula breaks these tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plansmith.domain.catalog.pricing import NotOffered, quote, unit_price
from plansmith.domain.catalog.terms import PlanTerms, Price, PricingModel
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.money import Currency, Money
from plansmith.domain.kernel.periods import Cycle
from tests.unit.pricing_support import USD, seat_terms

EUR = Currency.of("EUR")


JPY = Currency.of("JPY")


KWD = Currency.of("KWD")


# -- the formula, by hand --------------------------------------------------------------------


def test_annual_quote_is_base_times_twelve_less_discount_rounded_once_per_seat() -> None:
    terms = seat_terms()

    result = quote(terms, Cycle.ANNUAL, USD, 100)

    # list: 1999 * 12 = 23988 per seat per year
    assert result.list_unit_amount == 23988
    assert result.discount_percent == Decimal("20")
    # 23988 * 0.80 = 19190.4 -> 19190 per seat (rounded once, per seat)
    assert result.unit_amount == 19190
    # 23988 - 19190 = 4798 saved per seat
    assert result.discount_amount == 4798
    # 19190 * 100 seats = 1,919,000 (USD 19,190.00)
    assert result.total == 1_919_000
    assert result.total_price == Money(1_919_000, USD)
    assert result.unit_price == Money(19190, USD)
    assert result.per_seat is True
    assert result.quantity == 100
    assert result.cycle == Cycle.ANNUAL
    assert result.currency == USD


def test_total_rounds_per_seat_not_on_the_whole_order() -> None:
    terms = seat_terms()

    result = quote(terms, Cycle.ANNUAL, USD, 3)

    # per seat: 23988 * 0.8 = 19190.4 -> 19190; total 19190 * 3 = 57570
    # (rounding the order instead would give 71964 * 0.8 = 57571.2 -> 57571)
    assert result.total == 57570


def test_monthly_quote_is_the_base_price_without_discount() -> None:
    terms = seat_terms()

    result = quote(terms, Cycle.MONTHLY, USD, 7)

    # 1999 * 1 month, no discount; 1999 * 7 seats = 13993
    assert (result.list_unit_amount, result.unit_amount, result.total) == (1999, 1999, 13993)
    assert result.discount_percent == Decimal(0)
    assert result.discount_amount == 0


def test_quarterly_and_half_yearly_quotes_use_their_own_discounts() -> None:
    terms = seat_terms()

    quarter = quote(terms, Cycle.QUARTERLY, USD, 10)
    half_year = quote(terms, Cycle.SEMIANNUAL, USD, 10)

    # quarter: 1999 * 3 = 5997 * 0.90 = 5397.3 -> 5397; x 10 = 53970
    assert (quarter.list_unit_amount, quarter.unit_amount, quarter.total) == (5997, 5397, 53970)
    # half year: 1999 * 6 = 11994 * 0.85 = 10194.9 -> 10195; x 10 = 101950
    assert (half_year.list_unit_amount, half_year.unit_amount, half_year.total) == (
        11994,
        10195,
        101950,
    )


def test_half_minor_unit_tie_rounds_away_from_zero() -> None:
    terms = seat_terms(base_prices={"USD": 2995})

    result = quote(terms, Cycle.QUARTERLY, USD, 3)

    # 2995 * 3 = 8985 * 0.90 = 8086.5 exactly -> 8087 (half-even would give 8086)
    assert result.unit_amount == 8087
    # 8087 * 3 seats = 24261
    assert result.total == 24261
    assert result.discount_amount == 898  # 8985 - 8087


def test_fractional_percentage_is_exact() -> None:
    terms = seat_terms(cycle_discounts={"quarter": Decimal("12.5")})

    result = quote(terms, Cycle.QUARTERLY, USD, 2)

    # 1999 * 3 = 5997 * 0.875 = 5247.375 -> 5247; x 2 = 10494
    assert (result.unit_amount, result.total) == (5247, 10494)
    assert result.discount_percent == Decimal("12.5")


def test_jpy_has_no_decimals_and_its_tie_rounds_up() -> None:
    terms = PlanTerms(
        base_prices={"JPY": 1250}, cycle_discounts={"half_year": Decimal("2.5")}
    ).validated()

    result = quote(terms, Cycle.SEMIANNUAL, JPY, 4)

    # JPY 1,250 per seat per month: 1250 * 6 = 7500 * 0.975 = 7312.5 -> 7313 yen per seat
    assert (result.list_unit_amount, result.unit_amount) == (7500, 7313)
    # 7313 * 4 seats = 29252 yen (JPY 29,252)
    assert result.total == 29252
    assert str(result.total_price) == "JPY 29252"


def test_kwd_has_three_decimals() -> None:
    terms = PlanTerms(
        base_prices={"KWD": 4755}, cycle_discounts={"year": Decimal("8.25")}
    ).validated()

    result = quote(terms, Cycle.ANNUAL, KWD, 12)

    # KWD 4.755 = 4755 fils per seat per month: 4755 * 12 = 57060
    # 57060 * 0.9175 = 52352.55 -> 52353 fils per seat (KWD 52.353)
    assert (result.list_unit_amount, result.unit_amount) == (57060, 52353)
    # 52353 * 12 seats = 628236 fils = KWD 628.236
    assert result.total == 628236
    assert str(result.total_price) == "KWD 628.236"


def test_explicit_cycle_price_wins_over_base_times_discount() -> None:
    terms = seat_terms(prices=(Price("USD", Cycle.ANNUAL, 18000),))

    annual = quote(terms, Cycle.ANNUAL, USD, 5)
    monthly = quote(terms, Cycle.MONTHLY, USD, 5)

    # explicit USD 180.00 per seat per year, not 1999 * 12 * 0.8 = 19190
    assert (annual.list_unit_amount, annual.unit_amount) == (18000, 18000)
    assert annual.discount_percent == Decimal(0)
    assert annual.discount_amount == 0
    assert annual.total == 90000  # 18000 * 5
    # the other cycles still come from the base price: 1999 * 5 = 9995
    assert monthly.total == 9995


def test_explicit_prices_alone_quote_each_cycle_and_currency() -> None:
    terms = PlanTerms(
        prices=(
            Price("USD", Cycle.MONTHLY, 4900),
            Price("EUR", Cycle.MONTHLY, 4500),
            Price("EUR", Cycle.WEEKLY, 1200),
        )
    ).validated()

    assert quote(terms, Cycle.MONTHLY, USD, 2).total == 9800  # 4900 * 2
    assert quote(terms, Cycle.MONTHLY, EUR, 2).total == 9000  # 4500 * 2
    assert quote(terms, Cycle.WEEKLY, EUR, 3).total == 3600  # 1200 * 3


def test_hundred_percent_discount_is_free() -> None:
    terms = seat_terms(cycle_discounts={"year": Decimal("100")})

    result = quote(terms, Cycle.ANNUAL, USD, 40)

    # 1999 * 12 = 23988 * 0 = 0
    assert (result.list_unit_amount, result.unit_amount, result.total) == (23988, 0, 0)
    assert result.discount_amount == 23988


def test_unit_price_returns_list_percent_and_amount() -> None:
    terms = seat_terms()

    # 1999 * 6 = 11994; 11994 * 0.85 = 10194.9 -> 10195
    assert unit_price(terms, Cycle.SEMIANNUAL, USD) == (11994, Decimal("15"), 10195)


# -- flat pricing and seats ----------------------------------------------------------------


def test_flat_price_is_bought_once() -> None:
    terms = PlanTerms(
        pricing=PricingModel.FLAT, prices=(Price("USD", Cycle.MONTHLY, 4900),)
    ).validated()

    result = quote(terms, Cycle.MONTHLY, USD, 1)

    assert (result.unit_amount, result.total, result.per_seat) == (4900, 4900, False)


@pytest.mark.parametrize("quantity", [0, 2, 10])
def test_flat_price_refuses_any_quantity_but_one(quantity: int) -> None:
    terms = PlanTerms(
        pricing=PricingModel.FLAT, prices=(Price("USD", Cycle.MONTHLY, 4900),)
    ).validated()

    with pytest.raises(InvalidValue) as caught:
        quote(terms, Cycle.MONTHLY, USD, quantity)

    assert caught.value.field == "quantity"
    assert caught.value.code == "invalid_value"


@pytest.mark.parametrize("quantity", [5, 6, 50])
def test_seats_within_min_and_max_are_accepted(quantity: int) -> None:
    terms = seat_terms(min_seats=5, max_seats=50)

    result = quote(terms, Cycle.MONTHLY, USD, quantity)

    assert result.total == 1999 * quantity


@pytest.mark.parametrize("quantity", [-1, 0, 4, 51, 1000])
def test_seats_below_min_or_above_max_are_refused(quantity: int) -> None:
    terms = seat_terms(min_seats=5, max_seats=50)

    with pytest.raises(InvalidValue) as caught:
        quote(terms, Cycle.MONTHLY, USD, quantity)

    assert caught.value.code == "seats_out_of_range"
    assert caught.value.field == "quantity"
    assert "at least 5 and at most 50" in caught.value.message


def test_without_max_seats_any_large_quantity_is_fine() -> None:
    terms = seat_terms(min_seats=2)

    # 1999 * 1,000,000 seats = 1,999,000,000
    assert quote(terms, Cycle.MONTHLY, USD, 1_000_000).total == 1_999_000_000
    with pytest.raises(InvalidValue) as caught:
        quote(terms, Cycle.MONTHLY, USD, 1)
    assert caught.value.code == "seats_out_of_range"


@pytest.mark.parametrize("quantity", [True, 2.0, "3", None])
def test_quantity_must_be_a_whole_number(quantity: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        quote(seat_terms(), Cycle.MONTHLY, USD, quantity)  # type: ignore[arg-type]

    assert caught.value.field == "quantity"


# -- what is not offered -------------------------------------------------------------------


@pytest.mark.parametrize(
    "cycle", [Cycle.WEEKLY, Cycle.DAILY, Cycle.every_n_months(2), Cycle.every_n_months(24)]
)
def test_cycle_not_offered_names_the_offered_cycles(cycle: Cycle) -> None:
    terms = seat_terms()

    with pytest.raises(NotOffered) as caught:
        quote(terms, cycle, USD, 1)

    assert caught.value.code == "price_not_offered"
    assert caught.value.status == 422
    assert caught.value.field == "cycle"
    assert "offered cycles in USD: month, quarter, half_year, year" in caught.value.message


def test_cycle_without_a_discount_entry_is_not_offered_from_the_base_price() -> None:
    terms = seat_terms(cycle_discounts={"year": Decimal("20")})

    with pytest.raises(NotOffered) as caught:
        quote(terms, Cycle.QUARTERLY, USD, 1)

    assert "offered cycles in USD: month, year" in caught.value.message


def test_currency_not_offered_names_the_plan_currencies() -> None:
    terms = seat_terms(prices=(Price("JPY", Cycle.ANNUAL, 24000),))

    with pytest.raises(NotOffered) as caught:
        quote(terms, Cycle.MONTHLY, EUR, 1)

    assert caught.value.code == "price_not_offered"
    assert caught.value.field == "currency"
    assert "EUR" in caught.value.message
    assert "JPY, USD" in caught.value.message


def test_explicit_price_in_one_currency_does_not_offer_the_cycle_in_another() -> None:
    terms = seat_terms(prices=(Price("JPY", Cycle.WEEKLY, 500),))

    assert quote(terms, Cycle.WEEKLY, JPY, 2).total == 1000  # 500 * 2
    with pytest.raises(NotOffered) as caught:
        quote(terms, Cycle.WEEKLY, USD, 2)
    assert caught.value.field == "cycle"


def test_offered_cycles_are_listed_shortest_first() -> None:
    terms = seat_terms(prices=(Price("USD", Cycle.WEEKLY, 600),))

    assert terms.cycles("USD") == [
        Cycle.WEEKLY,
        Cycle.MONTHLY,
        Cycle.QUARTERLY,
        Cycle.SEMIANNUAL,
        Cycle.ANNUAL,
    ]
    assert terms.cycles("EUR") == []
    assert terms.currencies() == ["USD"]
