"""Plan terms: the round trip through plain data."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.catalog.terms import PlanTerms, Price, PricingModel
from plansmith.domain.catalog.terms_data import terms_from_data, terms_to_data
from plansmith.domain.kernel.limits import MAX_PRICE
from plansmith.domain.kernel.periods import Cycle
from tests.unit.catalog_terms_support import PATH, _plain

PROPERTY = settings(max_examples=100, deadline=None)


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


STORABLE = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")


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
        # Storable text: a NUL or a lone surrogate is refused where terms come in (text.py).
        description=draw(st.text(STORABLE, max_size=40)),
        pay_per_day=draw(st.booleans()),
    ).validated()


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
