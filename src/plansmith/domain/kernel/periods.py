"""Billing periods: half-open ranges of local dates in the account's time zone.

A period is ``[start, end)`` in *local dates*; its instants are derived (the UTC instant at
which each local date begins), so a period is always a whole number of local days however
DST moves the clock. Month-based boundaries are computed from the original anchor every time,
so clamping (Jan 31 -> Feb 28) never drifts (Mar 31 stays Mar 31). Nothing here reads the
clock: callers pass the instant. See docs/adr/0002-billing-periods.md.
"""

from __future__ import annotations

import calendar
import itertools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cache, cached_property, lru_cache
from typing import ClassVar
from zoneinfo import ZoneInfo, available_timezones

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import DomainError, InvalidValue

__all__ = [
    "BillingSchedule",
    "Cycle",
    "CycleUnit",
    "InvalidTimeZone",
    "Period",
    "add_months_clamped",
    "local_date",
    "local_midnight",
    "zone",
]


class InvalidTimeZone(DomainError):
    """The name is not an IANA time zone."""

    code = ec.INVALID_TIME_ZONE


# Present in the tz database but meaningless for an account: they name no place.
_NOT_PLACES = frozenset({"localtime", "Factory", "posixrules"})


@cache
def _zone_names() -> frozenset[str]:
    # available_timezones() walks the filesystem; do it once.
    return frozenset(available_timezones()) - _NOT_PLACES


def zone(name: str, *, field: str = "time_zone") -> ZoneInfo:
    """The ZoneInfo for an exact IANA name such as "Europe/Berlin" or "UTC".

    Membership in the known list (rather than just trying to load) refuses paths,
    "local", wrong case on case-insensitive filesystems, and other garbage.
    """
    found = _ZONES.get(name) if type(name) is str else None
    if found is not None:
        return found
    if not isinstance(name, str) or name not in _zone_names():
        raise InvalidTimeZone(
            f"{name!r} is not an IANA time zone name (e.g. UTC, Europe/Berlin, America/New_York)",
            field=field,
        )
    found = _ZONES[name] = ZoneInfo(name)
    return found


# The zones asked for, by name: a billing run asks for each subscription's several times.
# Only valid names get in, so it holds at most the tz database.
_ZONES: dict[str, ZoneInfo] = {}


# -- cycles ---------------------------------------------------------------------------


