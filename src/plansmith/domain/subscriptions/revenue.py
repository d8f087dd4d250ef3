"""Monthly recurring revenue (MRR) from the log of held terms: pure rules, no I/O, no clock.

Definitions (the console dashboard shows exactly these):

- **Snapshot day** of a month: its last day; for the month holding ``today`` (the day the
  caller passes), ``today`` itself. Subscriptions are read on the account's local dates: a span
  ``[start, end)`` of held terms is *in service* on day d when ``start <= d < end`` (or the span
  is still open). A subscription paused, cancelled or expired before d holds no open span.
- **Monthly value** of a subscription on a day: its in-service span, unless a trial, priced as
  it is invoiced: the plan's price for the cycle per seat after the cycle discount, times the
  seats, plus each add-on's price times its quantity, divided by the months in the cycle
  (a cycle of N months: N; of N weeks: 7N × 12 ÷ 365; of N days: 12N ÷ 365), **rounded half up
  once per subscription** to the currency's minor unit. Every figure is a sum of these, so
  plans and families add up to the total exactly. Coupons, taxes, usage, one-off charges and
  prorations are not recurring revenue and are left out. A pay-per-day subscription counts at
  the value of a full period while it is in service. ARR is 12 × MRR.
- **Prices of the past** (``Valuation``): a plan is priced by its version (a published version
  never changes). Add-ons have no versions, so the catalog's price today may not be the one
  billed then, or may be gone: an add-on is priced at the unit price the subscription's own
  billed items recorded (a full period, a change's charge or a pay-per-day accrual; never a
  credit) for the period holding the day, within the span; before its first such item, the
  span's first. A price never recorded (a pay-per-day period not billed yet) is the catalog's
  price for the cycle and currency; with neither, the add-on counts 0. Valuing never fails:
  the past always shows, and a later change of an add-on's price never rewrites it.
- **Whose today**: each span is in its subscription's local dates (the account's time zone
  when it subscribed), so each is read on its own local date: the snapshot day of a span in
  the current month is its zone's today. The months shown end with the month of the latest
  local today among the zones held (UTC with none).
- **Active subscriptions**: in service and not in a trial on the snapshot day (a free plan
  counts, with a value of 0); **active customers**: the accounts holding at least one;
  **trialing**: in service in a trial.
- **Currencies are never added up**: every figure is per currency (the currency the
  subscription is billed in); there is no conversion rate in plansmith, so an operator selling
  in JPY and USD sees two sets of figures. Counts across currencies are given too.
- **Movements** from the previous month's snapshot to this one, per subscription, within a
  group (a currency, a family in a currency, a plan in a currency): a value in the group that
  was 0 becomes new MRR (a first subscription, a trial converted, a reactivation); a rise is
  expansion; a fall to a value above 0 is contraction; a fall to 0 is churn. So for each group
  MRR(month) = MRR(month before) + new + expansion - contraction - churned. Moving from plan A
  to plan B is expansion or contraction in its currency and family, and churn from A and new
  MRR on B in the by-plan figures.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import TypeVar

from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.money import round_half_up
from plansmith.domain.kernel.periods import Cycle, CycleUnit, local_date, zone
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook, components
from plansmith.domain.subscriptions.subscription import Terms

DAYS_IN_YEAR = 365
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class HeldSpan:
    """One span of a subscription's log, with whose it is."""

    subscription_id: str
    account_id: str
    family_id: str
    span: Span
    time_zone: str = "UTC"  # the subscription's: its span's dates are local dates there


@dataclass(frozen=True)
class RecordedPrice:
    """An add-on's unit price as one of a subscription's billed items recorded it: a full
    period of ``cycle`` per unit, for the item's service dates ``[period_start, period_end)``."""

    subscription_id: str
    add_on: str  # its code
    currency: str
    cycle: str | None  # the terms' ``Cycle.name``; None on items stored before it was recorded
    unit_amount: int
    period_start: date
    period_end: date


