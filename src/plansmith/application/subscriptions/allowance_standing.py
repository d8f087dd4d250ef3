"""One allowance standing per account, meter and period: what the subscription's plans and
add-ons grant (prorated after a plan change), the extra packs paid in the period, what the
meter measured over it (from the daily aggregates, never the events), what is left and the
excess. Each period stands on its own: leftovers expire at its end."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from fractions import Fraction

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.usage.ports import MeterTotals
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import Subscription
from plansmith.domain.subscriptions.usage_standing import granted_meters, period_grant
from plansmith.domain.usage.allowances import Standing
from plansmith.domain.usage.charges import LimitKind


@dataclass(frozen=True)
class MeterStanding:
    """A meter's standing in one subscription's period."""

    subscription_id: str
    meter: str
    period_start: date
    period_end: date
    limit: LimitKind
    charged: bool
    standing: Standing

    def allows(self, units: Fraction | int) -> bool:
        return self.standing.allows(units, self.limit)


def in_period(sub: Subscription, start: date, end: date) -> Subscription:
    """The subscription as it stands in the period [start, end) (its renewal may lag)."""
    if (sub.period_start, sub.period_end) == (start, end):
        return sub
    return replace(sub, period_start=start, period_end=end)


def standings_of(
    uow: UnitOfWork,
    book: PriceBook,
    sub: Subscription,
    spans: Sequence[Span],
    meters: Collection[str] | None = None,
) -> list[MeterStanding]:
    """Inside an open unit of work: the standing of each meter the subscription's terms grant
    (or of ``meters`` among them) in the period ``sub`` is in; two statements (the period's
    aggregates of the account, its paid packs)."""
    if not _granted(book, sub, meters):
        return []
    start, end = sub.period_start, sub.period_end
    totals = period_totals(uow, sub.organization_id, sub.account_id, start, end)
    packs = uow.usage_packs.paid_units(sub.account_id, {start})
    return standings_from(book, sub, spans, totals, packs, meters)


def period_totals(
    uow: UnitOfWork, organization_id: str, account_id: str, start: date, end: date
) -> dict[str, Fraction]:
    """What each meter of the account measured over [start, end): one statement."""
    return measured(uow.usage.totals(organization_id, account_id, start, end))


def measured(totals: Iterable[MeterTotals]) -> dict[str, Fraction]:
    """What each meter measured, by its code, from its totals over a period."""
    return {t.meter.code: t.measured().quantity for t in totals}


def _granted(book: PriceBook, sub: Subscription, meters: Collection[str] | None) -> list[str]:
    granted = sorted(granted_meters(book, sub.terms))
    return granted if meters is None else [m for m in granted if m in meters]


def standings_from(
    book: PriceBook,
    sub: Subscription,
    spans: Sequence[Span],
    totals: Mapping[str, Fraction],
    packs: Mapping[tuple[date, str], Sequence[int]],
    meters: Collection[str] | None = None,
) -> list[MeterStanding]:
    """The standings from what was read: ``totals`` of the subscription's period per meter,
    ``packs`` the units paid per (period start, meter)."""
    start, end = sub.period_start, sub.period_end
    found = []
    for meter in _granted(book, sub, meters):
        grant = period_grant(sub, spans, book, meter)
        found.append(
            MeterStanding(
                sub.id,
                meter,
                start,
                end,
                grant.limit,
                grant.charged,
                Standing.of(
                    grant.included, packs.get((start, meter), ()), totals.get(meter, Fraction(0))
                ),
            )
        )
    return found


def subscription_standing(
    uow: UnitOfWork, organization_id: str, subscription_id: str
) -> list[MeterStanding]:
    """Each granted meter's standing in the subscription's current period."""
    with uow:
        sub = uow.subscriptions.get(organization_id, subscription_id)
        if sub is None:
            raise NotFound(f"no subscription {subscription_id!r}", field="subscription_id")
        book = uow.price_books.current(organization_id)
        return standings_of(uow, book, sub, uow.subscriptions.log(sub.id))
