"""Invoices: the discount, tax and total rules checked for any lines (charges and credits),
coupons and rates."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.invoicing.invoice import Discount, DiscountKind, TaxRate
from plansmith.domain.invoicing.pricing import DraftLine, price_lines, tax_summary, totals
from plansmith.domain.kernel.money import round_half_up
from tests.unit.invoicing_support import draft

PROPERTY = settings(max_examples=150, deadline=None)


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
