"""The log of held terms: spans opened and closed by changes, one-day-or-less spans kept, numbering,
the diff the use cases save, and the pay-per-day days it yields."""

from __future__ import annotations

from datetime import date

from plansmith.domain.kernel.periods import Period, zone
from plansmith.domain.subscriptions.held_log import Span, active_days, apply_held, changed_spans
from plansmith.domain.subscriptions.price_book import Component
from plansmith.domain.subscriptions.proration import ActiveDays
from plansmith.domain.subscriptions.subscription import Held, Terms
from tests.unit.subscription_builders import price_book, terms

BASIC = terms("basic", quantity=2)
PRO = terms("pro", quantity=2)
SOLO = terms("solo")
D1, D2, D3, D4 = date(2026, 3, 1), date(2026, 3, 11), date(2026, 3, 21), date(2026, 3, 26)


def _span(
    seq: int,
    start: date,
    end: date | None,
    held: Terms,
    name: str,
    ended_by: str | None = None,
    *,
    pay_per_day: bool = False,
    trial: bool = False,
) -> Span:
    return Span(seq, start, end, held, name, trial, pay_per_day, ended_by)


def test_the_first_terms_open_span_one() -> None:
    log = apply_held([], [Held(D1, BASIC, "subscribed", plan_name="Basic")])

    assert log == [_span(1, D1, None, BASIC, "Basic")]


def test_a_change_closes_the_open_span_with_its_reason_and_opens_the_next_number() -> None:
    log = apply_held([], [Held(D1, BASIC, "subscribed", plan_name="Basic")])

    log = apply_held(log, [Held(D2, PRO, "changed", plan_name="Pro")])

    assert log == [
        _span(1, D1, D2, BASIC, "Basic", "changed"),
        _span(2, D2, None, PRO, "Pro"),
    ]


def test_a_cancel_only_closes_and_a_reactivation_opens_after_the_gap() -> None:
    log = apply_held([], [Held(D1, BASIC, "subscribed", plan_name="Basic")])

    log = apply_held(
        log, [Held(D2, None, "canceled"), Held(D3, BASIC, "reactivated", plan_name="Basic")]
    )

    assert log == [
        _span(1, D1, D2, BASIC, "Basic", "canceled"),
        _span(2, D3, None, BASIC, "Basic"),
    ]


def test_terms_held_for_no_day_stay_in_the_log_as_an_empty_span() -> None:
    log = apply_held([], [Held(D1, BASIC, "subscribed", plan_name="Basic")])

    # Pro from D2, then Solo the same day: Pro was held for no day, yet the customer chose it.
    log = apply_held(
        log,
        [Held(D2, PRO, "changed", plan_name="Pro"), Held(D2, SOLO, "changed", plan_name="Solo")],
    )

    assert log == [
        _span(1, D1, D2, BASIC, "Basic", "changed"),
        _span(2, D2, D2, PRO, "Pro", "changed"),
        _span(3, D2, None, SOLO, "Solo"),
    ]


def test_a_span_closed_the_day_it_opened_ends_the_way_the_day_ended() -> None:
    log = apply_held([], [Held(D1, BASIC, "subscribed", plan_name="Basic")])

    # Changed on D2, canceled the same day: Basic was replaced, Pro canceled on D2.
    log = apply_held(log, [Held(D2, PRO, "changed", plan_name="Pro"), Held(D2, None, "canceled")])

    assert log == [
        _span(1, D1, D2, BASIC, "Basic", "changed"),
        _span(2, D2, D2, PRO, "Pro", "canceled"),
    ]


def test_a_subscription_canceled_the_day_it_began_keeps_its_empty_span() -> None:
    log = apply_held([], [Held(D1, BASIC, "subscribed", plan_name="Basic")])

    assert apply_held(log, [Held(D1, None, "canceled")]) == [
        _span(1, D1, D1, BASIC, "Basic", "canceled")
    ]


