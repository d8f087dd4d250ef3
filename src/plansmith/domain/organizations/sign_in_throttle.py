"""Slowing down repeated sign-in failures: a growing, capped delay per key.

A key is one email address typed on the sign-in form, or one client address. Every attempt is
counted as a failure *before* the password is checked, so attempts sent at the same moment
cannot all slip in before the first failure is written; a success then takes its count back.
After ``free_failures`` failures the key is refused for ``first_delay``, doubling with each
further failure up to ``max_delay``. Refused attempts are not counted: they never extend the
delay, so whoever hammers a key cannot keep it shut for longer than ``max_delay`` past their
last counted failure. Failures are forgotten ``forget_after`` the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    first_delay: timedelta
    max_delay: timedelta
    forget_after: timedelta

    def __post_init__(self) -> None:
        if self.free_failures < 1 or self.first_delay <= timedelta(0):
            raise ValueError("a throttle allows at least one failure and delays by some time")
        if self.forget_after <= self.max_delay:
            # Else waiting out the longest delay would also wipe the count clean.
            raise ValueError("failures must be remembered for longer than the longest delay")

    def delay(self, failures: int) -> timedelta:
        if failures < self.free_failures:
            return timedelta(0)
        doublings = min(failures - self.free_failures, 40)  # 2**40 s is past any cap
        grown: timedelta = self.first_delay * (1 << doublings)
        return min(self.max_delay, grown)


@dataclass(frozen=True)
class Throttle:
    key: str
    failures: int = 0
    last_failed_at: datetime | None = None
    blocked_until: datetime | None = None

    def refuses(self, now: datetime) -> bool:
        return self.blocked_until is not None and now < self.blocked_until

    def counted(self, now: datetime, policy: ThrottlePolicy) -> Throttle:
        """With one more failed attempt at ``now`` (only for a key that does not refuse)."""
        forgotten = self.last_failed_at is None or now - self.last_failed_at >= policy.forget_after
        failures = (0 if forgotten else self.failures) + 1
        delay = policy.delay(failures)
        return replace(
            self,
            failures=failures,
            last_failed_at=now,
            blocked_until=now + delay if delay else None,
        )

    def uncounted(self, before: Throttle, mine: Throttle) -> Throttle:
        """This key, now, with the attempt that wrote ``mine`` over ``before`` taken back.

        Other attempts may have been counted since; only what is still this attempt's own
        (the delay it started, its failure time) is put back as it was."""
        return replace(
            self,
            failures=max(self.failures - 1, 0),
            last_failed_at=(
                before.last_failed_at
                if self.last_failed_at == mine.last_failed_at
                else self.last_failed_at
            ),
            blocked_until=(
                before.blocked_until
                if self.blocked_until == mine.blocked_until
                else self.blocked_until
            ),
        )

    def cleared(self) -> Throttle:
        return Throttle(self.key)


def refused_until(throttles: list[Throttle], now: datetime) -> datetime | None:
    """When the last of the keys that refuse at ``now`` lets attempts in again, if any does."""
    until = [t.blocked_until for t in throttles if t.refuses(now) and t.blocked_until]
    return max(until) if until else None
