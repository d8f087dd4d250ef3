"""Billing over 24 simulated months through the use cases, on SQLite and PostgreSQL: a credit
larger than the next invoice, carried forward.

The TestClock is moved to each period end (and each change day), the billing run is run there
without a grace period, and every line of every invoice is asserted, figures by hand.

Line rows: (kind, description, quantity, unit amount, amount, discount, tax, total, period
start, period end). Invoice heads: (number, status, period start, period end, subtotal,
discount, tax, total, credit applied, amount due). Each scenario ends by running the billing
run once more: it creates nothing."""

from __future__ import annotations

import itertools

from plansmith.adapters.clock import TestClock
from plansmith.application.invoicing.invoices import (
    issue_credit_note,
    mark_paid,
)
from plansmith.application.subscriptions.actions import (
    cancel_subscription,
)
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.ledger import LedgerAccount
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import (
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

# -- h. a credit larger than the next invoice, carried forward --------------------------------


def test_a_credit_note_on_a_paid_invoice_pays_the_next_invoice_and_part_of_the_one_after(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    seed_catalog(container, org, plans={"basic": _monthly_plan({"JPY": 1490})}, add_ons=False)
    acct = new_account(container, org, "JPY", tz)
    clock.set(local_at(D(2026, 4, 1), tz, 9))
    sub_id = _subscribe(container, org, acct, "basic", 3)
    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)
    first = _invoices(container, org)[0]
    mark_paid(container.uow(), clock, org, first.id)
    clock.set(local_at(D(2026, 4, 5), tz, 9))
    assert _change(container, org, sub_id, quantity=1).items == ()  # fewer seats: term end
    clock.set(local_at(D(2026, 4, 10), tz, 9))

    note = issue_credit_note(container.uow(), clock, org, first.id, 2500, "Outage in April")

    assert (note.number, note.amount, note.tax) == ("CN-000001", 2500, 0)
    assert _balance(container, acct, LedgerAccount.CUSTOMER_CREDIT, "JPY") == -2500
    for start in _month_starts(2026, 5, 23):  # May 1 2026 .. Mar 1 2028
        assert _made(_bill(container, org, local_at(start, tz))) == (1, 1, 1, 0, 0)

    invoices = _invoices(container, org)
    periods = list(zip(_month_starts(2026, 4, 24), _month_starts(2026, 5, 24), strict=True))
    # Apr: 3 x 1490 = 4470, paid. May: 1 seat, 1490, all paid by the credit (2500 - 1490 =
    # 1010 left). Jun: 1010 of 1490 from the credit, 480 due. Then 1490 due each month.
    assert [_head(i) for i in invoices] == [
        ("INV-000001", "paid", *periods[0], 4470, 0, 0, 4470, 0, 0),
        ("INV-000002", "paid", *periods[1], 1490, 0, 0, 1490, 1490, 0),
        ("INV-000003", "open", *periods[2], 1490, 0, 0, 1490, 1010, 480),
        *[
            (f"INV-{n:06d}", "open", *p, 1490, 0, 0, 1490, 0, 1490)
            for n, p in enumerate(periods[3:], start=4)
        ],
    ]
    assert [_lines(i) for i in invoices] == [
        [("recurring", "Basic × 3, month", 3, 1490, 4470, 0, 0, 4470, *periods[0])],
        *[[("recurring", "Basic × 1, month", 1, 1490, 1490, 0, 0, 1490, *p)] for p in periods[1:]],
    ]
    # The credit is used up; owed: 480 + 21 x 1490 = 31770.
    assert _balance(container, acct, LedgerAccount.CUSTOMER_CREDIT, "JPY") == 0
    assert _balance(container, acct, LedgerAccount.RECEIVABLE, "JPY") == 31770
    _rerun_creates_nothing(container, org)


def test_a_cancel_now_credit_becomes_customer_credit_for_the_next_subscription(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    plans = {"basic": _monthly_plan({"JPY": 1490}), "pro": _monthly_plan({"JPY": 3270})}
    seed_catalog(container, org, plans=plans, add_ons=False)
    acct = new_account(container, org, "JPY", tz)
    clock.set(local_at(D(2026, 4, 1), tz, 9))
    pro = _subscribe(container, org, acct, "pro", 2)
    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)
    # Paid by bank transfer: nothing older owes, so the credit waits for the next invoices
    # (an open one would take it first, oldest first: ADR 0037).
    mark_paid(container.uow(), clock, org, _invoices(container, org)[0].id)
    clock.set(local_at(D(2026, 4, 11), tz, 9))

    out = cancel_subscription(container.uow(), clock, org, pro, "now")

    # 2 x 3270 = 6540 for April; 20 of 30 days unused: 6540 x 20/30 = 4360 credited.
    assert [(i.kind.value, i.amount) for i in out.items] == [("credit", -4360)]
    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)
    _subscribe(container, org, acct, "basic", 1)  # anchored Apr 11
    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)
    for start in [D(2026 + (3 + m) // 12, (3 + m) % 12 + 1, 11) for m in range(1, 23)]:
        assert _made(_bill(container, org, local_at(start, tz))) == (1, 1, 1, 0, 0)

    invoices = _invoices(container, org)
    assert len(invoices) == 25  # the canceled one's 2 and the new one's 23
    # The stop invoice: -4360 for Apr 11 .. 30, nothing due, the whole of it customer credit.
    # The new plan's first invoice takes 1490 of it, the second 1490 (1380 left), the third
    # 1380 (110 due).
    assert [_head(i) for i in invoices[:5]] == [
        ("INV-000001", "paid", D(2026, 4, 1), D(2026, 5, 1), 6540, 0, 0, 6540, 0, 0),
        ("INV-000002", "paid", D(2026, 4, 11), D(2026, 5, 1), -4360, 0, 0, -4360, 0, 0),
        ("INV-000003", "paid", D(2026, 4, 11), D(2026, 5, 11), 1490, 0, 0, 1490, 1490, 0),
        ("INV-000004", "paid", D(2026, 5, 11), D(2026, 6, 11), 1490, 0, 0, 1490, 1490, 0),
        ("INV-000005", "open", D(2026, 6, 11), D(2026, 7, 11), 1490, 0, 0, 1490, 1380, 110),
    ]
    assert _lines(invoices[1]) == [
        ("credit", "Unused time on Pro × 2 (20 of 30 days)", 2, 3270, -4360, 0, 0, -4360,
         D(2026, 4, 11), D(2026, 5, 1)),
    ]  # fmt: skip
    starts = [D(2026 + (3 + m) // 12, (3 + m) % 12 + 1, 11) for m in range(24)]
    assert [_head(i) for i in invoices[5:]] == [
        (f"INV-{n:06d}", "open", *p, 1490, 0, 0, 1490, 0, 1490)
        for n, p in enumerate(itertools.pairwise(starts[3:]), start=6)
    ]
    assert [_lines(i) for i in invoices[2:]] == [
        [("recurring", "Basic × 1, month", 1, 1490, 1490, 0, 0, 1490, p0, p1)]
        for p0, p1 in itertools.pairwise(starts)
    ]
    # Owed: 110 + 20 x 1490 = 29910.
    assert _balance(container, acct, LedgerAccount.RECEIVABLE, "JPY") == 29910
    assert _balance(container, acct, LedgerAccount.CUSTOMER_CREDIT, "JPY") == 0
    _rerun_creates_nothing(container, org)
