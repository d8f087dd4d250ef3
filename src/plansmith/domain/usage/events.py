"""Usage events: what an operator sends, and the billing period each one counts in.

An event is the operator's: its id (unique per account; the first accepted with an id counts,
any later one with that id is a duplicate whatever it carries), the account, an event code, an
instant with its UTC offset, and properties (text or numbers). It counts on the LOCAL date of
its instant in the account's time zone, in the billing period holding that date, and only
while that period is open: until its end plus the organization's grace window, as measured on
receipt. Nothing here reads the clock: the caller passes the instant of receipt.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue
from plansmith.domain.kernel.periods import BillingSchedule, Cycle, Period, local_date
from plansmith.domain.usage.meters import MAX_VALUE_LENGTH, PROPERTY, PropertyValue

MAX_ID_LENGTH = 200
MAX_PROPERTIES = 50
MAX_BATCH = 1000
DEFAULT_GRACE = timedelta(hours=1)
FIELDS = ("id", "account_id", "external_id", "code", "timestamp", "properties")
_KNOWN = frozenset(FIELDS)
MAX_GRACE = timedelta(days=7)


class EventRefused(DomainError):
    """One event is refused: the code says why (a batch answers it for that event alone)."""


@dataclass(frozen=True)
class EventIn:
    id: str
    account_id: str | None
    external_id: str | None
    code: str
    timestamp: datetime  # aware
    properties: Mapping[str, PropertyValue]


@dataclass(frozen=True)
class HeldSubscription:
    """A subscription as usage periods need it."""

    start: date  # the local date it was taken out
    anchor: date  # periods repeat from here (the end of a trial)
    cycle: Cycle
    period_start: date  # the period it is in now, as the renewal step left it
    period_end: date
    ended_on: date | None
    tz: ZoneInfo
    # ADR 0034, as the subscription keeps them: its last stop that closed usage, where its
    # usage window starts after a resume, and its stopped window not billed yet (first
    # date, and the instant the grace window runs from); None when not billed or closed
    stopped_at: datetime | None = None
    usage_from: date | None = None
    stop_start: date | None = None
    stop_closes_from: datetime | None = None
    # a cycle change's cut window not billed yet: its last date and the period it was cut from
    cut_on: date | None = None
    cut_period: tuple[date, date] | None = None

    def cut_close(self, instant: datetime, day: date) -> Period | None:
        """ADR 0034, a cycle change's cut: None when ``day`` is not in its window; else the
        period it was cut from. EventRefused(period_closed) for an event at or after the
        change (``stop_closes_from``); ``place`` refuses one received once the change +
        ``grace`` has passed."""
        start, closes = self.stop_start, self.stop_closes_from
        if self.cut_on is None or self.cut_period is None or start is None or closes is None:
            return None
        if not start <= day <= self.cut_on:
            return None
        if instant >= closes:
            raise _closed(f"the subscription's billing cycle changed at {closes.isoformat()}")
        return Period(self.cut_period[0], self.cut_period[1], self.tz)

    @property
    def stops_usage(self) -> bool:
        """Whether an event's instant matters, not only its date (see ``stopped_close``)."""
        return self.stopped_at is not None or self.usage_from is not None

    def stopped_close(self, instant: datetime, day: date, grace: timedelta) -> datetime | None:
        """ADR 0034: None when the date is not in a stopped window; else the instant that
        window closes for this event. EventRefused(period_closed) for an event at or after
        the stop while stopped, in the pause, or of a window billed already."""
        stopped = self.ended_on is not None and self.stopped_at is not None
        after_stop = self.stopped_at is not None and instant >= self.stopped_at
        if after_stop and self._keeps_stop_day(day):  # its day counts till the day's end
            after_stop = False
        if stopped and after_stop and self.stopped_at is not None:
            raise _closed(f"the subscription stopped at {self.stopped_at.isoformat()}")
        if stopped and self.ended_on is not None and day > self.ended_on:
            # a stop inside the grace window after a period's end is dated on the period's
            # last day: a later date before its instant is in no window of it
            raise _closed(f"the subscription stopped on {self.ended_on}")
        in_period = self.period_start <= day < self.period_end
        # before the window a restart began: in its period or an earlier one (a reactivation
        # in a later period leaves the earlier one's last dates open until its end + grace)
        before_window = self.usage_from is not None and day < self.usage_from
        if not (before_window or (in_period and stopped)):
            return None
        if after_stop and self.stopped_at is not None:
            raise _closed(f"the subscription was stopped from {self.stopped_at.isoformat()}")
        closes = self.stop_closes_from
        if closes is None or self.stop_start is None or day < self.stop_start:
            raise _closed(
                f"the usage of {day} was billed with the subscription's stop, or it was not "
                "in service that day"
            )
        return closes + grace

    def _keeps_stop_day(self, day: date) -> bool:
        """Whether the stopped window holds the rest of its stop date (``day``): a new
        subscription of the account taken out that date moved its close to the day's end."""
        stop, closes = self.stopped_at, self.stop_closes_from
        if stop is None or closes is None or closes <= stop:
            return False
        return day == local_date(stop, self.tz)

    def period_containing(self, day: date) -> Period:
        if self.period_start <= day < self.period_end:
            return Period(self.period_start, self.period_end, self.tz)
        if day >= self.anchor:
            return BillingSchedule(self.anchor, self.cycle, self.tz).period_containing(day)
        # Before the anchor and not the current period: the trial (or the terms before a
        # change that moved the anchor), which ends on the anchor.
        return Period(min(self.start, day), self.anchor, self.tz)


