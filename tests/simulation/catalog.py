"""The catalog every simulated organization starts with: sent to the API as JSON, read by the
model as data. Prices in three currencies of 0, 2 and 3 decimals; longer cycles discounted; each
plan charges the `calls` meter past its allowance."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from tests.simulation.calendar import MONTHS, round_half_up

CURRENCIES = ("USD", "JPY", "KWD")
CYCLES = ("month", "quarter", "year")
METER = "calls"
EVENT_CODE = "call"
FAMILY: dict[str, Any] = {
    "code": "service",
    "name": "Service plans",
    "policy": {"upgrade": "now", "downgrade": "now", "seats_down": "now", "cycle_change": True},
}
METER_BODY: dict[str, Any] = {
    "code": METER,
    "name": "API calls",
    "event_code": EVENT_CODE,
    "aggregation": "count",
}


@dataclass(frozen=True)
class Plan:
    code: str
    rank: int
    base: dict[str, int]  # per seat per month, minor units
    discounts: dict[str, str]  # percent off by cycle
    included: int  # calls per period
    unit_price: dict[str, str]  # per call past the allowance, major units as text
    max_seats: int = 50

    def unit_amount(self, currency: str, cycle: str) -> int:
        """Per seat for one period: base x months x (100 - discount) / 100, rounded once."""
        off = Fraction(self.discounts.get(cycle, "0"))
        return round_half_up(self.base[currency] * MONTHS[cycle] * (100 - off) / 100)

    def price_per_call(self, currency: str) -> Fraction:
        """In minor units (the text is major units)."""
        return Fraction(self.unit_price[currency]) * Fraction(10) ** DECIMALS[currency]

    def body(self) -> dict[str, Any]:
        charges = [
            {
                "meter": METER,
                "currency": currency,
                "included": self.included,
                "limit": "soft",
                "model": "per_unit",
                "unit_price": self.unit_price[currency],
            }
            for currency in CURRENCIES
        ]
        terms = {
            "base_prices": self.base,
            "cycle_discounts": self.discounts,
            "min_seats": 1,
            "max_seats": self.max_seats,
            "charges": charges,
        }
        return {
            "code": self.code,
            "name": self.code.title(),
            "family": FAMILY["code"],
            "rank": self.rank,
            "publish": True,
            "terms": terms,
        }


DECIMALS = {"USD": 2, "JPY": 0, "KWD": 3}

PLANS = {
    p.code: p
    for p in (
        Plan(
            "basic",
            1,
            {"USD": 1999, "JPY": 2990, "KWD": 12345},
            {"quarter": "5", "year": "20"},
            included=20,
            unit_price={"USD": "0.05", "JPY": "3", "KWD": "0.0155"},
        ),
        Plan(
            "pro",
            2,
            {"USD": 4999, "JPY": 4990, "KWD": 30001},
            {"quarter": "7.5", "year": "17"},
            included=60,
            unit_price={"USD": "0.0125", "JPY": "1.5", "KWD": "0.0035"},
        ),
        Plan(
            "team",
            3,
            {"USD": 8333, "JPY": 9999, "KWD": 45555},
            {"quarter": "10", "year": "25"},
            included=150,
            unit_price={"USD": "0.01", "JPY": "1", "KWD": "0.002"},
        ),
    )
}