def test_a_predecessor_ending_earlier_keeps_its_reason_when_a_later_span_closes_empty() -> None:
    log = [
        _span(1, D1, D2, BASIC, "Basic", "canceled"),
        _span(2, D3, None, BASIC, "Basic"),
    ]

    # Reactivated on D3, paused on D3: span 2 holds no day; span 1 still ended on D2, canceled.
    after = apply_held(log, [Held(D3, None, "paused")])

    assert after == [
        _span(1, D1, D2, BASIC, "Basic", "canceled"),
        _span(2, D3, D3, BASIC, "Basic", "paused"),
    ]


def test_an_empty_span_counts_no_pay_per_day_day() -> None:
    log = [_span(1, D1, D1, BASIC, "Basic", "canceled", pay_per_day=True)]
    period = Period(D1, D4, zone("UTC"))

    assert active_days(log, period, D4, price_book()) == []


def test_changed_spans_writes_the_closed_and_the_new_span() -> None:
    before = apply_held([], [Held(D1, BASIC, "subscribed", plan_name="Basic")])
    after = apply_held(before, [Held(D2, PRO, "changed", plan_name="Pro")])

    assert changed_spans(before, after) == (
        [_span(1, D1, D2, BASIC, "Basic", "changed"), _span(2, D2, None, PRO, "Pro")],
        [],
    )


def test_changed_spans_closes_a_span_held_for_no_day() -> None:
    before = [_span(1, D1, D2, BASIC, "Basic", "changed"), _span(2, D2, None, PRO, "Pro")]
    after = apply_held(before, [Held(D2, None, "canceled")])

    assert changed_spans(before, after) == ([_span(2, D2, D2, PRO, "Pro", "canceled")], [])


def test_changed_spans_writes_a_span_held_for_no_day_and_its_successor() -> None:
    before = [_span(1, D1, D2, BASIC, "Basic", "changed"), _span(2, D2, None, PRO, "Pro")]
    after = apply_held(before, [Held(D2, SOLO, "changed", plan_name="Solo")])

    # Span 1 is untouched; Pro closes on D2 (no day) and Solo opens as span 3.
    assert changed_spans(before, after) == (
        [_span(2, D2, D2, PRO, "Pro", "changed"), _span(3, D2, None, SOLO, "Solo")],
        [],
    )


def test_changed_spans_of_an_unchanged_log_is_nothing() -> None:
    log = [_span(1, D1, D2, BASIC, "Basic", "changed"), _span(2, D2, None, PRO, "Pro")]

    assert changed_spans(log, list(log)) == ([], [])


def test_days_within_counts_only_the_overlap_and_an_open_span_to_the_end() -> None:
    closed = _span(1, D2, D3, BASIC, "Basic", "changed")
    still_open = _span(2, D3, None, PRO, "Pro")

    assert closed.days_within(D1, date(2026, 4, 1)) == 10  # Mar 11..20
    assert closed.days_within(D4, date(2026, 4, 1)) == 0  # after it ended
    assert still_open.days_within(D1, date(2026, 4, 1)) == 11  # Mar 21..31
    assert still_open.days_within(D1, D4) == 5  # Mar 21..25


def test_active_days_prices_each_pay_per_day_span_and_skips_trials_and_other_spans() -> None:
    book = price_book()
    period = Period(D1, date(2026, 4, 1), zone("UTC"))
    log = [
        _span(1, D1, D2, BASIC, "Basic", "converted", pay_per_day=True, trial=True),
        _span(2, D2, D3, BASIC, "Basic", "changed", pay_per_day=True),
        _span(3, D3, D4, SOLO, "Solo", "changed"),  # not pay per day: billed in advance
        _span(4, D4, None, PRO, "Pro", pay_per_day=True),
    ]

    days = active_days(log, period, date(2026, 3, 31), book)

    # basic: Mar 11..20 = 10 days; pro: Mar 26..30 = 5 days (through Mar 31, excluded).
    assert days == [
        ActiveDays(Component("plan", "Basic", 1490, 2, BASIC.plan_id), 10),
        ActiveDays(Component("plan", "Pro", 3270, 2, PRO.plan_id), 5),
    ]