def _text(raw: Mapping[str, object], name: str, limit: int, *, required: bool) -> str | None:
    value = raw.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise InvalidValue(f"{name} is text of 1 to {limit} characters", field=name)
    return value


def parse_event(raw: object) -> EventIn:
    """An event from its JSON object, or InvalidValue naming the first wrong field."""
    if not isinstance(raw, Mapping):
        raise InvalidValue("an event is a JSON object", field=None)
    if not _KNOWN.issuperset(raw.keys()):  # a misspelt field would otherwise be dropped
        unknown = sorted(str(k) for k in raw if k not in FIELDS)
        raise InvalidValue(
            f"an event has no field {unknown[0]!r}; it has {', '.join(FIELDS)}", field=unknown[0]
        )
    event_id = _text(raw, "id", MAX_ID_LENGTH, required=True)
    account_id = _text(raw, "account_id", 40, required=False)
    external_id = _text(raw, "external_id", 100, required=False)
    if (account_id is None) == (external_id is None):
        raise InvalidValue(
            "name the account by account_id or by external_id (one of them)", field="account_id"
        )
    code = _text(raw, "code", 63, required=True)
    return EventIn(
        id=str(event_id),
        account_id=account_id,
        external_id=external_id,
        code=str(code),
        timestamp=parse_timestamp(raw.get("timestamp")),
        properties=_properties(raw.get("properties")),
    )


def parse_timestamp(value: object) -> datetime:
    """An ISO 8601 instant WITH its UTC offset (``Z`` or ``+09:00``): a wall time alone
    could be any of 38 instants, so it is refused."""
    if not isinstance(value, str):
        raise InvalidValue(
            "timestamp is an ISO 8601 instant with its offset (2026-02-01T09:30:00+09:00)",
            field="timestamp",
        )
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidValue(
            f"{value!r} is not an ISO 8601 instant (2026-02-01T09:30:00+09:00)", field="timestamp"
        ) from None
    if instant.utcoffset() is None:
        raise InvalidValue(
            f"{value!r} has no UTC offset; add one (Z, +00:00, +09:00...)", field="timestamp"
        )
    return instant


def _properties(value: object) -> dict[str, PropertyValue]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or len(value) > MAX_PROPERTIES:
        raise InvalidValue(
            f"properties is an object of at most {MAX_PROPERTIES} text or number values",
            field="properties",
        )
    found: dict[str, PropertyValue] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not PROPERTY.fullmatch(key):
            raise InvalidValue(
                "a property's name is 1-100 letters, digits, '_', '.' or '-'", field="properties"
            )
        field = f"properties.{key}"
        if isinstance(item, str):
            if len(item) > MAX_VALUE_LENGTH:
                raise InvalidValue(f"at most {MAX_VALUE_LENGTH} characters", field=field)
        elif isinstance(item, bool) or not isinstance(item, int | float):
            raise InvalidValue("a property is text or a number", field=field)
        elif isinstance(item, float) and not math.isfinite(item):
            raise InvalidValue("a property is text or a finite number", field=field)
        found[key] = item
    return found


