"""MRR rules (domain/subscriptions/revenue.py) on a hand-made log of held terms: the monthly
value of each cycle, one rounding per subscription, the snapshot day, trials, currencies kept
apart, and movements per currency, family and plan."""

from __future__ import annotations

from datetime import date

from plansmith.domain.kernel.periods import Cycle
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.revenue import (
    Figures,
    HeldSpan,
    month_figures,
    month_starts,
    monthly_value,
)
from plansmith.domain.subscriptions.subscription import Terms
from tests.unit.subscription_builders import price_book, terms

D = date
BOOK = price_book()


def _held(
    sub: str, account: str, start: date, end: date | None, t: Terms, trial: bool = False
) -> HeldSpan:
    family = "fam-support" if t.plan_id == "plan-helpdesk" else "fam-service"
    span = Span(1, start, end, t, t.plan_id, trial, False, None)
    return HeldSpan(sub, account, family, span)


def test_the_monthly_value_of_each_cycle_is_rounded_once_half_up() -> None:
    # Monthly: 3 seats of Basic at 1,490, the AI add-on at 500 and 2 chat at 310.
    monthly = terms("basic", quantity=3, add_ons={"ai": 1, "chat": 2})
    assert monthly_value(monthly, BOOK) == 3 * 1490 + 500 + 2 * 310
    # Quarterly at 6 % off: 1,490 x 3 x 0.94 = 4,201 a seat; 2 seats over 3 months: 2,800.67.
    quarterly = terms("basic", quantity=2, cycle=Cycle.QUARTERLY)
    assert monthly_value(quarterly, BOOK) == 2801
    # Every 2 weeks: 670 for 14 days; a month is 365 / 12 days: 670 x 365 / 168 = 1,455.65.
    fortnightly = terms("basic", cycle=Cycle.parse("2_weeks"))
    assert monthly_value(fortnightly, BOOK) == 1456
    # Annual at 30 % off: 1,490 x 12 x 0.7 = 12,516 a year: 1,043 a month.
    assert monthly_value(terms("basic", cycle=Cycle.ANNUAL), BOOK) == 1043


def test_month_starts_cross_the_year() -> None:
    assert month_starts(D(2026, 11, 30), D(2027, 2, 1)) == [
        D(2026, 11, 1),
        D(2026, 12, 1),
        D(2027, 1, 1),
        D(2027, 2, 1),
    ]


def test_a_change_of_plan_is_expansion_in_its_currency_and_churn_and_new_by_plan() -> None:
    basic, pro = terms("basic", quantity=2), terms("pro", quantity=2)
    spans = [
        _held("s1", "a1", D(2026, 1, 10), D(2026, 2, 15), basic),
        _held("s1", "a1", D(2026, 2, 15), None, pro),
    ]

    jan, feb = month_figures(spans, BOOK, D(2026, 1, 1), D(2026, 2, 28), D(2026, 3, 5))

    assert jan.by_currency["JPY"] == Figures(mrr=2980, subscriptions=1, customers=1, new=2980)
    assert feb.by_currency["JPY"] == Figures(
        mrr=6540, subscriptions=1, customers=1, expansion=6540 - 2980
    )
    assert feb.by_family[("JPY", "fam-service")].expansion == 6540 - 2980
    assert feb.by_plan[("JPY", "plan-basic")] == Figures(churned=2980)
    assert feb.by_plan[("JPY", "plan-pro")] == Figures(
        mrr=6540, subscriptions=1, customers=1, new=6540
    )


def test_trials_are_counted_apart_and_worth_nothing_until_they_convert() -> None:
    t = terms("pro")
    spans = [
        _held("s1", "a1", D(2026, 1, 20), D(2026, 2, 3), t, trial=True),
        _held("s1", "a1", D(2026, 2, 3), None, t),
    ]

    jan, feb = month_figures(spans, BOOK, D(2026, 1, 1), D(2026, 2, 1), D(2026, 12, 1))

    assert (jan.by_currency["JPY"].mrr, jan.by_currency["JPY"].trialing, jan.trialing) == (0, 1, 1)
    assert (jan.subscriptions, jan.customers) == (0, 0)
    assert feb.by_currency["JPY"] == Figures(mrr=3270, subscriptions=1, customers=1, new=3270)


def test_currencies_are_never_added_and_counts_are_across_them() -> None:
    spans = [
        _held("s1", "a1", D(2026, 1, 1), None, terms("basic", currency="JPY")),
        _held("s2", "a2", D(2026, 1, 1), None, terms("basic", currency="KWD")),
        _held("s3", "a2", D(2026, 1, 1), None, terms("helpdesk", currency="KWD")),
    ]

    (jan,) = month_figures(spans, BOOK, D(2026, 1, 1), D(2026, 1, 31), D(2026, 6, 1))

    assert jan.by_currency["JPY"].mrr == 1490
    assert jan.by_currency["KWD"].mrr == 3125 + 5750
    assert jan.by_currency["KWD"].customers == 1
    assert (jan.subscriptions, jan.customers) == (3, 2)


def test_a_span_ending_on_the_snapshot_day_is_out_and_this_month_is_read_today() -> None:
    t = terms("basic")
    spans = [
        _held("s1", "a1", D(2026, 1, 1), D(2026, 1, 31), t),  # its last day in service: Jan 30
        _held("s2", "a2", D(2026, 2, 1), D(2026, 2, 20), t),  # cancelled on the 20th
    ]

    jan, feb = month_figures(spans, BOOK, D(2026, 1, 1), D(2026, 12, 31), D(2026, 2, 10))

    assert (jan.as_of, jan.by_currency.get("JPY", Figures()).mrr) == (D(2026, 1, 31), 0)
    # February is read on the 10th, today: s2 is still in service; no month after today.
    assert (feb.as_of, feb.by_currency["JPY"].mrr) == (D(2026, 2, 10), 1490)
    assert feb.by_currency["JPY"].new == 1490
