"""Charges: the checks that keep a charge sound, and the exact round trip through plain data."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidInput, InvalidValue
from plansmith.domain.usage.charges import (
    MAX_TIERS,
    Charge,
    Graduated,
    LimitKind,
    Package,
    Percentage,
    PercentTier,
    PerUnit,
    Tier,
    Volume,
    decimal_text,
    major_text,
    minor_units,
)
from plansmith.domain.usage.charges_data import charge_from_data, charge_to_data
from tests.unit.usage_rating_support import JPY, KWD, USD, charge, charges, major

PROPERTY = settings(max_examples=200, deadline=None)


def _field(build: Any) -> tuple[str | None, str]:
    with pytest.raises(DomainError) as caught:
        build()
    return caught.value.field, str(caught.value.code)


# -- exact prices ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("0.0025", USD, Fraction(1, 4)),
        ("12.34", USD, Fraction(1234)),
        ("0.5", JPY, Fraction(1, 2)),
        ("3", JPY, Fraction(3)),
        ("0.0005", KWD, Fraction(1, 2)),
        ("1.234", KWD, Fraction(1234)),
    ],
)
def test_prices_in_major_units_become_exact_minor_units(
    text: str, currency: Any, minor: Fraction
) -> None:
    assert minor_units(text, currency, "unit_price") == minor
    assert Fraction(major_text(minor, currency)) == Fraction(text)


def test_decimal_text_is_exact_and_short() -> None:
    assert decimal_text(Fraction(1, 4)) == "0.25"
    assert decimal_text(Fraction(100)) == "100"
    assert decimal_text(Fraction(1, 10**10)) == "0.0000000001"
    assert major_text(Fraction(1, 4), USD) == "0.0025"


@pytest.mark.parametrize("text", ["0.1.2", "abc", "", "1e3", "NaN"])
def test_a_price_that_is_not_a_decimal_names_its_field(text: str) -> None:
    assert _field(lambda: minor_units(text, USD, "unit_price"))[0] == "unit_price"


def test_floats_are_refused_for_prices() -> None:
    assert _field(lambda: minor_units(0.1, USD, "unit_price"))[0] == "unit_price"  # type: ignore[arg-type]
    assert _field(lambda: PerUnit(0.1))[0] == "unit_price"  # type: ignore[arg-type]


# -- the checks, each naming its field -------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field", "code"),
    [
        # descending and badly bounded tiers
        (
            lambda: Graduated(
                (
                    Tier(Fraction(100), Fraction(1)),
                    Tier(Fraction(50), Fraction(1)),
                    Tier(None, Fraction(1)),
                )
            ),
            "tiers[1].up_to",
            None,
        ),
        (
            lambda: Volume(
                (
                    Tier(Fraction(100), Fraction(1)),
                    Tier(Fraction(100), Fraction(1)),
                    Tier(None, Fraction(1)),
                )
            ),
            "tiers[1].up_to",
            None,
        ),
        (
            lambda: Graduated((Tier(Fraction(100), Fraction(1)), Tier(Fraction(200), Fraction(1)))),
            "tiers[1].up_to",
            None,
        ),
        (
            lambda: Graduated((Tier(None, Fraction(1)), Tier(None, Fraction(1)))),
            "tiers[0].up_to",
            None,
        ),
        (lambda: Graduated(()), "tiers", None),
        (lambda: Graduated([Tier(None, Fraction(1))]), "tiers", None),  # type: ignore[arg-type]
        (lambda: Graduated((PerUnit(Fraction(1)),)), "tiers[0]", None),  # type: ignore[arg-type]
        (lambda: Graduated((Tier(None, Fraction(1)),) * (MAX_TIERS + 1)), "tiers", "too_large"),
        (lambda: Tier(Fraction(0), Fraction(1)), "up_to", None),
        (lambda: Tier(Fraction(-5), Fraction(1)), "up_to", "negative"),
        # negative and too fine prices
        (lambda: PerUnit(Fraction(-1)), "unit_price", "negative"),
        (lambda: PerUnit(Fraction(-1, 4)), "unit_price", "negative"),
        (lambda: Tier(None, Fraction(-1)), "unit_price", "negative"),
        (lambda: Tier(None, Fraction(1), Fraction(-1)), "flat_fee", "negative"),
        (lambda: PerUnit(Fraction(1, 3)), "unit_price", "too_many_decimals"),
        (lambda: PerUnit(Fraction(1, 10**11)), "unit_price", "too_many_decimals"),
        (lambda: PerUnit(Fraction(10**10 + 1)), "unit_price", "too_large"),
        # packages
        (lambda: Package(0, Fraction(100)), "block_size", None),
        (lambda: Package(-1, Fraction(100)), "block_size", "negative"),
        (lambda: Package(Fraction(1, 2), 100), "block_size", None),  # type: ignore[arg-type]
        (lambda: Package(10, Fraction(-100)), "block_price", "negative"),
        (lambda: Package(10, Fraction(100), -1), "free_units", "negative"),
        # percentages
        (lambda: Percentage(Fraction(101)), "rate", None),
        (lambda: Percentage(Fraction(-1)), "rate", "negative"),
        (lambda: Percentage(Fraction(1, 3)), "rate", "too_many_decimals"),
        (lambda: Percentage(Fraction(1), Fraction(-5)), "fixed_fee", "negative"),
        (lambda: Percentage(Fraction(1), Fraction(5), -1), "free_events", "negative"),
        (lambda: PercentTier(None, Fraction(101)), "rate", None),
        # the charge
        (lambda: charge(PerUnit(Fraction(1)), limit="medium"), "limit", None),
        (lambda: charge(PerUnit(Fraction(1)), limit=None), "limit", None),
        (lambda: charge(PerUnit(Fraction(1)), included=-1), "included", "negative"),
        (lambda: charge(PerUnit(Fraction(1)), included=1.5), "included", None),
        (lambda: charge(PerUnit(Fraction(1)), included=10**13), "included", "too_large"),
        (lambda: Charge("API calls", USD, PerUnit(Fraction(1))), "meter", "invalid_code"),
        (lambda: Charge("api", "USD", PerUnit(Fraction(1))), "currency", None),  # type: ignore[arg-type]
        (lambda: Charge("api", USD, Tier(None, Fraction(1))), "model", None),  # type: ignore[arg-type]
    ],
)
def test_bad_values_name_their_field(build: Any, field: str, code: str | None) -> None:
    found_field, found_code = _field(build)
    assert found_field == field
    assert found_code == (code or ec.INVALID_VALUE)


def test_a_limit_may_be_given_as_its_text() -> None:
    assert charge(PerUnit(Fraction(1)), limit="hard").limit is LimitKind.HARD
    assert charge(PerUnit(Fraction(1))).limit is LimitKind.SOFT


def test_whole_numbers_are_kept_as_fractions() -> None:
    tier = Tier(100, 5, 0)  # type: ignore[arg-type]
    assert type(tier.up_to) is Fraction and type(tier.unit_price) is Fraction
    assert type(tier.flat_fee) is Fraction


# -- plain data ------------------------------------------------------------------------------


@PROPERTY
@given(c=charges)
def test_a_charge_round_trips_through_json_exactly(c: Charge) -> None:
    data = charge_to_data(c)
    text = json.dumps(data)

    again = charge_from_data(json.loads(text))

    assert again == c
    assert charge_to_data(again) == data


def test_the_data_of_a_graduated_charge() -> None:
    tiers = (Tier(Fraction(1_000), major("0.0025")), Tier(None, major("0.0015"), major("1.00")))
    c = charge(Graduated(tiers), included=500, limit="hard")

    assert charge_to_data(c) == {
        "meter": "api_calls",
        "currency": "USD",
        "included": 500,
        "limit": "hard",
        "model": "graduated",
        "tiers": [
            {"up_to": "1000", "unit_price": "0.0025", "flat_fee": "0"},
            {"up_to": None, "unit_price": "0.0015", "flat_fee": "1"},
        ],
    }


@pytest.mark.parametrize(
    "data",
    [
        {"model": "per_unit", "unit_price": "0.5"},
        {"model": "volume", "tiers": [{"up_to": "2.5", "unit_price": "1"}, {"unit_price": 0}]},
        {"model": "graduated_percentage", "tiers": [{"rate": "1.25", "flat_fee": "0.005"}]},
        {"model": "package", "block_size": 100, "block_price": "5", "free_units": 100},
        {"model": "percentage", "rate": "2.9", "fixed_fee": "0.30", "free_events": 3},
        {"model": "percentage", "rate": 2},
    ],
)
def test_every_model_reads_from_data(data: dict[str, Any]) -> None:
    c = charge_from_data({"meter": "payments", "currency": "USD", **data})

    assert c.model.kind == data["model"]
    assert charge_from_data(charge_to_data(c)) == c


def test_the_defaults_of_data() -> None:
    c = charge_from_data(
        {"meter": "scans", "currency": "JPY", "model": "per_unit", "unit_price": 3}
    )

    assert c.included == 0 and c.limit is LimitKind.SOFT
    assert c.model == PerUnit(Fraction(3))


def _errors(data: object) -> list[tuple[str | None, str]]:
    with pytest.raises(DomainError) as caught:
        charge_from_data(data)
    error = caught.value
    found = error.errors if isinstance(error, InvalidInput) else [error]
    return [(e.field, str(e.code)) for e in found]


_GOOD = {"meter": "api_calls", "currency": "USD", "model": "per_unit", "unit_price": "1"}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({**_GOOD, "limit": "medium"}, [("limit", "invalid_value")]),
        ({**_GOOD, "unit_price": "-0.01"}, [("unit_price", "negative")]),
        ({**_GOOD, "unit_price": 0.01}, [("unit_price", "invalid_value")]),
        ({**_GOOD, "unit_price": None}, [("unit_price", "required")]),
        ({**_GOOD, "model": "flat"}, [("model", "invalid_value")]),
        ({**_GOOD, "tiers": []}, [("tiers", "unknown_field")]),
        ({**_GOOD, "currency": "usd"}, [("currency", "unknown_currency")]),
        ({**_GOOD, "meter": ""}, [("meter", "invalid_code")]),
        ({**_GOOD, "included": "10"}, [("included", "invalid_value")]),
        (
            {"currency": "USD", "model": "package", "block_size": 0, "block_price": "5"},
            [("meter", "required"), ("block_size", "invalid_value")],
        ),
        (
            {
                **_GOOD,
                "model": "graduated",
                "unit_price": None,
                "tiers": [
                    {"up_to": "100", "unit_price": "1"},
                    {"up_to": "50", "unit_price": "-1"},
                    {"up_to": "x", "unit_price": "1", "extra": 1},
                    {"unit_price": 0.5},
                ],
            },
            [
                ("unit_price", "unknown_field"),
                ("tiers[1].unit_price", "negative"),
                ("tiers[2].extra", "unknown_field"),
                ("tiers[3].unit_price", "invalid_value"),
            ],
        ),
        (
            {
                **_GOOD,
                "model": "graduated",
                "unit_price": None,
                "tiers": [{"up_to": "100", "unit_price": "1"}, {"up_to": "50", "unit_price": "1"}],
            },
            [("unit_price", "unknown_field"), ("tiers[1].up_to", "invalid_value")],
        ),
        (
            {
                "meter": "m",
                "currency": "USD",
                "model": "volume",
                "tiers": [{"up_to": "100", "unit_price": "1"}, {"up_to": "50", "unit_price": "1"}],
            },
            [("tiers[1].up_to", "invalid_value")],
        ),
        (
            {"meter": "m", "currency": "USD", "model": "graduated_percentage", "tiers": [{}]},
            [("tiers[0].rate", "required")],
        ),
        (
            {"meter": "m", "currency": "USD", "model": "graduated_percentage", "tiers": {}},
            [("tiers", "invalid_value")],
        ),
        ("per_unit", [("charge", "invalid_value")]),
    ],
)
def test_bad_data_names_every_wrong_field(data: object, expected: list[tuple[str, str]]) -> None:
    assert sorted(_errors(data)) == sorted(expected)


def test_bad_data_raises_the_domain_invalid_value() -> None:
    with pytest.raises(InvalidValue):
        charge_from_data({**_GOOD, "limit": "medium"})
