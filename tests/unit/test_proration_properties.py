"""Daily proration against an independent reference model, on the pure rules.

The model knows only the price table and which terms were held on each day; it values a day
at period price / days in the period, exactly (Fraction), and compares with the sum of every
item the rules made. Rounding happens once per item, half-up, so the total may differ from the
model by at most half a minor unit per prorated item: one unit per change of one component
(one credit and one charge). A change that touches several components (a cancel with add-ons)
makes a line per component, so it may be off by more than one unit (see the last test).
A full period with no change costs exactly the period price.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.invoicing.invoice import LineKind
from plansmith.domain.kernel.periods import BillingSchedule, Cycle, Period, zone
from plansmith.domain.subscriptions.subscription import BillableItem, Status, Terms
from tests.unit.subscription_builders import (
    ALL_NOW,
    CURRENCIES,
    CYCLES,
    PLANS,
    Driver,
    is_flat,
    price,
    price_book,
    terms,
)

ZONES = ("UTC", "Asia/Tokyo", "America/New_York")
PLAN_CODES = tuple(code for code, *_ in PLANS)
# Month ends and leap days, where clamping makes 28-, 29-, 30- and 31-day periods.
EDGE_ANCHORS = (date(2027, 1, 31), date(2027, 2, 1), date(2028, 1, 31), date(2028, 2, 1))
ANCHORS = st.one_of(
    st.sampled_from((*EDGE_ANCHORS, date(2028, 2, 29), date(2029, 4, 30))),
    st.dates(date(2027, 1, 1), date(2029, 12, 31)),
)
# Months weigh more: most subscriptions are monthly, and their periods vary most.
CYCLE_CHOICES = st.sampled_from((Cycle.MONTHLY, Cycle.MONTHLY, *CYCLES))
ADD_ON_SETS = st.fixed_dictionaries({"ai": st.integers(0, 1), "chat": st.integers(0, 3)})


@dataclass(frozen=True)
class Held:
    """What the model says is held: a plan, its seats, and add-ons (code -> quantity)."""

    plan: str
    quantity: int
    add_ons: Mapping[str, int]

    def __post_init__(self) -> None:
        # Normalized like the rules' Terms: an add-on held 0 times is not held.
        object.__setattr__(self, "add_ons", {k: v for k, v in sorted(self.add_ons.items()) if v})

    def components(self, currency: str, cycle: Cycle) -> list[tuple[str, int, int]]:
        """(component key, unit price from the table, quantity), add-ons with 0 left out."""
        parts = [("plan", price(self.plan, currency, cycle), self.quantity)]
        parts += [
            (f"add_on:{code}", price(code, currency, cycle), n) for code, n in self.add_ons.items()
        ]
        return parts


@dataclass(frozen=True)
class History:
    currency: str
    cycle: Cycle
    tz: str
    anchor: date
    renewals: int  # full periods before the one the changes happen in
    start: Held
    steps: tuple[tuple[int, str, object], ...]  # (day index in the period, action, argument)

    @property
    def period(self) -> Period:
        return BillingSchedule(self.anchor, self.cycle, zone(self.tz)).period(self.renewals)


ACTIONS = st.one_of(
    st.tuples(st.just("plan"), st.sampled_from(PLAN_CODES)),
    st.tuples(st.just("seats"), st.integers(1, 6)),
    st.tuples(st.just("add_ons"), ADD_ON_SETS),
    st.tuples(st.just("cancel"), st.none()),
    st.tuples(st.just("reactivate"), st.none()),
)


@st.composite
def histories(draw: st.DrawFn) -> History:
    plan = draw(st.sampled_from(PLAN_CODES))
    start = Held(plan, 1 if is_flat(plan) else draw(st.integers(1, 6)), draw(ADD_ON_SETS))
    h = History(
        currency=draw(st.sampled_from(CURRENCIES)),
        cycle=draw(CYCLE_CHOICES),
        tz=draw(st.sampled_from(ZONES)),
        anchor=draw(ANCHORS),
        renewals=draw(st.integers(0, 2)),
        start=start,
        steps=(),
    )
    days = h.period.days
    steps = draw(st.lists(st.tuples(st.integers(0, days - 1), ACTIONS), min_size=1, max_size=10))
    ordered = sorted(((day, kind, arg) for day, (kind, arg) in steps), key=lambda s: s[0])
    return History(h.currency, h.cycle, h.tz, h.anchor, h.renewals, start, tuple(ordered))


def _target(held: Held, kind: str, arg: object) -> Held:
    if kind == "plan":
        assert isinstance(arg, str)
        return Held(arg, 1 if is_flat(arg) else held.quantity, held.add_ons)
    if kind == "seats":
        assert isinstance(arg, int)
        return Held(held.plan, 1 if is_flat(held.plan) else arg, held.add_ons)
    assert isinstance(arg, dict)
    return Held(held.plan, held.quantity, arg)


def _terms(h: History, held: Held) -> Terms:
    return terms(
        held.plan,
        cycle=h.cycle,
        currency=h.currency,
        quantity=held.quantity,
        add_ons=held.add_ons,
    )


def play(h: History, *, pay_per_day: bool = False) -> tuple[Driver, dict[date, Held | None], int]:
    """Run the history through the rules; return the driver, what the model says was held
    at the end of each day of the period, and how many steps took effect."""
    book = price_book(ALL_NOW, pay_per_day=pay_per_day)
    driver = Driver.start(book, _terms(h, h.start), h.anchor, tz=h.tz)
    period = h.period
    driver.advance(period.start)
    assert (driver.sub.period_start, driver.sub.period_end) == (period.start, period.end)
    held: Held | None = h.start
    last = h.start
    after_day: dict[date, Held | None] = {}
    applied = 0
    for index, kind, arg in h.steps:
        day = period.start + timedelta(days=index)
        if held is None:
            if kind != "reactivate":
                continue  # a canceled subscription takes no change (see the rules tests)
            driver.reactivate(day)
            held = last
        elif kind == "cancel":
            driver.cancel(day)
            held = None
        elif kind == "reactivate":
            continue
        else:
            target = _target(held, kind, arg)
            if target == held:
                continue  # the same terms: the rules refuse it as no_change
            driver.change(day, _terms(h, target))
            held = last = target
        applied += 1
        after_day[day] = held
    return driver, after_day, applied


def held_on_each_day(h: History, after_day: Mapping[date, Held | None]) -> list[Held | None]:
    """The terms in service on each day: the state after the last step on or before it."""
    period = h.period
    held: Held | None = h.start
    result = []
    for i in range(period.days):
        day = period.start + timedelta(days=i)
        held = after_day.get(day, held)
        result.append(held)
    return result


def half_up(value: Fraction) -> int:
    """Half-up on the magnitude, written independently of the money module."""
    magnitude = math.floor(abs(value) + Fraction(1, 2))
    return magnitude if value >= 0 else -magnitude


@settings(max_examples=300, deadline=None)
@given(histories())
def test_changes_in_a_period_charge_what_the_days_held_were_worth(h: History) -> None:
    driver, after_day, _ = play(h)
    period = h.period

    this_period = [i for i in driver.items if i.period_start >= period.start]
    earlier = [i for i in driver.items if i.period_start < period.start]
    # The model: each day is worth price / days of the period, for each held component.
    worth = sum(
        (
            Fraction(unit * quantity, period.days)
            for held in held_on_each_day(h, after_day)
            if held is not None
            for _, unit, quantity in held.components(h.currency, h.cycle)
        ),
        Fraction(0),
    )
    prorated = [i for i in this_period if i.kind in (LineKind.CREDIT, LineKind.CHARGE)]
    total = sum(i.amount for i in this_period)
    # Each prorated item rounds once, so is off by at most half a minor unit.
    assert abs(total - worth) <= Fraction(len(prorated), 2)
    for item in prorated:
        assert item.period_end == period.end
        assert item.days == (item.period_end - item.period_start).days
        assert item.period_days == period.days
        exact = Fraction(item.unit_amount * item.quantity * item.days, period.days)
        assert item.amount == half_up(-exact if item.kind is LineKind.CREDIT else exact)
    # The period began with one full charge of the starting terms, in advance.
    recurring = [i for i in this_period if i.kind is LineKind.RECURRING]
    assert [(i.component, i.unit_amount, i.quantity, i.amount) for i in recurring] == [
        (key, unit, n, unit * n) for key, unit, n in h.start.components(h.currency, h.cycle)
    ]
    assert all((i.period_start, i.period_end) == (period.start, period.end) for i in recurring)
    # Full periods before it cost exactly their price, once per period.
    full = sum(unit * n for _, unit, n in h.start.components(h.currency, h.cycle))
    assert sum(i.amount for i in earlier) == full * h.renewals


@settings(max_examples=150, deadline=None)
@given(histories())
def test_a_full_period_with_no_change_costs_exactly_the_period_price(h: History) -> None:
    quiet = History(h.currency, h.cycle, h.tz, h.anchor, h.renewals, h.start, ())
    driver, _, _ = play(quiet)
    period = quiet.period
    schedule = BillingSchedule(h.anchor, h.cycle, zone(h.tz))

    driver.advance(period.end)  # and the next period is charged in advance

    full = sum(unit * n for _, unit, n in h.start.components(h.currency, h.cycle))
    by_period: Counter[tuple[date, date]] = Counter()
    for item in driver.items:
        assert item.kind is LineKind.RECURRING
        by_period[(item.period_start, item.period_end)] += item.amount
    expected = [schedule.period(i) for i in range(h.renewals + 2)]
    assert by_period == Counter({(p.start, p.end): full for p in expected})
    # The model agrees: the days of any period sum to exactly its price.
    assert sum((Fraction(full, period.days) for _ in range(period.days)), Fraction(0)) == full


@settings(max_examples=200, deadline=None)
@given(histories())
def test_pay_per_day_bills_each_plan_and_quantity_once_for_its_days_held(h: History) -> None:
    driver, after_day, _ = play(h, pay_per_day=True)
    period = h.period
    before_end = list(driver.items)

    driver.advance(period.end)

    # Nothing is billed in advance or during the period...
    assert [i for i in before_end if i.period_start >= period.start] == []
    billed = [i for i in driver.items if i.period_start == period.start]
    # ... and at its end, one line per (component, price, quantity): days x day rate, once.
    days: Counter[tuple[str, int, int]] = Counter()
    for held in held_on_each_day(h, after_day):
        if held is not None:
            days.update(held.components(h.currency, h.cycle))
    expected = sorted(
        (key, unit, n, d, half_up(Fraction(unit * n * d, period.days)))
        for (key, unit, n), d in days.items()
    )
    got = sorted((i.component, i.unit_amount, i.quantity, i.days, i.amount) for i in billed)
    assert got == expected
    assert all(i.kind is LineKind.ACCRUAL and i.period_end == period.end for i in billed)
    assert all(i.period_days == period.days for i in billed)
    if after_day and list(after_day.values())[-1] is None:
        assert driver.sub.status is Status.CANCELED
        assert driver.sub.due_on() is None  # the stopped period is billed; nothing more


def _item_total(items: list[BillableItem]) -> int:
    return sum(i.amount for i in items)


def test_the_model_and_the_rules_agree_on_a_hand_computed_history() -> None:
    # One worked example of the property, so its figures can be read: JPY, basic x 2,
    # monthly from 2027-03-01 ([Mar 1, Apr 1), 31 days, 2 x 1490 = 2980 in advance).
    # Day 10 (Mar 11): pro x 2; credit 2980 x 21/31 = 2018.71 -> -2019,
    #                  charge 6540 x 21/31 = 4430.32 -> 4430.
    # Day 20 (Mar 21): cancel; credit 6540 x 11/31 = 2320.65 -> -2321.
    # Day 25 (Mar 26): reactivate; charge 6540 x 6/31 = 1265.81 -> 1266.
    # Total 2980 - 2019 + 4430 - 2321 + 1266 = 4336; the days held were worth
    # 2980 x 10/31 + 6540 x (10 + 6)/31 = (29800 + 104640)/31 = 4336.77.
    h = History(
        "JPY",
        Cycle.MONTHLY,
        "UTC",
        date(2027, 3, 1),
        0,
        Held("basic", 2, {}),
        ((10, "plan", "pro"), (20, "cancel", None), (25, "reactivate", None)),
    )
    driver, after_day, applied = play(h)

    assert [(i.kind.value, i.amount, i.period_start.day) for i in driver.items] == [
        ("recurring", 2980, 1),
        ("credit", -2019, 11),
        ("charge", 4430, 11),
        ("credit", -2321, 21),
        ("charge", 1266, 26),
    ]
    assert _item_total(driver.items) == 4336
    assert applied == 3
    held = held_on_each_day(h, after_day)
    assert [x.plan if x else None for x in held].count("pro") == 16


def test_a_cancel_with_add_ons_rounds_each_line_so_may_be_off_by_more_than_one_unit() -> None:
    # JPY quarterly, solo + ai + chat; anchor 2027-01-31, second period [Apr 30, Jul 31) of
    # 92 days, canceled on its second day: 91 of 92 days are credited, per component.
    # Table prices per quarter: solo 2980 x 3 x 94 % = 8403, ai 1410, chat 874.
    # solo 8403 x 91/92 = 8311.66 -> -8312; ai 1410 x 91/92 = 1394.67 -> -1395;
    # chat 874 x 91/92 = 864.5 exactly, a tie: half-up on the magnitude -> -865.
    h = History(
        "JPY",
        Cycle.QUARTERLY,
        "UTC",
        date(2027, 1, 31),
        1,
        Held("solo", 1, {"ai": 1, "chat": 1}),
        ((1, "cancel", None),),
    )
    driver, _, _ = play(h)

    credits = [i for i in driver.items if i.kind is LineKind.CREDIT]
    assert [(i.component, i.amount, i.days, i.period_days) for i in credits] == [
        ("plan", -8312, 91, 92),
        ("add_on:ai", -1395, 91, 92),
        ("add_on:chat", -865, 91, 92),
    ]
    # Held: 1 day of (8403 + 1410 + 874) / 92 = 10687/92 = 116.16; billed 10687 - 10572 = 115,
    # 1.16 less: each of the three credits rounded up in magnitude (still < 3 x 1/2).
    billed = sum(i.amount for i in driver.items if i.period_start >= h.period.start)
    assert billed == 115
    assert Fraction(10687, 92) - billed == Fraction(107, 92)
