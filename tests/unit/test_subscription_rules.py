"""The subscription state machine and the change rules, on the pure domain functions.

Every status meets every action once; allowed ones check the new status, the items and that
the status change is in TRANSITIONS; refused ones check the error code and that the
subscription is left as it was. Then the refusals of the change rules, and which local date
"today" is for an instant in the account's time zone (DST included).

The example: JPY, basic x 2 (1490 a seat, 2980 a month), from 2026-03-01, so the period is
[Mar 1, Apr 1), 31 days; actions fall on Mar 11, with 21 days left.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest

from plansmith.domain.catalog.plans import ChangePolicy, Timing
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.periods import Cycle, local_date, zone
from plansmith.domain.subscriptions.subscription import (
    TRANSITIONS,
    Outcome,
    Status,
    SubscriptionError,
)
from tests.unit.subscription_builders import Driver, price_book, terms

START, DAY = date(2026, 3, 1), date(2026, 3, 11)
BASIC2, PRO2 = terms("basic", quantity=2), terms("pro", quantity=2)


def _in(status: str) -> Driver:
    """A subscription in ``status`` on DAY (paused or stopped on Mar 6)."""
    book = price_book(ChangePolicy(), trial_days=14)
    trial = status in ("trialing", "expired")
    d = Driver.start(book, BASIC2, START, trial=trial)
    stopped = date(2026, 3, 6)
    if status == "past_due":  # set by the payments issue; no rule here moves there
        d.sub = replace(d.sub, status=Status.PAST_DUE)
    elif status == "paused":
        d.pause(stopped)  # credits 2980 x 26/31 = 2499.35 -> -2499
    elif status in ("canceled", "expired"):
        d.cancel(stopped)  # a trial canceled now expires
    assert d.sub.status == status
    return d


ACTIONS: dict[str, Callable[[Driver], Outcome]] = {
    "change": lambda d: d.change(DAY, PRO2),
    "cancel_now": lambda d: d.cancel(DAY, Timing.NOW),
    "cancel_term_end": lambda d: d.cancel(DAY, Timing.TERM_END),
    "pause": lambda d: d.pause(DAY),
    "resume": lambda d: d.resume(DAY),
    "reactivate": lambda d: d.reactivate(DAY),
}
# Credit of basic x 2 for Mar 11..31: 2980 x 21/31 = 2018.71 -> -2019; charge of pro x 2:
# 6540 x 21/31 = 4430.32 -> 4430; charge of basic x 2 back from Mar 11: 2019.
CREDIT, CHARGE_PRO, CHARGE_BACK = ("credit", -2019), ("charge", 4430), ("charge", 2019)

# (status, action) -> (new status, cancel_at_period_end, items) or the refusal's code.
ALLOWED: list[tuple[str, str, tuple[str, bool, list[tuple[str, int]]]]] = [
    ("trialing", "change", ("trialing", False, [])),
    ("trialing", "cancel_now", ("expired", False, [])),
    ("trialing", "cancel_term_end", ("trialing", True, [])),
    ("active", "change", ("active", False, [CREDIT, CHARGE_PRO])),
    ("active", "cancel_now", ("canceled", False, [CREDIT])),
    ("active", "cancel_term_end", ("active", True, [])),
    ("active", "pause", ("paused", False, [CREDIT])),
    ("past_due", "change", ("past_due", False, [CREDIT, CHARGE_PRO])),
    ("past_due", "cancel_now", ("canceled", False, [CREDIT])),
    ("past_due", "cancel_term_end", ("past_due", True, [])),
    ("past_due", "pause", ("paused", False, [CREDIT])),
    ("paused", "cancel_now", ("canceled", False, [])),  # its rest was credited at the pause
    ("paused", "cancel_term_end", ("canceled", False, [])),  # nothing is billed until then
    ("paused", "resume", ("active", False, [CHARGE_BACK])),
    ("paused", "reactivate", ("active", False, [CHARGE_BACK])),
    ("canceled", "reactivate", ("active", False, [CHARGE_BACK])),
]
REFUSED: list[tuple[str, str, str]] = [
    ("trialing", "pause", "invalid_transition"),
    ("trialing", "resume", "not_paused"),
    ("trialing", "reactivate", "not_canceled"),
    ("active", "resume", "not_paused"),
    ("active", "reactivate", "not_canceled"),
    ("past_due", "resume", "not_paused"),
    ("past_due", "reactivate", "not_canceled"),
    ("paused", "change", "invalid_transition"),
    ("paused", "pause", "invalid_transition"),
    ("canceled", "change", "invalid_transition"),
    ("canceled", "cancel_now", "invalid_transition"),
    ("canceled", "cancel_term_end", "invalid_transition"),
    ("canceled", "pause", "invalid_transition"),
    ("canceled", "resume", "not_paused"),
    ("expired", "change", "trial_expired"),
    ("expired", "cancel_now", "trial_expired"),
    ("expired", "cancel_term_end", "trial_expired"),
    ("expired", "pause", "trial_expired"),
    ("expired", "resume", "not_paused"),
    ("expired", "reactivate", "trial_expired"),
]


def _params(cases: Sequence[tuple[str, str, object]]) -> list[Any]:
    return [pytest.param(*case, id=f"{case[0]}-{case[1]}") for case in cases]


def test_the_tables_cover_every_status_and_action_once() -> None:
    covered = [(c[0], c[1]) for c in ALLOWED] + [(c[0], c[1]) for c in REFUSED]
    assert sorted(covered) == sorted((s.value, a) for s in Status for a in ACTIONS)


@pytest.mark.parametrize(("status", "action", "expected"), _params(ALLOWED))
def test_an_allowed_transition(
    status: str, action: str, expected: tuple[str, bool, list[tuple[str, int]]]
) -> None:
    d = _in(status)
    before = len(d.items)

    out = ACTIONS[action](d)

    to, at_term_end, items = expected
    assert (d.sub.status, d.sub.cancel_at_period_end) == (to, at_term_end)
    assert [(i.kind.value, i.amount) for i in d.items[before:]] == items
    for item in d.items[before:]:
        assert (item.period_start, item.period_end) == (DAY, date(2026, 4, 1))
        assert (item.days, item.period_days) == (21, 31)
    assert (out.events[-1].from_status, out.events[-1].to_status) == (status, to)
    if to != status:
        assert Status(to) in TRANSITIONS[Status(status)]


@pytest.mark.parametrize(("status", "action", "code"), _params(REFUSED))
def test_a_refused_transition_changes_nothing(status: str, action: str, code: str) -> None:
    d = _in(status)
    sub, log, items = d.sub, list(d.log), list(d.items)

    with pytest.raises(DomainError) as caught:
        ACTIONS[action](d)

    assert caught.value.code == code
    assert caught.value.status == 409
    assert (d.sub, d.log, d.items) == (sub, log, items)


def test_a_subscription_canceled_long_ago_is_refused_a_change_for_its_status() -> None:
    # Its period stopped at [Mar 1, Apr 1); a change in May once computed a credit for
    # [May 5, Apr 1) and failed with "-34 days do not fit a 31-day period".
    d = _in("canceled")
    d.advance(date(2026, 5, 5))

    with pytest.raises(DomainError) as caught:
        d.change(date(2026, 5, 5), PRO2)

    assert (caught.value.code, caught.value.field) == ("invalid_transition", "status")
    assert "reactivate it first" in caught.value.message


def test_a_trial_canceled_now_expires_at_once_with_no_item() -> None:
    d = _in("expired")

    assert (d.sub.ended_on, d.sub.due_on(), d.sub.next_payment_on()) == (
        date(2026, 3, 6),
        None,
        None,
    )
    assert d.items == []
    assert d.sub.shown_status == "Inactive"


# -- the change rules --------------------------------------------------------------------


def _active(policy: ChangePolicy = ChangePolicy(), max_seats: int | None = None) -> Driver:
    return Driver.start(price_book(policy, max_seats=max_seats), BASIC2, START)


def _refused(d: Driver, act: Callable[[Driver], object], code: str, field: str | None) -> None:
    sub, log, items = d.sub, list(d.log), list(d.items)
    with pytest.raises(DomainError) as caught:
        act(d)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert (d.sub, d.log, d.items) == (sub, log, items)


def test_a_change_to_what_is_held_is_refused() -> None:
    _refused(_active(), lambda d: d.change(DAY, BASIC2), "no_change", None)


def test_a_plan_of_another_family_is_refused() -> None:
    other = replace(terms("helpdesk"), quantity=1)
    _refused(_active(), lambda d: d.change(DAY, other), "wrong_family", "plan")


def test_a_downgrade_now_is_refused_when_the_policy_waits_for_the_term_end() -> None:
    _refused(
        _active(),
        lambda d: d.change(DAY, terms("solo"), Timing.NOW),
        "change_not_allowed_now",
        "when",
    )


def test_fewer_seats_now_is_refused_even_during_a_trial() -> None:
    d = Driver.start(price_book(ChangePolicy(), trial_days=14), BASIC2, START, trial=True)
    _refused(
        d, lambda d: d.change(DAY, terms("basic"), Timing.NOW), "change_not_allowed_now", "when"
    )


def test_a_cycle_change_is_refused_when_the_policy_keeps_cycles() -> None:
    yearly = replace(BASIC2, cycle=Cycle.ANNUAL)
    policy = ChangePolicy(cycle_change=False)
    _refused(_active(policy), lambda d: d.change(DAY, yearly), "cycle_change_not_allowed", "cycle")


def test_seats_beyond_the_plan_maximum_are_refused() -> None:
    _refused(
        _active(max_seats=5),
        lambda d: d.change(DAY, terms("basic", quantity=6)),
        "seats_out_of_range",
        "quantity",
    )


def test_a_downgrade_waits_for_the_term_end_and_a_second_one_replaces_it() -> None:
    d = _active()

    d.change(DAY, terms("solo"))
    d.change(date(2026, 3, 12), terms("basic"))  # fewer seats: waits too

    assert d.items[1:] == []
    assert d.sub.scheduled is not None
    assert (d.sub.scheduled.terms, d.sub.scheduled.effective) == (terms("basic"), date(2026, 4, 1))
    assert [e.kind for e in d.events[1:]] == ["change_scheduled", "change_scheduled"]
    assert [e.details["replaces"] for e in d.events[1:]] == [False, True]


def test_an_immediate_change_withdraws_the_scheduled_one() -> None:
    d = _active()
    d.change(DAY, terms("solo"))

    d.change(DAY, PRO2)

    assert d.sub.scheduled is None
    assert d.events[-1].details["scheduled_change_withdrawn"] is True
    assert [(i.kind.value, i.amount) for i in d.items[1:]] == [CREDIT, CHARGE_PRO]


def test_withdrawing_a_scheduled_change_and_withdrawing_nothing() -> None:
    d = _active()
    d.change(DAY, terms("solo"))

    d.withdraw(DAY)

    assert d.sub.scheduled is None
    assert d.events[-1].kind == "scheduled_change_withdrawn"
    _refused(d, lambda d: d.withdraw(DAY), "nothing_scheduled", None)


def test_cancel_at_term_end_withdraws_a_scheduled_change_and_blocks_new_ones() -> None:
    d = _active()
    d.change(DAY, terms("solo"))

    d.cancel(DAY, Timing.TERM_END)

    assert (d.sub.scheduled, d.sub.cancel_at_period_end) == (None, True)
    assert d.events[-1].details == {"effective": "2026-04-01", "withdrew_change": True}
    assert d.sub.next_payment_on() is None  # nothing more is billed
    _refused(d, lambda d: d.cancel(DAY, Timing.TERM_END), "cancel_scheduled", None)
    _refused(d, lambda d: d.change(DAY, terms("solo")), "cancel_scheduled", None)


def test_reactivating_before_the_term_end_withdraws_the_cancellation_for_free() -> None:
    d = _active()
    d.cancel(DAY, Timing.TERM_END)

    d.reactivate(date(2026, 3, 20))

    assert (d.sub.status, d.sub.cancel_at_period_end) == (Status.ACTIVE, False)
    assert d.events[-1].kind == "cancel_withdrawn"
    assert d.items[1:] == []
    assert d.sub.next_payment_on() == date(2026, 4, 1)


def test_a_trial_cannot_be_paused_and_says_what_to_do() -> None:
    d = Driver.start(price_book(trial_days=14), BASIC2, START, trial=True)
    with pytest.raises(SubscriptionError, match="cancel it or let it convert"):
        d.pause(DAY)


# -- which day "today" is -----------------------------------------------------------------


def _on(d: Driver, instant: datetime) -> date:
    """What the use cases do: today is the local date of the instant in the account's zone;
    the subscription first passes every period end up to it."""
    today = local_date(instant, zone(d.sub.time_zone))
    d.advance(today)
    return today


def test_tokyo_2330_on_the_last_day_and_0030_the_next_day_are_in_different_periods() -> None:
    # Anchor Jan 31 in Tokyo: [Jan 31, Feb 28) has 28 days, then [Feb 28, Mar 31) has 31.
    book = price_book()
    late = Driver.start(book, terms("basic"), date(2026, 1, 31), tz="Asia/Tokyo")
    early = Driver.start(book, terms("basic"), date(2026, 1, 31), tz="Asia/Tokyo")

    # 23:30 on Feb 27 in Tokyo is 14:30 UTC; 00:30 on Feb 28 is 15:30 UTC, still Feb 27 UTC.
    late.change(_on(late, datetime.fromisoformat("2026-02-27T14:30:00+00:00")), terms("pro"))
    early.change(_on(early, datetime.fromisoformat("2026-02-27T15:30:00+00:00")), terms("pro"))

    # The last day: credit 1490 x 1/28 = 53.21 -> -53, charge 3270 x 1/28 = 116.79 -> 117.
    assert [(i.kind.value, i.amount, i.period_start, i.days) for i in late.items[1:]] == [
        ("credit", -53, date(2026, 2, 27), 1),
        ("charge", 117, date(2026, 2, 27), 1),
    ]
    # The next day renews first (1490 for [Feb 28, Mar 31)); then all 31 of 31 days move.
    assert [(i.kind.value, i.amount, i.period_start, i.days) for i in early.items[1:]] == [
        ("recurring", 1490, date(2026, 2, 28), None),
        ("credit", -1490, date(2026, 2, 28), 31),
        ("charge", 3270, date(2026, 2, 28), 31),
    ]
    assert (late.sub.period_end, early.sub.period_end) == (date(2026, 2, 28), date(2026, 3, 31))


def test_new_york_today_follows_daylight_saving_time() -> None:
    # Anchor Feb 10: [Feb 10, Mar 10) holds the 23-hour Mar 8 and still counts 28 days.
    book = price_book()
    late = Driver.start(book, terms("basic"), date(2026, 2, 10), tz="America/New_York")
    early = Driver.start(book, terms("basic"), date(2026, 2, 10), tz="America/New_York")

    # The period ends at local midnight Mar 10 EDT = 04:00 UTC (EST would say 05:00).
    assert late.sub.due_at() == datetime.fromisoformat("2026-03-10T04:00:00+00:00")
    # 03:30 UTC is 23:30 EDT on Mar 9; 04:30 UTC is 00:30 EDT on Mar 10.
    late.change(_on(late, datetime.fromisoformat("2026-03-10T03:30:00+00:00")), terms("pro"))
    early.change(_on(early, datetime.fromisoformat("2026-03-10T04:30:00+00:00")), terms("pro"))

    assert [(i.kind.value, i.amount, i.days) for i in late.items[1:]] == [
        ("credit", -53, 1),  # 1490 x 1/28 = 53.21
        ("charge", 117, 1),  # 3270 x 1/28 = 116.79
    ]
    # [Mar 10, Apr 10) has 31 days: a renewal, then the whole period moves.
    assert [(i.kind.value, i.amount, i.days) for i in early.items[1:]] == [
        ("recurring", 1490, None),
        ("credit", -1490, 31),
        ("charge", 3270, 31),
    ]
    # In the fall the offset goes back: [Oct 10, Nov 10) ends at 00:00 EST = 05:00 UTC.
    early.advance(date(2026, 10, 10))
    assert early.sub.period_end == date(2026, 11, 10)
    assert early.sub.due_at() == datetime.fromisoformat("2026-11-10T05:00:00+00:00")
