"""Builders and hypothesis strategies for the usage charge and rating tests."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from plansmith.domain.kernel.money import Currency
from plansmith.domain.usage.charges import (
    Charge,
    ChargeModel,
    Graduated,
    GraduatedPercentage,
    LimitKind,
    Package,
    Percentage,
    PercentTier,
    PerUnit,
    Tier,
    Volume,
    minor_units,
)

JPY = Currency.of("JPY")
USD = Currency.of("USD")
KWD = Currency.of("KWD")


def major(text: str, currency: Currency = USD) -> Fraction:
    """A price written as people write it ("0.0025" USD) in exact minor units."""
    return minor_units(text, currency, "price")


def charge(model: ChargeModel, currency: Currency = USD, **kwargs: object) -> Charge:
    return Charge("api_calls", currency, model, **kwargs)  # type: ignore[arg-type]


# -- strategies ------------------------------------------------------------------------------

currencies = st.sampled_from([JPY, USD, KWD])


@st.composite
def decimals(draw: st.DrawFn, *, most: int = 10**6, places: int = 4, least: int = 0) -> Fraction:
    """An exact decimal number: an integer over a power of ten."""
    exponent = draw(st.integers(min_value=0, max_value=places))
    scale = 10**exponent
    return Fraction(draw(st.integers(min_value=least * scale, max_value=most * scale)), scale)


prices = decimals(most=10_000, places=6)  # minor units, fractions of one included
quantities = decimals(most=1_000_000, places=2)
whole_quantities = st.integers(min_value=0, max_value=400).map(Fraction)


@st.composite
def bounds(draw: st.DrawFn, *, whole: bool = False, most_tiers: int = 5) -> list[Fraction]:
    """Strictly ascending upper bounds for all tiers but the last."""
    count = draw(st.integers(min_value=0, max_value=most_tiers - 1))
    if whole:
        raw = draw(st.lists(st.integers(1, 300), min_size=count, max_size=count, unique=True))
        return sorted(Fraction(b) for b in raw)
    raw_fractions = draw(
        st.lists(decimals(most=100_000, places=2, least=1), min_size=count, max_size=count)
    )
    return sorted(set(raw_fractions))


@st.composite
def tier_lists(draw: st.DrawFn, *, whole: bool = False) -> tuple[Tier, ...]:
    ups: list[Fraction | None] = [*draw(bounds(whole=whole)), None]
    return tuple(
        Tier(up, draw(prices), draw(st.one_of(st.just(Fraction(0)), prices))) for up in ups
    )


@st.composite
def percent_tier_lists(draw: st.DrawFn) -> tuple[PercentTier, ...]:
    ups: list[Fraction | None] = [*draw(bounds()), None]
    rates = decimals(most=100, places=4)
    return tuple(PercentTier(up, draw(rates), draw(prices)) for up in ups)


packages = st.builds(
    Package,
    block_size=st.integers(min_value=1, max_value=1_000),
    block_price=prices,
    free_units=st.integers(min_value=0, max_value=1_000),
)
percentages = st.builds(
    Percentage,
    rate=decimals(most=100, places=4),
    fixed_fee=prices,
    free_events=st.integers(min_value=0, max_value=100),
)

models: st.SearchStrategy[ChargeModel] = st.one_of(
    st.builds(PerUnit, prices),
    tier_lists().map(Graduated),
    tier_lists().map(Volume),
    percent_tier_lists().map(GraduatedPercentage),
    packages,
    percentages,
)

charges = st.builds(
    Charge,
    meter=st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True),
    currency=currencies,
    model=models,
    included=st.integers(min_value=0, max_value=10**9),
    limit=st.sampled_from(list(LimitKind)),
)
