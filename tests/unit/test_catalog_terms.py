"""Plan terms, change policies, channels, codes and versions: validation and plain data.

Every wrong value must come back with its error class, its machine code and the full path of
the field ("plans[0].terms.prices[1].amount"), and every wrong field of one input together.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from itertools import product
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.catalog import (
    PUBLIC_CHANNELS,
    ChangePolicy,
    Channel,
    PlanTerms,
    PlanVersion,
    Price,
    PricingModel,
    PublishedVersionImmutable,
    Timing,
    VersionStatus,
    channels_of,
    check_code,
)
from plansmith.domain.catalog_data import (
    policy_from_data,
    policy_to_data,
    terms_from_data,
    terms_to_data,
)
from plansmith.domain.errors import DomainError, InvalidInput, InvalidValue
from plansmith.domain.limits import MAX_PRICE
from plansmith.domain.money import UnknownCurrency
from plansmith.domain.periods import Cycle

PATH = "plans[0].terms"
PROPERTY = settings(max_examples=100, deadline=None)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def usd_month(amount: int = 1999) -> dict[str, Any]:
    return {"currency": "USD", "cycle": "month", "amount": amount}


def one_error(data: object, path: str = PATH) -> DomainError:
    """The single error reading `data` raises (fails the test if it is not exactly one)."""
    with pytest.raises(DomainError) as caught:
        terms_from_data(data, path)
    assert not isinstance(caught.value, InvalidInput), caught.value.message
    return caught.value


def every_error(data: object, path: str = PATH) -> list[tuple[str, str | None]]:
    with pytest.raises(InvalidInput) as caught:
        terms_from_data(data, path)
    assert caught.value.code == "invalid_input"
    return [(e.code, e.field) for e in caught.value.errors]


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


# -- plain data round trip ---------------------------------------------------------------

CURRENCIES = ["USD", "EUR", "JPY", "KWD", "GBP"]
CYCLES = [
    Cycle.DAILY,
    Cycle.WEEKLY,
    Cycle.MONTHLY,
    Cycle.QUARTERLY,
    Cycle.SEMIANNUAL,
    Cycle.ANNUAL,
    Cycle.every_n_months(2),
]
DISCOUNT_CYCLES = ["2_months", "quarter", "half_year", "year", "18_months"]
codes = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)
# Up to the largest price a base price may be over the longest cycle drawn (18 months).
amounts = st.integers(min_value=0, max_value=MAX_PRICE // 18)


@st.composite
def valid_terms(draw: st.DrawFn) -> PlanTerms:
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(CURRENCIES), st.sampled_from(CYCLES)),
            unique=True,
            max_size=6,
        )
    )
    prices = tuple(Price(currency, cycle, draw(amounts)) for currency, cycle in keys)
    base_prices = draw(
        st.dictionaries(
            st.sampled_from(CURRENCIES), amounts, min_size=0 if prices else 1, max_size=3
        )
    )
    discounts = draw(
        st.dictionaries(
            st.sampled_from(DISCOUNT_CYCLES),
            st.decimals(
                min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False
            ),
            max_size=4,
        )
    )
    pricing = draw(st.sampled_from(PricingModel))
    if pricing is PricingModel.FLAT:
        min_seats, max_seats = 1, None
    else:
        min_seats = draw(st.integers(min_value=1, max_value=1000))
        max_seats = draw(st.none() | st.integers(min_value=min_seats, max_value=100_000))
    return PlanTerms(
        pricing=pricing,
        prices=prices,
        base_prices=base_prices,
        cycle_discounts=discounts,
        min_seats=min_seats,
        max_seats=max_seats,
        trial_days=draw(st.integers(min_value=0, max_value=730)),
        allowances=draw(st.dictionaries(codes, st.integers(0, 10**9), max_size=3)),
        features=draw(st.frozensets(codes, max_size=4)),
        # Storable text: a NUL is refused where terms come in (domain/text.py).
        description=draw(st.text(st.characters(exclude_characters="\x00"), max_size=40)),
        pay_per_day=draw(st.booleans()),
    ).validated()


def _plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or type(value) in (str, int, bool)


@PROPERTY
@given(terms=valid_terms())
def test_terms_round_trip_through_plain_data(terms: PlanTerms) -> None:
    data = terms_to_data(terms)

    assert terms_from_data(data, PATH) == terms


@PROPERTY
@given(terms=valid_terms())
def test_terms_data_is_plain_and_survives_json(terms: PlanTerms) -> None:
    data = terms_to_data(terms)

    assert _plain(data)
    assert terms_from_data(json.loads(json.dumps(data)), PATH) == terms


def test_terms_to_data_by_hand() -> None:
    terms = PlanTerms(
        prices=(Price("USD", Cycle.ANNUAL, 19190),),
        base_prices={"USD": 1999, "EUR": 1800},
        cycle_discounts={"year": Decimal("20.00"), "quarter": Decimal("12.50")},
        max_seats=100,
        trial_days=14,
        allowances={"scans": 30},
        features=frozenset({"webhooks", "ai"}),
        description="Gold",
    ).validated()

    assert terms_to_data(terms) == {
        "pricing": "per_seat",
        "prices": [{"currency": "USD", "cycle": "year", "amount": 19190}],
        "base_prices": {"EUR": 1800, "USD": 1999},
        "cycle_discounts": {"quarter": "12.5", "year": "20"},
        "min_seats": 1,
        "max_seats": 100,
        "trial_days": 14,
        "allowances": {"scans": 30},
        "features": ["ai", "webhooks"],
        "description": "Gold",
        "pay_per_day": False,
    }


@pytest.mark.parametrize(
    ("percent", "text"),
    [("0", "0"), ("0.000", "0"), ("100", "100"), ("100.00", "100"), ("1E+1", "10")],
)
def test_percent_text_has_no_exponent(percent: str, text: str) -> None:
    terms = PlanTerms(base_prices={"USD": 1}, cycle_discounts={"year": Decimal(percent)})

    assert terms_to_data(terms)["cycle_discounts"] == {"year": text}


# -- change policy -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upgrade", "downgrade", "seats_down", "cycle_change"),
    list(product(Timing, Timing, Timing, [True, False])),
)
def test_policy_round_trips(
    upgrade: Timing, downgrade: Timing, seats_down: Timing, cycle_change: bool
) -> None:
    policy = ChangePolicy(upgrade, downgrade, seats_down, cycle_change)

    data = policy_to_data(policy)

    assert _plain(data)
    assert policy_from_data(json.loads(json.dumps(data))) == policy


def test_policy_to_data_by_hand() -> None:
    assert policy_to_data(ChangePolicy()) == {
        "upgrade": "now",
        "downgrade": "term_end",
        "seats_down": "term_end",
        "cycle_change": True,
    }


@pytest.mark.parametrize("data", [None, {}])
def test_missing_policy_is_the_default(data: object) -> None:
    assert policy_from_data(data) == ChangePolicy(
        upgrade=Timing.NOW,
        downgrade=Timing.TERM_END,
        seats_down=Timing.TERM_END,
        cycle_change=True,
    )


def test_partial_policy_keeps_defaults_for_the_rest() -> None:
    policy = policy_from_data({"downgrade": "now", "cycle_change": False})

    assert policy == ChangePolicy(Timing.NOW, Timing.NOW, Timing.TERM_END, False)


@pytest.mark.parametrize(
    ("data", "code", "field"),
    [
        ({"upgrade": "later"}, "invalid_value", "families[1].policy.upgrade"),
        ({"downgrade": 1}, "invalid_value", "families[1].policy.downgrade"),
        ({"seats_down": None}, "invalid_value", "families[1].policy.seats_down"),
        ({"cycle_change": "no"}, "invalid_value", "families[1].policy.cycle_change"),
        ({"cycle_change": 0}, "invalid_value", "families[1].policy.cycle_change"),
        ({"proration": "daily"}, "unknown_field", "families[1].policy.proration"),
        ("now", "invalid_value", "families[1].policy"),
        ([], "invalid_value", "families[1].policy"),
    ],
)
def test_policy_errors_name_the_field(data: object, code: str, field: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        policy_from_data(data, "families[1].policy")

    assert (caught.value.code, caught.value.field) == (code, field)


def test_policy_errors_come_back_together() -> None:
    with pytest.raises(InvalidInput) as caught:
        policy_from_data({"upgrade": "soon", "cycle_change": "yes", "extra": 1})

    assert sorted((e.code, e.field) for e in caught.value.errors) == [
        ("invalid_value", "policy.cycle_change"),
        ("invalid_value", "policy.upgrade"),
        ("unknown_field", "policy.extra"),
    ]


# -- channels and codes ------------------------------------------------------------------


def test_channels_of_reads_every_channel() -> None:
    assert channels_of(["internal", "signup", "website", "portal", "portal"]) == frozenset(Channel)
    assert channels_of([]) == frozenset()
    assert frozenset(Channel) - PUBLIC_CHANNELS == {Channel.INTERNAL}


@pytest.mark.parametrize("value", ["email", "Portal", "", "public"])
def test_unknown_channel_names_the_allowed_ones(value: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        channels_of(["internal", value], "plans[2].channels")

    assert (caught.value.code, caught.value.field) == ("invalid_value", "plans[2].channels")
    assert "internal, signup, website, portal" in caught.value.message


def test_channels_default_field_name() -> None:
    with pytest.raises(InvalidValue) as caught:
        channels_of(["everywhere"])

    assert caught.value.field == "channels"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("gold", "gold"),
        ("contact-center_2.v1", "contact-center_2.v1"),
        ("  bronze ", "bronze"),
        ("7", "7"),
        ("a" * 63, "a" * 63),
    ],
)
def test_check_code_accepts_codes(value: str, code: str) -> None:
    assert check_code(value) == code


@pytest.mark.parametrize(
    "value", ["", "   ", "Gold", "-gold", "_gold", "go ld", "gold!", "a" * 64, "ölbaum", 42, None]
)
def test_check_code_refuses_non_codes(value: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        check_code(value, "plans[0].code")  # type: ignore[arg-type]

    assert (caught.value.code, caught.value.field) == ("invalid_code", "plans[0].code")


def test_check_code_default_field() -> None:
    with pytest.raises(InvalidValue) as caught:
        check_code("Not A Code")

    assert caught.value.field == "code"


# -- versions ----------------------------------------------------------------------------


def version(status: VersionStatus, channels: frozenset[Channel] = PUBLIC_CHANNELS) -> PlanVersion:
    return PlanVersion(
        id="pver_1",
        plan_id="plan_1",
        number=1,
        status=status,
        name="Bronze",
        terms=PlanTerms(base_prices={"USD": 1999}),
        channels=channels,
        created_at=T0,
        published_at=None if status is VersionStatus.DRAFT else T0,
    )


@pytest.mark.parametrize("status", [VersionStatus.CURRENT, VersionStatus.LEGACY])
def test_published_version_cannot_be_edited(status: VersionStatus) -> None:
    published = version(status)

    with pytest.raises(PublishedVersionImmutable) as caught:
        published.edited(PlanTerms(base_prices={"USD": 2499}), name="Bronze Plus")

    assert caught.value.status == 409
    assert caught.value.code == "version_immutable"
    assert caught.value.field == "version"
    assert isinstance(caught.value, DomainError)
    assert published.terms.base_prices == {"USD": 1999}


def test_draft_edit_replaces_terms_and_name() -> None:
    draft = version(VersionStatus.DRAFT)
    new_terms = PlanTerms(base_prices={"USD": 2499})

    edited = draft.edited(new_terms, name="Bronze 2026")

    assert edited.terms == new_terms
    assert edited.name == "Bronze 2026"
    assert edited == replace(draft, terms=new_terms, name="Bronze 2026")
    assert draft.terms.base_prices == {"USD": 1999}


def test_draft_edit_without_a_name_keeps_the_name() -> None:
    edited = version(VersionStatus.DRAFT).edited(PlanTerms(base_prices={"USD": 2499}))

    assert edited.name == "Bronze"


def test_draft_edit_validates_the_terms() -> None:
    with pytest.raises(InvalidValue) as caught:
        version(VersionStatus.DRAFT).edited(PlanTerms(base_prices={"USD": -1}))

    assert (caught.value.code, caught.value.field) == ("negative", "base_prices.USD")


@pytest.mark.parametrize(
    ("status", "channel", "offered"),
    [
        *[(VersionStatus.CURRENT, c, True) for c in (Channel.SIGNUP, Channel.WEBSITE)],
        (VersionStatus.CURRENT, Channel.PORTAL, True),
        (VersionStatus.CURRENT, Channel.INTERNAL, False),  # not among this version's channels
        *[(VersionStatus.DRAFT, c, False) for c in Channel],
        *[(VersionStatus.LEGACY, c, False) for c in Channel],
    ],
)
def test_offered_only_when_current_and_on_the_channel(
    status: VersionStatus, channel: Channel, offered: bool
) -> None:
    assert version(status).offered_on(channel) is offered


def test_internal_only_current_version_is_offered_internally_only() -> None:
    internal = version(VersionStatus.CURRENT, frozenset({Channel.INTERNAL}))

    assert internal.offered_on(Channel.INTERNAL) is True
    assert not any(internal.offered_on(c) for c in PUBLIC_CHANNELS)


def test_legacy_version_with_every_channel_is_still_not_offered() -> None:
    legacy = version(VersionStatus.LEGACY, frozenset(Channel))

    assert not any(legacy.offered_on(c) for c in Channel)
