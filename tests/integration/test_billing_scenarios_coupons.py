"""Billing over 24 simulated months through the use cases, on SQLite and PostgreSQL: a coupon
for three invoices.

The TestClock is moved to each period end (and each change day), the billing run is run there
without a grace period, and every line of every invoice is asserted, figures by hand.

Line rows: (kind, description, quantity, unit amount, amount, discount, tax, total, period
start, period end). Invoice heads: (number, status, period start, period end, subtotal,
discount, tax, total, credit applied, amount due). Each scenario ends by running the billing
run once more: it creates nothing."""

from __future__ import annotations

from datetime import date

from plansmith.adapters.clock import TestClock
from plansmith.application.invoicing.taxes_and_coupons import (
    CouponInput,
    TaxRateInput,
    create_coupon,
    create_tax_rate,
    redeem_coupon,
    set_account_tax_rate,
)
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import (
    D,
    Line,
    _bill,
    _change,
    _head,
    _invoices,
    _lines,
    _made,
    _month_starts,
    _monthly_plan,
    _rerun_creates_nothing,
    _subscribe,
)
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

# -- g. a coupon for three invoices ----------------------------------------------------------


def test_a_three_cycle_coupon_discounts_the_first_three_invoices_to_the_unit(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    seed_catalog(container, org, plans={"basic": _monthly_plan({"JPY": 1490})})  # + ai, chat
    uow = container.uow
    acct = new_account(container, org, "JPY", tz)
    rate = create_tax_rate(uow(), clock, org, TaxRateInput("Consumption tax", "10"))
    set_account_tax_rate(uow(), org, acct, rate.id)  # chosen for the account, no address
    coupon = CouponInput(
        "welcome15", "Welcome 15 %", "percent", percent="15", duration="repeating", cycles=3
    )
    create_coupon(uow(), clock, org, coupon)
    clock.set(local_at(D(2026, 4, 1), tz, 9))
    data = SubscribeInput(acct, "basic", quantity=3, add_ons={"ai": 1, "chat": 2})
    sub_id = subscribe(uow(), clock, org, data).view.subscription.id
    redeem_coupon(uow(), clock, org, sub_id, "welcome15")

    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)
    for start in _month_starts(2026, 5, 23):  # May 1 2026 .. Mar 1 2028
        assert _made(_bill(container, org, local_at(start, tz))) == (1, 1, 1, 0, 0)

    invoices = _invoices(container, org)
    periods = list(zip(_month_starts(2026, 4, 24), _month_starts(2026, 5, 24), strict=True))

    # Basic 3 x 1490 = 4470, AI 500, Chat 2 x 310 = 620: 5590. 15 % = 838.5 -> 839, split
    # 4470 : 500 : 620 -> 670.90, 75.04, 93.06: floors 670 + 75 + 93 = 838, the unit left
    # to the largest remainder (.90): 671, 75, 93. Nets 3799, 425, 527; tax 10 % per line
    # 379.9 -> 380, 42.5 -> 43, 52.7 -> 53 = 476; totals 4179 + 468 + 580 = 5227.
    # Undiscounted: tax 447 + 50 + 62 = 559; totals 4917 + 550 + 682 = 6149.
    def lines(p: tuple[date, date], off: bool) -> list[Line]:
        return [
            ("recurring", "Basic × 3, month", 3, 1490, 4470, *((671, 380, 4179) if off else
             (0, 447, 4917)), *p),
            ("recurring", "Ai × 1, month", 1, 500, 500, *((75, 43, 468) if off else
             (0, 50, 550)), *p),
            ("recurring", "Chat × 2, month", 2, 310, 620, *((93, 53, 580) if off else
             (0, 62, 682)), *p),
        ]  # fmt: skip

    assert [_lines(i) for i in invoices] == [lines(p, n < 3) for n, p in enumerate(periods)]
    assert [_head(i) for i in invoices] == [
        (f"INV-{n:06d}", "open", *p, 5590, *((839, 476, 5227) if n <= 3 else (0, 559, 6149)),
         0, 5227 if n <= 3 else 6149)
        for n, p in enumerate(periods, start=1)
    ]  # fmt: skip
    assert [len(i.discounts) for i in invoices] == [1, 1, 1] + [0] * 21
    _rerun_creates_nothing(container, org)


