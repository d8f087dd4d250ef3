"""The fake of the Clock port: stands still until the test sets or advances it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from plansmith.application.kernel.ports import Clock


class FakeClock:
    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now


# mypy checks the fake against its port here: a port change breaks the fake at lint time.
_clock: Clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
