"""Invoice prediction, pure: what a period is worth so far and at its end, for pay-per-day and
in-advance plans, at awkward instants (first day, last day, leap day, a DST change), in JPY,
USD and KWD, with usage projected by its daily rate and rated once per line; and, for any
changes in a pay-per-day period, the last day's prediction equals what its end bills."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plansmith.domain.catalog.plans import Timing
from plansmith.domain.invoicing.invoice import LineKind, TaxRate
from plansmith.domain.kernel.money import round_half_up
from plansmith.domain.subscriptions.prediction import account_totals, predict, projected
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.renewals import period_end
from plansmith.domain.usage.charges import Charge
from plansmith.domain.usage.charges_data import charge_from_data
from plansmith.domain.usage.measures import Measured
from plansmith.domain.usage.meters import Aggregation
from tests.unit.subscription_builders import Driver, local_at, noon, price, price_book, terms

D = date
F = Fraction
COUNT = {"calls": Aggregation.COUNT}


def _charge(currency: str, **model: Any) -> Charge:
    return charge_from_data({"meter": "calls", "currency": currency, **model})


def _book(book: PriceBook, plan: str, *charges: Charge) -> PriceBook:
    versions = dict(book.versions)
    version = versions[f"ver-{plan}"]
    versions[version.id] = replace(version, terms=replace(version.terms, charges=charges))
    return PriceBook(book.families, book.plans, versions, book.add_ons)


def test_pay_per_day_on_day_one_shows_one_day_not_the_month() -> None:
    book = price_book(pay_per_day=True)
    driver = Driver.start(book, terms("solo", currency="JPY"), D(2026, 3, 1))
    p = predict(driver.sub, driver.log, book, noon(D(2026, 3, 1), "UTC"), {}, {})
    assert p is not None
    month = price("solo", "JPY", terms().cycle)  # JPY 2,980 for March's 31 days
    [line] = p.lines
    assert (line.quantity_so_far, line.quantity_projected) == (F(1), F(31))
    assert p.so_far == round_half_up(F(month, 31)) == 96  # 2980 / 31 = 96.13
    assert p.estimate == month
    assert (p.period.start, p.period.end, p.elapsed_days) == (D(2026, 3, 1), D(2026, 4, 1), 1)


def test_pay_per_day_canceled_keeps_its_days_and_projects_no_more() -> None:
    book = price_book(pay_per_day=True)
    driver = Driver.start(book, terms("solo", currency="USD"), D(2026, 3, 1))
    driver.cancel(D(2026, 3, 11))  # days 1..10 in service
    p = predict(driver.sub, driver.log, book, noon(D(2026, 3, 20), "UTC"), {}, {})
    assert p is not None
    expected = round_half_up(F(1999 * 10, 31))  # 644.84 -> 645
    assert (p.so_far, p.estimate) == (expected, expected)


def test_in_advance_plan_so_far_grows_and_the_last_day_is_the_full_price() -> None:
    book = price_book()
    driver = Driver.start(book, terms("basic", currency="USD", quantity=3), D(2026, 3, 1))
    month = 3 * 1250
    mid = predict(driver.sub, driver.log, book, noon(D(2026, 3, 10), "UTC"), {}, {})
    last = predict(driver.sub, driver.log, book, local_at(D(2026, 3, 31), "UTC", 23, 59), {}, {})
    assert mid is not None and last is not None
    assert mid.so_far == round_half_up(F(month * 10, 31)) == 1210  # 1209.68
    assert mid.estimate == month
    assert (last.so_far, last.estimate, last.elapsed_days) == (month, month, 31)


def test_leap_day_is_one_day_of_a_29_day_february() -> None:
    book = price_book(pay_per_day=True)
    driver = Driver.start(book, terms("solo", currency="KWD"), D(2028, 2, 1))
    p = predict(driver.sub, driver.log, book, noon(D(2028, 2, 29), "UTC"), {}, {})
    assert p is not None
    assert (p.period.days, p.elapsed_days) == (29, 29)
    assert p.so_far == p.estimate == 5750
    day28 = predict(driver.sub, driver.log, book, noon(D(2028, 2, 28), "UTC"), {}, {})
    assert day28 is not None and day28.so_far == round_half_up(F(5750 * 28, 29))  # 5551.72


def test_a_dst_change_day_counts_as_one_local_day() -> None:
    # New York springs forward on 2026-03-08 (a 23-hour day); 00:30 local on the 9th is the
    # 9th, whatever the UTC offset did in between.
    tz = "America/New_York"
    book = _book(price_book(), "basic", _charge("USD", model="per_unit", unit_price="0.01"))
    driver = Driver.start(book, terms("basic", currency="USD"), D(2026, 3, 1), tz=tz)
    usage = {"calls": Measured(F(900), 900)}
    p = predict(driver.sub, driver.log, book, local_at(D(2026, 3, 9), tz, 0, 30), usage, COUNT)
    assert p is not None
    assert (p.today, p.elapsed_days) == (D(2026, 3, 9), 9)
    calls = p.lines[-1]
    assert calls.quantity_projected == 900 * 31 // 9  # 3,100 exactly
    assert (calls.so_far, calls.estimate) == (900, 3_100)  # one cent a call


def test_graduated_usage_is_projected_then_rated_once() -> None:
    tiers = [
        {"up_to": "1000", "unit_price": "0.0025"},
        {"up_to": None, "unit_price": "0.0015", "flat_fee": "1.00"},
    ]
    charge = _charge("USD", model="graduated", tiers=tiers, included=500)
    book = _book(price_book(), "basic", charge)
    driver = Driver.start(book, terms("basic", currency="USD"), D(2026, 4, 1))
    usage = {"calls": Measured(F(401), 401)}  # 401 calls in 3 of April's 30 days
    p = predict(driver.sub, driver.log, book, noon(D(2026, 4, 3), "UTC"), usage, COUNT)
    assert p is not None
    calls = p.lines[-1]
    assert (calls.allowance, calls.quantity_projected) == (500, F(4_010))
    assert calls.so_far == 0  # within the allowance so far
    # 3,510 billable: 1,000 x 0.25 + 2,510 x 0.15 + 100 = 726.5 cents -> 727, once.
    assert calls.estimate == 727
    assert p.estimate == 1250 + 727 and p.so_far == round_half_up(F(1250 * 3, 30))


def test_extra_allowance_units_per_meter_plug_in_as_packs() -> None:
    charge = _charge("JPY", model="per_unit", unit_price="2", included=100)
    book = _book(price_book(), "basic", charge)
    driver = Driver.start(book, terms("basic", currency="JPY"), D(2026, 3, 1))
    usage = {"calls": Measured(F(150), 150)}
    now = noon(D(2026, 3, 31), "UTC")
    without = predict(driver.sub, driver.log, book, now, usage, COUNT)
    with_pack = predict(driver.sub, driver.log, book, now, usage, COUNT, packs={"calls": 40})
    assert without is not None and with_pack is not None
    assert (without.lines[-1].so_far, without.lines[-1].allowance) == (100, 100)
    assert (with_pack.lines[-1].so_far, with_pack.lines[-1].allowance) == (20, 140)


def test_max_and_unique_count_are_not_projected_sum_is_to_micro_units() -> None:
    seen = Measured(F(7), 12)
    assert projected(Aggregation.MAX, seen, 3, 30) == (F(7), 12)
    assert projected(Aggregation.UNIQUE_COUNT, seen, 3, 30) == (F(7), 12)
    assert projected(Aggregation.COUNT, Measured(F(10), 10), 3, 31) == (F(103), 103)  # 103.33
    # 1.000001 over 3 of 31 days: 10.33334366... -> 10.333344 (to the micro-unit)
    assert projected(Aggregation.SUM, Measured(F(1_000_001, 10**6), 1), 3, 31) == (
        F(10_333_344, 10**6),
        10,
    )


def test_a_hard_limit_caps_the_projection_at_the_allowance() -> None:
    charge = _charge("USD", model="per_unit", unit_price="1", included=100, limit="hard")
    book = _book(price_book(), "basic", charge)
    driver = Driver.start(book, terms("basic", currency="USD"), D(2026, 3, 1))
    usage = {"calls": Measured(F(50), 50)}
    p = predict(driver.sub, driver.log, book, noon(D(2026, 3, 2), "UTC"), usage, COUNT)
    assert p is not None
    assert (p.lines[-1].quantity_projected, p.lines[-1].estimate) == (F(100), 0)


def test_a_plan_change_mid_period_is_worth_the_days_each_plan_was_held() -> None:
    book = price_book()
    driver = Driver.start(book, terms("basic", currency="JPY"), D(2026, 3, 1))
    driver.change(D(2026, 3, 11), terms("pro", currency="JPY"))
    p = predict(driver.sub, driver.log, book, noon(D(2026, 3, 20), "UTC"), {}, {})
    assert p is not None
    basic, pro = p.lines
    assert (basic.quantity_so_far, basic.estimate) == (F(10), round_half_up(F(1490 * 10, 31)))
    assert (pro.quantity_so_far, pro.quantity_projected) == (F(10), F(21))
    assert pro.estimate == round_half_up(F(3270 * 21, 31))  # 2215.16 -> 2215


def test_tax_is_per_line_and_totals_sum_per_currency() -> None:
    book = price_book()
    vat = TaxRate("tax-1", "VAT", Decimal("10"), inclusive=False)
    jpy = Driver.start(book, terms("basic", currency="JPY"), D(2026, 3, 1))
    now = noon(D(2026, 3, 31), "UTC")
    p = predict(jpy.sub, jpy.log, book, now, {}, {}, tax_rate=vat)
    assert p is not None
    assert (p.subtotal_estimate, p.tax_estimate, p.estimate) == (1490, 149, 1639)
    kwd = Driver.start(book, terms("pro", currency="KWD"), D(2026, 3, 1))
    q = predict(replace(kwd.sub, id="sub-2"), kwd.log, book, now, {}, {})
    assert q is not None
    totals = account_totals([p, q, p])
    assert [(t.currency, t.so_far, t.estimate) for t in totals] == [
        ("JPY", 2 * 1639, 2 * 1639),
        ("KWD", 8375, 8375),
    ]


def test_a_trial_predicts_nothing_and_a_canceled_plan_its_days_held_until_the_period_ends() -> None:
    calls = _charge("JPY", model="per_unit", unit_price="1")
    book = _book(price_book(trial_days=14), "basic", calls)
    trial = Driver.start(book, terms("basic"), D(2026, 3, 1), trial=True)
    p = predict(trial.sub, trial.log, book, noon(D(2026, 3, 5), "UTC"), {}, COUNT)
    assert p is not None and p.lines == () and (p.so_far, p.estimate) == (0, 0)
    canceled = Driver.start(price_book(), terms("basic"), D(2026, 3, 1))
    canceled.cancel(D(2026, 3, 5))  # billed in advance, the rest credited: 4 days held
    p = predict(canceled.sub, canceled.log, book, noon(D(2026, 3, 6), "UTC"), {}, {})
    assert p is not None and (p.so_far, p.estimate) == (192, 192)  # 1490 x 4/31 = 192.26
    assert predict(canceled.sub, canceled.log, book, noon(D(2026, 4, 2), "UTC"), {}, {}) is None


@settings(max_examples=60, deadline=None)
@given(
    changes=st.lists(
        st.tuples(st.integers(2, 30), st.sampled_from(["basic", "pro"]), st.integers(1, 5)),
        max_size=4,
    ),
    currency=st.sampled_from(["JPY", "USD", "KWD"]),
    hour=st.integers(0, 23),
)
def test_pay_per_day_on_the_last_day_predicts_exactly_what_the_period_end_bills(
    changes: list[tuple[int, str, int]], currency: str, hour: int
) -> None:
    book = price_book(pay_per_day=True)
    driver = Driver.start(book, terms("basic", currency=currency), D(2026, 3, 1))
    for day, plan, seats in sorted(changes):
        target = terms(plan, currency=currency, quantity=seats)
        if target != driver.sub.terms:
            driver.change(D(2026, 3, day), target, Timing.NOW)
    now = local_at(D(2026, 3, 31), "UTC", hour)

    p = predict(driver.sub, driver.log, book, now, {}, {})

    billed = period_end(driver.sub, driver.log, book, local_at(D(2026, 4, 1), "UTC"), {})
    accruals = sorted(i.amount for i in billed.items if i.kind is LineKind.ACCRUAL)
    assert p is not None
    assert sorted(line.estimate for line in p.lines) == accruals
    assert [line.so_far for line in p.lines] == [line.estimate for line in p.lines]