class CycleUnit(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


# Canonical names of the common month cycles; everything else is "N_months" etc.
_MONTH_NAMES = {1: "month", 3: "quarter", 6: "half_year", 12: "year"}
_ALIASES: dict[str, tuple[CycleUnit, int]] = {
    "day": (CycleUnit.DAY, 1),
    "daily": (CycleUnit.DAY, 1),
    "week": (CycleUnit.WEEK, 1),
    "weekly": (CycleUnit.WEEK, 1),
    "month": (CycleUnit.MONTH, 1),
    "monthly": (CycleUnit.MONTH, 1),
    "quarter": (CycleUnit.MONTH, 3),
    "quarterly": (CycleUnit.MONTH, 3),
    "half_year": (CycleUnit.MONTH, 6),
    "semiannual": (CycleUnit.MONTH, 6),
    "semiannually": (CycleUnit.MONTH, 6),
    "year": (CycleUnit.MONTH, 12),
    "yearly": (CycleUnit.MONTH, 12),
    "annual": (CycleUnit.MONTH, 12),
    "annually": (CycleUnit.MONTH, 12),
}
_COUNTED = re.compile(r"(?:every_)?([0-9]{1,4})_(day|week|month)s?")


@dataclass(frozen=True)
class Cycle:
    """How long one billing period is: ``count`` days, weeks or calendar months.

    Years are 12 months so that a yearly anchor on Feb 29 clamps like any month-end anchor.
    """

    unit: CycleUnit
    count: int

    DAILY: ClassVar[Cycle]
    WEEKLY: ClassVar[Cycle]
    MONTHLY: ClassVar[Cycle]
    QUARTERLY: ClassVar[Cycle]
    SEMIANNUAL: ClassVar[Cycle]
    ANNUAL: ClassVar[Cycle]

    def __post_init__(self) -> None:
        if not isinstance(self.unit, CycleUnit):
            raise InvalidValue(f"unknown cycle unit {self.unit!r}", field="cycle")
        if isinstance(self.count, bool) or not isinstance(self.count, int) or self.count < 1:
            raise InvalidValue(
                f"a cycle is at least one {self.unit}, got {self.count!r}", field="cycle"
            )

    @classmethod
    def every_n_months(cls, n: int) -> Cycle:
        return cls(CycleUnit.MONTH, n)

    @classmethod
    def parse(cls, text: str) -> Cycle:
        """Read "month", "quarterly", "annual", "half_year", "2_months", "every_18_months"...

        Case and surrounding spaces are ignored. ``Cycle.parse(c.name) == c`` always holds.
        """
        if isinstance(text, str):
            return _parse_cycle(text)
        return cls._parse(text)

    @classmethod
    def _parse(cls, text: str) -> Cycle:
        key = text.strip().lower() if isinstance(text, str) else ""
        if key in _ALIASES:
            return cls(*_ALIASES[key])
        counted = _COUNTED.fullmatch(key)
        if counted is not None and int(counted.group(1)) >= 1:
            return cls(CycleUnit(counted.group(2)), int(counted.group(1)))
        raise InvalidValue(
            f"{text!r} is not a billing cycle; use month, quarter, half_year, year, week, day "
            "or N_months (e.g. 2_months)",
            field="cycle",
        )

    @cached_property
    def name(self) -> str:
        """Canonical text: "day", "week", "month", "quarter", "half_year", "year",
        or "N_days" / "N_weeks" / "N_months" for the rest (made once: every item and
        event of a billing run names its cycle)."""
        if self.unit is CycleUnit.MONTH and self.count in _MONTH_NAMES:
            return _MONTH_NAMES[self.count]
        if self.count == 1:
            return str(self.unit)
        return f"{self.count}_{self.unit}s"

    def __str__(self) -> str:
        return self.name


@lru_cache(maxsize=256)
def _parse_cycle(text: str) -> Cycle:
    """Cycles are immutable: each row read names one of a few, parsed once."""
    return Cycle._parse(text)


Cycle.DAILY = Cycle(CycleUnit.DAY, 1)
Cycle.WEEKLY = Cycle(CycleUnit.WEEK, 1)
Cycle.MONTHLY = Cycle(CycleUnit.MONTH, 1)
Cycle.QUARTERLY = Cycle(CycleUnit.MONTH, 3)
Cycle.SEMIANNUAL = Cycle(CycleUnit.MONTH, 6)
Cycle.ANNUAL = Cycle(CycleUnit.MONTH, 12)


# -- dates and instants -----------------------------------------------------------------


def add_months_clamped(anchor: date, months: int) -> date:
    """The anchor's day of month, ``months`` later, clamped to that month's last day.

    Always pass the ORIGINAL anchor: Jan 31 +1 -> Feb 28/29, +2 -> Mar 31 (chaining from
    Feb 28 would drift to Mar 28).
    """
    year, month0 = divmod(anchor.month - 1 + months, 12)
    year += anchor.year
    days = _MONTH_DAYS[month0]  # calendar.monthrange also works out a weekday, unused here
    if month0 == 1 and calendar.isleap(year):
        days = 29
    return date(year, month0 + 1, min(anchor.day, days))


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _require_aware(instant: datetime, field: str) -> None:
    if not isinstance(instant, datetime) or instant.utcoffset() is None:
        raise InvalidValue(
            f"{instant!r} has no time zone; pass an aware datetime (e.g. in UTC)", field=field
        )


def _require_date(value: date, field: str) -> None:
    # datetime is a subclass of date; accepting one would silently drop its time and zone.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidValue(f"{value!r} is not a calendar date", field=field)


def local_date(instant: datetime, tz: ZoneInfo, *, field: str = "instant") -> date:
    """The date on the wall calendar in ``tz`` at ``instant`` (naive datetimes refused)."""
    _require_aware(instant, field)
    return instant.astimezone(tz).date()


@lru_cache(maxsize=4096)
def local_midnight(d: date, tz: ZoneInfo) -> datetime:
    """The UTC instant at which local date ``d`` begins in ``tz``.

    An ambiguous midnight (clocks fall back across it) begins at its first occurrence. A
    skipped midnight (clocks spring forward across it, e.g. Sao Paulo 2018-11-04) begins at
    the transition, the first instant whose local date is ``d``. Remembered for the most
    recent dates and zones: a billing run asks it for the same few days many times.
    """
    _require_date(d, "date")
    wall = datetime(d.year, d.month, d.day, tzinfo=tz)  # fold=0: the earlier of two
    instant = wall.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return instant
    # Midnight falls in a gap. fold=1 reads it with the later offset: an instant before the
    # jump (still on the previous date); fold=0 one after it. Bisect on whole seconds (tz
    # transitions are on whole seconds) for the first instant on date d.
    before = int(wall.replace(fold=1).astimezone(UTC).timestamp())
    after = int(instant.timestamp())
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).date() >= d:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


