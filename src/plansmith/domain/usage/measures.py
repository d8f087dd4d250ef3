"""A meter's value over a range of local dates, from its daily aggregates.

The billing run reads the daily aggregates of a whole batch at once and measures each
subscription's period here: count and sum add up the days, max takes the largest day, and
unique count counts the distinct values over the range (a value seen on two days is one).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from plansmith.domain.usage.meters import Aggregation

__all__ = ["DayUsage", "Measured", "measure"]

_MICROS = 1_000_000


@dataclass(frozen=True)
class DayUsage:
    """One meter's aggregates on one local date of one account."""

    meter: str  # the meter's code
    local_date: date
    count: int  # events
    total: int  # micros: sum meters
    peak: int | None = None  # micros: max meters
    uniques: frozenset[str] = frozenset()  # unique-count meters: the day's distinct values


@dataclass(frozen=True)
class Measured:
    quantity: Fraction  # the meter's value over the range, exact
    events: int  # the events counted in it (the percentage model's fee is per event)


def measure(
    aggregation: Aggregation, days: Iterable[DayUsage], meter: str, start: date, end: date
) -> Measured:
    """``meter``'s value over the local dates ``[start, end)``; days of other meters or dates
    are left out, so one account's days can be passed whole."""
    inside = [d for d in days if d.meter == meter and start <= d.local_date < end]
    events = sum(d.count for d in inside)
    if aggregation is Aggregation.COUNT:
        return Measured(Fraction(events), events)
    if aggregation is Aggregation.SUM:
        return Measured(Fraction(sum(d.total for d in inside), _MICROS), events)
    if aggregation is Aggregation.MAX:
        peaks = [d.peak for d in inside if d.peak is not None]
        return Measured(Fraction(max(peaks, default=0), _MICROS), events)
    seen: set[str] = set()
    for d in inside:
        seen |= d.uniques
    return Measured(Fraction(len(seen)), events)
