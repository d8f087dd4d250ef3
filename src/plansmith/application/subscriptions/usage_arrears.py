"""Usage in arrears when a subscription's period end is passed outside the billing run (a
renewal job, or the catch-up before a change): the same rule as the billing step, one
subscription's usage read from the daily aggregates.

The end of a period whose plan version charges usage waits until its end + the organization's
grace window for late events has passed; the items of that end then bill the closed period's
usage. Nothing is read for a subscription whose plan charges nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from fractions import Fraction

from plansmith.application.kernel.ports import UnitOfWork
from plansmith.domain.kernel.periods import local_midnight, zone
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.renewals import Arrears
from plansmith.domain.subscriptions.subscription import BillableItem, Subscription
from plansmith.domain.subscriptions.usage_lines import charges_at_end, usage_items
from plansmith.domain.subscriptions.usage_standing import Charging, owned_meters
from plansmith.domain.usage.events import DEFAULT_GRACE
from plansmith.domain.usage.measures import Measured


def arrears_of(uow: UnitOfWork, book: PriceBook, now: datetime) -> Arrears:
    """Inside an open unit of work."""
    grace: list[timedelta] = []  # read once, when first needed
    held: list[bool] = []  # the account's subscriptions, held once

    def arrears(sub: Subscription, spans: Sequence[Span]) -> Sequence[BillableItem] | None:
        if not charges_at_end(sub, book):
            return ()
        if not grace:
            found = uow.usage_settings.grace(sub.organization_id)
            grace.append(DEFAULT_GRACE if found is None else found)
        if now < local_midnight(sub.period_end, zone(sub.time_zone)) + grace[0]:
            return None
        if not held:  # as the billing step does, before any of the period's usage is read
            uow.usage.hold_for_billing(sub.organization_id, sub.account_id)
            held.append(True)
        read: dict[tuple[date, date], dict[str, Measured]] = {}

        def measure(meter: str, start: date, end: date) -> Measured:
            if (start, end) not in read:
                totals = uow.usage.totals(sub.organization_id, sub.account_id, start, end)
                read[(start, end)] = {t.meter.code: t.measured() for t in totals}
            return read[(start, end)].get(meter, Measured(Fraction(0), 0))

        def packs(meter: str, start: date, _end: date) -> Sequence[int]:
            return uow.usage_packs.paid_units(sub.account_id, {start}).get((start, meter), ())

        account = [
            Charging(
                s.id, s.created_at, s.terms.version_id, s.terms.currency, s.in_service, s.stopped_at
            )
            for s in uow.subscriptions.for_account(sub.organization_id, sub.account_id)
        ]
        terms = sub.terms
        me = Charging(
            sub.id, sub.created_at, terms.version_id, terms.currency, True, sub.stopped_at
        )
        return usage_items(sub, spans, book, measure, packs, owned_meters(book, me, account))

    return arrears