def governing(held: Sequence[HeldSubscription], day: date) -> HeldSubscription:
    """The subscription whose periods a usage date falls in: the oldest one in force on
    that date; in a gap between subscriptions, the one that ended last. EventRefused if the
    account has none, or the date is before its first."""
    if not held:
        raise EventRefused(
            "the account has no subscription; usage counts only within one",
            field="account_id",
            code=ec.NO_SUBSCRIPTION,
        )
    started = [h for h in held if h.start <= day]
    if not started:
        first = min(h.start for h in held)
        raise EventRefused(
            f"the event's local date {day} is before the account's first subscription "
            f"started ({first})",
            field="timestamp",
            code=ec.BEFORE_SUBSCRIPTION,
        )
    in_force = [h for h in started if h.ended_on is None or day < h.ended_on]
    if in_force:
        return _stop_day_holder(min(in_force, key=lambda h: h.start), started, day)
    return max(started, key=lambda h: h.ended_on or date.max)


def _stop_day_holder(
    found: HeldSubscription, started: Sequence[HeldSubscription], day: date
) -> HeldSubscription:
    """ADR 0034: a subscription taken out on the date an earlier one stopped starts its usage
    window the next day; that date counts in the stopped one's window (open, else billed:
    then it counts nowhere)."""
    if found.start != day or found.usage_from is None or day >= found.usage_from:
        return found
    stopped = [h for h in started if h.ended_on == day and h.stopped_at is not None]
    stopped.sort(key=lambda h: h.stop_start is None)  # an open window first
    return stopped[0] if stopped else found


def dated(instant: datetime, tz: ZoneInfo, held: Sequence[HeldSubscription]) -> tuple[date, Period]:
    """The local date of ``instant`` and the billing period it falls in. The date is read in
    the account's zone ``tz``, and again in its subscription's if that one differs (an account
    whose zone changed since): a period and the dates it sums are in one zone."""
    day, found = _governed(instant, tz, held)
    return day, found.period_containing(day)


def _governed(
    instant: datetime, tz: ZoneInfo, held: Sequence[HeldSubscription]
) -> tuple[date, HeldSubscription]:
    day = local_date(instant, tz, field="timestamp")
    found = governing(held, day)
    if found.tz.key != tz.key:  # the subscription keeps the zone it was taken out in
        day = local_date(instant, found.tz, field="timestamp")
    return day, found


def place(
    instant: datetime,
    tz: ZoneInfo,
    held: Sequence[HeldSubscription],
    received: datetime,
    grace: timedelta,
) -> tuple[date, Period]:
    """The local date an event counts on and its period; EventRefused(period_closed) once
    ``received`` is at or past the period's end plus ``grace``. A period stopped in its
    middle (ADR 0034) closes at the stop for events at or after it, and at the stop plus
    ``grace`` for those before it."""
    day, found = _governed(instant, tz, held)
    if found.ended_on is not None and day >= found.ended_on and found.stopped_at is None:
        # after a subscription ended (at its term end, say): no period of it bills that date
        raise _closed(f"the subscription ended on {found.ended_on}, before {day}")
    cut = found.cut_close(instant, day)
    if cut is not None and found.stop_closes_from is not None:
        closes = found.stop_closes_from + grace
        if received >= closes:
            raise _closed(
                f"the usage of {day} was cut short by a change of billing cycle; it closed "
                f"at {closes.isoformat()} (the change plus the {format_grace(grace)} grace "
                "window)"
            )
        return day, cut
    period = found.period_containing(day)
    closes = period.end_at + grace
    stopped = found.stopped_close(instant, day, grace) if found.stops_usage else None
    if stopped is not None:
        closes = stopped
    if received >= closes:
        raise EventRefused(
            f"the event's period {period.start} to {period.end} closed at "
            f"{closes.isoformat()} (its end plus the {format_grace(grace)} grace window)",
            field="timestamp",
            code=ec.PERIOD_CLOSED,
        )
    return day, period


def _closed(why: str) -> EventRefused:
    return EventRefused(
        f"{why}; this event's usage counts nowhere", field="timestamp", code=ec.PERIOD_CLOSED
    )


def format_grace(grace: timedelta) -> str:
    seconds = int(grace.total_seconds())
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def check_grace(value: object) -> timedelta:
    """A grace window in whole seconds, 0 to 7 days."""
    most = int(MAX_GRACE.total_seconds())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= most:
        raise InvalidValue(
            f"the grace window is a whole number of seconds from 0 to {most} (7 days)",
            field="event_grace_seconds",
        )
    return timedelta(seconds=value)
