"""Plan terms: valid terms read with their defaults, and one wrong price, seat count, trial or
discount named by its full path.

Every wrong value must come back with its error class, its machine code and the full path of
the field ("plans[0].terms.prices[1].amount"), and every wrong field of one input together."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plansmith.domain.catalog.terms import PlanTerms, Price, PricingModel
from plansmith.domain.catalog.terms_data import terms_from_data, terms_to_data
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.money import UnknownCurrency
from plansmith.domain.kernel.periods import Cycle
from tests.unit.catalog_terms_support import PATH, every_error, one_error, usd_month

# -- reading valid terms -------------------------------------------------------------------


def test_full_terms_are_read_with_defaults_for_what_is_left_out() -> None:
    data = {
        "prices": [usd_month(), {"currency": "JPY", "cycle": "annual", "amount": 24000}],
        "base_prices": {"EUR": 1800},
        "cycle_discounts": {"annual": "20", "quarterly": 10, "semiannual": "12.5"},
        "max_seats": 500,
        "allowances": {"chatbot_sessions": 1000},
        "features": ["webhooks", "ai_assistant"],
    }

    terms = terms_from_data(data, PATH)

    assert terms == PlanTerms(
        pricing=PricingModel.PER_SEAT,
        prices=(Price("USD", Cycle.MONTHLY, 1999), Price("JPY", Cycle.ANNUAL, 24000)),
        base_prices={"EUR": 1800},
        cycle_discounts={
            "year": Decimal("20"),
            "quarter": Decimal("10"),
            "half_year": Decimal("12.5"),
        },
        min_seats=1,
        max_seats=500,
        trial_days=0,
        allowances={"chatbot_sessions": 1000},
        features=frozenset({"webhooks", "ai_assistant"}),
        description="",
        pay_per_day=False,
    )


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("annual", "year"),
        ("yearly", "year"),
        ("Annually", "year"),
        ("quarterly", "quarter"),
        ("semiannual", "half_year"),
        ("every_2_months", "2_months"),
        ("18_months", "18_months"),
    ],
)
def test_discount_cycle_names_are_normalised(written: str, canonical: str) -> None:
    terms = terms_from_data({"base_prices": {"USD": 1000}, "cycle_discounts": {written: "5"}})

    assert terms.cycle_discounts == {canonical: Decimal("5")}
    assert terms_to_data(terms)["cycle_discounts"] == {canonical: "5"}


def test_price_cycle_names_are_normalised() -> None:
    terms = terms_from_data(
        {"prices": [{"currency": "USD", "cycle": " Monthly ", "amount": 1}]}, PATH
    )

    assert terms.prices == (Price("USD", Cycle.MONTHLY, 1),)
    assert terms_to_data(terms)["prices"] == [{"currency": "USD", "cycle": "month", "amount": 1}]


def test_null_means_the_default() -> None:
    terms = terms_from_data(
        {"prices": [usd_month()], "trial_days": None, "features": None, "max_seats": None}
    )

    assert (terms.trial_days, terms.features, terms.max_seats) == (0, frozenset(), None)


def test_percentages_come_as_text_or_integers_and_stay_exact() -> None:
    terms = terms_from_data(
        {"base_prices": {"USD": 1}, "cycle_discounts": {"quarter": 7, "year": " 33.333 "}}
    )

    assert terms.cycle_discounts == {"quarter": Decimal(7), "year": Decimal("33.333")}
    assert all(type(v) is Decimal for v in terms.cycle_discounts.values())


def test_zero_and_hundred_percent_are_allowed() -> None:
    terms = terms_from_data(
        {"base_prices": {"USD": 1}, "cycle_discounts": {"quarter": "0", "year": "100"}}
    )

    assert terms.cycle_discounts == {"quarter": Decimal(0), "year": Decimal(100)}


def test_free_price_and_zero_base_price_are_allowed() -> None:
    terms = terms_from_data({"prices": [usd_month(0)], "base_prices": {"JPY": 0}})

    assert terms.prices[0].amount == 0
    assert terms.base_prices == {"JPY": 0}


# -- one wrong value, named by its full path ---------------------------------------------


def test_negative_price_names_its_index() -> None:
    error = one_error({"prices": [usd_month(), {**usd_month(-1), "cycle": "year"}]})

    assert isinstance(error, InvalidValue)
    assert (error.code, error.field) == ("negative", "plans[0].terms.prices[1].amount")


def test_negative_base_price() -> None:
    error = one_error({"base_prices": {"USD": -1999}})

    assert (error.code, error.field) == ("negative", "plans[0].terms.base_prices.USD")


@pytest.mark.parametrize("code", ["XYZ", "usd", "US", "", "XXX"])
def test_unknown_currency_in_a_price(code: str) -> None:
    error = one_error({"prices": [{**usd_month(), "currency": code}]})

    assert isinstance(error, UnknownCurrency)
    assert (error.code, error.field) == ("unknown_currency", "plans[0].terms.prices[0].currency")


def test_unknown_currency_in_base_prices() -> None:
    error = one_error({"base_prices": {"ABC": 100}})

    assert isinstance(error, UnknownCurrency)
    assert (error.code, error.field) == ("unknown_currency", "plans[0].terms.base_prices.ABC")


def test_min_seats_above_max_seats() -> None:
    error = one_error({"prices": [usd_month()], "min_seats": 10, "max_seats": 9})

    assert isinstance(error, InvalidValue)
    assert (error.code, error.field) == ("seats_range", "plans[0].terms.min_seats")
    assert "10" in error.message
    assert "9" in error.message


def test_min_seats_equal_to_max_seats_is_fine() -> None:
    terms = terms_from_data({"prices": [usd_month()], "min_seats": 10, "max_seats": 10})

    assert (terms.min_seats, terms.max_seats) == (10, 10)


@pytest.mark.parametrize(
    ("field", "value"),
    [("min_seats", 0), ("min_seats", -3), ("trial_days", -1)],
)
def test_counts_below_their_minimum(field: str, value: int) -> None:
    error = one_error({"prices": [usd_month(), {**usd_month(), "cycle": "year"}], field: value})

    assert (error.code, error.field) == ("invalid_value", f"plans[0].terms.{field}")


def test_max_seats_zero_is_below_its_minimum_and_below_min_seats() -> None:
    errors = every_error({"prices": [usd_month()], "max_seats": 0})

    assert errors == [
        ("invalid_value", "plans[0].terms.max_seats"),
        ("seats_range", "plans[0].terms.min_seats"),
    ]


def test_trial_longer_than_two_years() -> None:
    assert terms_from_data({"prices": [usd_month()], "trial_days": 730}).trial_days == 730

    error = one_error({"prices": [usd_month()], "trial_days": 731})

    assert (error.code, error.field) == ("invalid_value", "plans[0].terms.trial_days")


@pytest.mark.parametrize("percent", ["100.01", "101", 150, "-0.5", -1, "NaN", "Infinity"])
def test_discount_outside_zero_to_hundred(percent: object) -> None:
    error = one_error({"base_prices": {"USD": 1}, "cycle_discounts": {"year": percent}})

    assert isinstance(error, InvalidValue)
    assert (error.code, error.field) == ("discount_range", "plans[0].terms.cycle_discounts.year")


@pytest.mark.parametrize("percent", [12.5, 20.0, True, "twenty", "12,5", [10]])
def test_discount_that_is_not_an_exact_percentage(percent: object) -> None:
    error = one_error({"base_prices": {"USD": 1}, "cycle_discounts": {"year": percent}})

    assert isinstance(error, InvalidValue)
    assert (error.code, error.field) == ("invalid_value", "plans[0].terms.cycle_discounts.year")


def test_a_python_float_percentage_is_refused_with_a_hint() -> None:
    error = one_error({"base_prices": {"USD": 1}, "cycle_discounts": {"year": 12.5}})

    assert 'e.g. "12.5"' in error.message


def test_a_float_percentage_on_terms_built_in_code_is_refused() -> None:
    terms = PlanTerms(base_prices={"USD": 1}, cycle_discounts={"year": 12.5})  # type: ignore[dict-item]

    with pytest.raises(InvalidValue) as caught:
        terms.validated()

    assert caught.value.field == "cycle_discounts.year"