def test_changes_after_a_three_cycle_coupon_credit_what_each_charge_was_discounted(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    seed_catalog(container, org, plans={"basic": _monthly_plan({"JPY": 1490})}, add_ons=False)
    uow = container.uow
    acct = new_account(container, org, "JPY", tz)
    rate = create_tax_rate(uow(), clock, org, TaxRateInput("Consumption tax", "10"))
    set_account_tax_rate(uow(), org, acct, rate.id)
    coupon = CouponInput("c3", "15 % x 3", "percent", percent="15", duration="repeating", cycles=3)
    create_coupon(uow(), clock, org, coupon)
    clock.set(local_at(D(2026, 4, 1), tz, 9))
    sub_id = _subscribe(container, org, acct, "basic", 3)
    redeem_coupon(uow(), clock, org, sub_id, "c3")
    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)
    # April, May, June at 85 %; in June (the coupon's third cycle) 3 -> 4 -> 5 seats, then in
    # July (undiscounted) 5 -> 6. The changes wait for the next renewal's invoice.
    changes = {D(2026, 6, 11): 4, D(2026, 6, 21): 5, D(2026, 7, 16): 6}
    for day in sorted([*changes, *_month_starts(2026, 5, 4)]):  # .. Aug 1
        if day in changes:
            clock.set(local_at(day, tz, 9))
            _change(container, org, sub_id, quantity=changes[day])
            assert _made(_bill(container, org)) == (0,) * 5
        else:
            assert _made(_bill(container, org, local_at(day, tz))) == (1, 1, 1, 0, 0)

    invoices = _invoices(container, org)
    months = list(zip(_month_starts(2026, 4, 5), _month_starts(2026, 5, 5), strict=True))
    june_11, june_21, july_16 = (D(2026, 6, 11), D(2026, 6, 21), D(2026, 7, 16))
    # Apr .. Jun: 3 x 1490 = 4470, 15 % = 670.5 -> 671, net 3799, tax 379.9 -> 380: 4179.
    for invoice, p in zip(invoices[:3], months, strict=False):
        assert _lines(invoice) == [("recurring", "Basic × 3, month", 3, 1490, 4470, 671, 380,
                                    4179, *p)]  # fmt: skip
    # Jul 1, the coupon ran out. Jun 11, 20 of 30 days left: 3 seats 4470 x 20/30 = -2980,
    # paid at June's 85 %: -2980 x 671/4470 = -447.33 -> -447 back, net -2533, tax -253.3 ->
    # -253. 4 seats 5960 x 20/30 = 3973.33 -> 3973, tax 397. Jun 21, 10 days left: 4 seats
    # 5960 x 10/30 = 1986.67 -> -1987, which reverses the 3973 charged at 100 % on this same
    # invoice: nothing back; tax -198.7 -> -199. 5 seats 7450 x 10/30 = 2483.33 -> 2483, tax
    # 248. July in advance 5 x 1490 = 7450, tax 745.
    assert _lines(invoices[3]) == [
        ("credit", "Unused time on Basic × 3 (20 of 30 days)", 3, 1490, -2980, -447, -253,
         -2786, june_11, months[2][1]),
        ("charge", "Remaining time on Basic × 4 (20 of 30 days)", 4, 1490, 3973, 0, 397, 4370,
         june_11, months[2][1]),
        ("credit", "Unused time on Basic × 4 (10 of 30 days)", 4, 1490, -1987, 0, -199, -2186,
         june_21, months[2][1]),
        ("charge", "Remaining time on Basic × 5 (10 of 30 days)", 5, 1490, 2483, 0, 248, 2731,
         june_21, months[2][1]),
        ("recurring", "Basic × 5, month", 5, 1490, 7450, 0, 745, 8195, *months[3]),
    ]  # fmt: skip
    # Aug 1: Jul 16, 16 of 31 days left: 5 seats 7450 x 16/31 = 3845.16 -> -3845, charged at
    # 100 % in July: nothing back; tax -384.5 -> -385. 6 seats 8940 x 16/31 = 4614.19 -> 4614,
    # tax 461.4 -> 461. August 6 x 1490 = 8940, tax 894.
    assert _lines(invoices[4]) == [
        ("credit", "Unused time on Basic × 5 (16 of 31 days)", 5, 1490, -3845, 0, -385, -4230,
         july_16, months[3][1]),
        ("charge", "Remaining time on Basic × 6 (16 of 31 days)", 6, 1490, 4614, 0, 461, 5075,
         july_16, months[3][1]),
        ("recurring", "Basic × 6, month", 6, 1490, 8940, 0, 894, 9834, *months[4]),
    ]  # fmt: skip
    # Headers: each invoice's period is the span of its lines, Jul 1 from Jun 11.
    assert [_head(i) for i in invoices] == [
        *[(f"INV-00000{n}", "open", *p, 4470, 671, 380, 4179, 0, 4179)
          for n, p in enumerate(months[:3], start=1)],
        ("INV-000004", "open", june_11, months[3][1], 8939, -447, 938, 10324, 0, 10324),
        ("INV-000005", "open", july_16, months[4][1], 9709, 0, 970, 10679, 0, 10679),
    ]  # fmt: skip
    # The coupon counted its three invoices only: the mirrored credit does not use it.
    assert [len(i.discounts) for i in invoices] == [1, 1, 1, 0, 0]
    with uow() as u:
        assert [r.invoices_used for r in u.coupons.redemptions(sub_id)] == [3]
    _rerun_creates_nothing(container, org)