@dataclass(frozen=True)
class Holding:
    """A subscription in service on a snapshot day, with its monthly value (0 in a trial)."""

    subscription_id: str
    account_id: str
    family_id: str
    plan_id: str
    currency: str
    trial: bool
    mrr: int


@dataclass
class Figures:
    """One group's figures for one month: a currency, a family or a plan in a currency."""

    mrr: int = 0
    subscriptions: int = 0
    customers: int = 0
    trialing: int = 0
    new: int = 0
    expansion: int = 0
    contraction: int = 0
    churned: int = 0

    @property
    def arr(self) -> int:
        return 12 * self.mrr

    @property
    def net_change(self) -> int:
        return self.new + self.expansion - self.contraction - self.churned


@dataclass(frozen=True)
class MonthFigures:
    month: date  # its first day
    as_of: date  # the snapshot day
    by_currency: Mapping[str, Figures]
    by_family: Mapping[tuple[str, str], Figures]  # (currency, family id)
    by_plan: Mapping[tuple[str, str], Figures]  # (currency, plan id)
    subscriptions: int  # across currencies (counts add up; money does not)
    customers: int
    trialing: int


def months_in(cycle: Cycle) -> Fraction:
    """How many months one period of ``cycle`` is worth."""
    if cycle.unit is CycleUnit.MONTH:
        return Fraction(cycle.count)
    days = cycle.count * (7 if cycle.unit is CycleUnit.WEEK else 1)
    return Fraction(days * 12, DAYS_IN_YEAR)


def monthly_value(terms: Terms, book: PriceBook) -> int:
    """The terms' normalized monthly value at the catalog's prices, rounded half up once."""
    period = sum(part.period_amount for part in components(terms, book))
    return round_half_up(Fraction(period) / months_in(terms.cycle))


class Valuation:
    """Held terms priced as they were billed (see "Prices of the past" above); never fails."""

    def __init__(self, book: PriceBook, recorded: Iterable[RecordedPrice] = ()) -> None:
        self.book = book
        self._recorded: dict[tuple[str, str], list[RecordedPrice]] = {}
        # In the order given (billed order) within a period start: the last billed wins.
        for price in sorted(recorded, key=lambda r: r.period_start):
            self._recorded.setdefault((price.subscription_id, price.add_on), []).append(price)

    def period_amount(
        self, subscription_id: str, terms: Terms, day: date | None = None, span: Span | None = None
    ) -> int:
        """One full period of ``terms`` as billed on ``day`` within ``span`` (None: as last
        billed)."""
        total = self._plan(terms)
        for code, quantity in sorted(terms.add_ons.items()):
            total += quantity * self._add_on(subscription_id, code, terms, day, span)
        return total

    def monthly_value(
        self, subscription_id: str, terms: Terms, day: date | None = None, span: Span | None = None
    ) -> int:
        period = self.period_amount(subscription_id, terms, day, span)
        return round_half_up(Fraction(period) / months_in(terms.cycle))

    def _plan(self, terms: Terms) -> int:
        try:
            (plan,) = components(replace(terms, add_ons={}), self.book)
        except (DomainError, KeyError):
            return 0  # a version the catalog cannot price: never shown as an error
        return plan.period_amount

    def _add_on(
        self, subscription_id: str, code: str, terms: Terms, day: date | None, span: Span | None
    ) -> int:
        billed = [
            r
            for r in self._recorded.get((subscription_id, code), ())
            if r.currency == terms.currency and r.cycle in (None, terms.cycle.name)
        ]
        within = [
            r
            for r in billed
            if span is None
            or (r.period_end > span.start and (span.end is None or r.period_start < span.end))
        ]
        if within:
            begun = [r for r in within if day is None or r.period_start <= day]
            return (begun[-1] if begun else within[0]).unit_amount
        add_on = self.book.add_ons.get(code)
        for price in add_on.prices if add_on is not None else ():
            if price.currency == terms.currency and price.cycle == terms.cycle:
                return price.amount
        return billed[-1].unit_amount if billed else 0


def month_starts(first: date, last: date) -> list[date]:
    """The first day of every month from ``first``'s to ``last``'s, in order."""
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def snapshot_day(month: date, today: date) -> date:
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    return min(last, today)


