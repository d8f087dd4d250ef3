"""Shared by the quote tests (test_pricing_*.py): currencies and per-seat terms."""

from __future__ import annotations

from decimal import Decimal

from plansmith.domain.catalog.terms import PlanTerms
from plansmith.domain.kernel.money import Currency

USD = Currency.of("USD")


def seat_terms(**overrides: object) -> PlanTerms:
    """USD 19.99 per seat per month; quarter 10 %, half year 15 %, year 20 % off."""
    values: dict[str, object] = {
        "base_prices": {"USD": 1999},
        "cycle_discounts": {
            "quarter": Decimal("10"),
            "half_year": Decimal("15"),
            "year": Decimal("20"),
        },
    }
    values.update(overrides)
    return PlanTerms(**values).validated()  # type: ignore[arg-type]
