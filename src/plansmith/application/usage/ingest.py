"""Usage events in: each checked alone, the accepted ones written with their aggregates in
one transaction, in a fixed number of statements however many there are.

Exactly once: an event is inserted with ON CONFLICT DO NOTHING on (account, id), and only the
events that won the insert add to the aggregates, in the same transaction. A concurrent batch
with the same ids waits on the first one's uncommitted keys, then finds them taken: its events
answer ``duplicate`` and add nothing. A crash before the commit leaves nothing, so a resent
batch counts each event once. Rows are written in key order, so two batches never wait on
each other in a cycle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.usage.limits import LimitCheck, over_limits
from plansmith.application.usage.ports import DailyDelta, EventRow, Subscriber
from plansmith.application.usage.thresholds import publish_thresholds
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.domain.kernel.periods import Period, zone
from plansmith.domain.usage.events import (
    DEFAULT_GRACE,
    MAX_BATCH,
    EventIn,
    EventRefused,
    parse_event,
    place,
)
from plansmith.domain.usage.meters import Aggregation, Meter, Reading

ACCEPTED, REJECTED = "accepted", "rejected"


@dataclass(frozen=True)
class Answer:
    """What became of one event: accepted, or rejected with a code and a field."""

    id: str | None
    status: str
    code: str | None = None
    message: str | None = None
    field: str | None = None
    account_id: str | None = None
    local_date: date | None = None


@dataclass
class _Candidate:
    index: int
    event: EventIn
    account_id: str
    local_date: date
    readings: tuple[Reading, ...]
    period: Period

    @property
    def event_id(self) -> str:
        return self.event.id


def _rejected(event_id: str | None, error: DomainError) -> Answer:
    return Answer(event_id, REJECTED, str(error.code), error.message, error.field)


def ingest(
    uow: UnitOfWork, clock: Clock, organization_id: str, raw: Sequence[object]
) -> list[Answer]:
    """An answer per event, in order. InvalidValue (nothing written) for more than 1,000."""
    if len(raw) > MAX_BATCH:
        raise InvalidValue(
            f"a batch holds at most {MAX_BATCH:,} events, got {len(raw):,}; nothing was counted",
            field="events",
            code=ec.BATCH_TOO_LARGE,
        )
    answers: list[Answer | None] = [None] * len(raw)
    parsed: list[tuple[int, EventIn]] = []
    for index, item in enumerate(raw):
        try:
            parsed.append((index, parse_event(item)))
        except DomainError as error:
            event_id = item.get("id") if isinstance(item, dict) else None
            answers[index] = _rejected(event_id if isinstance(event_id, str) else None, error)
    with uow:
        codes = {e.code for _, e in parsed}
        meters: dict[str, list[Meter]] = {}
        for meter in uow.meters.reading(organization_id, codes) if codes else ():
            meters.setdefault(meter.event_code, []).append(meter)
        subscribers = _subscribers(uow, organization_id, [e for _, e in parsed])
        # The clock is read once the subscriptions are held (shared): a billing step reading
        # a period's usage holds them first, so this batch is read by it or sees it closed.
        uow.usage.share_subscriptions(organization_id, {s.account_id for s in subscribers.values()})
        now = clock.now()
        grace = uow.usage_settings.grace(organization_id) if parsed else None
        grace = DEFAULT_GRACE if grace is None else grace
        candidates: dict[tuple[str, str], _Candidate] = {}
        placer = _Placer(now, grace)
        plans = _plans(meters)
        closed: dict[tuple[str, str], list[int]] = {}  # refused as late: counted already?
        for index, event in parsed:
            try:
                found = _candidate(index, event, subscribers, plans, placer)
            except DomainError as error:
                answers[index] = _rejected(event.id, error)
                subscriber = _subscriber(event, subscribers)
                if error.code == ec.PERIOD_CLOSED and subscriber is not None:
                    closed.setdefault((subscriber.account_id, event.id), []).append(index)
                continue
            key = (found.account_id, event.id)
            if key in candidates:  # the same id twice in one batch: the first counts
                answers[index] = _duplicate(event.id, found.account_id)
                continue
            candidates[key] = found
        # An event sent again after its window closed answers what it is, a duplicate: the
        # client that resends a batch learns it counted (not that it came too late).
        for key in uow.usage.stored(organization_id, list(closed)) if closed else ():
            for index in closed[key]:
                answers[index] = _duplicate(key[1], key[0])
        ordered = [candidates[k] for k in sorted(candidates)]
        by_id = {m.id: m for ms in meters.values() for m in ms}
        check = over_limits(uow, organization_id, ordered, by_id) if ordered else LimitCheck()
        for position, why in check.refused.items():
            answers[ordered[position].index] = _rejected(ordered[position].event.id, why)
        for position in check.stored:
            c = ordered[position]
            answers[c.index] = _duplicate(c.event.id, c.account_id)
        ordered = [
            c
            for position, c in enumerate(ordered)
            if position not in check.refused and position not in check.stored
        ]
        rows = [
            EventRow(
                c.account_id,
                c.event.id,
                c.event.code,
                c.event.timestamp,
                c.local_date,
                c.event.properties,
            )
            for c in ordered
        ]
        won = uow.usage.insert_new(organization_id, rows, now) if rows else set()
        winners = []
        for c in ordered:
            if (c.account_id, c.event.id) in won:
                winners.append(c)
                answers[c.index] = Answer(
                    c.event.id, ACCEPTED, account_id=c.account_id, local_date=c.local_date
                )
            else:
                answers[c.index] = _duplicate(c.event.id, c.account_id)
        if winners:
            deltas, uniques = _aggregates(winners, meters)
            uow.usage.add_daily(organization_id, deltas)
            if uniques:
                uow.usage.add_unique(uniques)
            uow.commit()
    if winners:  # ADR 0032: thresholds of allowances, read after the commit on their own
        touched = {
            (c.account_id, by_id[r.meter_id].code, c.period) for c in winners for r in c.readings
        }
        publish_thresholds(uow, clock, organization_id, touched)
    return [a for a in answers if a is not None]


def _duplicate(event_id: str, account_id: str) -> Answer:
    message = f"an event {event_id!r} was accepted for the account already; this one is not counted"
    return Answer(event_id, REJECTED, str(ec.DUPLICATE), message, "id", account_id)


def _subscribers(
    uow: UnitOfWork, organization_id: str, events: Sequence[EventIn]
) -> dict[tuple[str, str], Subscriber]:
    """The accounts named, by ("id", account_id) and ("external", external_id)."""
    ids = {e.account_id for e in events if e.account_id is not None}
    externals = {e.external_id for e in events if e.external_id is not None}
    if not ids and not externals:
        return {}
    found: dict[tuple[str, str], Subscriber] = {}
    for s in uow.usage.subscribers(organization_id, ids, externals):
        found[("id", s.account_id)] = s
        if s.external_id is not None:
            found[("external", s.external_id)] = s
    return found


class _Placer:
    """``place`` once per account and local date in a batch (a batch of 1,000 events holds a
    few dozen such pairs): the date, its period and whether that period is closed depend on
    nothing else while the account's subscriptions keep its time zone. An account with one
    in another zone (its zone changed since), or one stopped in a period (ADR 0034: the
    instant matters then), is placed event by event."""

    def __init__(self, now: datetime, grace: timedelta) -> None:
        self.now, self.grace = now, grace
        self.placed: dict[tuple[str, date], tuple[date, Period] | DomainError] = {}
        self.zones: dict[str, tuple[ZoneInfo, bool]] = {}  # per account: its zone, and
        # whether all its subscriptions keep it

    def day(self, subscriber: Subscriber, instant: datetime) -> tuple[date, Period]:
        """The local date the event counts on and its period."""
        zoned = self.zones.get(subscriber.account_id)
        if zoned is None:
            tz = zone(subscriber.time_zone)
            zoned = self.zones[subscriber.account_id] = (
                tz,
                # a stop (ADR 0034) makes the event's instant matter, not only its date
                all(h.tz.key == tz.key and not h.stops_usage for h in subscriber.held),
            )
        tz, one_zone = zoned
        if not one_zone:
            return place(instant, tz, subscriber.held, self.now, self.grace)
        key = (subscriber.account_id, instant.astimezone(tz).date())
        found = self.placed.get(key)
        if found is None:
            try:
                found = place(instant, tz, subscriber.held, self.now, self.grace)
            except DomainError as error:
                found = error
            self.placed[key] = found
        if isinstance(found, DomainError):
            raise found
        return found


def _subscriber(
    event: EventIn, subscribers: dict[tuple[str, str], Subscriber]
) -> Subscriber | None:
    if event.account_id is not None:
        return subscribers.get(("id", event.account_id))
    return subscribers.get(("external", event.external_id or ""))


def _candidate(
    index: int,
    event: EventIn,
    subscribers: dict[tuple[str, str], Subscriber],
    plans: dict[str, list[tuple[Meter, Reading | None]]],
    placer: _Placer,
) -> _Candidate:
    subscriber = _subscriber(event, subscribers)
    if event.account_id is not None:
        field, named = "account_id", str(event.account_id)
    else:
        field, named = "external_id", str(event.external_id)
    if subscriber is None:
        raise EventRefused(f"no account {named!r}", field=field, code=ec.ACCOUNT_NOT_FOUND)
    plan = plans.get(event.code)
    if not plan:
        raise EventRefused(
            f"no meter reads events of code {event.code!r}", field="code", code=ec.UNKNOWN_CODE
        )
    day, period = placer.day(subscriber, event.timestamp)
    properties = event.properties
    readings = tuple(
        [
            fixed or m.reading(properties)
            for m, fixed in plan
            if not m.filters or m.matches(properties)
        ]
    )
    return _Candidate(index, event, subscriber.account_id, day, readings, period)


def _plans(meters: dict[str, list[Meter]]) -> dict[str, list[tuple[Meter, Reading | None]]]:
    """Per event code, its meters, each with the reading it gives every event when that does
    not depend on the event (a count): one shared Reading instead of one per event."""
    return {
        code: [(m, m.reading({}) if m.aggregation is Aggregation.COUNT else None) for m in ms]
        for code, ms in meters.items()
    }


def _aggregates(
    winners: Sequence[_Candidate], meters: dict[str, list[Meter]]
) -> tuple[list[DailyDelta], list[tuple[str, str, date, str]]]:
    """The daily deltas and unique values of the accepted events, each key once, in order."""
    kinds = {m.id: m.aggregation for ms in meters.values() for m in ms}
    sums: dict[tuple[str, str, date], list[int]] = {}
    uniques: set[tuple[str, str, date, str]] = set()
    for c in winners:
        for r in c.readings:
            key = (c.account_id, r.meter_id, c.local_date)
            found = sums.get(key)
            if found is None:
                found = sums[key] = [0, 0, -1]
            found[0] += 1
            found[1] += r.amount
            found[2] = max(found[2], r.amount)
            if r.unique is not None:
                uniques.add((*key, r.unique))
    deltas = [
        DailyDelta(
            a,
            m,
            d,
            count,
            total if kinds[m] is Aggregation.SUM else 0,
            peak if kinds[m] is Aggregation.MAX else None,
        )
        for (a, m, d), (count, total, peak) in sorted(sums.items())
    ]
    return deltas, sorted(uniques)