def test_a_coupon_redeemed_after_a_charge_does_not_discount_its_credit(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    seed_catalog(container, org, plans={"basic": _monthly_plan({"JPY": 1490})}, add_ons=False)
    acct = new_account(container, org, "JPY", tz)
    coupon = CouponInput("all15", "15 % off", "percent", percent="15", duration="forever")
    create_coupon(container.uow(), clock, org, coupon)
    clock.set(local_at(D(2026, 4, 1), tz, 9))
    sub_id = _subscribe(container, org, acct, "basic", 3)
    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)  # 4470 at list price
    clock.set(local_at(D(2026, 4, 5), tz, 9))
    redeem_coupon(container.uow(), clock, org, sub_id, "all15")
    clock.set(local_at(D(2026, 4, 11), tz, 9))
    _change(container, org, sub_id, quantity=4)

    assert _made(_bill(container, org, local_at(D(2026, 5, 1), tz))) == (1, 1, 1, 0, 0)

    april, may = _invoices(container, org)
    rest = (D(2026, 4, 11), D(2026, 5, 1))
    # Apr 11, 20 of 30 days left: 3 seats 4470 x 20/30 = -2980, charged at 100 %: credited
    # at 100 %. The coupon takes 15 % of the charges: (3973 + 5960) x 15 % = 1489.95 -> 1490,
    # split 3973 : 5960 -> 595.95, 894.05: floors 595 + 894, the unit to .95: 596, 894.
    assert _lines(april) == [
        ("recurring", "Basic × 3, month", 3, 1490, 4470, 0, 0, 4470, D(2026, 4, 1), rest[1])
    ]
    assert _lines(may) == [
        ("credit", "Unused time on Basic × 3 (20 of 30 days)", 3, 1490, -2980, 0, 0, -2980,
         *rest),
        ("charge", "Remaining time on Basic × 4 (20 of 30 days)", 4, 1490, 3973, 596, 0, 3377,
         *rest),
        ("recurring", "Basic × 4, month", 4, 1490, 5960, 894, 0, 5066, rest[1],
         D(2026, 6, 1)),
    ]  # fmt: skip
    assert _head(may) == ("INV-000002", "open", rest[0], D(2026, 6, 1), 6953, 1490, 0, 5463, 0,
                          5463)  # fmt: skip
    _rerun_creates_nothing(container, org)
