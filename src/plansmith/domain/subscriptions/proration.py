"""Daily proration: a day is worth the period price divided by the days in that period.

Everything is exact (Fraction) until one rounding per item, so a full period costs exactly the
period price and any sequence of changes charges, in total, what the days held were worth, to
within one minor unit per change (each change makes one credit and one charge, each off by at
most half a unit).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from plansmith.domain.invoicing.invoice import LineKind
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.money import round_half_up
from plansmith.domain.kernel.periods import Period
from plansmith.domain.subscriptions.price_book import Component
from plansmith.domain.subscriptions.subscription import BillableItem, Terms


def day_value(period_amount: int, period: Period) -> Fraction:
    """What one day of ``period`` is worth, exactly."""
    return Fraction(period_amount, period.days)


def part_amount(period_amount: int, days: int, period_days: int) -> int:
    """``days`` of a ``period_days``-day period at ``period_amount``, rounded once (half-up)."""
    if not 0 <= days <= period_days or period_days < 1:
        raise InvalidValue(f"{days} days do not fit a {period_days}-day period", field="days")
    return round_half_up(Fraction(period_amount * days, period_days))


def recurring(parts: Iterable[Component], terms: Terms, period: Period) -> list[BillableItem]:
    """A full period of each component, in advance."""
    return [
        BillableItem(
            kind=LineKind.RECURRING,
            component=part.key,
            description=f"{part.name} × {part.quantity}, {terms.cycle.name}",
            currency=terms.currency,
            quantity=part.quantity,
            unit_amount=part.unit_amount,
            amount=part.period_amount,
            period_start=period.start,
            period_end=period.end,
            plan_id=part.plan_id,
            cycle=terms.cycle.name,
        )
        for part in parts
    ]


def rest_of_period(
    kind: LineKind,
    part: Component,
    currency: str,
    period: Period,
    start: date,
    cycle: str | None = None,
) -> BillableItem:
    """A credit (negative) or charge for ``[start, period.end)`` of one component, priced
    for ``cycle`` (the ``Cycle.name`` of the terms it bills, which the item records)."""
    days = (period.end - start).days
    amount = part_amount(part.period_amount, days, period.days)
    label = "Unused time on" if kind is LineKind.CREDIT else "Remaining time on"
    return BillableItem(
        kind=kind,
        component=part.key,
        description=f"{label} {part.name} × {part.quantity} ({days} of {period.days} days)",
        currency=currency,
        quantity=part.quantity,
        unit_amount=part.unit_amount,
        amount=-amount if kind is LineKind.CREDIT else amount,
        period_start=start,
        period_end=period.end,
        days=days,
        period_days=period.days,
        plan_id=part.plan_id,
        cycle=cycle,
    )


def credits(
    parts: Iterable[Component],
    currency: str,
    period: Period,
    start: date,
    cycle: str | None = None,
) -> list[BillableItem]:
    return _rest(LineKind.CREDIT, parts, currency, period, start, cycle)


def charges(
    parts: Iterable[Component],
    currency: str,
    period: Period,
    start: date,
    cycle: str | None = None,
) -> list[BillableItem]:
    return _rest(LineKind.CHARGE, parts, currency, period, start, cycle)


def _rest(
    kind: LineKind,
    parts: Iterable[Component],
    currency: str,
    period: Period,
    start: date,
    cycle: str | None,
) -> list[BillableItem]:
    """The rest of the period for each component that costs something."""
    return [
        rest_of_period(kind, p, currency, period, start, cycle) for p in parts if p.period_amount
    ]


def changed_parts(
    old: Sequence[Component], new: Sequence[Component]
) -> tuple[list[Component], list[Component]]:
    """The components to credit and to charge: those whose price or quantity changed (a new
    name alone, e.g. a version renamed "Legacy", changes nothing that is billed)."""
    before = {p.key: (p.unit_amount, p.quantity) for p in old}
    after = {p.key: (p.unit_amount, p.quantity) for p in new}
    credit = [p for p in old if after.get(p.key) != before[p.key]]
    charge = [p for p in new if before.get(p.key) != after[p.key]]
    return credit, charge


@dataclass(frozen=True)
class ActiveDays:
    """Days a pay-per-day component was active inside one period, at one price and quantity."""

    part: Component
    days: int


def accrual(
    active: Iterable[ActiveDays],
    currency: str,
    period: Period,
    cycle_name: str,
    cycle: str | None = None,
) -> list[BillableItem]:
    """One item per (component, price, quantity): days active x day rate, rounded once.
    ``cycle_name`` is what the description says; ``cycle`` the ``Cycle.name`` of the terms
    held in ``period`` (one cycle: a new cycle starts a new period), which the items record."""
    totals: dict[Component, int] = {}
    for entry in active:
        if entry.days:
            totals[entry.part] = totals.get(entry.part, 0) + entry.days
    items = []
    for part, days in totals.items():
        if days > period.days:
            raise InvalidValue(
                f"{days} active days do not fit a {period.days}-day period", field="days"
            )
        items.append(
            BillableItem(
                kind=LineKind.ACCRUAL,
                component=part.key,
                description=f"{part.name} × {part.quantity}, {days} of {period.days} days "
                f"({cycle_name}, pay per day)",
                currency=currency,
                quantity=part.quantity,
                unit_amount=part.unit_amount,
                amount=part_amount(part.period_amount, days, period.days),
                period_start=period.start,
                period_end=period.end,
                days=days,
                period_days=period.days,
                plan_id=part.plan_id,
                cycle=cycle,
            )
        )
    return items
