"""Fakes of the usage ports: meters, events with their daily aggregates, and the grace window.
The constraints the database enforces behave as in SQL: a meter code once per organization
(Conflict duplicate_code), an event id once per account (the later one not inserted)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta

from plansmith.application.kernel.errors import Conflict
from plansmith.application.usage.ports import (
    DailyDelta,
    EventRow,
    MeterRepository,
    MeterTotals,
    Subscriber,
    UsageRepository,
    UsageSettingsRepository,
)
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.periods import local_date, zone
from plansmith.domain.subscriptions.subscription import StopUsage
from plansmith.domain.usage.events import HeldSubscription
from plansmith.domain.usage.meters import Meter
from plansmith.domain.usage.packs import PackPurchase, PackStatus
from plansmith.domain.usage.thresholds import ThresholdCrossing
from tests.fakes.store import FakeStore, Repo, Rows


class FakeMeters(Repo):
    def add(self, meter: Meter) -> None:
        if self.get(meter.organization_id, meter.code) is not None:
            raise Conflict(
                f"a meter with code {meter.code!r} exists", field="code", code=ec.DUPLICATE_CODE
            )
        self._rows.meters[meter.id] = meter

    def get(self, organization_id: str, code: str) -> Meter | None:
        found = self._rows.meters.values()
        return next(
            (m for m in found if (m.organization_id, m.code) == (organization_id, code)), None
        )

    def list(self, organization_id: str) -> Sequence[Meter]:
        found = [m for m in self._rows.meters.values() if m.organization_id == organization_id]
        return sorted(found, key=lambda m: (m.created_at, m.code))

    def reading(self, organization_id: str, event_codes: Collection[str]) -> Sequence[Meter]:
        return [m for m in self.list(organization_id) if m.event_code in event_codes]


class FakeUsage(Repo):
    def subscribers(
        self, organization_id: str, account_ids: Collection[str], external_ids: Collection[str]
    ) -> Sequence[Subscriber]:
        accounts = [
            a
            for a in self._rows.accounts.values()
            if a.organization_id == organization_id
            and (
                a.id in account_ids or (a.external_id is not None and a.external_id in external_ids)
            )
        ]
        found = []
        for account in sorted(accounts, key=lambda a: a.id):
            subs = sorted(
                (
                    s
                    for s in self._rows.subscriptions.values()
                    if s.account_id == account.id and s.organization_id == organization_id
                ),
                key=lambda s: (s.created_at, s.id),
            )
            held = tuple(
                HeldSubscription(
                    start=local_date(s.registered_at, zone(s.time_zone)),
                    anchor=s.anchor,
                    cycle=s.terms.cycle,
                    period_start=s.period_start,
                    period_end=s.period_end,
                    ended_on=s.ended_on,
                    tz=zone(s.time_zone),
                    stopped_at=s.stopped_at,
                    usage_from=s.usage_from,
                    stop_start=s.stop_usage.start if s.stop_usage is not None else None,
                    stop_closes_from=(
                        s.stop_usage.closes_from if s.stop_usage is not None else None
                    ),
                    cut_on=s.stop_usage.on if s.stop_usage and s.stop_usage.cut else None,
                    cut_period=_cut_period(s.stop_usage),
                )
                for s in subs
            )
            found.append(Subscriber(account.id, account.external_id, account.time_zone, held))
        return found

    def insert_new(
        self, organization_id: str, rows: Sequence[EventRow], received_at: datetime
    ) -> set[tuple[str, str]]:
        inserted = set()
        for row in rows:
            key = (row.account_id, row.event_id)
            if key not in self._rows.usage_events:
                self._rows.usage_events[key] = row
                inserted.add(key)
        return inserted

    def stored(
        self, organization_id: str, keys: Collection[tuple[str, str]]
    ) -> set[tuple[str, str]]:
        return {k for k in keys if k in self._rows.usage_events}

    def add_daily(self, organization_id: str, deltas: Sequence[DailyDelta]) -> None:
        for d in deltas:
            key = (d.account_id, d.meter_id, d.local_date)
            count, total, peak = self._rows.usage_daily.get(key, (0, 0, None))
            if d.peak is not None:
                peak = d.peak if peak is None else max(peak, d.peak)
            self._rows.usage_daily[key] = (count + d.count, total + d.total, peak)

    def add_unique(self, rows: Sequence[tuple[str, str, date, str]]) -> None:
        self._rows.usage_unique.update(rows)

    def share_subscriptions(self, organization_id: str, account_ids: Collection[str]) -> None:
        """One transaction at a time in the fake: nothing to share."""

    def hold_for_billing(self, organization_id: str, account_id: str) -> None:
        """The fake unit of work runs one transaction at a time: nothing to hold."""

    def totals_of(
        self, organization_id: str, periods: Collection[tuple[str, date, date]]
    ) -> dict[tuple[str, date, date], Sequence[MeterTotals]]:
        return {(a, s, e): self.totals(organization_id, a, s, e) for a, s, e in periods}

    def totals(
        self, organization_id: str, account_id: str, start: date, end: date
    ) -> Sequence[MeterTotals]:
        found = []
        for meter in FakeMeters(self._store, self._rows).list(organization_id):
            days = [
                v
                for (account, meter_id, day), v in self._rows.usage_daily.items()
                if (account, meter_id) == (account_id, meter.id) and start <= day < end
            ]
            peaks = [p for _c, _t, p in days if p is not None]
            unique = {
                value
                for (account, meter_id, day, value) in self._rows.usage_unique
                if (account, meter_id) == (account_id, meter.id) and start <= day < end
            }
            found.append(
                MeterTotals(
                    meter,
                    sum(c for c, _t, _p in days),
                    sum(t for _c, t, _p in days),
                    max(peaks) if peaks else None,
                    len(unique),
                )
            )
        return found


class FakeUsageSettings(Repo):
    def grace(self, organization_id: str) -> timedelta | None:
        return self._rows.usage_grace.get(organization_id)

    def put_grace(self, organization_id: str, grace: timedelta, now: datetime) -> None:
        self._rows.usage_grace[organization_id] = grace


# mypy checks each fake against its port here.
_meters: MeterRepository = FakeMeters(FakeStore(), Rows())
_usage: UsageRepository = FakeUsage(FakeStore(), Rows())
_settings: UsageSettingsRepository = FakeUsageSettings(FakeStore(), Rows())


class FakePacks(Repo):
    def add(self, purchase: PackPurchase) -> bool:
        if self.by_key(purchase.organization_id, purchase.request_key) is not None:
            return False
        self._rows.usage_packs[purchase.id] = purchase
        return True

    def by_key(self, organization_id: str, request_key: str) -> PackPurchase | None:
        found = self._rows.usage_packs.values()
        return next(
            (
                p
                for p in found
                if (p.organization_id, p.request_key) == (organization_id, request_key)
            ),
            None,
        )

    def get(self, organization_id: str, purchase_id: str) -> PackPurchase | None:
        found = self._rows.usage_packs.get(purchase_id)
        return found if found is not None and found.organization_id == organization_id else None

    def update(self, purchase: PackPurchase, expected: PackStatus) -> bool:
        stored = self._rows.usage_packs.get(purchase.id)
        if stored is None or stored.status is not expected:
            return False
        self._rows.usage_packs[purchase.id] = purchase
        return True

    def of_subscription(
        self, organization_id: str, subscription_id: str, on: date
    ) -> Sequence[PackPurchase]:
        found = [
            p
            for p in self._rows.usage_packs.values()
            if (p.organization_id, p.subscription_id) == (organization_id, subscription_id)
            and p.period_start <= on < p.period_end
        ]
        return sorted(found, key=lambda p: (p.created_at, p.id))

    def paid_units_of(
        self, periods: Collection[tuple[str, date]]
    ) -> dict[str, dict[tuple[date, str], list[int]]]:
        accounts = {a for a, _ in periods}
        return {a: self.paid_units(a, {s for b, s in periods if b == a}) for a in accounts}

    def paid_units(
        self, account_id: str, periods: Collection[date]
    ) -> dict[tuple[date, str], list[int]]:
        found: dict[tuple[date, str], list[int]] = {}
        for p in sorted(self._rows.usage_packs.values(), key=lambda p: (p.created_at, p.id)):
            if (
                p.account_id == account_id
                and p.period_start in periods
                and p.status is PackStatus.PAID
            ):
                found.setdefault((p.period_start, p.meter), []).append(p.units)
        return found

    def hold(self, keys: Sequence[tuple[str, str, date]]) -> None:
        """The fake unit of work runs one transaction at a time: nothing to hold."""

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
        found = [
            p
            for p in self._rows.usage_packs.values()
            if p.organization_id == organization_id
            and (pack_code is None or p.pack_code == pack_code)
            and (periods_from is None or p.period_start >= periods_from)
            and (periods_to is None or p.period_start < periods_to)
            and (before is None or (p.created_at, p.id) < before)
        ]
        return sorted(found, key=lambda p: (p.created_at, p.id), reverse=True)[:limit]

    def reach(
        self, crossings: Sequence[ThresholdCrossing], at: datetime
    ) -> set[tuple[str, str, date, int, int]]:
        won = set()
        for c in crossings:
            if c.key not in self._rows.allowance_thresholds:
                self._rows.allowance_thresholds[c.key] = c
                won.add(c.key)
        return won


def _cut_period(stop: StopUsage | None) -> tuple[date, date] | None:
    if stop is None or stop.period_start is None or stop.period_end is None or not stop.cut:
        return None
    return (stop.period_start, stop.period_end)
