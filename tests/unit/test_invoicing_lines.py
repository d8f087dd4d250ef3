"""Invoices: tax rounded once per line, discounts split by largest remainder, totals and
customer credit.

Every figure in the examples is worked by hand in the comment beside it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from plansmith.domain.invoicing.invoice import LineKind, TaxRate, TaxSummary, Totals
from plansmith.domain.invoicing.pricing import price_lines, tax_summary, totals
from tests.unit.invoicing_support import VAT_10, amount_off, draft, parts, percent_off

JCT_10 = TaxRate("jct-10", "Consumption tax", Decimal("10"), inclusive=True, country="JP")


KW_5 = TaxRate("kw-5", "VAT", Decimal("5"), inclusive=False, country="KW")


KW_16_INCL = TaxRate("kw-16", "VAT incl.", Decimal("16"), inclusive=True, country="KW")


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
