"""Hard limits at ingest: an event whose units do not fit in what is left of a hard-limited
allowance is refused whole (``limit_exceeded``) and counts nowhere; a pack paid reopens it.

Units an event asks for, per meter: count 1; sum its property; max its property must not lift
the period's peak past the allowance (it asks for what it lifts the peak by); unique_count 1
unless its value came earlier in the same batch (a value counted in an earlier batch still
asks for 1: a conservative answer, at the limit such an event is refused).

Concurrency: before reading what is left, the ingest transaction holds a standing row per
(account, meter, period start) of the hard-limited meters its events touch (FOR UPDATE on
PostgreSQL; SQLite's writer lock serialises writers anyway), so a second batch racing for the
last units waits for the first to commit and then reads its usage. Meters under a soft limit
(or no allowance at all) are never held: their ingest keeps its speed. A batch that touches no
hard-limited meter costs no statement here beyond the price book the process caches.

Duplicates: an event whose (account, id) is stored already adds nothing when inserted (ON
CONFLICT), so it must take nothing from what is left either, or a resent batch would use up
the allowance and refuse a new event behind it. Once the standing rows are held (a concurrent
batch with the same ids has committed, or waits on us), one SELECT finds the ids of the
events touching a hard-limited meter that are stored already; they answer ``duplicate`` and
ask for nothing. Events under soft limits skip that statement: the insert finds their
duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Protocol

from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.subscriptions.allowance_standing import (
    in_period,
    measured,
    standings_from,
)
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.periods import Period
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import Subscription
from plansmith.domain.subscriptions.usage_standing import (
    charge_of,
    granted_meters,
    hard_limited,
)
from plansmith.domain.usage.charges import LimitKind, decimal_text
from plansmith.domain.usage.events import EventRefused
from plansmith.domain.usage.meters import Aggregation, Meter, Reading

_MICROS = 1_000_000


class Placed(Protocol):
    """An event placed in its account's period (ingest's candidate)."""

    @property
    def account_id(self) -> str: ...
    @property
    def local_date(self) -> date: ...
    @property
    def period(self) -> Period: ...
    @property
    def readings(self) -> tuple[Reading, ...]: ...
    @property
    def event_id(self) -> str: ...


@dataclass(frozen=True)
class LimitCheck:
    """Positions in the batch refused (and why), and those whose id is stored already."""

    refused: dict[int, DomainError] = field(default_factory=dict)
    stored: frozenset[int] = frozenset()


def _holder(
    book: PriceBook, subs: Sequence[Subscription], meter: str, period: Period
) -> Subscription | None:
    """The subscription whose allowance of the meter the period's use draws on: the oldest in
    service that grants it (as the oldest subscription charging a meter bills its usage)."""
    for sub in sorted(subs, key=lambda s: (s.created_at, s.id)):
        if sub.in_service and meter in granted_meters(book, sub.terms):
            return in_period(sub, period.start, period.end)
    return None


def _is_hard(book: PriceBook, sub: Subscription, meter: str) -> bool:
    charge = charge_of(book, sub.terms, meter)
    return charge is None or charge.limit == LimitKind.HARD


def over_limits(
    uow: UnitOfWork, organization_id: str, placed: Sequence[Placed], meters: Mapping[str, Meter]
) -> LimitCheck:
    """Inside ingest's open unit of work: the events of ``placed`` (by position) refused, and
    those touching a hard-limited meter whose id is stored already. ``placed`` in the order
    the batch counts them; ``meters`` by id."""
    book = uow.price_books.current(organization_id)
    limited = hard_limited(book)
    touched = {
        c.account_id for c in placed if any(meters[r.meter_id].code in limited for r in c.readings)
    }
    if not touched:
        return LimitCheck()
    subs = uow.subscriptions.for_accounts(organization_id, touched)
    # (account, meter code, period start) -> the subscription its use draws on, when hard
    holders: dict[tuple[str, str, date], Subscription] = {}
    for c in placed:
        if c.account_id not in touched:
            continue
        for r in c.readings:
            code = meters[r.meter_id].code
            key = (c.account_id, code, c.period.start)
            if code not in limited or key in holders:
                continue
            holder = _holder(book, subs[c.account_id], code, c.period)
            if holder is not None and _is_hard(book, holder, code):
                holders[key] = holder
    if not holders:
        return LimitCheck()
    uow.usage_packs.hold(sorted(holders))
    hard = [
        (position, c)
        for position, c in enumerate(placed)
        if any(
            (c.account_id, meters[r.meter_id].code, c.period.start) in holders for r in c.readings
        )
    ]
    found_ids = uow.usage.stored(organization_id, {(c.account_id, c.event_id) for _, c in hard})
    stored = frozenset(p for p, c in hard if (c.account_id, c.event_id) in found_ids)
    left: dict[tuple[str, str, date], Fraction] = {}
    peak: dict[tuple[str, str, date], Fraction] = {}
    granted: dict[tuple[str, str, date], int] = {}
    groups: dict[tuple[str, date], tuple[Subscription, list[str]]] = {}
    for (_account, code, start), sub in holders.items():
        groups.setdefault((sub.id, start), (sub, []))[1].append(code)
    # The holders' logs, totals and paid packs, each in one read for all of them.
    subs_held = [sub for sub, _ in groups.values()]
    logs = uow.subscriptions.logs(sorted({s.id for s in subs_held}))
    totals = uow.usage.totals_of(
        organization_id, {(s.account_id, s.period_start, s.period_end) for s in subs_held}
    )
    packs = uow.usage_packs.paid_units_of({(s.account_id, s.period_start) for s in subs_held})
    for (_sub_id, start), (sub, codes) in groups.items():
        used = measured(totals[(sub.account_id, sub.period_start, sub.period_end)])
        paid = packs.get(sub.account_id, {})
        for found in standings_from(book, sub, logs[sub.id], used, paid, codes):
            key = (sub.account_id, found.meter, start)
            left[key] = found.standing.remaining
            peak[key] = found.standing.used
            granted[key] = found.standing.included + found.standing.extra
    refused: dict[int, DomainError] = {}
    seen: set[tuple[str, str, date, str]] = set()
    for position, c in enumerate(placed):
        if position in stored:
            continue
        asks: list[tuple[tuple[str, str, date], Fraction, Meter]] = []
        for r in c.readings:
            meter = meters[r.meter_id]
            key = (c.account_id, meter.code, c.period.start)
            if key not in left:
                continue
            units = _units(meter, r, key, peak, seen)
            if units > left[key]:
                refused[position] = _refusal(meter, units, left[key], granted[key])
                break
            asks.append((key, units, meter))
        else:
            for key, units, meter in asks:
                left[key] -= units
                if meter.aggregation is Aggregation.MAX:
                    peak[key] += units
            for r in c.readings:
                if r.unique is not None:
                    seen.add((c.account_id, meters[r.meter_id].code, c.period.start, r.unique))
    return LimitCheck(refused, stored)


def _units(
    meter: Meter,
    reading: Reading,
    key: tuple[str, str, date],
    peak: Mapping[tuple[str, str, date], Fraction],
    seen: set[tuple[str, str, date, str]],
) -> Fraction:
    kind = meter.aggregation
    if kind is Aggregation.COUNT:
        return Fraction(1)
    if kind is Aggregation.SUM:
        return Fraction(reading.amount, _MICROS)
    if kind is Aggregation.MAX:
        return max(Fraction(0), Fraction(reading.amount, _MICROS) - peak[key])
    return Fraction(0) if (*key, reading.unique or "") in seen else Fraction(1)


def _refusal(meter: Meter, units: Fraction, left: Fraction, granted: int) -> DomainError:
    field = "code" if meter.property is None else f"properties.{meter.property}"
    return EventRefused(
        f"the meter {meter.code!r} is under a hard limit of {granted:,} this period with "
        f"{_text(left)} left; the event asks for {_text(units)}; buy an extra pack to add more",
        field=field,
        code=ec.LIMIT_EXCEEDED,
    )


def _text(value: Fraction) -> str:
    return decimal_text(value)  # units are whole or micros: always a finite decimal