# -- periods ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local dates ``start`` (included) to ``end`` (excluded) in ``tz``."""

    start: date
    end: date
    tz: ZoneInfo

    def __post_init__(self) -> None:
        _require_date(self.start, "start")
        _require_date(self.end, "end")
        if not isinstance(self.tz, ZoneInfo):
            raise InvalidValue("a period needs a ZoneInfo time zone", field="time_zone")
        if not self.start < self.end:
            raise InvalidValue(
                f"a period must end after it starts ({self.start} to {self.end})", field="end"
            )

    @property
    def start_at(self) -> datetime:
        """The UTC instant the first local date begins."""
        return local_midnight(self.start, self.tz)

    @property
    def end_at(self) -> datetime:
        """The UTC instant the period is over (the start of ``end`` locally); excluded."""
        return local_midnight(self.end, self.tz)

    @property
    def days(self) -> int:
        """Local dates in the period; a 23- or 25-hour DST day still counts as one."""
        return (self.end - self.start).days

    def contains(self, d: date) -> bool:
        return self.start <= d < self.end

    def contains_instant(self, instant: datetime) -> bool:
        _require_aware(instant, "instant")
        return self.start_at <= instant < self.end_at

    def overlaps(self, other: Period) -> bool:
        if self.tz.key == other.tz.key:
            return self.start < other.end and other.start < self.end
        return self.start_at < other.end_at and other.start_at < self.end_at

    def __str__(self) -> str:
        return f"[{self.start}, {self.end}) {self.tz.key}"


@dataclass(frozen=True)
class BillingSchedule:
    """Periods of ``cycle`` repeating from ``anchor`` (period 0 starts on the anchor)."""

    anchor: date
    cycle: Cycle
    tz: ZoneInfo

    def __post_init__(self) -> None:
        _require_date(self.anchor, "anchor")
        if not isinstance(self.cycle, Cycle):
            raise InvalidValue("a schedule needs a Cycle", field="cycle")
        if not isinstance(self.tz, ZoneInfo):
            raise InvalidValue("a schedule needs a ZoneInfo time zone", field="time_zone")

    @classmethod
    def starting_at(cls, instant: datetime, cycle: Cycle, tz: ZoneInfo) -> BillingSchedule:
        """A schedule anchored on the local date of ``instant`` in ``tz``."""
        return cls(local_date(instant, tz), cycle, tz)

    def boundary(self, index: int) -> date:
        """The local date period ``index`` starts on, always computed from the anchor."""
        step = self.cycle.count * index
        if self.cycle.unit is CycleUnit.MONTH:
            return add_months_clamped(self.anchor, step)
        days = step * 7 if self.cycle.unit is CycleUnit.WEEK else step
        return self.anchor + timedelta(days=days)

    def period(self, index: int) -> Period:
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise InvalidValue(f"period index must be 0 or more, got {index!r}", field="index")
        return Period(self.boundary(index), self.boundary(index + 1), self.tz)

    def index_of(self, d: date) -> int:
        """The index of the period containing local date ``d``, in constant time."""
        return self._locate(d)[0]

    def _locate(self, d: date) -> tuple[int, date, date]:
        """The index, start and end of the period containing ``d``."""
        _require_date(d, "date")
        if d < self.anchor:
            raise InvalidValue(f"{d} is before the schedule starts on {self.anchor}", field="date")
        if self.cycle.unit is CycleUnit.MONTH:
            months = (d.year - self.anchor.year) * 12 + d.month - self.anchor.month
            index = months // self.cycle.count
        else:
            step = self.cycle.count * (7 if self.cycle.unit is CycleUnit.WEEK else 1)
            index = (d - self.anchor).days // step
        # The month estimate can be one off around a clamped boundary; fix it locally.
        start = self.boundary(index)
        while index > 0 and start > d:
            index -= 1
            start = self.boundary(index)
        end = self.boundary(index + 1)
        while end <= d:
            index += 1
            start, end = end, self.boundary(index + 1)
        return index, start, end

    def period_containing(self, d: date) -> Period:
        _index, start, end = self._locate(d)
        return Period(start, end, self.tz)

    def period_containing_instant(self, instant: datetime) -> Period:
        """The period whose ``[start_at, end_at)`` holds ``instant``."""
        _require_aware(instant, "instant")
        first = self.period(0)
        if instant < first.start_at:
            raise InvalidValue(
                f"{instant.isoformat()} is before the schedule starts on {self.anchor}",
                field="instant",
            )
        index = self.index_of(max(local_date(instant, self.tz), self.anchor))
        # A fall-back transition across midnight can put an instant on the previous local
        # date while it is already past the boundary; the instants decide.
        while instant >= self.period(index).end_at:
            index += 1
        while index > 0 and instant < self.period(index).start_at:
            index -= 1
        return self.period(index)

    def periods(self, start_index: int, count: int) -> list[Period]:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidValue(f"count must be 0 or more, got {count!r}", field="count")
        if count == 0:
            return []
        self.period(start_index)  # validates the index
        bounds = [self.boundary(start_index + i) for i in range(count + 1)]
        return [Period(a, b, self.tz) for a, b in itertools.pairwise(bounds)]
