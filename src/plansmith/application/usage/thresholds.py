"""Allowance thresholds reached by usage (ADR 0032): once an ingest batch has committed, the
standing of each (account, metered allowance, period) it added to is read again, and each
threshold (80 %, 100 %) of the period's allowance (included + extra packs) that the use has
reached is recorded once under its key and published as ``allowance.threshold_reached`` in
the same transaction; the notices subscriber and the webhooks take it from the outbox.

Why after the commit, in a transaction of its own: each batch then reads the usage of every
batch committed before its read, so of two concurrent batches that together take the use
past 80 % the later reader sees it; the key (account, meter, period, threshold, allowance)
with ON CONFLICT DO NOTHING makes the second reader, a retried batch and the next batches
publish nothing again. Read inside the ingest transaction, two batches could each see the
other's units missing and neither would tell. A crash between the two transactions tells at
the next batch of that meter instead."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from math import floor

from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.subscriptions.allowance_standing import (
    in_period,
    measured,
    standings_from,
)
from plansmith.domain.kernel.periods import Period
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import Subscription
from plansmith.domain.subscriptions.usage_standing import granted_meters
from plansmith.domain.usage.thresholds import (
    AllowanceThresholdReached,
    ThresholdCrossing,
    reached,
)


def allowance_meters(book: PriceBook) -> set[str]:
    """The meters some version or add-on of the catalog includes units of: only their use can
    reach a threshold (a meter charged from the first unit has no allowance to share)."""
    found: set[str] = set()
    for version in book.versions.values():
        found |= {m for m, units in version.terms.allowances.items() if units > 0}
        found |= {c.meter for c in version.terms.charges if c.included > 0}
    for add_on in book.add_ons.values():
        found |= {m for m, units in add_on.allowances.items() if units > 0}
    return found


def _holder(
    book: PriceBook, subs: Sequence[Subscription], meter: str, period: Period
) -> Subscription | None:
    """The subscription whose allowance the period's use draws on: the oldest in service that
    grants the meter (as hard limits and billing take it)."""
    for sub in sorted(subs, key=lambda s: (s.created_at, s.id)):
        if sub.in_service and meter in granted_meters(book, sub.terms):
            return in_period(sub, period.start, period.end)
    return None


def publish_thresholds(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    touched: Collection[tuple[str, str, Period]],
) -> list[AllowanceThresholdReached]:
    """After an ingest batch committed: ``touched`` (account id, meter code, period) it added
    to. Publishes the thresholds newly reached and returns their events."""
    if not touched:
        return []
    with uow:
        book = uow.price_books.current(organization_id)
        metered = allowance_meters(book)
        watched = sorted({k for k in touched if k[1] in metered}, key=_order)
        if not watched:
            return []
        # Four reads however many accounts the batch touched: their subscriptions, then the
        # holders' logs, their periods' totals and their paid packs, each for all at once.
        subs = uow.subscriptions.for_accounts(organization_id, {a for a, _, _ in watched})
        groups: dict[tuple[str, date], tuple[Subscription, set[str]]] = {}
        for account_id, meter, period in watched:
            holder = _holder(book, subs[account_id], meter, period)
            if holder is not None:
                groups.setdefault((holder.id, period.start), (holder, set()))[1].add(meter)
        if not groups:
            return []
        holders = [sub for sub, _ in groups.values()]
        logs = uow.subscriptions.logs(sorted({s.id for s in holders}))
        totals = uow.usage.totals_of(
            organization_id, {(s.account_id, s.period_start, s.period_end) for s in holders}
        )
        packs = uow.usage_packs.paid_units_of({(s.account_id, s.period_start) for s in holders})
        crossings: list[ThresholdCrossing] = []
        for sub, meters in groups.values():
            used = measured(totals[(sub.account_id, sub.period_start, sub.period_end)])
            paid = packs.get(sub.account_id, {})
            for found in standings_from(book, sub, logs[sub.id], used, paid, meters):
                granted = found.standing.included + found.standing.extra
                for threshold in reached(granted, found.standing.used):
                    crossings.append(
                        ThresholdCrossing(
                            organization_id=organization_id,
                            account_id=sub.account_id,
                            subscription_id=sub.id,
                            meter=found.meter,
                            period_start=found.period_start,
                            period_end=found.period_end,
                            threshold=threshold,
                            allowance=granted,
                            used=floor(found.standing.used),
                        )
                    )
        if not crossings:
            return []
        now = clock.now()
        won = uow.usage_packs.reach(crossings, now)
        events = [_event(c, now) for c in crossings if c.key in won]
        if events:
            uow.publish(events)
        uow.commit()
        return events


def _order(key: tuple[str, str, Period]) -> tuple[str, str, date]:
    return (key[0], key[1], key[2].start)


def _event(c: ThresholdCrossing, at: datetime) -> AllowanceThresholdReached:
    return AllowanceThresholdReached(
        organization_id=c.organization_id,
        account_id=c.account_id,
        subscription_id=c.subscription_id,
        meter=c.meter,
        threshold=c.threshold,
        allowance=c.allowance,
        used=c.used,
        period_start=c.period_start,
        period_end=c.period_end,
        at=at,
    )