def local_todays(spans: Iterable[HeldSpan], now: datetime) -> dict[str, date]:
    """Today's date in each time zone the spans are in."""
    return {z: local_date(now, zone(z)) for z in {held.time_zone for held in spans}}


def holdings_on(
    spans: Iterable[HeldSpan],
    day: date,
    prices: Valuation,
    todays: Mapping[str, date] | None = None,
) -> dict[str, Holding]:
    """Every subscription in service on ``day`` (on its zone's today when that comes first, as
    ``todays`` gives them by zone), by subscription id."""
    found: dict[str, Holding] = {}
    for held in spans:
        span = held.span
        on = min(day, todays.get(held.time_zone, day)) if todays else day
        if span.start > on or (span.end is not None and span.end <= on):
            continue
        terms = span.terms
        mrr = 0 if span.trial else prices.monthly_value(held.subscription_id, terms, on, span)
        found[held.subscription_id] = Holding(
            subscription_id=held.subscription_id,
            account_id=held.account_id,
            family_id=held.family_id,
            plan_id=terms.plan_id,
            currency=terms.currency,
            trial=span.trial,
            mrr=mrr,
        )
    return found


@dataclass
class _Group:
    figures: Figures = field(default_factory=Figures)
    accounts: set[str] = field(default_factory=set)


def _grouped(
    now: Mapping[str, Holding],
    before: Mapping[str, Holding],
    key: Callable[[Holding], K],
) -> dict[K, Figures]:
    groups: dict[K, _Group] = {}
    for held in now.values():
        group = groups.setdefault(key(held), _Group())
        if held.trial:
            group.figures.trialing += 1
            continue
        group.figures.mrr += held.mrr
        group.figures.subscriptions += 1
        group.accounts.add(held.account_id)
    for sub_id in now.keys() | before.keys():
        was, is_ = before.get(sub_id), now.get(sub_id)
        for k in {key(h) for h in (was, is_) if h is not None}:
            old = was.mrr if was is not None and key(was) == k else 0
            new = is_.mrr if is_ is not None and key(is_) == k else 0
            if old == new:
                continue
            figures = groups.setdefault(k, _Group()).figures
            if old == 0:
                figures.new += new
            elif new == 0:
                figures.churned += old
            elif new > old:
                figures.expansion += new - old
            else:
                figures.contraction += old - new
    for group in groups.values():
        group.figures.customers = len(group.accounts)
    return {k: g.figures for k, g in groups.items()}


def month_figures(
    spans: Sequence[HeldSpan],
    prices: Valuation | PriceBook,
    first: date,
    last: date,
    today: date | datetime,
) -> list[MonthFigures]:
    """The figures of every month from ``first``'s to ``last``'s (neither after today's),
    each with its movements from the month before. ``today`` an instant: each span is read on
    its own zone's date then, and today is the latest of those (see "Whose today"); a date:
    every span is read on it."""
    if isinstance(prices, PriceBook):
        prices = Valuation(prices)
    todays: dict[str, date] | None = None
    if isinstance(today, datetime):
        todays = local_todays(spans, today)
        today = max(todays.values(), default=local_date(today, zone("UTC")))
    months = month_starts(first, min(last, today))
    if not months:
        return []
    before_first = months[0] - timedelta(days=1)
    previous = holdings_on(spans, before_first, prices, todays)
    result = []
    for month in months:
        day = snapshot_day(month, today)
        now = holdings_on(spans, day, prices, todays)
        paying = [h for h in now.values() if not h.trial]
        result.append(
            MonthFigures(
                month=month,
                as_of=day,
                by_currency=_grouped(now, previous, lambda h: h.currency),
                by_family=_grouped(now, previous, lambda h: (h.currency, h.family_id)),
                by_plan=_grouped(now, previous, lambda h: (h.currency, h.plan_id)),
                subscriptions=len(paying),
                customers=len({h.account_id for h in paying}),
                trialing=len(now) - len(paying),
            )
        )
        previous = now
    return result
