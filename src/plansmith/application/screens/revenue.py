"""The console dashboard as one query: MRR, ARR, subscriptions, customers and the MRR
movements of the last months of an organization, per currency, family and plan.

What MRR is and how each figure is counted: domain/subscriptions/revenue.py. Read in three
statements whatever the number of subscriptions: the spans of held terms still in service at
the start of the range or begun since, the add-on prices their billed items recorded, and the
catalog (none when the process holds it). The clock is the organization's (a sandbox's test
clock, else the wall clock); each subscription is read on its own zone's date at that instant,
and ``today`` is the latest of those dates (the month shown last is today's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.subscriptions.lifecycle import price_book
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.periods import local_date, zone
from plansmith.domain.subscriptions.revenue import (
    MonthFigures,
    Valuation,
    local_todays,
    month_figures,
)

MONTHS_SHOWN = 12
MAX_MONTHS = 36


@dataclass(frozen=True)
class RevenueReport:
    today: date
    months: tuple[MonthFigures, ...]  # oldest first, the month holding ``today`` last
    currencies: tuple[str, ...]  # the largest MRR of the last month first, then by code
    family_names: Mapping[str, str]  # by family id
    plan_names: Mapping[str, str]  # by plan id

    def month(self, month: date | None) -> MonthFigures:
        """The figures of ``month`` (its first day), the last month's when None."""
        if month is None:
            return self.months[-1]
        for figures in self.months:
            if figures.month == month:
                return figures
        first, last = self.months[0].month, self.months[-1].month
        raise InvalidValue(
            f"pick a month from {first:%Y-%m} to {last:%Y-%m}, not {month:%Y-%m}", field="month"
        )


def first_month(today: date, months: int) -> date:
    """The first day of the month ``months - 1`` months before ``today``'s."""
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


def revenue_report(
    uow: UnitOfWork, clock: Clock, organization_id: str, months: int = MONTHS_SHOWN
) -> RevenueReport:
    """The last ``months`` months up to today's."""
    if isinstance(months, bool) or not 1 <= months <= MAX_MONTHS:
        raise InvalidValue(f"show between 1 and {MAX_MONTHS} months", field="months")
    now = clock.now()
    # A zone ahead of UTC only moves the range later: reading from UTC's range reads enough.
    since = first_month(local_date(now, zone("UTC")), months) - timedelta(days=1)
    with uow:
        spans = uow.subscription_reports.held_spans(organization_id, since)
        recorded = uow.subscription_reports.add_on_prices(organization_id, since=since)
        book = price_book(uow, organization_id)
    today = max(local_todays(spans, now).values(), default=local_date(now, zone("UTC")))
    first = first_month(today, months)
    figures = tuple(month_figures(spans, Valuation(book, recorded), first, today, now))
    last = figures[-1].by_currency
    seen = {c for f in figures for c in f.by_currency}
    currencies = tuple(sorted(seen, key=lambda c: (-(last[c].mrr if c in last else 0), c)))
    return RevenueReport(
        today=today,
        months=figures,
        currencies=currencies,
        family_names={f.id: f.name for f in book.families.values()},
        plan_names={p.id: p.name for p in book.plans.values()},
    )
