"""Invoices: discounts split by largest remainder, tax rounded per line, totals that are the
sum of the lines, and the status machine.

Every figure in the examples is worked by hand in the comment beside it; the properties check
the same rules for any lines (charges and credits), coupons and rates.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.errors import InvalidValue
from plansmith.domain.invoicing import (
    Discount,
    DiscountKind,
    DraftLine,
    Invoice,
    InvoiceLine,
    InvoiceStateError,
    InvoiceStatus,
    LineKind,
    TaxRate,
    TaxSummary,
    Totals,
    price_lines,
    tax_summary,
    totals,
)
from plansmith.domain.money import round_half_up

PROPERTY = settings(max_examples=150, deadline=None)
CREATED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

VAT_10 = TaxRate("vat-10", "VAT", Decimal("10"), inclusive=False)
JCT_10 = TaxRate("jct-10", "Consumption tax", Decimal("10"), inclusive=True, country="JP")
KW_5 = TaxRate("kw-5", "VAT", Decimal("5"), inclusive=False, country="KW")
KW_16_INCL = TaxRate("kw-16", "VAT incl.", Decimal("16"), inclusive=True, country="KW")


def draft(
    amount: int, plan_id: str | None = None, kind: LineKind = LineKind.RECURRING
) -> DraftLine:
    return DraftLine(
        kind=kind,
        description=f"line of {amount}",
        quantity=1,
        unit_amount=amount,
        amount=amount,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        source_id=f"item-{amount}-{plan_id}",
        plan_id=plan_id,
    )


def percent_off(percent: str, *plans: str) -> Discount:
    return Discount(
        "coupon-p",
        f"{percent} % off",
        DiscountKind.PERCENT,
        percent=Decimal(percent),
        plan_ids=frozenset(plans),
    )


def amount_off(amount: int, *plans: str) -> Discount:
    return Discount(
        "coupon-a", f"{amount} off", DiscountKind.AMOUNT, amount=amount, plan_ids=frozenset(plans)
    )


def invoice(status: InvoiceStatus, lines: list[InvoiceLine] | None = None) -> Invoice:
    lines = lines or price_lines([draft(1995)], [], VAT_10)
    return Invoice(
        id="inv-1",
        organization_id="org-1",
        account_id="acct-1",
        subscription_id="sub-1",
        currency="USD",
        status=status,
        number=None,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        lines=tuple(lines),
        totals=totals(lines),
        tax_id=None,
        created_at=CREATED,
        finalize_after=CREATED,
    )


def parts(lines: list[InvoiceLine]) -> list[tuple[int, int, int, int]]:
    """(amount, discount, tax, total) per line, the figures the examples assert."""
    return [(line.amount, line.discount, line.tax, line.total) for line in lines]


# -- tax, rounded once per line ----------------------------------------------------------------


def test_exclusive_tax_is_rounded_per_line_usd() -> None:
    lines = [draft(1995), draft(1995), draft(1000)]

    priced = price_lines(lines, [], VAT_10)

    # 1995 * 10 % = 199.5 -> 200 (half up), twice; 1000 * 10 % = 100. Rounding the sum once
    # would give 4990 * 10 % = 499: the rule is per line, so the tax is 200 + 200 + 100 = 500.
    assert parts(priced) == [(1995, 0, 200, 2195), (1995, 0, 200, 2195), (1000, 0, 100, 1100)]
    t = totals(priced)
    assert (t.subtotal, t.discount, t.tax, t.total) == (4990, 0, 500, 5490)


def test_exclusive_tax_on_a_credit_rounds_half_up_on_the_magnitude_kwd() -> None:
    lines = [draft(19995), draft(-14965, kind=LineKind.CREDIT)]

    priced = price_lines(lines, [], VAT_10)

    # 19995 fils * 10 % = 1999.5 -> 2000; the credit -14965 * 10 % = -1496.5 -> -1497, the
    # same magnitude a charge of 14965 would get.
    assert parts(priced) == [(19995, 0, 2000, 21995), (-14965, 0, -1497, -16462)]
    t = totals(priced)
    # 19995 - 14965 = 5030; tax 2000 - 1497 = 503; total 21995 - 16462 = 5533.
    assert (t.subtotal, t.tax, t.total) == (5030, 503, 5533)


def test_inclusive_tax_is_the_part_of_the_price_that_is_tax_jpy() -> None:
    lines = [draft(1100), draft(999)]

    priced = price_lines(lines, [], JCT_10)

    # 1100 * 10 / 110 = 100 exactly; 999 * 10 / 110 = 90.818.. -> 91. The price already holds
    # the tax, so each line's total is its amount.
    assert parts(priced) == [(1100, 0, 100, 1100), (999, 0, 91, 999)]
    t = totals(priced)
    assert (t.subtotal, t.tax, t.total) == (2099, 191, 2099)
    # taxable: (1100 - 100) + (999 - 91) = 1000 + 908 = 1908
    assert tax_summary(priced, {JCT_10.id: JCT_10}) == [
        TaxSummary("jct-10", "Consumption tax", Decimal("10"), True, 1908, 191)
    ]


def test_no_tax_rate_leaves_lines_untaxed_and_out_of_the_summary() -> None:
    priced = price_lines([draft(1995)], [], None)

    assert parts(priced) == [(1995, 0, 0, 1995)]
    assert priced[0].tax_rate_id is None
    assert tax_summary(priced, {}) == []


def test_a_zero_rate_still_appears_in_the_summary_with_its_base() -> None:
    exempt = TaxRate("exempt", "Exempt", Decimal("0"), inclusive=False)

    priced = price_lines([draft(500), draft(700)], [], exempt)

    assert [line.tax for line in priced] == [0, 0]
    assert tax_summary(priced, {"exempt": exempt}) == [
        TaxSummary("exempt", "Exempt", Decimal("0"), False, 1200, 0)
    ]


def test_tax_summary_per_rate_is_the_sum_of_its_lines_kwd() -> None:
    standard = price_lines([draft(12345), draft(10), draft(10)], [], KW_5)
    inclusive = price_lines([draft(11600), draft(999)], [], KW_16_INCL)
    untaxed = price_lines([draft(250)], [], None)
    lines = [*standard, *inclusive, *untaxed]

    summary = tax_summary(lines, {KW_5.id: KW_5, KW_16_INCL.id: KW_16_INCL})

    # 5 %: 12345 * 0.05 = 617.25 -> 617; 10 * 0.05 = 0.5 -> 1, twice: 617 + 1 + 1 = 619 on a
    # base of 12345 + 10 + 10 = 12365 (one rounding of the base would say 618.25 -> 618).
    # 16 % inclusive: 11600 * 16 / 116 = 1600; 999 * 16 / 116 = 137.79.. -> 138: tax 1738 on
    # (11600 - 1600) + (999 - 138) = 10000 + 861 = 10861. The untaxed line is in neither.
    assert summary == [
        TaxSummary("kw-5", "VAT", Decimal("5"), False, 12365, 619),
        TaxSummary("kw-16", "VAT incl.", Decimal("16"), True, 10861, 1738),
    ]
    assert totals(lines).tax == 619 + 1738


# -- discounts ---------------------------------------------------------------------------------


def test_percent_coupon_over_three_lines_is_split_by_largest_remainder_jpy() -> None:
    lines = [draft(101), draft(202), draft(303)]

    priced = price_lines(lines, [percent_off("15")], None)

    # base 101 + 202 + 303 = 606; 606 * 15 % = 90.9 -> 91, rounded once for the coupon.
    # shares of 91: 101/606 -> 15.17, 202/606 -> 30.33, 303/606 -> 45.5; floors 15 + 30 + 45 =
    # 90, the one unit left goes to the largest remainder (.5): 15, 30, 46. (Rounding each
    # line would give 15 + 30 + 45 = 90 and lose a yen.)
    assert [line.discount for line in priced] == [15, 30, 46]
    assert [line.total for line in priced] == [86, 172, 257]
    t = totals(priced)
    assert (t.subtotal, t.discount, t.total) == (606, 91, 515)


def test_percent_coupon_comes_off_before_tax_usd() -> None:
    priced = price_lines([draft(1995)], [percent_off("10")], VAT_10)

    # discount 1995 * 10 % = 199.5 -> 200; net 1795; tax 1795 * 10 % = 179.5 -> 180;
    # total 1795 + 180 = 1975.
    assert parts(priced) == [(1995, 200, 180, 1975)]
    assert priced[0].net == 1795


def test_amount_coupon_is_split_by_largest_remainder_ties_to_the_first_kwd() -> None:
    priced = price_lines([draft(3000), draft(3000), draft(3000)], [amount_off(1000)], None)

    # 1000 / 3 = 333.33 each; floors 999, the unit left goes to the earliest of equal
    # remainders: 334, 333, 333.
    assert [line.discount for line in priced] == [334, 333, 333]
    assert totals(priced).total == 9000 - 1000


def test_amount_coupon_larger_than_the_covered_lines_is_capped_usd() -> None:
    lines = [draft(1200), draft(800), draft(-300, kind=LineKind.CREDIT)]

    priced = price_lines(lines, [amount_off(5000)], VAT_10)

    # the coupon covers the charges only: 1200 + 800 = 2000 < 5000, so it takes 2000 and no
    # more; the credit keeps its -300 and its tax -30.
    assert parts(priced) == [(1200, 1200, 0, 0), (800, 800, 0, 0), (-300, 0, -30, -330)]
    t = totals(priced, credit_available=1000)
    assert (t.subtotal, t.discount, t.tax, t.total) == (1700, 2000, -30, -330)
    # a negative invoice uses no credit and owes nothing
    assert (t.credit_applied, t.amount_due) == (0, 0)


def test_coupon_restricted_to_a_plan_only_touches_that_plans_lines() -> None:
    lines = [draft(4000, "gold"), draft(2000, "silver"), draft(1000, None)]

    priced = price_lines(lines, [percent_off("25", "gold")], None)

    # 4000 * 25 % = 1000 on the gold line; silver and the plan-less line are untouched.
    assert [line.discount for line in priced] == [1000, 0, 0]
    assert totals(priced).total == 7000 - 1000


def test_coupon_restricted_to_an_absent_plan_discounts_nothing() -> None:
    lines = [draft(4000, "gold"), draft(2000, "silver")]

    priced = price_lines(lines, [amount_off(500, "platinum")], VAT_10)

    assert priced == price_lines(lines, [], VAT_10)


def test_a_coupon_never_discounts_a_credit_that_reverses_no_known_charge() -> None:
    # No component: a credit not made from a part of the terms reverses nothing (credits
    # that do mirror their charge: tests/unit/test_credit_mirroring.py).
    lines = [draft(1000), draft(-400, kind=LineKind.CREDIT)]

    priced = price_lines(lines, [percent_off("50")], None)

    # 50 % of the only charge: 500; the credit keeps -400; total 500 - 400 = 100.
    assert [line.discount for line in priced] == [500, 0]
    assert totals(priced).total == 100


def test_a_coupon_on_an_invoice_of_credits_only_takes_nothing() -> None:
    lines = [draft(-400, kind=LineKind.CREDIT), draft(-600, kind=LineKind.CREDIT)]

    priced = price_lines(lines, [percent_off("100"), amount_off(100)], None)

    assert [line.discount for line in priced] == [0, 0]
    assert totals(priced).total == -1000


def test_two_coupons_stack_on_what_the_first_left() -> None:
    priced = price_lines([draft(1000)], [percent_off("10"), percent_off("10")], None)

    # 1000 * 10 % = 100, then (1000 - 100) * 10 % = 90: 190 in all.
    assert [line.discount for line in priced] == [190]


# -- totals and customer credit ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("credit_available", "applied", "due"),
    [
        (0, 0, 5490),
        (1000, 1000, 4490),  # 5490 - 1000
        (5490, 5490, 0),
        (9000, 5490, 0),  # credit never pays more than the total
        (-50, 0, 5490),  # a negative balance is not credit
    ],
)
def test_customer_credit_pays_what_it_can_of_the_total(
    credit_available: int, applied: int, due: int
) -> None:
    # 1995 + 200 tax, twice, + 1000 + 100 tax = 5490 (see the first test)
    priced = price_lines([draft(1995), draft(1995), draft(1000)], [], VAT_10)

    t = totals(priced, credit_available=credit_available)

    assert t.total == sum(line.total for line in priced) == 5490
    assert (t.credit_applied, t.amount_due) == (applied, due)


def test_totals_of_no_lines_are_zero() -> None:
    t = totals([], credit_available=500)

    assert t == Totals(subtotal=0, discount=0, tax=0, total=0, credit_applied=0, amount_due=0)


# -- properties --------------------------------------------------------------------------------

PLANS = (None, "gold", "silver")
AMOUNTS = st.integers(min_value=-100_000, max_value=100_000)
DRAFTS = st.lists(st.builds(draft, AMOUNTS, st.sampled_from(PLANS)), min_size=1, max_size=8)
PLAN_SETS = st.frozensets(st.sampled_from(("gold", "silver", "bronze")), max_size=2)
PERCENTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2)
DISCOUNTS = st.one_of(
    st.builds(
        lambda p, plans: Discount("c", "pct", DiscountKind.PERCENT, percent=p, plan_ids=plans),
        PERCENTS,
        PLAN_SETS,
    ),
    st.builds(
        lambda a, plans: Discount("c", "amt", DiscountKind.AMOUNT, amount=a, plan_ids=plans),
        st.integers(min_value=1, max_value=300_000),
        PLAN_SETS,
    ),
)
RATES = st.one_of(
    st.none(),
    st.builds(
        lambda p, incl: TaxRate("r", "Tax", p, inclusive=incl),
        st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=3),
        st.booleans(),
    ),
)


def covered(discount: Discount, line: DraftLine) -> bool:
    return line.amount > 0 and (not discount.plan_ids or line.plan_id in discount.plan_ids)


def coupon_off(discount: Discount, base: int) -> int:
    """What one coupon takes off a covered base: rounded once, never more than the base."""
    if discount.kind is DiscountKind.PERCENT:
        return min(round_half_up(Fraction(base) * Fraction(discount.percent) / 100), base)
    return min(discount.amount, base)


@PROPERTY
@given(DRAFTS, DISCOUNTS, RATES)
def test_one_coupon_takes_its_rounded_discount_on_its_covered_base(
    lines: list[DraftLine], discount: Discount, rate: TaxRate | None
) -> None:
    priced = price_lines(lines, [discount], rate)

    base = sum(line.amount for line in lines if covered(discount, line))
    off = coupon_off(discount, base)
    assert sum(line.discount for line in priced) == off
    assert off <= base
    for line, out in zip(lines, priced, strict=True):
        if not covered(discount, line):
            assert out.discount == 0  # credits and other plans' lines are untouched
        else:
            assert 0 <= out.discount <= line.amount
            # within one unit of its exact share of the coupon's discount
            assert abs(out.discount - Fraction(off * line.amount, base)) < 1


@PROPERTY
@given(DRAFTS, st.lists(DISCOUNTS, max_size=3), RATES)
def test_stacked_coupons_never_discount_a_line_below_zero_nor_a_credit(
    lines: list[DraftLine], discounts: list[Discount], rate: TaxRate | None
) -> None:
    priced = price_lines(lines, discounts, rate)

    for line, out in zip(lines, priced, strict=True):
        assert 0 <= out.discount <= max(line.amount, 0)
        assert out.net == line.amount - out.discount
    charges = sum(line.amount for line in lines if line.amount > 0)
    assert sum(line.discount for line in priced) <= charges


@PROPERTY
@given(DRAFTS, st.lists(DISCOUNTS, max_size=2), RATES, st.integers(-10_000, 500_000))
def test_totals_are_the_sums_of_the_lines(
    lines: list[DraftLine], discounts: list[Discount], rate: TaxRate | None, credit: int
) -> None:
    priced = price_lines(lines, discounts, rate)

    t = totals(priced, credit_available=credit)

    assert t.total == sum(line.total for line in priced)
    assert t.subtotal == sum(line.amount for line in lines)
    assert t.discount == sum(line.discount for line in priced)
    assert t.tax == sum(line.tax for line in priced)
    assert 0 <= t.credit_applied <= max(t.total, 0)
    assert t.credit_applied <= max(credit, 0)
    assert t.amount_due >= 0
    assert t.credit_applied + t.amount_due == max(t.total, 0)


@PROPERTY
@given(DRAFTS, st.lists(DISCOUNTS, max_size=2), RATES)
def test_each_line_tax_is_its_exact_tax_rounded_once(
    lines: list[DraftLine], discounts: list[Discount], rate: TaxRate | None
) -> None:
    priced = price_lines(lines, discounts, rate)

    for out in priced:
        if rate is None:
            assert (out.tax, out.total) == (0, out.net)
            continue
        p = Fraction(rate.percent)
        exact = out.net * p / (100 + p) if rate.inclusive else out.net * p / 100
        assert abs(out.tax - exact) <= Fraction(1, 2)
        assert out.total == (out.net if rate.inclusive else out.net + out.tax)


@PROPERTY
@given(DRAFTS, DRAFTS, DISCOUNTS, RATES, RATES)
def test_tax_summary_per_rate_is_the_sum_of_its_lines(
    first: list[DraftLine],
    second: list[DraftLine],
    discount: Discount,
    rate_a: TaxRate | None,
    rate_b: TaxRate | None,
) -> None:
    rate_b = rate_b and replace(rate_b, id="r2")
    lines = price_lines(first, [discount], rate_a) + price_lines(second, [discount], rate_b)
    rates = {r.id: r for r in (rate_a, rate_b) if r is not None}

    summary = tax_summary(lines, rates)

    assert {row.tax_rate_id for row in summary} == {line.tax_rate_id for line in lines} - {None}
    for row in summary:
        mine = [line for line in lines if line.tax_rate_id == row.tax_rate_id]
        assert row.tax == sum(line.tax for line in mine)
        inside = rates[row.tax_rate_id].inclusive
        assert row.taxable == sum(line.net - (line.tax if inside else 0) for line in mine)
    assert sum(row.tax for row in summary) == totals(lines).tax


# -- the status machine ------------------------------------------------------------------------

S = InvoiceStatus
ALLOWED = {
    (S.DRAFT, S.OPEN),
    (S.DRAFT, S.VOID),  # a discarded draft
    (S.OPEN, S.PAID),
    (S.OPEN, S.VOID),
    (S.OPEN, S.UNCOLLECTIBLE),
    (S.UNCOLLECTIBLE, S.PAID),
    (S.UNCOLLECTIBLE, S.VOID),
}
EVERY_PAIR = [(a, b) for a in S for b in S]


@pytest.mark.parametrize(("current", "to"), sorted(ALLOWED))
def test_allowed_transitions_move_the_invoice_and_stamp_the_time(
    current: InvoiceStatus, to: InvoiceStatus
) -> None:
    before = invoice(current)

    after = before.moved(to, LATER)

    assert after.status is to
    # opening stamps finalized_at, paying paid_at, voiding voided_at; a write-off stamps none
    stamps = (after.finalized_at, after.paid_at, after.voided_at)
    expected = {
        S.OPEN: (LATER, None, None),
        S.PAID: (None, LATER, None),
        S.VOID: (None, None, LATER),
        S.UNCOLLECTIBLE: (None, None, None),
    }
    assert stamps == expected[to]
    assert (after.lines, after.totals) == (before.lines, before.totals)
    assert before.status is current  # the original is untouched


@pytest.mark.parametrize(("current", "to"), [pair for pair in EVERY_PAIR if pair not in ALLOWED])
def test_refused_transitions_raise_a_conflict_and_change_nothing(
    current: InvoiceStatus, to: InvoiceStatus
) -> None:
    before = invoice(current)

    with pytest.raises(InvoiceStateError) as caught:
        before.moved(to, LATER)

    assert caught.value.code == "invalid_invoice_transition"
    assert caught.value.status == 409
    assert caught.value.field == "status"
    article = "an" if current.value[0] in "aeiou" else "a"
    assert f"{article} {current} invoice cannot become {to}" in caught.value.message
    assert before == invoice(current)


def test_finalizing_twice_is_refused() -> None:
    opened = invoice(S.DRAFT).moved(S.OPEN, CREATED)

    with pytest.raises(InvoiceStateError) as caught:
        opened.moved(S.OPEN, LATER)

    assert (caught.value.code, caught.value.status) == ("invalid_invoice_transition", 409)
    assert "finalized already" in caught.value.message
    assert opened.finalized_at == CREATED


def test_a_paid_invoice_cannot_be_voided() -> None:
    paid = invoice(S.OPEN).moved(S.PAID, LATER)

    with pytest.raises(InvoiceStateError) as caught:
        paid.moved(S.VOID, LATER)

    assert "corrected with a credit note" in caught.value.message
    assert (paid.status, paid.voided_at) == (S.PAID, None)


@pytest.mark.parametrize("to", list(S))
def test_a_void_invoice_stays_void(to: InvoiceStatus) -> None:
    void = invoice(S.OPEN).moved(S.VOID, LATER)

    with pytest.raises(InvoiceStateError) as caught:
        void.moved(to, LATER)

    assert "stays void" in caught.value.message
    assert void.status is S.VOID


# -- rates and coupons out of range ------------------------------------------------------------


@pytest.mark.parametrize("percent", ["100.01", "250", "-0.01"])
def test_tax_rate_outside_0_to_100_percent_is_refused(percent: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        TaxRate("t", "Tax", Decimal(percent), inclusive=False)

    assert (caught.value.field, caught.value.code) == ("percent", "invalid_value")


@pytest.mark.parametrize("percent", [10.0, 10])
def test_tax_rate_percent_must_be_a_decimal(percent: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        TaxRate("t", "Tax", percent, inclusive=True)  # type: ignore[arg-type]

    assert caught.value.field == "percent"


@pytest.mark.parametrize("percent", ["0", "100"])
def test_tax_rate_bounds_are_allowed(percent: str) -> None:
    assert TaxRate("t", "Tax", Decimal(percent), inclusive=False).percent == Decimal(percent)


@pytest.mark.parametrize("percent", ["100.5", "101", "0", "-5"])
def test_percent_discount_outside_0_to_100_is_refused(percent: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        percent_off(percent)

    assert (caught.value.field, caught.value.code) == ("percent", "discount_range")


def test_a_100_percent_discount_takes_everything() -> None:
    priced = price_lines([draft(1995), draft(5)], [percent_off("100")], VAT_10)

    assert parts(priced) == [(1995, 1995, 0, 0), (5, 5, 0, 0)]


@pytest.mark.parametrize("amount", [0, -100])
def test_amount_discount_must_be_positive(amount: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        amount_off(amount)

    assert (caught.value.field, caught.value.code) == ("amount", "invalid_value")


def test_percent_discount_as_a_float_is_refused() -> None:
    with pytest.raises(InvalidValue) as caught:
        Discount("c", "c", DiscountKind.PERCENT, percent=0.35)  # type: ignore[arg-type]

    assert caught.value.field == "percent"


@pytest.mark.parametrize("make", ["tax_rate", "discount"])
def test_nan_percent_is_refused_naming_the_field(make: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        if make == "tax_rate":
            TaxRate("t", "Tax", Decimal("NaN"), inclusive=False)
        else:
            Discount("c", "c", DiscountKind.PERCENT, percent=Decimal("NaN"))

    assert caught.value.field == "percent"


@pytest.mark.parametrize("amount", [2.5, True])
def test_amount_discount_must_be_an_integer_of_minor_units(amount: object) -> None:
    with pytest.raises(InvalidValue) as caught:
        Discount("c", "c", DiscountKind.AMOUNT, amount=amount)  # type: ignore[arg-type]

    assert caught.value.field == "amount"
