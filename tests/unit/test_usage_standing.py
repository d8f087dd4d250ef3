"""The allowance standing, pure: what terms include of a meter (charge, plain allowance,
add-ons x quantity), its limit (a plain allowance is hard), proration after a change, the
meters the catalog may hold hard, and the one subscription billing a meter's usage."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from fractions import Fraction

from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.usage_standing import (
    Charging,
    granted_meters,
    hard_limited,
    included_by,
    owned_meters,
    period_grant,
)
from plansmith.domain.usage.allowances import Standing
from plansmith.domain.usage.charges import LimitKind
from plansmith.domain.usage.charges_data import charge_from_data
from tests.unit.subscription_builders import Driver, price_book, terms

D = date


def _book() -> PriceBook:
    book = price_book()
    versions = dict(book.versions)
    hard = {"meter": "sessions", "currency": "JPY", "included": 100, "model": "per_unit"}
    basic = versions["ver-basic"]
    versions["ver-basic"] = replace(
        basic,
        terms=replace(
            basic.terms,
            charges=(charge_from_data({**hard, "limit": "hard", "unit_price": "1"}),),
            allowances={"scans": 10, "sessions": 999},  # the charge's included wins
        ),
    )
    add_ons = dict(book.add_ons)
    add_ons["chat"] = replace(add_ons["chat"], allowances={"sessions": 20, "scans": 5})
    return PriceBook(book.families, book.plans, versions, add_ons)


def test_terms_include_the_charge_else_the_plain_allowance_plus_add_ons_times_quantity() -> None:
    book = _book()
    held = terms("basic", add_ons={"chat": 3})
    assert included_by(book, held, "sessions") == 100 + 20 * 3
    assert included_by(book, held, "scans") == 10 + 5 * 3
    assert included_by(book, held, "nothing") == 0
    assert granted_meters(book, held) == {"sessions", "scans"}
    assert granted_meters(book, terms("pro")) == set()
    assert hard_limited(book) == {"sessions", "scans"}


def test_a_plain_allowance_is_hard_and_a_standing_says_what_is_left() -> None:
    book = _book()
    driver = Driver.start(book, terms("basic"), D(2026, 3, 1))
    scans = period_grant(driver.sub, driver.log, book, "scans")
    assert (scans.included, scans.limit, scans.charged) == (10, LimitKind.HARD, False)
    sessions = period_grant(driver.sub, driver.log, book, "sessions")
    assert (sessions.included, sessions.limit, sessions.charged) == (100, LimitKind.HARD, True)
    standing = Standing.of(sessions.included, [5, 5], Fraction(108))
    assert (standing.remaining, standing.excess) == (Fraction(2), Fraction(0))
    assert standing.allows(2, sessions.limit) and not standing.allows(3, sessions.limit)


def test_the_oldest_subscription_charging_a_meter_bills_it() -> None:
    book = _book()
    at = datetime(2026, 3, 1, tzinfo=UTC)
    older = Charging("sub-a", at, "ver-basic", "JPY", True)
    newer = Charging("sub-b", at.replace(hour=1), "ver-basic", "JPY", True)
    gone = Charging("sub-0", at.replace(day=1, hour=0, minute=0), "ver-basic", "JPY", False)
    account = [gone, older, newer]
    assert owned_meters(book, older, account) == {"sessions"}
    assert owned_meters(book, newer, account) == set()
