"""Dates, billing periods and the one rounding rule, written for the model from PRODUCT.md."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

MONTHS = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}


def round_half_up(x: Fraction) -> int:
    """Half up on the magnitude: 1496.5 -> 1497, -1496.5 -> -1497."""
    magnitude = abs(x)
    whole = int(magnitude)  # floor, magnitude >= 0
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return whole if x >= 0 else -whole


def add_months(anchor: date, months: int) -> date:
    """The anchor's day in the month `months` later, clamped to that month's last day (from
    the original anchor, so Jan 31 -> Feb 29 -> Mar 31)."""
    index = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(anchor.day, last))


def period_start(anchor: date, cycle: str, n: int) -> date:
    if cycle == "week":
        return anchor + timedelta(days=7 * n)
    return add_months(anchor, MONTHS[cycle] * n)


def period_holding(anchor: date, cycle: str, day: date) -> tuple[date, date]:
    """The period [start, end) of the anchor's cycle that holds `day` (day >= anchor)."""
    n = 0
    if cycle != "week":  # jump close, then walk
        n = max(0, ((day.year - anchor.year) * 12 + day.month - anchor.month) // MONTHS[cycle] - 1)
    else:
        n = max(0, (day - anchor).days // 7 - 1)
    while period_start(anchor, cycle, n + 1) <= day:
        n += 1
    return period_start(anchor, cycle, n), period_start(anchor, cycle, n + 1)


def local_date(at: datetime, zone: str) -> date:
    return at.astimezone(ZoneInfo(zone)).date()


def local_midnight(day: date, zone: str) -> datetime:
    """The UTC instant a local date begins (the first instant of it, across DST gaps)."""
    tz = ZoneInfo(zone)
    naive = datetime.combine(day, time(0, 0))
    for minutes in range(0, 24 * 60, 30):  # a DST gap at midnight skips ahead to its end
        candidate = (naive + timedelta(minutes=minutes)).replace(tzinfo=tz)
        back = candidate.astimezone(UTC).astimezone(tz)
        if back.replace(tzinfo=None) == candidate.replace(tzinfo=None):
            return candidate.astimezone(UTC)
    raise ValueError(f"no instant begins {day} in {zone}")  # pragma: no cover


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
