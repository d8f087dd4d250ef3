"""A price book lives in a process as long as its catalog revision holds, and the terms it
prices come from outside (any quantity a preview asks for): it remembers at most PRICED_HELD of
them, and prices the same after it starts over."""

from __future__ import annotations

from dataclasses import replace

from plansmith.domain.subscriptions.price_book import PRICED_HELD, components
from tests.unit.subscription_builders import price_book, terms


def test_the_priced_terms_a_book_remembers_stay_bounded() -> None:
    book = price_book()
    first = terms("basic", currency="USD", quantity=1)
    remembered = components(first, book)
    for quantity in range(2, PRICED_HELD + 200):
        components(replace(first, quantity=quantity), book)
        assert len(book.priced) <= PRICED_HELD
    assert components(first, book) == remembered
