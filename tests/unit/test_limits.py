"""The bounds of domain/limits.py and the storable-text rule of domain/text.py, in the pure
domain: where a number or a string is refused, and that the bounds keep every amount an
invoice stores inside a 64-bit column."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.catalog.terms import PlanTerms, Price
from plansmith.domain.catalog.terms_data import terms_from_data, terms_to_data
from plansmith.domain.invoicing.invoice import LineKind, TaxRate
from plansmith.domain.invoicing.pricing import DraftLine, price_lines, totals
from plansmith.domain.kernel.errors import InvalidInput
from plansmith.domain.kernel.limits import (
    BIGINT_MAX,
    MAX_INVOICE_AMOUNT,
    MAX_LINE_AMOUNT,
    MAX_PRICE,
    MAX_QUANTITY,
    TooLarge,
    at_most,
    percent_places,
)
from plansmith.domain.kernel.periods import Cycle
from plansmith.domain.kernel.text import InvalidText, check_text, unstorable

FULL_TAX = TaxRate("full", "Tax", Decimal("100"), inclusive=False)


def line(amount: int, n: int = 0) -> DraftLine:
    return DraftLine(
        kind=LineKind.RECURRING if amount >= 0 else LineKind.CREDIT,
        description="seats",
        quantity=MAX_QUANTITY,
        unit_amount=abs(amount) // MAX_QUANTITY,
        amount=amount,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        source_id=f"item-{n}",
    )


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(-MAX_LINE_AMOUNT, MAX_LINE_AMOUNT), min_size=1, max_size=200),
    st.sampled_from([None, FULL_TAX, TaxRate("incl", "VAT", Decimal("99.9999"), inclusive=True)]),
)
def test_two_hundred_lines_at_the_largest_amounts_stay_inside_a_bigint(
    amounts: list[int], rate: TaxRate | None
) -> None:
    priced = price_lines([line(a, i) for i, a in enumerate(amounts)], [], rate)
    sums = totals(priced, credit_available=BIGINT_MAX)

    figures = [sums.subtotal, sums.discount, sums.tax, sums.total, sums.amount_due]
    assert all(abs(n) <= MAX_INVOICE_AMOUNT < BIGINT_MAX for n in figures)
    assert all(abs(li.total) <= 2 * MAX_LINE_AMOUNT for li in priced)


def test_an_invoice_past_the_largest_is_refused_not_overflowed() -> None:
    lines = [line(MAX_LINE_AMOUNT, i) for i in range(201)]  # 201 x 2 x 10**16 > 4 x 10**18

    with pytest.raises(TooLarge) as caught:
        price_lines(lines, [], FULL_TAX)

    assert (caught.value.code, caught.value.field) == ("too_large", "lines")
    assert price_lines(lines[:200], [], FULL_TAX)[-1].total == 2 * MAX_LINE_AMOUNT


def test_at_most_names_the_field_and_the_bound() -> None:
    assert at_most(MAX_QUANTITY, MAX_QUANTITY, "quantity") == MAX_QUANTITY

    with pytest.raises(TooLarge) as caught:
        at_most(MAX_QUANTITY + 1, MAX_QUANTITY, "add_ons.chat", "an add-on quantity")

    assert (caught.value.field, caught.value.message) == (
        "add_ons.chat",
        "an add-on quantity is at most 1,000,000",
    )


@pytest.mark.parametrize(("text", "ok"), [("8.875", True), ("12.3456", True), ("0.00001", False)])
def test_a_percentage_has_at_most_four_decimal_places(text: str, ok: bool) -> None:
    if ok:
        assert percent_places(Decimal(text), "percent") == Decimal(text)
    else:
        with pytest.raises(Exception, match="at most 4 decimal places"):
            percent_places(Decimal(text), "percent")


def test_terms_above_the_bounds_are_refused_where_they_come_in_but_still_load() -> None:
    stored = PlanTerms(
        prices=(Price("USD", Cycle.parse("120_months"), 2**63),),
        min_seats=2**31,
    ).validated()  # as a catalog from before the bounds holds them
    data = terms_to_data(stored)

    assert terms_from_data(data, limits=False) == stored
    with pytest.raises(InvalidInput) as caught:
        terms_from_data(data, "terms")
    assert [(e.code, e.field) for e in caught.value.errors] == [
        ("too_large", "terms.prices[0].cycle"),
        ("too_large", "terms.prices[0].amount"),
        ("too_large", "terms.min_seats"),
    ]
    assert MAX_PRICE * MAX_QUANTITY == MAX_LINE_AMOUNT


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a\x00b", "contains a NUL character (U+0000), which cannot be stored"),
        ("\ud800", "contains a lone surrogate (U+D800), which is not valid Unicode"),
        ("x\udfff", "contains a lone surrogate (U+DFFF), which is not valid Unicode"),
        ("Ünïcödé 😀 \ufffd \t\n", None),
    ],
)
def test_storable_text(text: str, reason: str | None) -> None:
    assert unstorable(text) == reason
    if reason is None:
        assert check_text(text, "name") == text
    else:
        with pytest.raises(InvalidText) as caught:
            check_text(text, "name")
        assert (caught.value.code, caught.value.message) == ("invalid_text", f"name {reason}")
