"""The console customer page's usage section: each meter's value over the account's billing
period holding a date (today by default), beside what the plans it holds include for that
meter (their allowance, with their packages') and the usage charges they price it with.

The values are ``usage_of``'s, as the API's ``GET /v1/accounts/{id}/usage`` reads them (from
the daily aggregates), in the period the API places that date in; a date outside every
subscription is refused as the API refuses it. Read inside the customer page's own unit of
work, from what it read already (the account, its subscriptions, the price book): only the
meters' values are read here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.usage.queries import usage_of
from plansmith.domain.accounts.account import Account
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.periods import Period, local_date, zone
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import Subscription
from plansmith.domain.usage.charges import Charge
from plansmith.domain.usage.events import EventRefused, HeldSubscription, dated, governing
from plansmith.domain.usage.meters import Meter


@dataclass(frozen=True)
class MeterRow:
    meter: Meter
    value: Decimal
    allowance: int | None  # what the plans held (and their packages) include; None: nothing
    charges: tuple[Charge, ...]  # the held versions' charges on this meter, account currency


@dataclass(frozen=True)
class UsageSection:
    at: date | None  # the date asked for; None: today
    period: Period | None
    rows: tuple[MeterRow, ...]
    refused: DomainError | None = None  # no subscription, or a date before the first


def usage_section(
    uow: UnitOfWork,
    now: datetime,
    account: Account,
    subs: Sequence[Subscription],
    book: PriceBook | None,
    at: date | None,
) -> UsageSection:
    """Inside the caller's open unit of work; ``now`` on the organization's clock."""
    held = tuple(_held(sub) for sub in subs)
    try:  # as the API places a date: with no subscription, governing() says so
        if at is None:
            _today, period = dated(now, zone(account.time_zone), held)
        else:
            period = governing(held, at).period_containing(at)
    except EventRefused as refused:
        return UsageSection(at, None, (), refused)
    usage = usage_of(uow, account.organization_id, account.id, period)
    holding = [s for s in subs if s.holds_place]
    rows = []
    for measured in usage.meters:
        code = measured.meter.code
        allowance: int | None = None
        charges: list[Charge] = []
        for sub in holding if book is not None else []:
            assert book is not None
            terms = book.version(sub.terms.version_id).terms
            included = [terms.allowances.get(code)]
            for add_on, count in sub.terms.add_ons.items():
                extra = book.add_ons.get(add_on)
                amount = extra.allowances.get(code) if extra is not None else None
                included.append(amount * count if amount is not None else None)
            known = [n for n in included if n is not None]
            if known:
                allowance = (allowance or 0) + sum(known)
            charges.extend(c for c in terms.charges_in(account.currency) if c.meter == code)
        rows.append(MeterRow(measured.meter, measured.value, allowance, tuple(charges)))
    return UsageSection(at, period, tuple(rows))


def _held(sub: Subscription) -> HeldSubscription:
    """The subscription as usage periods place a date, from the one the page read already
    (what ``UsageEvents.subscribers`` reads for events)."""
    tz = zone(sub.time_zone)
    return HeldSubscription(
        start=local_date(sub.registered_at, tz),
        anchor=sub.anchor,
        cycle=sub.terms.cycle,
        period_start=sub.period_start,
        period_end=sub.period_end,
        ended_on=sub.ended_on,
        tz=tz,
    )
