"""Usage of an account over a billing period, read from the daily aggregates: count and sum
add up over the days, max is the largest day's, unique_count counts the distinct values of
all the days together. What rating and prediction read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.usage.ports import MeterTotals
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.periods import Period, zone
from plansmith.domain.usage.events import EventRefused, dated, governing
from plansmith.domain.usage.meters import Aggregation, Meter, from_micros


@dataclass(frozen=True)
class MeterUsage:
    meter: Meter
    value: Decimal  # whole for count and unique_count


@dataclass(frozen=True)
class AccountUsage:
    account_id: str
    period: Period
    meters: tuple[MeterUsage, ...]


def value_of(totals: MeterTotals) -> Decimal:
    kind = totals.meter.aggregation
    if kind is Aggregation.COUNT:
        return Decimal(totals.count)
    if kind is Aggregation.SUM:
        return from_micros(totals.total)
    if kind is Aggregation.MAX:
        return from_micros(totals.peak or 0)
    return Decimal(totals.unique)


def usage_of(
    uow: UnitOfWork, organization_id: str, account_id: str, period: Period
) -> AccountUsage:
    """Inside the caller's unit of work: each meter's value over ``period``."""
    found = uow.usage.totals(organization_id, account_id, period.start, period.end)
    meters = tuple(MeterUsage(t.meter, value_of(t)) for t in found)
    return AccountUsage(account_id, period, meters)


def account_usage(
    uow: UnitOfWork, clock: Clock, organization_id: str, account_id: str, at: date | None
) -> AccountUsage:
    """The account's usage in the billing period holding local date ``at`` (today by
    default): the period of the subscription events of that date count in."""
    with uow:
        found = uow.usage.subscribers(organization_id, [account_id], [])
        if not found:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        subscriber = found[0]
        try:
            if at is None:
                _today, period = dated(clock.now(), zone(subscriber.time_zone), subscriber.held)
            else:
                period = governing(subscriber.held, at).period_containing(at)
        except EventRefused as refused:
            if at is not None and refused.code != ec.NO_SUBSCRIPTION:
                refused.field = "at"
            raise
        return usage_of(uow, organization_id, account_id, period)
