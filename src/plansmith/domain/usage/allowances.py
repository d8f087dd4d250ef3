"""Allowances: what a period grants before anything is billed, what is left, and whether one
more use fits.

A period's allowance is the included allowance of the plan held; after an immediate plan change
it is the sum over the plans held of included x days held / days in the period, summed exactly
and rounded half up ONCE to whole units. Extra packs bought in the period add their units at
once. Whatever is left at the period's end expires: each period starts from its own allowance,
so nothing here takes a previous period's figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.limits import MAX_ALLOWANCE, MAX_CYCLE_DAYS, TooLarge, figure
from plansmith.domain.kernel.money import round_half_up
from plansmith.domain.usage.charges import LimitKind, exact_quantity

__all__ = ["Holding", "Standing", "allows", "period_allowance", "prorated_allowance", "remaining"]


def _whole(value: object, field: str, *, least: int = 0, most: int = MAX_ALLOWANCE) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidValue(f"expected a whole number, got {value!r}", field=field)
    if value < least:
        raise InvalidValue(f"must be at least {least} (got {value})", field=field)
    if value > most:
        raise TooLarge(f"at most {figure(most)}", field=field)
    return value


@dataclass(frozen=True)
class Holding:
    """A plan held for part of a period: its included allowance and the days it was held."""

    included: int
    days: int


def prorated_allowance(holdings: Iterable[Holding], days_in_period: int) -> int:
    """Sum of included x days held / days in period over the plans held, rounded once.

    A plan held the whole period grants exactly its included allowance. The days held may add up
    to less than the period (a subscription that started in it), never to more.
    """
    total_days = _whole(days_in_period, "days_in_period", least=1, most=MAX_CYCLE_DAYS)
    exact = Fraction(0)
    days_held = 0
    for index, holding in enumerate(holdings):
        if not isinstance(holding, Holding):
            raise InvalidValue("expected a Holding", field=f"holdings[{index}]")
        included = _whole(holding.included, f"holdings[{index}].included")
        days = _whole(holding.days, f"holdings[{index}].days", most=total_days)
        days_held += days
        exact += Fraction(included * days, total_days)
    if days_held > total_days:
        raise InvalidValue(
            f"the plans were held {days_held} days in a period of {total_days}",
            field="holdings",
        )
    return round_half_up(exact)


def _packs(packs: Iterable[int]) -> int:
    units = 0
    for index, pack in enumerate(packs):
        units += _whole(pack, f"packs[{index}]")
    return units


def period_allowance(allowance: int, packs: Iterable[int] = ()) -> int:
    """The period's allowance with the units of the extra packs bought in it."""
    return _whole(allowance, "allowance") + _packs(packs)


def remaining(allowance: int, packs: Iterable[int], used: Fraction | int) -> Fraction:
    """What is left of the period's allowance and packs after ``used`` units, never below 0."""
    left = period_allowance(allowance, packs) - exact_quantity(used, "used")
    return max(Fraction(0), left)


def allows(remaining: Fraction | int, units: Fraction | int, limit: LimitKind | str) -> bool:
    """Is one more use of ``units`` allowed? Hard: only if it fits in what is left, whole (an
    event is never split); soft: always, the excess is billed at period end."""
    left = exact_quantity(remaining, "remaining")
    wanted = exact_quantity(units, "units")
    if limit == LimitKind.SOFT:
        return True
    if limit == LimitKind.HARD:
        return wanted <= left
    raise InvalidValue(f"{limit!r} is not a limit: use 'hard' or 'soft'", field="limit")


@dataclass(frozen=True)
class Standing:
    """A meter's allowance in a period, as the entitlement check and the allowance bar show it."""

    included: int  # the (prorated) allowance of the plan
    extra: int  # units of the extra packs bought in the period
    used: Fraction
    remaining: Fraction  # included + extra - used, never below 0
    excess: Fraction  # used past included + extra: what a soft limit bills

    @classmethod
    def of(cls, allowance: int, packs: Iterable[int], used: Fraction | int) -> Standing:
        included = _whole(allowance, "allowance")
        extra = _packs(packs)
        spent = exact_quantity(used, "used")
        granted = included + extra
        return cls(
            included=included,
            extra=extra,
            used=spent,
            remaining=max(Fraction(0), granted - spent),
            excess=max(Fraction(0), spent - granted),
        )

    def allows(self, units: Fraction | int, limit: LimitKind | str) -> bool:
        return allows(self.remaining, units, limit)
