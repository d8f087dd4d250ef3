"""What the portal's Plans screens show: the words and formats people read (money and dates in
the account's locale, cycle names), the cycles offered with their discount, the flash messages,
and the form as a browser posts it.

What a family offers, the checked choice and the review are the application's
(``plan_choices``); this module only words them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.dates import format_date
from pydantic import BaseModel

from plansmith.adapters.money_format import format_money
from plansmith.application.screens.plan_choices import PlanOption, Wish
from plansmith.application.subscriptions.queries import FamilyPlans
from plansmith.domain.kernel.money import Currency, Money
from plansmith.domain.kernel.periods import Cycle, CycleUnit
from plansmith.entrypoints.webui.words import cycle_label, cycle_unit

DONE = {
    "changed": "Your plan was changed.",
    "subscribed": "Your plan has started.",
    "trial_started": "Your trial has started.",
    "canceled": "Your plan was canceled. Unused time is credited on your next invoice.",
    "kept": "Your plan continues: the cancellation was withdrawn.",
    "reactivated": "Your plan is active again.",
    "resumed": "Your plan is active again.",
    "withdrawn": "The scheduled change was withdrawn.",
}
MOVED = (
    "The figures changed since you reviewed them (a day passed or your plan changed). "
    "Check the figures below and confirm again."
)
HISTORY_WORDS = {"trial": "Try"}  # seed 002's word for a trial; the rest read as they are


# -- words and formats --------------------------------------------------------------------


def money(amount: int, currency: str, locale: str = "en_US") -> str:
    return format_money(Money(amount, Currency.of(currency)), locale)


def day(value: date | None, locale: str = "en_US") -> str:
    """A local date (periods are local dates already: no time zone to apply)."""
    return format_date(value, "medium", locale=locale) if value is not None else "—"


def percent(value: Decimal) -> str:
    """20 -> "20", 12.50 -> "12.5"."""
    return f"{value.normalize():f}"


def history_word(status: str) -> str:
    return HISTORY_WORDS.get(status, status.capitalize())


FILTERS = {
    "money": money,
    "day": day,
    "cycle_label": cycle_label,
    "cycle_unit": cycle_unit,
    "percent": percent,
    "history_word": history_word,
}


# -- the cycles offered -------------------------------------------------------------------


@dataclass(frozen=True)
class CycleChoice:
    cycle: Cycle
    discount: Decimal | None  # shown beside the cycle when every plan offering it agrees

    @property
    def label(self) -> str:
        return cycle_label(self.cycle)


def cycle_choices(options: Sequence[PlanOption]) -> list[CycleChoice]:
    cycles: dict[Cycle, set[Decimal]] = {}
    for option in options:
        for price in option.prices:
            cycles.setdefault(price.cycle, set()).add(price.discount)
    ordered = sorted(cycles, key=_length)
    return [CycleChoice(c, next(iter(cycles[c])) if len(cycles[c]) == 1 else None) for c in ordered]


def _length(cycle: Cycle) -> int:
    return {CycleUnit.DAY: 1, CycleUnit.WEEK: 7, CycleUnit.MONTH: 30}[cycle.unit] * cycle.count


def flash(done: str, chosen: FamilyPlans | None, locale: str) -> str | None:
    # Only fixed sentences: nothing from the address is ever echoed into the page.
    sub = chosen.current.subscription if chosen and chosen.current else None
    if done == "scheduled":
        when = f" for {day(sub.scheduled.effective, locale)}" if sub and sub.scheduled else ""
        return f"Your change is scheduled{when}."
    if done == "cancel_scheduled":
        when = f" on {day(sub.period_end, locale)}" if sub and sub.cancel_at_period_end else ""
        return f"Your plan will end{when}; nothing more is charged."
    return DONE.get(done)


# -- the customer's choice ----------------------------------------------------------------


class ChoiceFields(BaseModel):
    """The form as a browser posts it; any field may be missing or wrong."""

    plan: str = ""
    cycle: str = ""
    quantity: str = ""
    expect: str = ""  # the fingerprint of the reviewed preview (confirm only)

    def wish(self) -> Wish:
        return Wish(self.plan, self.cycle, self.quantity, self.expect)
