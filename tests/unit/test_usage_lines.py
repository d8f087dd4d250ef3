"""Usage lines in arrears, pure: a meter's value over a period from daily aggregates, the
period's allowance after a plan change, the pack seam, and a period end that waits for its
usage to close."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction

import pytest

from plansmith.domain.catalog.terms_data import terms_from_data, terms_to_data
from plansmith.domain.invoicing.invoice import LineKind, UsageDetail
from plansmith.domain.kernel.errors import InvalidInput, InvalidValue
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.renewals import advance
from plansmith.domain.subscriptions.usage_lines import usage_items
from plansmith.domain.usage.charges import Charge
from plansmith.domain.usage.charges_data import charge_from_data
from plansmith.domain.usage.measures import DayUsage, Measured, measure
from plansmith.domain.usage.meters import Aggregation
from tests.unit.subscription_builders import Driver, noon, price_book, terms

D = date
F = Fraction


def _charge(meter: str, price: str, included: int, currency: str = "JPY") -> Charge:
    data = {"meter": meter, "currency": currency, "included": included, "model": "per_unit"}
    return charge_from_data({**data, "unit_price": price})


def _book(**charges: list[Charge]) -> PriceBook:
    book = price_book()
    versions = dict(book.versions)
    for plan, found in charges.items():
        version = versions[f"ver-{plan}"]
        versions[version.id] = replace(version, terms=replace(version.terms, charges=tuple(found)))
    return PriceBook(book.families, book.plans, versions, book.add_ons)


DAYS = (
    DayUsage("calls", D(2026, 2, 28), 7, 0),
    DayUsage("calls", D(2026, 3, 1), 3, 0),
    DayUsage("calls", D(2026, 3, 31), 2, 0),
    DayUsage("calls", D(2026, 4, 1), 100, 0),
    DayUsage("gb", D(2026, 3, 2), 2, 1_500_000, 1_000_000, frozenset({"a", "b"})),
    DayUsage("gb", D(2026, 3, 3), 1, 250_000, 2_250_000, frozenset({"b", "c"})),
)


def test_a_meter_is_measured_over_its_local_dates_only() -> None:
    march = (D(2026, 3, 1), D(2026, 4, 1))
    assert measure(Aggregation.COUNT, DAYS, "calls", *march) == Measured(F(5), 5)
    assert measure(Aggregation.SUM, DAYS, "gb", *march) == Measured(F(7, 4), 3)
    assert measure(Aggregation.MAX, DAYS, "gb", *march) == Measured(F(9, 4), 3)
    assert measure(Aggregation.UNIQUE_COUNT, DAYS, "gb", *march) == Measured(F(3), 3)
    assert measure(Aggregation.MAX, (), "gb", *march) == Measured(F(0), 0)


def _measure(meter: str, start: date, end: date) -> Measured:
    return measure(Aggregation.COUNT, DAYS, meter, start, end)


def test_one_plan_the_whole_period_grants_its_included_and_rates_the_rest_once() -> None:
    book = _book(basic=[_charge("calls", "0.5", 2)])
    driver = Driver.start(book, terms("basic"), D(2026, 3, 1))
    [item] = usage_items(driver.sub, driver.log, book, _measure)
    # 5 calls, 2 included: 3 x JPY 0.5 = 1.5, rounded once: 2.
    assert (item.kind, item.amount, item.period_start, item.period_end) == (
        LineKind.USAGE,
        2,
        D(2026, 3, 1),
        D(2026, 4, 1),
    )
    assert item.usage == UsageDetail("calls", F(5), 2, F(3))
    # The seam for extra packs: their units add to the allowance.
    [more] = usage_items(driver.sub, driver.log, book, _measure, lambda *_: (2,))
    assert more.usage == UsageDetail("calls", F(5), 4, F(1)) and more.amount == 1


def test_a_plan_change_prorates_the_allowance_over_the_plans_held() -> None:
    book = _book(basic=[_charge("calls", "1", 1000)], pro=[_charge("calls", "1", 4000)])
    driver = Driver.start(book, terms("basic"), D(2026, 3, 1))
    driver.change(D(2026, 3, 11), terms("pro"))
    [item] = usage_items(driver.sub, driver.log, book, lambda *_: Measured(F(3500), 3500))
    # 1000 x 10/31 + 4000 x 21/31 = 94000/31 = 3032.26 -> 3032.
    assert item.usage == UsageDetail("calls", F(3500), 3032, F(468))
    assert item.amount == 468


def test_a_plan_without_charges_bills_no_usage() -> None:
    book = _book(pro=[_charge("calls", "1", 0)])
    driver = Driver.start(book, terms("basic"), D(2026, 3, 1))
    assert usage_items(driver.sub, driver.log, book, _measure) == ()


def test_a_period_end_waits_while_its_usage_is_open_and_then_bills_it() -> None:
    book = _book(basic=[_charge("calls", "1", 0)])
    driver = Driver.start(book, terms("basic"), D(2026, 3, 1))
    now = noon(D(2026, 4, 1), "UTC")
    held = advance(driver.sub, driver.log, book, D(2026, 4, 1), now, None, lambda *_: None)
    assert held.events == () and held.subscription == driver.sub

    def arrears(sub: object, spans: object) -> tuple[object, ...]:
        return usage_items(driver.sub, driver.log, book, _measure)

    out = advance(driver.sub, driver.log, book, D(2026, 4, 1), now, None, arrears)  # type: ignore[arg-type]
    assert [i.kind for i in out.items] == [LineKind.USAGE, LineKind.RECURRING]
    assert out.items[0].amount == 5 and out.item_events == (0, 0)


def test_charges_are_checked_against_the_versions_prices_and_round_trip() -> None:
    calls = {"meter": "calls", "currency": "USD", "model": "per_unit", "unit_price": "0.0025"}
    data = {"base_prices": {"USD": 1000}, "charges": [calls]}
    terms_read = terms_from_data(data)
    assert terms_from_data(terms_to_data(terms_read)) == terms_read
    assert terms_to_data(terms_read)["charges"][0]["included"] == 0
    with pytest.raises(InvalidValue) as wrong:
        terms_from_data({**data, "charges": [{**calls, "currency": "EUR"}]})
    assert wrong.value.field == "charges[0].currency"
    with pytest.raises(InvalidValue) as twice:
        terms_from_data({**data, "charges": [calls, calls]})
    assert (twice.value.field, twice.value.code) == ("charges[1].meter", "duplicate_charge")
    with pytest.raises(InvalidInput) as several:
        terms_from_data({**data, "charges": [{**calls, "unit_price": 1.5, "included": "x"}]})
    assert sorted(e.field or "" for e in several.value.errors) == [
        "charges[0].included",
        "charges[0].unit_price",
    ]


def test_a_usage_detail_keeps_exact_decimals_as_text() -> None:
    detail = UsageDetail("gb", F(7001, 2), 3032, F(1, 1_000_000))
    assert detail.to_data() == {
        "meter": "gb",
        "quantity": "3500.5",
        "allowance": 3032,
        "billable_quantity": "0.000001",
    }
    assert UsageDetail.from_data(detail.to_data()) == detail
