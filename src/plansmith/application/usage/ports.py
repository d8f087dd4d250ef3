"""What the usage use cases need: meters, the events and their aggregates, the accounts and
subscriptions events are placed by, and each organization's grace window."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Protocol

from plansmith.domain.usage.events import HeldSubscription
from plansmith.domain.usage.measures import Measured
from plansmith.domain.usage.meters import Aggregation, Meter, PropertyValue
from plansmith.domain.usage.packs import PackPurchase, PackStatus
from plansmith.domain.usage.thresholds import ThresholdCrossing


@dataclass(frozen=True)
class Subscriber:
    """An account as events are placed by: its zone and subscriptions."""

    account_id: str
    external_id: str | None
    time_zone: str
    held: tuple[HeldSubscription, ...]


@dataclass(frozen=True)
class EventRow:
    account_id: str
    event_id: str
    code: str
    timestamp: datetime
    local_date: date
    properties: Mapping[str, PropertyValue]


@dataclass(frozen=True)
class DailyDelta:
    """What accepted events add to one day of one meter of one account."""

    account_id: str
    meter_id: str
    local_date: date
    count: int
    total: int  # micros
    peak: int | None  # micros; None for meters other than max


MICROS = 1_000_000  # sums and peaks are kept in millionths


@dataclass(frozen=True)
class MeterTotals:
    """A meter's aggregates over a range of local dates of one account."""

    meter: Meter
    count: int
    total: int  # micros
    peak: int | None
    unique: int

    def measured(self) -> Measured:
        """The meter's value by its aggregation, exact, with the number of events."""
        kind = self.meter.aggregation
        if kind is Aggregation.COUNT:
            return Measured(Fraction(self.count), self.count)
        if kind is Aggregation.SUM:
            return Measured(Fraction(self.total, MICROS), self.count)
        if kind is Aggregation.MAX:
            return Measured(Fraction(self.peak or 0, MICROS), self.count)
        return Measured(Fraction(self.unique), self.count)


class MeterRepository(Protocol):
    def add(self, meter: Meter) -> None:
        """Insert; Conflict(duplicate_code) if the organization has a meter of this code."""
        ...

    def get(self, organization_id: str, code: str) -> Meter | None: ...
    def list(self, organization_id: str) -> Sequence[Meter]:
        """Oldest first."""
        ...

    def reading(self, organization_id: str, event_codes: Collection[str]) -> Sequence[Meter]:
        """The meters that read any of these event codes."""
        ...


class UsageRepository(Protocol):
    def subscribers(
        self, organization_id: str, account_ids: Collection[str], external_ids: Collection[str]
    ) -> Sequence[Subscriber]:
        """The accounts of the organization with these ids or external ids, with their
        subscriptions; one statement however many."""
        ...

    def insert_new(
        self, organization_id: str, rows: Sequence[EventRow], received_at: datetime
    ) -> set[tuple[str, str]]:
        """Insert the events whose (account, id) is not stored yet, in one statement that
        waits on a concurrent insert of the same key; the (account_id, event_id) inserted."""
        ...

    def stored(
        self, organization_id: str, keys: Collection[tuple[str, str]]
    ) -> set[tuple[str, str]]:
        """The (account_id, event_id) among these stored already (committed, or written by
        this transaction); one statement however many."""
        ...

    def add_daily(self, organization_id: str, deltas: Sequence[DailyDelta]) -> None:
        """Add to the daily aggregates (created at zero), in key order."""
        ...

    def add_unique(self, rows: Sequence[tuple[str, str, date, str]]) -> None:
        """Keep (account_id, meter_id, local_date, value), once each."""
        ...

    def share_subscriptions(self, organization_id: str, account_ids: Collection[str]) -> None:
        """Hold the accounts' subscription rows shared until the transaction ends: the
        billing step locks them before it reads a period's usage, so an event placed before
        the period closed is either read by it or refused after it (docs/usage.md)."""
        ...

    def hold_for_billing(self, organization_id: str, account_id: str) -> None:
        """Hold the account's subscription rows (FOR UPDATE on PostgreSQL; SQLite holds its
        writer lock) until the transaction ends, before a closed period's usage is read: an
        ingest holds them shared before it reads its clock, so an event accepted at the last
        instant is either committed and read, or waits and finds the period closed."""
        ...

    def totals(
        self, organization_id: str, account_id: str, start: date, end: date
    ) -> Sequence[MeterTotals]:
        """Each meter of the organization over the local dates [start, end), from the daily
        aggregates (never the events), oldest meter first."""
        ...

    def totals_of(
        self, organization_id: str, periods: Collection[tuple[str, date, date]]
    ) -> dict[tuple[str, date, date], Sequence[MeterTotals]]:
        """``totals`` of each (account id, start, end) of ``periods`` (every one a key), in
        one read whatever their number."""
        ...


class UsageSettingsRepository(Protocol):
    def grace(self, organization_id: str) -> timedelta | None:
        """The organization's grace window for late events; None: the default."""
        ...

    def put_grace(self, organization_id: str, grace: timedelta, now: datetime) -> None: ...


class PackRepository(Protocol):
    """Extra packs bought, and the standing rows hard limits are held by."""

    def add(self, purchase: PackPurchase) -> bool:
        """Insert; False (nothing written) when the organization has a purchase with this
        request key already, or a concurrent one is committed with it (waits on it)."""
        ...

    def by_key(self, organization_id: str, request_key: str) -> PackPurchase | None: ...

    def get(self, organization_id: str, purchase_id: str) -> PackPurchase | None: ...

    def update(self, purchase: PackPurchase, expected: PackStatus) -> bool:
        """Save the purchase if it is still ``expected``; False otherwise."""
        ...

    def of_subscription(
        self, organization_id: str, subscription_id: str, on: date
    ) -> Sequence[PackPurchase]:
        """The purchases of the subscription whose period holds the date ``on``, oldest first."""
        ...

    def paid_units(
        self, account_id: str, periods: Collection[date]
    ) -> dict[tuple[date, str], list[int]]:
        """(period start, meter) -> units of the paid packs of the account in those periods."""
        ...

    def paid_units_of(
        self, periods: Collection[tuple[str, date]]
    ) -> dict[str, dict[tuple[date, str], list[int]]]:
        """``paid_units`` of each account of ``periods`` (account id, period start), in one
        read whatever their number: account id -> (period start, meter) -> units."""
        ...

    def hold(self, keys: Sequence[tuple[str, str, date]]) -> None:
        """Hold the standing rows (account_id, meter, period start), made if missing, until
        the transaction ends (FOR UPDATE on PostgreSQL; SQLite holds its writer lock)."""
        ...

    def sold(
        self,
        organization_id: str,
        *,
        pack_code: str | None,
        periods_from: date | None,
        periods_to: date | None,
        before: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[PackPurchase]:
        """The organization's purchases, newest first (created_at, id), of one pack or all,
        whose period starts in [periods_from, periods_to), before the cursor ``before``."""
        ...

    def reach(
        self, crossings: Sequence[ThresholdCrossing], at: datetime
    ) -> set[tuple[str, str, date, int, int]]:
        """Record each threshold reached unless it was (ON CONFLICT DO NOTHING on its key);
        the keys this call recorded: a concurrent batch that recorded one first waits on its
        key and does not get it back."""
        ...
