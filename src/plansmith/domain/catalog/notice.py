"""What changes between two versions of a plan, in words a subscriber can read in a notice."""

from __future__ import annotations

from collections.abc import Mapping

from plansmith.domain.catalog.pricing import unit_price
from plansmith.domain.catalog.terms import PlanTerms
from plansmith.domain.kernel.money import Currency, Money


def _money(amount: int, code: str) -> str:
    return str(Money(amount, Currency.of(code)))


def _price_lines(old: PlanTerms, new: PlanTerms) -> list[str]:
    lines = []
    for code in sorted(set(old.currencies()) | set(new.currencies())):
        currency = Currency.of(code)
        cycles = {c.name: c for c in old.cycles(code) + new.cycles(code)}
        for name, cycle in sorted(cycles.items()):
            before = unit_price(old, cycle, currency)[2] if cycle in old.cycles(code) else None
            after = unit_price(new, cycle, currency)[2] if cycle in new.cycles(code) else None
            if before == after:
                continue
            unit = "per seat " if new.pricing.value == "per_seat" else ""
            if before is None:
                lines.append(f"new price {unit}per {name}: {_money(after or 0, code)}")
            elif after is None:
                lines.append(f"price {unit}per {name} in {code} is withdrawn")
            else:
                lines.append(
                    f"price {unit}per {name}: {_money(before, code)} -> {_money(after, code)}"
                )
    return lines


def _mapping_lines(label: str, old: Mapping[str, int], new: Mapping[str, int]) -> list[str]:
    lines = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            before = old.get(key, "none")
            after = new.get(key, "none")
            lines.append(f"{label} {key.replace('_', ' ')}: {before} -> {after}")
    return lines


def describe_changes(old: PlanTerms, new: PlanTerms) -> list[str]:
    lines = _price_lines(old, new)
    lines += _mapping_lines("allowance", old.allowances, new.allowances)
    lines += [f"new feature: {f}" for f in sorted(new.features - old.features)]
    lines += [f"feature removed: {f}" for f in sorted(old.features - new.features)]
    if (old.min_seats, old.max_seats) != (new.min_seats, new.max_seats):
        most = "no maximum" if new.max_seats is None else f"at most {new.max_seats}"
        lines.append(f"seats: at least {new.min_seats}, {most}")
    if old.trial_days != new.trial_days:
        lines.append(f"trial: {old.trial_days} -> {new.trial_days} days")
    if old.pay_per_day != new.pay_per_day:
        lines.append("billing: " + ("per active day" if new.pay_per_day else "per period"))
    if old.pricing != new.pricing:
        lines.append(f"pricing: {old.pricing.value} -> {new.pricing.value}")
    return lines or ["no change to prices, allowances or features"]
