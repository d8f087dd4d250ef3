"""The sign-in throttle's rule: free failures, then a doubling delay with a cap; forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plansmith.application.organizations.sign_in import PER_ADDRESS, PER_USER
from plansmith.domain.organizations.sign_in_throttle import Throttle, ThrottlePolicy, refused_until

T0 = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
POLICY = ThrottlePolicy(
    free_failures=3,
    first_delay=timedelta(seconds=2),
    max_delay=timedelta(seconds=30),
    forget_after=timedelta(minutes=10),
)


def _fail(throttle: Throttle, times: int, at: datetime = T0) -> Throttle:
    for _ in range(times):
        throttle = throttle.counted(at, POLICY)
    return throttle


def test_free_failures_then_a_doubling_delay_up_to_the_cap() -> None:
    delays = [POLICY.delay(n).total_seconds() for n in range(1, 10)]

    assert delays == [0, 0, 2, 4, 8, 16, 30, 30, 30]


def test_a_key_refuses_until_its_delay_has_passed() -> None:
    throttle = _fail(Throttle("k"), 4)

    assert throttle.failures == 4 and throttle.blocked_until == T0 + timedelta(seconds=4)
    assert throttle.refuses(T0 + timedelta(seconds=3, microseconds=999_999))
    assert not throttle.refuses(T0 + timedelta(seconds=4))


def test_failures_are_forgotten_after_a_quiet_time_and_a_success_clears_them() -> None:
    throttle = _fail(Throttle("k"), 6)

    later = throttle.counted(T0 + timedelta(minutes=10), POLICY)

    assert (later.failures, later.blocked_until) == (1, None)
    assert throttle.cleared() == Throttle("k")


def test_taking_an_attempt_back_restores_what_it_changed_only() -> None:
    before = _fail(Throttle("k"), 2)
    mine = before.counted(T0 + timedelta(seconds=5), POLICY)  # the third: starts a delay
    someone_else = mine.counted(T0 + timedelta(seconds=9), POLICY)

    assert mine.uncounted(before, mine) == before
    taken_back = someone_else.uncounted(before, mine)
    assert taken_back.failures == 3
    assert taken_back.blocked_until == someone_else.blocked_until  # their delay stays


def test_the_key_that_refuses_longest_decides_the_wait() -> None:
    short = _fail(Throttle("a"), 3)
    long = _fail(Throttle("b"), 5)

    assert refused_until([short, long, Throttle("c")], T0) == T0 + timedelta(seconds=8)
    assert refused_until([short, long], T0 + timedelta(seconds=8)) is None


def test_a_policy_must_remember_failures_longer_than_its_longest_delay() -> None:
    with pytest.raises(ValueError, match="longer than the longest delay"):
        ThrottlePolicy(3, timedelta(seconds=1), timedelta(minutes=15), timedelta(minutes=15))


def test_the_shipped_policies_keep_a_real_user_out_for_a_minute_at_most() -> None:
    assert PER_USER.delay(10_000) == timedelta(seconds=60)
    assert PER_ADDRESS.delay(10_000) == timedelta(minutes=15)
    assert PER_ADDRESS.free_failures > PER_USER.free_failures


@given(st.integers(min_value=0, max_value=10**9))
def test_the_delay_never_shrinks_and_never_passes_the_cap(failures: int) -> None:
    assert POLICY.delay(failures) <= POLICY.delay(failures + 1) <= POLICY.max_delay
