"""Billing over 24 simulated months through the use cases, on SQLite and PostgreSQL: changes
now and at the term end, a trial that converts, a cancel at the term end, pay per day.

The TestClock is moved to each period end (and each change day), the billing run is run there
without a grace period, and every line of every invoice is asserted, figures by hand.

Line rows: (kind, description, quantity, unit amount, amount, discount, tax, total, period
start, period end). Invoice heads: (number, status, period start, period end, subtotal,
discount, tax, total, credit applied, amount due). Each scenario ends by running the billing
run once more: it creates nothing."""

from __future__ import annotations

import itertools
from typing import Any

from plansmith.adapters.clock import TestClock
from plansmith.application.subscriptions.actions import (
    cancel_subscription,
    reactivate_subscription,
)
from plansmith.application.subscriptions.queries import get_subscription
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.ledger import LedgerAccount
from plansmith.domain.subscriptions.subscription import Status
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import (
    MINUTE,
    D,
    _balance,
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

# -- c. upgrade and seats now, a downgrade at the term end ------------------------------------


def test_upgrade_and_seats_mid_period_are_invoiced_with_the_renewal_then_the_downgrade(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    plans = {"silver": _monthly_plan({"USD": 2000}), "gold": _monthly_plan({"USD": 3500})}
    seed_catalog(container, org, plans=plans, add_ons=False)  # the default change policy
    acct = new_account(container, org, "USD", tz)
    clock.set(local_at(D(2026, 3, 1), tz, 9))
    sub_id = _subscribe(container, org, acct, "silver", 2)
    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)

    # Each change day the run finds the period invoiced already: the items wait.
    changes: list[tuple[int, dict[str, Any]]] = [
        (11, {"plan": "gold"}),
        (21, {"quantity": 3}),
        (25, {"plan": "silver", "quantity": 2}),  # a downgrade: at the term end
    ]
    for day, change in changes:
        clock.set(local_at(D(2026, 3, day), tz, 9))
        _change(container, org, sub_id, **change)
        assert _made(_bill(container, org)) == (0, 0, 0, 0, 0)
    for start in _month_starts(2026, 4, 23):  # Apr 1 2026 .. Feb 1 2028
        assert _made(_bill(container, org, local_at(start, tz) - MINUTE)) == (0,) * 5
        assert _made(_bill(container, org, local_at(start, tz))) == (1, 1, 1, 0, 0)

    invoices = _invoices(container, org)
    assert len(invoices) == 24
    # Mar 11, 21 of 31 days left: silver x 2 = 4000 x 21/31 = 2709.68 -> -2710; gold x 2 =
    # 7000 x 21/31 = 4741.94 -> 4742. Mar 21, 11 days left: gold x 2 = 7000 x 11/31 =
    # 2483.87 -> -2484; gold x 3 = 10500 x 11/31 = 3725.81 -> 3726. Then silver x 2 again.
    # Apr 1: -2710 + 4742 - 2484 + 3726 + 4000 = 7274. Its period is the span its lines
    # bill: from the Mar 11 credit and charge to the end of April.
    assert [_head(i) for i in invoices[:2]] == [
        ("INV-000001", "open", D(2026, 3, 1), D(2026, 4, 1), 4000, 0, 0, 4000, 0, 4000),
        ("INV-000002", "open", D(2026, 3, 11), D(2026, 5, 1), 7274, 0, 0, 7274, 0, 7274),
    ]
    march, april = (D(2026, 3, 1), D(2026, 4, 1)), (D(2026, 4, 1), D(2026, 5, 1))
    assert _lines(invoices[0]) == [
        ("recurring", "Silver × 2, month", 2, 2000, 4000, 0, 0, 4000, *march)
    ]
    rest = (D(2026, 3, 11), D(2026, 4, 1)), (D(2026, 3, 21), D(2026, 4, 1))
    assert _lines(invoices[1]) == [
        ("credit", "Unused time on Silver × 2 (21 of 31 days)", 2, 2000, -2710, 0, 0, -2710,
         *rest[0]),
        ("charge", "Remaining time on Gold × 2 (21 of 31 days)", 2, 3500, 4742, 0, 0, 4742,
         *rest[0]),
        ("credit", "Unused time on Gold × 2 (11 of 31 days)", 2, 3500, -2484, 0, 0, -2484,
         *rest[1]),
        ("charge", "Remaining time on Gold × 3 (11 of 31 days)", 3, 3500, 3726, 0, 0, 3726,
         *rest[1]),
        ("recurring", "Silver × 2, month", 2, 2000, 4000, 0, 0, 4000, *april),
    ]  # fmt: skip
    # May 2026 .. Feb 2028: silver x 2 = 4000 each.
    later = list(zip(_month_starts(2026, 5, 22), _month_starts(2026, 6, 22), strict=True))
    assert [_head(i) for i in invoices[2:]] == [
        (f"INV-{n:06d}", "open", *p, 4000, 0, 0, 4000, 0, 4000)
        for n, p in enumerate(later, start=3)
    ]
    assert [_lines(i) for i in invoices[2:]] == [
        [("recurring", "Silver × 2, month", 2, 2000, 4000, 0, 0, 4000, *p)] for p in later
    ]
    _rerun_creates_nothing(container, org)


# -- d. a trial that converts ----------------------------------------------------------------


def test_a_trial_makes_no_invoice_and_the_first_one_comes_at_the_conversion(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "Europe/Berlin", tenant.organization_id
    starter = _monthly_plan({"JPY": 1490}, trial_days=14)
    seed_catalog(container, org, plans={"starter": starter}, add_ons=False)
    acct = new_account(container, org, "JPY", tz)
    clock.set(local_at(D(2026, 5, 10), tz, 10))
    _subscribe(container, org, acct, "starter", 2)

    # Every day of the trial (May 10 .. 23) the run finds nothing to bill.
    for day in range(10, 24):
        assert _made(_bill(container, org, local_at(D(2026, 5, day), tz, 10))) == (0,) * 5
    assert _invoices(container, org) == []
    assert _made(_bill(container, org, local_at(D(2026, 5, 24), tz) - MINUTE)) == (0,) * 5
    # May 24 converts it, then the 24th of each month renews it, through Apr 24 2028.
    starts = [D(2026 + (4 + m) // 12, (4 + m) % 12 + 1, 24) for m in range(25)]
    for start in starts[:24]:
        assert _made(_bill(container, org, local_at(start, tz))) == (1, 1, 1, 0, 0)

    invoices = _invoices(container, org)
    periods = list(itertools.pairwise(starts))
    assert (periods[0], periods[-1]) == (
        (D(2026, 5, 24), D(2026, 6, 24)),
        (D(2028, 4, 24), D(2028, 5, 24)),
    )
    # 2 seats x 1490 = 2980 a month from the conversion on.
    assert [_head(i) for i in invoices] == [
        (f"INV-{n:06d}", "open", *p, 2980, 0, 0, 2980, 0, 2980)
        for n, p in enumerate(periods, start=1)
    ]
    assert [_lines(i) for i in invoices] == [
        [("recurring", "Starter × 2, month", 2, 1490, 2980, 0, 0, 2980, *p)] for p in periods
    ]
    assert invoices[0].finalized_at == local_at(D(2026, 5, 24), tz)
    _rerun_creates_nothing(container, org)


# -- e. canceled at the term end -------------------------------------------------------------


def test_cancel_at_term_end_bills_up_to_the_end_and_nothing_after(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "America/New_York", tenant.organization_id
    seed_catalog(container, org, plans={"basic": _monthly_plan({"USD": 1250})}, add_ons=False)
    acct = new_account(container, org, "USD", tz)
    clock.set(local_at(D(2026, 3, 1), tz, 10))
    sub_id = _subscribe(container, org, acct, "basic", 2)
    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)
    for start in _month_starts(2026, 4, 3):  # Apr 1, May 1, Jun 1
        assert _made(_bill(container, org, local_at(start, tz))) == (1, 1, 1, 0, 0)
    clock.set(local_at(D(2026, 6, 15), tz, 10))

    canceled = cancel_subscription(container.uow(), clock, org, sub_id, "term_end")

    assert canceled.items == ()
    assert _made(_bill(container, org)) == (0,) * 5
    # Jul 1 it ends (a state change, no invoice); nothing more through Feb 2028.
    assert _made(_bill(container, org, local_at(D(2026, 7, 1), tz))) == (1, 0, 0, 0, 0)
    for start in _month_starts(2026, 8, 19):  # Aug 1 2026 .. Feb 1 2028
        assert _made(_bill(container, org, local_at(start, tz))) == (0,) * 5

    invoices = _invoices(container, org)
    # 2 seats x 1250 = 2500 a month, Mar .. Jun.
    periods = list(zip(_month_starts(2026, 3, 4), _month_starts(2026, 4, 4), strict=True))
    assert [_head(i) for i in invoices] == [
        (f"INV-00000{n}", "open", *p, 2500, 0, 0, 2500, 0, 2500)
        for n, p in enumerate(periods, start=1)
    ]
    assert [_lines(i) for i in invoices] == [
        [("recurring", "Basic × 2, month", 2, 1250, 2500, 0, 0, 2500, *p)] for p in periods
    ]
    after = get_subscription(container.uow(), org, sub_id).subscription
    assert (after.status, after.ended_on) == (Status.CANCELED, D(2026, 7, 1))
    _rerun_creates_nothing(container, org)


# -- f. pay per day, with gaps ---------------------------------------------------------------


def test_pay_per_day_invoices_the_days_held_at_each_period_end(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "Europe/Berlin", tenant.organization_id
    flex = _monthly_plan({"USD": 2990}, pay_per_day=True)
    seed_catalog(container, org, plans={"flex": flex}, add_ons=False)
    acct = new_account(container, org, "USD", tz)
    uow = container.uow
    clock.set(local_at(D(2026, 7, 1), tz, 10))
    sub_id = _subscribe(container, org, acct, "flex", 2)
    steps = {
        # July: held 1-5, 10-19, 25-31; August: 3 seats from the 11th; February 2028 (29
        # days): held 1-9 and 20-29; the last stop on Jun 16 2028.
        D(2026, 7, 6): "cancel",
        D(2026, 7, 10): "reactivate",
        D(2026, 7, 20): "cancel",
        D(2026, 7, 25): "reactivate",
        D(2026, 8, 11): "seats",
        D(2028, 2, 10): "cancel",
        D(2028, 2, 20): "reactivate",
        D(2028, 6, 16): "cancel",
    }
    ends = _month_starts(2026, 8, 24)  # Aug 1 2026 .. Jul 1 2028
    for day in sorted([*steps, *ends]):
        clock.set(local_at(day, tz, 10) if day in steps else local_at(day, tz))
        step = steps.get(day)
        if step == "cancel":
            cancel_subscription(uow(), clock, org, sub_id, "now")
        elif step == "reactivate":
            reactivate_subscription(uow(), clock, org, sub_id)
        elif step == "seats":
            _change(container, org, sub_id, quantity=3)
        # nothing is billed on a change day, one invoice at each period end
        expected = (0,) * 5 if step else (1, 1, 1, 0, 0)
        assert _made(_bill(container, org)) == expected, day

    invoices = _invoices(container, org)
    months = list(zip([D(2026, 7, 1), *ends], ends, strict=False))  # the periods accrued
    # (seats, days held, days in the period, amount) per line. 2 x 2990 = 5980 a month,
    # 3 x 2990 = 8970. July: 5 + 10 + 7 = 22 of 31 days, 5980 x 22/31 = 4243.87 -> 4244.
    # August: 5980 x 10/31 = 1929.03 -> 1929 and 8970 x 21/31 = 6076.45 -> 6076. Feb 2028:
    # 9 + 10 = 19 of 29 days, 8970 x 19/29 = 5876.90 -> 5877. June 2028: 15 of 30 days,
    # 8970 x 15/30 = 4485. Every other month is held whole: 8970.
    special = {
        D(2026, 7, 1): [(2, 22, 31, 4244)],
        D(2026, 8, 1): [(2, 10, 31, 1929), (3, 21, 31, 6076)],
        D(2028, 2, 1): [(3, 19, 29, 5877)],
        D(2028, 6, 1): [(3, 15, 30, 4485)],
    }
    accrued = [special.get(s, [(3, (e - s).days, (e - s).days, 8970)]) for s, e in months]
    assert [_lines(i) for i in invoices] == [
        [
            ("accrual", f"Flex × {n}, {d} of {of} days (month, pay per day)", n, 2990, x, 0, 0,
             x, *p)
            for n, d, of, x in parts
        ]
        for p, parts in zip(months, accrued, strict=True)
    ]  # fmt: skip
    # Each invoice is made at the end of the period it accrues and bears that period (not
    # the one then starting), the last one too, made after the stop.
    totals = [sum(x for *_, x in parts) for parts in accrued]
    assert [_head(i) for i in invoices] == [
        (f"INV-{n:06d}", "open", *p, x, 0, 0, x, 0, x)
        for n, (p, x) in enumerate(zip(months, totals, strict=True), start=1)
    ]
    # Earned: 4244 + 8005 + 17 full months (Sep 2026 .. Jan 2028) and 3 (Mar .. May 2028)
    # x 8970 = 179400, + 5877 + 4485 = 202011.
    assert _balance(container, acct, LedgerAccount.REVENUE, "USD") == -202011
    assert _made(_bill(container, org, local_at(D(2028, 8, 1), tz))) == (0,) * 5
    _rerun_creates_nothing(container, org)
