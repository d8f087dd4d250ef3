"""Plan terms: duplicate prices, discount cycles, flat pricing, unknown, missing and wrongly typed
fields, and several wrong values at once.

Every wrong value must come back with its error class, its machine code and the full path of
the field ("plans[0].terms.prices[1].amount"), and every wrong field of one input together."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from plansmith.domain.catalog.terms import PlanTerms, Price, PricingModel
from plansmith.domain.catalog.terms_data import terms_from_data
from plansmith.domain.kernel.errors import InvalidInput, InvalidValue
from plansmith.domain.kernel.periods import Cycle
from tests.unit.catalog_terms_support import PATH, every_error, one_error, usd_month


def test_duplicate_price_for_the_same_currency_and_cycle() -> None:
    error = one_error(
        {"prices": [usd_month(1999), {"currency": "USD", "cycle": "monthly", "amount": 2999}]}
    )

    assert (error.code, error.field) == ("duplicate_price", "plans[0].terms.prices[1]")


def test_same_cycle_in_two_currencies_is_not_a_duplicate() -> None:
    terms = terms_from_data({"prices": [usd_month(), {**usd_month(1800), "currency": "EUR"}]})

    assert len(terms.prices) == 2


@pytest.mark.parametrize(
    ("written", "field"),
    [
        ("month", "month"),
        ("monthly", "month"),
        ("week", "week"),
        ("weekly", "week"),
        ("day", "day"),
        ("3_weeks", "3_weeks"),
    ],
)
def test_discount_on_a_one_month_or_shorter_cycle(written: str, field: str) -> None:
    error = one_error({"base_prices": {"USD": 1}, "cycle_discounts": {written: "5"}})

    assert isinstance(error, InvalidValue)
    assert error.field == f"plans[0].terms.cycle_discounts.{field}"
    assert "2 months or more" in error.message


def test_discount_on_an_unknown_cycle_names_the_discount() -> None:
    error = one_error({"base_prices": {"USD": 1}, "cycle_discounts": {"fortnight": "5"}})

    assert (error.code, error.field) == (
        "invalid_value",
        "plans[0].terms.cycle_discounts.fortnight",
    )


def test_two_names_for_one_discount_cycle() -> None:
    error = one_error({"base_prices": {"USD": 1}, "cycle_discounts": {"annual": "5", "year": "9"}})

    assert error.code == "duplicate_discount"
    assert error.field == "plans[0].terms.cycle_discounts.year"


def test_terms_built_in_code_must_name_discount_cycles_canonically() -> None:
    # A quote looks the discount up as "year"; "annual" would silently never apply.
    terms = PlanTerms(base_prices={"USD": 1}, cycle_discounts={"annual": Decimal(5)})

    with pytest.raises(InvalidValue) as caught:
        terms.validated()

    assert (caught.value.code, caught.value.field) == ("cycle_name", "cycle_discounts.annual")


@pytest.mark.parametrize(
    "seats", [{"min_seats": 2}, {"max_seats": 10}, {"min_seats": 1, "max_seats": 1}]
)
def test_flat_pricing_has_no_seats(seats: dict[str, int]) -> None:
    error = one_error({"pricing": "flat", "prices": [usd_month()], **seats})

    assert (error.code, error.field) == ("flat_with_seats", "plans[0].terms.pricing")


def test_flat_pricing_without_seat_limits_is_fine() -> None:
    terms = terms_from_data({"pricing": "flat", "prices": [usd_month()]})

    assert terms.pricing is PricingModel.FLAT


def test_unknown_field_in_terms() -> None:
    error = one_error({"prices": [usd_month()], "colour": "gold"})

    assert (error.code, error.field) == ("unknown_field", "plans[0].terms.colour")


def test_unknown_field_in_a_price() -> None:
    error = one_error({"prices": [usd_month(), {**usd_month(), "cycle": "year", "tax": 1}]})

    assert (error.code, error.field) == ("unknown_field", "plans[0].terms.prices[1].tax")


@pytest.mark.parametrize("missing", ["currency", "cycle", "amount"])
def test_price_missing_a_field(missing: str) -> None:
    price = {k: v for k, v in usd_month().items() if k != missing}

    error = one_error({"prices": [price]})

    assert (error.code, error.field) == ("required", f"plans[0].terms.prices[0].{missing}")


@pytest.mark.parametrize("terms", [{}, {"prices": []}, {"prices": [], "base_prices": {}}])
def test_missing_price(terms: dict[str, Any]) -> None:
    error = one_error(terms)

    assert (error.code, error.field) == ("required", "plans[0].terms.prices")


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        ({"pricing": "tiered"}, "pricing"),
        ({"pricing": 1}, "pricing"),
        ({"prices": "USD 19.99"}, "prices"),
        ({"prices": [["USD", "month", 1999]]}, "prices[0]"),
        ({"prices": [{**usd_month(), "amount": "1999"}]}, "prices[0].amount"),
        ({"prices": [{**usd_month(), "amount": 19.99}]}, "prices[0].amount"),
        ({"prices": [{**usd_month(), "amount": True}]}, "prices[0].amount"),
        ({"prices": [{**usd_month(), "currency": 840}]}, "prices[0].currency"),
        ({"prices": [{**usd_month(), "cycle": 1}]}, "prices[0].cycle"),
        ({"prices": [{**usd_month(), "cycle": "fortnight"}]}, "prices[0].cycle"),
        ({"base_prices": ["USD", 1999]}, "base_prices"),
        ({"base_prices": {"USD": "19.99"}}, "base_prices.USD"),
        ({"cycle_discounts": ["year"]}, "cycle_discounts"),
        ({"min_seats": "3"}, "min_seats"),
        ({"min_seats": 2.0}, "min_seats"),
        ({"max_seats": "10"}, "max_seats"),
        ({"max_seats": False}, "max_seats"),
        ({"trial_days": "14"}, "trial_days"),
        ({"allowances": {"scans": "10"}}, "allowances.scans"),
        ({"allowances": {"scans": -1}}, "allowances.scans"),
        ({"allowances": {"Scans!": 1}}, "allowances.Scans!"),
        ({"allowances": 10}, "allowances"),
        ({"features": "webhooks"}, "features"),
        ({"features": ["webhooks", 3]}, "features[1]"),
        ({"features": ["Web Hooks"]}, "features"),
        ({"description": 5}, "description"),
        ({"pay_per_day": "yes"}, "pay_per_day"),
        ({"pay_per_day": 1}, "pay_per_day"),
    ],
)
def test_wrong_types_name_the_field(terms: dict[str, Any], field: str) -> None:
    data = {"base_prices": {"USD": 1999}, **terms}

    error = one_error(data)

    assert isinstance(error, InvalidValue)
    assert error.code in {"invalid_value", "invalid_code"}
    assert error.field == f"plans[0].terms.{field}"


@pytest.mark.parametrize("data", [None, [], "terms", 3])
def test_terms_must_be_a_mapping(data: object) -> None:
    error = one_error(data)

    assert (error.code, error.field) == ("invalid_value", PATH)


def test_without_a_path_fields_are_bare() -> None:
    with pytest.raises(InvalidValue) as caught:
        terms_from_data({"prices": [usd_month(-5)]})

    assert caught.value.field == "prices[0].amount"


# -- several wrong values at once --------------------------------------------------------


def test_every_wrong_field_comes_back_together() -> None:
    data = {
        "prices": [usd_month(-1), {"currency": "ZZZ", "cycle": "month", "amount": 5}],
        "cycle_discounts": {"year": "120"},
        "min_seats": 5,
        "max_seats": 2,
        "trial_days": "14",
        "colour": "gold",
    }

    errors = every_error(data)

    assert sorted(errors, key=str) == sorted(
        [
            ("unknown_field", "plans[0].terms.colour"),
            ("invalid_value", "plans[0].terms.trial_days"),
            ("negative", "plans[0].terms.prices[0].amount"),
            ("unknown_currency", "plans[0].terms.prices[1].currency"),
            ("discount_range", "plans[0].terms.cycle_discounts.year"),
            ("seats_range", "plans[0].terms.min_seats"),
        ],
        key=str,
    )


def test_invalid_input_message_lists_every_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        terms_from_data({"prices": [usd_month(-1)], "colour": 1, "description": 2}, PATH)

    assert caught.value.status == 422
    for field in ("prices[0].amount", "terms.colour", "terms.description"):
        assert field in caught.value.message


def test_a_rule_error_after_an_unreadable_price_keeps_its_own_index() -> None:
    data = {"prices": [{**usd_month(), "cycle": "fortnight"}, usd_month(-5)]}

    errors = every_error(data)

    assert errors == [
        ("invalid_value", "plans[0].terms.prices[0].cycle"),
        ("negative", "plans[0].terms.prices[1].amount"),
    ]


def test_an_unreadable_price_list_is_not_also_reported_missing() -> None:
    error = one_error({"prices": [{**usd_month(), "amount": "19.99"}]})

    assert error.field == "plans[0].terms.prices[0].amount"


def test_validated_collects_every_rule_error() -> None:
    terms = PlanTerms(
        prices=(Price("USD", Cycle.MONTHLY, -1), Price("USD", Cycle.MONTHLY, 5)),
        cycle_discounts={"month": Decimal(5)},
        min_seats=0,
    )

    with pytest.raises(InvalidInput) as caught:
        terms.validated()

    assert [(e.code, e.field) for e in caught.value.errors] == [
        ("negative", "prices[0].amount"),
        ("duplicate_price", "prices[1]"),
        ("invalid_value", "cycle_discounts.month"),
        ("invalid_value", "min_seats"),
    ]


def test_validated_returns_the_same_terms() -> None:
    terms = PlanTerms(base_prices={"USD": 1999})

    assert terms.validated() is terms


def test_validated_survives_a_non_integer_min_seats() -> None:
    terms = PlanTerms(base_prices={"USD": 1}, min_seats="2", max_seats=3)  # type: ignore[arg-type]

    with pytest.raises(InvalidValue) as caught:
        terms.validated()

    assert caught.value.field == "min_seats"
