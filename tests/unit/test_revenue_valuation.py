"""Pricing held terms as they were billed (domain/subscriptions/revenue.py, Valuation): an
add-on at the unit price recorded for the period holding the day, within the span; the
catalog's price when none was recorded; 0 when neither exists; never an error."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.revenue import RecordedPrice, Valuation
from tests.unit.subscription_builders import price_book, terms

D = date
BOOK = price_book()
T = terms("basic", add_ons={"ai": 2})  # Basic 1,490 a month; the AI add-on 500 in the book


def _billed(
    unit: int, start: date, end: date, sub: str = "s1", cycle: str | None = "month"
) -> RecordedPrice:
    return RecordedPrice(sub, "ai", "JPY", cycle, unit, start, end)


def test_the_price_billed_for_the_period_holding_the_day_counts_not_the_catalogs() -> None:
    prices = Valuation(
        BOOK,
        [
            _billed(400, D(2026, 1, 5), D(2026, 2, 5)),
            _billed(450, D(2026, 2, 5), D(2026, 3, 5)),
            _billed(999, D(2026, 2, 5), D(2026, 3, 5), sub="s2"),  # another subscription's
        ],
    )
    assert prices.period_amount("s1", T, D(2026, 1, 31)) == 1490 + 2 * 400
    assert prices.period_amount("s1", T, D(2026, 2, 28)) == 1490 + 2 * 450
    assert prices.period_amount("s1", T) == 1490 + 2 * 450  # no day: as last billed
    assert prices.period_amount("s1", T, D(2026, 1, 1)) == 1490 + 2 * 400  # before: the first
    assert prices.monthly_value("s1", T, D(2026, 1, 31)) == 2290


def test_only_prices_billed_within_the_span_and_for_its_cycle_count() -> None:
    span = Span(2, D(2026, 3, 5), None, T, "Basic", False, False, None)
    prices = Valuation(
        BOOK,
        [
            _billed(400, D(2026, 1, 5), D(2026, 2, 5)),  # an earlier span's
            _billed(300, D(2026, 3, 5), D(2026, 4, 5), cycle="year"),  # another cycle's
        ],
    )
    # Nothing billed within the span for its cycle: the catalog's 500.
    assert prices.period_amount("s1", T, D(2026, 3, 20), span) == 1490 + 2 * 500


def test_an_add_on_neither_billed_nor_priced_any_more_counts_0_and_never_fails() -> None:
    gone = replace(BOOK, add_ons={k: v for k, v in BOOK.add_ons.items() if k != "ai"})
    assert Valuation(gone).period_amount("s1", T, D(2026, 1, 31)) == 1490
    # Billed once, though for another span: still better than nothing.
    span = Span(2, D(2026, 3, 5), None, T, "Basic", False, False, None)
    prices = Valuation(gone, [_billed(400, D(2026, 1, 5), D(2026, 2, 5))])
    assert prices.period_amount("s1", T, D(2026, 3, 20), span) == 1490 + 2 * 400
    # A version the catalog cannot price at all counts 0 rather than failing the page.
    unknown = replace(T, version_id="no-such-version")
    assert Valuation(BOOK).period_amount("s1", unknown, D(2026, 1, 31)) == 2 * 500
