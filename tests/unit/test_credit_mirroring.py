"""A credit gives back what was charged for its days: it mirrors the discount ratio of the
charge it reverses (the latest recurring or charge line of its part and plan covering its
days, on the same draft or invoiced before), whatever the coupons of now are.

Figures are worked by hand beside each example; the property runs any sequence of changes in
one period under one forever percentage coupon.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.application.invoicing.drafts import draft_lines
from plansmith.domain.invoicing.invoice import (
    Discount,
    DiscountKind,
    InvoiceLine,
    LineKind,
    TaxRate,
    billed_period,
)
from plansmith.domain.invoicing.pricing import (
    ChargedLine,
    DraftLine,
    price_lines,
    takes_something,
    totals,
)
from plansmith.domain.kernel.periods import Cycle, Period
from plansmith.domain.subscriptions.price_book import Component
from plansmith.domain.subscriptions.proration import charges, credits, recurring
from plansmith.domain.subscriptions.subscription import Terms

D = date
FEB = (D(2026, 2, 1), D(2026, 3, 1))
FEB_11 = D(2026, 2, 11)
JCT_10 = TaxRate("jct", "Consumption tax", Decimal("10"), inclusive=False)
OFF_15 = Discount("c15", "15 % off", DiscountKind.PERCENT, percent=Decimal("15"))


def line(
    kind: LineKind,
    amount: int,
    start: date,
    end: date = FEB[1],
    component: str | None = "plan",
    plan_id: str | None = "basic",
) -> DraftLine:
    return DraftLine(
        kind, f"{kind} {amount}", 1, abs(amount), amount, start, end, "i", plan_id, component
    )


def charged(
    amount: int,
    discount: int,
    start: date = FEB[0],
    component: str = "plan",
    plan_id: str | None = "basic",
) -> ChargedLine:
    return ChargedLine(component, plan_id, start, FEB[1], amount, discount)


def figures(lines: list[InvoiceLine]) -> list[tuple[int, int, int, int]]:
    return [(x.amount, x.discount, x.tax, x.total) for x in lines]


# -- examples ----------------------------------------------------------------------------------


def test_a_credit_mirrors_the_discount_of_the_invoiced_charge_it_reverses_jpy() -> None:
    # Feb 1: 3 seats 14,970, 15 % = 2,245.5 -> 2,246 off. Feb 11: 18 of 28 days unused,
    # -9,624, credited after the coupon ran out (no discounts now).
    history = [charged(14970, 2246)]

    priced = price_lines([line(LineKind.CREDIT, -9624, FEB_11)], [], JCT_10, history)

    # -9,624 x 2,246/14,970 = -1,443.94 -> -1,444; net -8,180, tax -818, total -8,998.
    assert figures(priced) == [(-9624, -1444, -818, -8998)]
    assert totals(priced).discount == -1444


def test_a_credit_rounds_its_mirrored_discount_half_away_from_zero() -> None:
    # 1,000 charged with 150 off (15 %); a credit of -9 gives back -9 x 0.15 = -1.35 -> -1,
    # a credit of -10 gives back -1.5 -> -2 (half-up on the magnitude, like the charge).
    history = [charged(1000, 150)]
    credits_ = [line(LineKind.CREDIT, -9, FEB_11), line(LineKind.CREDIT, -10, D(2026, 2, 20))]

    priced = price_lines(credits_, [], None, history)

    assert [x.discount for x in priced] == [-1, -2]


def test_a_credit_under_an_amount_coupon_gives_back_its_share_of_the_amount() -> None:
    # 1,000 off 14,970: -9,624 x 1,000/14,970 = -642.89 -> -643.
    priced = price_lines([line(LineKind.CREDIT, -9624, FEB_11)], [], None, [charged(14970, 1000)])

    assert figures(priced) == [(-9624, -643, 0, -8981)]


def test_a_coupon_of_now_does_not_discount_a_credit_whose_charge_it_did_not_discount() -> None:
    # Redeemed after Feb 1: the 14,970 was charged in full, so its credit is in full; the
    # coupon takes 15 % of the new charge only: 12,831 x 15 % = 1,924.65 -> 1,925.
    drafts = [line(LineKind.CREDIT, -9624, FEB_11), line(LineKind.CHARGE, 12831, FEB_11)]

    priced = price_lines(drafts, [OFF_15], None, [charged(14970, 0)])

    assert figures(priced) == [(-9624, 0, 0, -9624), (12831, 1925, 0, 10906)]


def test_on_the_same_draft_a_credit_mirrors_the_charge_made_before_it() -> None:
    # Feb 1 in advance (3 seats) and a change on Feb 11 billed together: the coupon takes
    # 15 % of 14,970 + 12,831 = 27,801 -> 4,170.15 -> 4,170, split 14,970 : 12,831 ->
    # 2,245.36, 1,924.64: floors 2,245 + 1,924, the unit to .64: 2,245, 1,925. The credit
    # then gives back -9,624 x 2,245/14,970 = -1,443.29 -> -1,443.
    drafts = [
        line(LineKind.RECURRING, 14970, FEB[0]),
        line(LineKind.CREDIT, -9624, FEB_11),
        line(LineKind.CHARGE, 12831, FEB_11),
    ]

    priced = price_lines(drafts, [OFF_15], None)

    assert [x.discount for x in priced] == [2245, -1443, 1925]


def test_the_latest_covering_charge_is_the_one_reversed() -> None:
    # Feb 1: 14,970 with 2,246 off; Feb 11: 12,831 with 1,925 off (both cover Feb 20 ..).
    # A credit from Feb 20, 9 of 28 days of 4 seats, -6,416, mirrors Feb 11's:
    # -6,416 x 1,925/12,831 = -962.59 -> -963.
    history = [charged(14970, 2246), charged(12831, 1925, start=FEB_11)]

    priced = price_lines([line(LineKind.CREDIT, -6416, D(2026, 2, 20))], [], None, history)

    assert priced[0].discount == -963


def test_a_later_change_charge_on_the_draft_is_not_reversed_by_an_earlier_credit() -> None:
    # The Feb 11 credit and charge of one change: the credit reverses the invoiced Feb 1 line
    # at 0 % (no coupon then), not the charge after it that the coupon of now discounts.
    drafts = [line(LineKind.CREDIT, -9624, FEB_11), line(LineKind.CHARGE, 9624, FEB_11)]

    priced = price_lines(drafts, [OFF_15], None, [charged(14970, 0)])

    assert [x.discount for x in priced] == [0, 1444]  # 9,624 x 15 % = 1,443.6 -> 1,444


def test_a_credit_reverses_only_a_charge_of_its_own_part_and_plan_covering_its_days() -> None:
    history = [
        charged(14970, 2246, plan_id="silver"),  # another plan (before an upgrade)
        charged(500, 75, component="add_on:ai", plan_id=None),  # an add-on
        ChargedLine("plan", "basic", D(2026, 1, 1), D(2026, 2, 1), 14970, 2246),  # January
    ]
    drafts = [
        line(LineKind.CREDIT, -9624, FEB_11),  # basic: nothing of its own covers Feb 11 ..
        line(LineKind.CREDIT, -321, FEB_11, component="add_on:ai", plan_id=None),
    ]

    priced = price_lines(drafts, [], None, history)

    # the add-on credit mirrors the add-on: -321 x 75/500 = -48.15 -> -48
    assert [x.discount for x in priced] == [0, -48]


def test_an_invoice_of_credits_only_does_not_use_a_coupon_but_mirrors_the_old_one() -> None:
    drafts = [line(LineKind.CREDIT, -9624, FEB_11)]

    priced = price_lines(drafts, [OFF_15], None, [charged(14970, 2246)])

    assert not takes_something(OFF_15, drafts)
    assert priced[0].discount == -1444


def test_the_billed_period_spans_the_lines() -> None:
    drafts = [
        line(LineKind.CREDIT, -9624, FEB_11),
        line(LineKind.RECURRING, 19960, FEB[1], D(2026, 4, 1)),
        DraftLine(LineKind.ONE_OFF, "pack", 1, 100, 100, None, None, "x"),
    ]

    assert billed_period(price_lines(drafts, [], None)) == (FEB_11, D(2026, 4, 1))
    assert billed_period(price_lines(drafts[2:], [], None)) == (None, None)
    assert billed_period([]) == (None, None)


# -- property: any changes in one period under one forever percent coupon ----------------------

UTC = ZoneInfo("UTC")
CHANGES = st.lists(
    st.tuples(st.integers(1, 30), st.integers(1, 9), st.booleans()),  # day, seats, invoice now
    max_size=6,
)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(28, 31),
    st.integers(1, 99_999),
    st.integers(1, 9),
    CHANGES,
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2),
)
def test_the_periods_nets_are_its_discounted_day_worth_within_one_unit_a_line(
    days: int,
    unit: int,
    seats: int,
    changes: list[tuple[int, int, bool]],
    percent: Decimal,
) -> None:
    period = Period(D(2026, 3, 1), D(2026, 3, 1) + timedelta(days=days), UTC)
    terms = Terms("basic", "v", Cycle.MONTHLY, "JPY", seats)
    coupon = Discount("c", "off", DiscountKind.PERCENT, percent=percent)
    held = Component("plan", "Basic", unit, seats, "basic")
    pending = draft_lines([("r", i) for i in recurring([held], terms, period)])
    history: list[ChargedLine] = []
    priced: list[InvoiceLine] = []
    segments: list[tuple[int, int]] = []  # (seats, days held)
    day_held = 0

    def invoice(drafts: list[DraftLine]) -> None:
        lines = price_lines(drafts, [coupon], None, history)
        priced.extend(lines)
        history.extend(
            ChargedLine(
                d.component or "", d.plan_id, x.period_start, x.period_end, x.amount, x.discount
            )
            for d, x in zip(drafts, lines, strict=True)
            if x.kind in (LineKind.RECURRING, LineKind.CHARGE)
            and x.period_start is not None
            and x.period_end is not None
        )

    for day, new_seats, now in sorted(changes):
        day = min(day, days - 1)
        if day <= day_held or new_seats == held.quantity:
            continue
        start = period.start + timedelta(days=day)
        segments.append((held.quantity, day - day_held))
        new = Component("plan", "Basic", unit, new_seats, "basic")
        items = credits([held], "JPY", period, start) + charges([new], "JPY", period, start)
        pending += draft_lines([(f"c{day}", i) for i in items])
        held, day_held = new, day
        if now:
            invoice(pending)
            pending = []
    segments.append((held.quantity, days - day_held))
    if pending:
        invoice(pending)

    worth = sum(Fraction(unit * n * d, days) for n, d in segments)
    exact = worth * (1 - Fraction(percent) / 100)
    assert abs(sum(x.net for x in priced) - exact) <= len(priced)
