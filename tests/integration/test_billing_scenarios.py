"""Billing over 24 simulated months through the use cases, on SQLite and PostgreSQL: the
TestClock is moved to each period end (and each change day), the billing run is run there
without a grace period, and every line of every invoice is asserted, figures by hand.

Line rows: (kind, description, quantity, unit amount, amount, discount, tax, total, period
start, period end). Invoice heads: (number, status, period start, period end, subtotal,
discount, tax, total, credit applied, amount due). Each scenario ends by running the billing
run once more: it creates nothing.
"""

from __future__ import annotations

import calendar
import itertools
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Connection, Table, func, select, text

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.engine import make_engine
from plansmith.application.accounts import (
    AccountInput,
    AddressInput,
    add_invoice_address,
    open_account,
)
from plansmith.application.billing_ports import RunRecord
from plansmith.application.billing_run import run_billing
from plansmith.application.errors import Conflict
from plansmith.application.invoices import (
    finalize_invoice,
    get_invoice,
    issue_credit_note,
    mark_paid,
    void_invoice,
)
from plansmith.application.subscription_actions import (
    ChangeInput,
    cancel_subscription,
    change_subscription,
    reactivate_subscription,
)
from plansmith.application.subscription_queries import get_subscription
from plansmith.application.subscriptions import Result, SubscribeInput, subscribe
from plansmith.application.taxes_and_coupons import (
    CouponInput,
    TaxRateInput,
    create_coupon,
    create_tax_rate,
    redeem_coupon,
    set_account_tax_rate,
)
from plansmith.bootstrap import Plansmith
from plansmith.domain.errors import DomainError
from plansmith.domain.invoicing import Invoice, tax_summary
from plansmith.domain.ledger import LedgerAccount
from plansmith.domain.subscriptions import Status
from tests.conftest import Tenant
from tests.integration.ledger_invariants import ledger_violations
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

D = date
Line = tuple[object, ...]
MINUTE = timedelta(minutes=1)
# Everything a billing run may add, except its own run record.
WRITTEN = (
    t.invoices,
    t.invoice_lines,
    t.ledger_transactions,
    t.ledger_entries,
    t.credit_notes,
    t.subscription_items,
    t.subscription_events,
    t.document_sequences,
)


def _count(app: Plansmith, table: Table) -> int:
    with app.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def _counts(app: Plansmith) -> list[int]:
    return [_count(app, table) for table in WRITTEN]


def _bill(app: Plansmith, org: str, at: datetime | None = None) -> RunRecord:
    clock = app.clock
    assert isinstance(clock, TestClock)
    if at is not None:
        clock.set(at)
    return run_billing(app.uow(), clock, org, grace=timedelta(0))


def _made(run: RunRecord) -> tuple[int, int, int, int, int]:
    """(renewed, invoiced, finalized, skipped, errors) of one run."""
    return run.renewed, run.invoiced, run.finalized, run.skipped, len(run.errors)


def _invoices(app: Plansmith, org: str) -> list[Invoice]:
    with app.uow() as uow:
        found = uow.invoices.invoices(org, account_id=None, status=None, after=None, limit=500)
    return sorted(found, key=lambda i: (i.number or "~", i.created_at))


def _head(invoice: Invoice) -> tuple[object, ...]:
    s = invoice.totals
    return (
        invoice.number,
        invoice.status.value,
        invoice.period_start,
        invoice.period_end,
        s.subtotal,
        s.discount,
        s.tax,
        s.total,
        s.credit_applied,
        s.amount_due,
    )


def _lines(invoice: Invoice) -> list[Line]:
    return [
        (
            line.kind.value,
            line.description,
            line.quantity,
            line.unit_amount,
            line.amount,
            line.discount,
            line.tax,
            line.total,
            line.period_start,
            line.period_end,
        )
        for line in invoice.lines
    ]


def _balance(app: Plansmith, account: str, ledger: LedgerAccount, currency: str) -> int:
    with app.uow() as uow:
        return uow.ledger.ledger_balance(account, ledger, currency)


def _rows_in(connection: Connection) -> int:
    tables = (t.organizations, t.invoices, t.ledger_transactions)
    return sum(
        int(connection.execute(select(func.count()).select_from(x)).scalar_one()) for x in tables
    )


def _rerun_creates_nothing(app: Plansmith, org: str) -> None:
    before = _counts(app), [_head(i) for i in _invoices(app, org)]
    assert _made(_bill(app, org)) == (0, 0, 0, 0, 0)
    assert (_counts(app), [_head(i) for i in _invoices(app, org)]) == before


def _month_ends(year: int, month: int, count: int) -> list[date]:
    """The last day of ``count`` months from year/month: a Jan 31 anchor's period starts."""
    days = []
    for _ in range(count):
        days.append(D(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


def _month_starts(year: int, month: int, count: int) -> list[date]:
    """The first day of ``count`` months from year/month."""
    return [D(year + (month - 1 + m) // 12, (month - 1 + m) % 12 + 1, 1) for m in range(count)]


def _subscribe(app: Plansmith, org: str, account: str, plan: str, quantity: int) -> str:
    data = SubscribeInput(account, plan, quantity=quantity)
    return subscribe(app.uow(), app.clock, org, data).view.subscription.id


def _change(app: Plansmith, org: str, sub_id: str, **changes: Any) -> Result:
    data = ChangeInput(**changes)
    return change_subscription(app.uow(), app.clock, org, sub_id, data)


def _monthly_plan(amounts: dict[str, int], **extra: object) -> dict[str, object]:
    prices = [{"currency": c, "cycle": "month", "amount": a} for c, a in amounts.items()]
    return {"pricing": "per_seat", "prices": prices, **extra}


# -- the checker itself catches a broken invariant --------------------------------------------


def test_the_ledger_checker_names_each_broken_invariant_with_its_figures(db_url: str) -> None:
    # Not the container fixture: a throwaway database, and the broken rows are rolled back.
    engine = make_engine(db_url)
    at = {"at": "2026-02-01 00:00:00"}
    rows = [
        "INSERT INTO organizations (id, name, created_at) VALUES ('org_x', 'Broken', :at)",
        "INSERT INTO accounts (id, organization_id, name, email, currency, time_zone, locale,"
        " created_at, updated_at) VALUES ('acct_x', 'org_x', 'Kato', 'k@example.com', 'JPY',"
        " 'UTC', 'en_US', :at, :at)",
        # INV-1 says 1000 but its one line is 990; it owes 1000.
        "INSERT INTO invoices (id, organization_id, account_id, currency, status, number,"
        " subtotal, discount, tax, total, credit_applied, amount_due, buyer, discounts,"
        " created_at, finalize_after) VALUES ('inv_x', 'org_x', 'acct_x', 'JPY', 'open',"
        " 'INV-1', 1000, 0, 0, 1000, 0, 1000, '{}', '[]', :at, :at)",
        "INSERT INTO invoice_lines (invoice_id, position, kind, description, quantity,"
        " unit_amount, amount, discount, tax, total, source_id) VALUES ('inv_x', 0,"
        " 'recurring', 'Basic', 1, 990, 990, 0, 0, 990, 'item_x')",
        # INV-2 is consistent but was never posted: 500 more owed than the ledger knows.
        "INSERT INTO invoices (id, organization_id, account_id, currency, status, number,"
        " subtotal, discount, tax, total, credit_applied, amount_due, buyer, discounts,"
        " created_at, finalize_after) VALUES ('inv_y', 'org_x', 'acct_x', 'JPY', 'open',"
        " 'INV-2', 500, 0, 0, 500, 0, 500, '{}', '[]', :at, :at)",
        "INSERT INTO invoice_lines (invoice_id, position, kind, description, quantity,"
        " unit_amount, amount, discount, tax, total, source_id) VALUES ('inv_y', 0,"
        " 'recurring', 'Basic', 1, 500, 500, 0, 0, 500, 'item_y')",
        # INV-1 posted +1000 receivable against -990 revenue: 10 off.
        "INSERT INTO ledger_transactions (id, organization_id, account_id, kind, reference, at)"
        " VALUES ('txn_x', 'org_x', 'acct_x', 'invoice_finalized', 'inv_x', :at)",
        "INSERT INTO ledger_entries (transaction_id, position, organization_id, account_id,"
        " ledger_account, currency, amount) VALUES ('txn_x', 0, 'org_x', 'acct_x',"
        " 'receivable', 'JPY', 1000), ('txn_x', 1, 'org_x', 'acct_x', 'revenue', 'JPY', -990)",
    ]
    try:
        with engine.connect() as connection:
            for sql in rows:
                connection.execute(text(sql), at)

            found = ledger_violations(connection)

            connection.rollback()
            left = ledger_violations(connection), _rows_in(connection)
    finally:
        engine.dispose()
    assert found == [
        "ledger transaction txn_x (invoice_finalized of inv_x) does not balance in JPY: "
        "its 2 entries sum to 10, not 0",
        "invoice INV-1 (inv_x, 1 lines): subtotal 1000 but the lines' amounts sum to 990; "
        "total 1000 but the lines' totals sum to 990",
        # receivable 1000 (txn_x) against 1000 + 500 owed
        "account acct_x in JPY: receivable balance 1000 but its open and uncollectible "
        "invoices owe 1500 (INV-1 open 1000, INV-2 open 500)",
    ]
    assert left == ([], 0)  # rolled back: nothing for the fixture that checks every test


# -- a. per seat, monthly, anchored Jan 31 in Tokyo, through the leap February of 2028 -------


def test_per_seat_monthly_jan_31_in_tokyo_bills_24_month_ends_through_a_leap_february(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "Asia/Tokyo", tenant.organization_id
    seed_catalog(container, org, plans={"basic": _monthly_plan({"JPY": 1490})}, add_ons=False)
    acct = new_account(container, org, "JPY", tz)
    # 10:00 on Jan 31 in Tokyo (01:00 UTC): the local date is the anchor.
    clock.set(local_at(D(2027, 1, 31), tz, 10))
    started = subscribe(container.uow(), clock, org, SubscribeInput(acct, "basic", quantity=3))
    assert started.view.subscription.anchor == D(2027, 1, 31)

    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)  # the first period, in advance
    # Period starts: each month's last day from Jan 31 2027 (Feb 28, Feb 29 2028 clamped),
    # 25 boundaries for 24 periods.
    starts = _month_ends(2027, 1, 25)
    assert (starts[1], starts[13], starts[14], starts[24]) == (
        D(2027, 2, 28),
        D(2028, 2, 29),
        D(2028, 3, 31),
        D(2029, 1, 31),
    )
    for start in starts[1:24]:
        # A minute before local midnight nothing is due; at midnight it renews and bills.
        assert _made(_bill(container, org, local_at(start, tz) - MINUTE)) == (0, 0, 0, 0, 0)
        assert _made(_bill(container, org, local_at(start, tz))) == (1, 1, 1, 0, 0)

    invoices = _invoices(container, org)
    # 3 seats x 1490 = 4470 for every period, 28, 29, 30 or 31 days long; no tax, no coupon.
    assert [_head(i) for i in invoices] == [
        (f"INV-{n:06d}", "open", start, end, 4470, 0, 0, 4470, 0, 4470)
        for n, (start, end) in enumerate(itertools.pairwise(starts), start=1)
    ]
    assert [_lines(i) for i in invoices] == [
        [("recurring", "Basic × 3, month", 3, 1490, 4470, 0, 0, 4470, start, end)]
        for start, end in itertools.pairwise(starts)
    ]
    # Each renewal was finalized on time: at local midnight of its first day (00:00 JST).
    assert [i.finalized_at for i in invoices[1:]] == [local_at(s, tz) for s in starts[1:24]]
    # 23 paid by bank transfer, the last one still owed: 4470 receivable.
    for invoice in invoices[:23]:
        mark_paid(container.uow(), clock, org, invoice.id)
    assert _balance(container, acct, LedgerAccount.RECEIVABLE, "JPY") == 4470
    assert _balance(container, acct, LedgerAccount.CASH, "JPY") == 23 * 4470  # 102810
    assert _balance(container, acct, LedgerAccount.REVENUE, "JPY") == -24 * 4470  # -107280
    _rerun_creates_nothing(container, org)


# -- b. annual, 20 % cycle discount, 10 % exclusive tax by the invoice address's country -----


def test_annual_plan_with_cycle_discount_and_exclusive_tax_by_address_country(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "Asia/Tokyo", tenant.organization_id
    team = {"pricing": "per_seat", "base_prices": {"JPY": 2345}, "cycle_discounts": {"year": "20"}}
    seed_catalog(container, org, plans={"team": team}, add_ons=False)
    uow = container.uow
    japan = create_tax_rate(uow(), clock, org, TaxRateInput("Consumption tax", "10", country="JP"))
    create_tax_rate(uow(), clock, org, TaxRateInput("VAT", "19", country="DE"))  # not Japan's
    data = AccountInput("Kato Ltd", "billing@example.com", "JPY", tz, tax_id="T1234567890123")
    acct = open_account(uow(), clock, org, data).id
    address = AddressInput("Kato Ltd", "1-1 Marunouchi", "Tokyo", "JP", postal_code="100-0005")
    add_invoice_address(uow(), clock, org, acct, address)
    clock.set(local_at(D(2026, 3, 15), tz, 9))
    subscribe(uow(), clock, org, SubscribeInput(acct, "team", cycle="year", quantity=3))

    assert _made(_bill(container, org)) == (0, 1, 1, 0, 0)
    # Run on the 15th of every month, Apr 2026 .. Feb 2028: only Mar 15 2027 renews. Mar 15
    # 2028 would make the third invoice; the last run is a minute before it.
    for months in range(1, 24):
        year, month = divmod(2 + months, 12)
        due = _made(_bill(container, org, local_at(D(2026 + year, month + 1, 15), tz)))
        assert due == ((1, 1, 1, 0, 0) if months == 12 else (0, 0, 0, 0, 0))
    assert _made(_bill(container, org, local_at(D(2028, 3, 15), tz) - MINUTE)) == (0,) * 5

    invoices = _invoices(container, org)
    # A seat: 2345 x 12 = 28140 a year, less 20 % = 22512; x 3 = 67536. Tax 10 % of 67536 =
    # 6753.6 -> 6754; total 67536 + 6754 = 74290.
    periods = [(D(2026, 3, 15), D(2027, 3, 15)), (D(2027, 3, 15), D(2028, 3, 15))]
    assert [_head(i) for i in invoices] == [
        (f"INV-00000{n}", "open", *p, 67536, 0, 6754, 74290, 0, 74290)
        for n, p in enumerate(periods, start=1)
    ]
    assert [_lines(i) for i in invoices] == [
        [("recurring", "Team × 3, year", 3, 22512, 67536, 0, 6754, 74290, *p)] for p in periods
    ]
    assert {i.tax_id for i in invoices} == {"T1234567890123"}
    assert [line.tax_rate_id for i in invoices for line in i.lines] == [japan.id, japan.id]
    summary = tax_summary(invoices[0].lines, {japan.id: japan})
    assert [(s.name, s.percent, s.taxable, s.tax) for s in summary] == [
        ("Consumption tax", Decimal("10"), 67536, 6754)
    ]
    # Posted: 2 x 6754 = 13508 tax payable, 2 x 67536 = 135072 revenue, 148580 receivable.
    assert _balance(container, acct, LedgerAccount.TAX_PAYABLE, "JPY") == -13508
    assert _balance(container, acct, LedgerAccount.REVENUE, "JPY") == -135072
    assert _balance(container, acct, LedgerAccount.RECEIVABLE, "JPY") == 148580
    _rerun_creates_nothing(container, org)


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
        ("INV-000001", "open", D(2026, 4, 1), D(2026, 5, 1), 6540, 0, 0, 6540, 0, 6540),
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
    # Owed: 6540 (April's pro invoice, unpaid) + 110 + 20 x 1490 = 36450.
    assert _balance(container, acct, LedgerAccount.RECEIVABLE, "JPY") == 36450
    assert _balance(container, acct, LedgerAccount.CUSTOMER_CREDIT, "JPY") == 0
    _rerun_creates_nothing(container, org)


# -- invalid input: a clear error naming its field, and nothing changed ----------------------


def _billed(app: Plansmith, org: str, clock: TestClock, *, grace: timedelta) -> Invoice:
    """Basic x 3 = 4470 JPY for April 2026, invoiced (a draft while ``grace`` lasts)."""
    seed_catalog(app, org, plans={"basic": _monthly_plan({"JPY": 1490})}, add_ons=False)
    acct = new_account(app, org, "JPY", "UTC")
    clock.set(local_at(D(2026, 4, 1), "UTC", 9))
    _subscribe(app, org, acct, "basic", 3)
    run_billing(app.uow(), clock, org, grace=grace)
    [invoice] = _invoices(app, org)
    return invoice


def _refused(call: Callable[[], object]) -> tuple[str, str | None, int]:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code, refused.value.field, refused.value.status


def test_voiding_a_paid_invoice_is_refused_and_changes_nothing(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    invoice = _billed(container, org, clock, grace=timedelta(0))
    mark_paid(container.uow(), clock, org, invoice.id)
    before = _counts(container)

    refused = _refused(lambda: void_invoice(container.uow(), clock, org, invoice.id))

    assert refused == ("invalid_invoice_transition", "status", 409)
    assert _counts(container) == before
    assert get_invoice(container.uow(), org, invoice.id).status.value == "paid"


def test_finalizing_an_invoice_twice_is_refused_and_takes_no_second_number(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    draft = _billed(container, org, clock, grace=timedelta(hours=1))
    assert (draft.status.value, draft.number) == ("draft", None)
    final = finalize_invoice(container.uow(), clock, org, draft.id)
    assert (final.status.value, final.number) == ("open", "INV-000001")
    before = _counts(container)

    refused = _refused(lambda: finalize_invoice(container.uow(), clock, org, draft.id))

    assert refused == ("invalid_invoice_transition", "status", 409)
    assert _counts(container) == before  # no second posting
    with container.engine.connect() as connection:
        last = connection.execute(select(t.document_sequences.c.last_number)).scalars().all()
    assert last == [1]
    # The run an hour later finds no draft left to finalize.
    clock.set(clock.now() + timedelta(hours=1))
    assert _made(run_billing(container.uow(), clock, org, grace=timedelta(hours=1))) == (0,) * 5


def test_a_coupon_over_100_percent_is_refused(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    data = CouponInput("halfplus", "Too generous", "percent", percent="100.01")

    refused = _refused(lambda: create_coupon(container.uow(), clock, tenant.organization_id, data))

    assert refused == ("discount_range", "percent", 422)
    assert _count(container, t.coupons) == 0


def test_a_tax_rate_with_a_region_but_no_country_is_refused(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    data = TaxRateInput("State sales tax", "7.25", region="California")

    refused = _refused(
        lambda: create_tax_rate(container.uow(), clock, tenant.organization_id, data)
    )

    assert refused == ("invalid_value", "region", 422)
    assert _count(container, t.tax_rates) == 0


def test_a_credit_note_over_what_is_left_of_the_invoice_is_refused(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    invoice = _billed(container, org, clock, grace=timedelta(0))
    mark_paid(container.uow(), clock, org, invoice.id)
    issue_credit_note(container.uow(), clock, org, invoice.id, 4000, "Goodwill")
    before = _counts(container)

    # 4470 - 4000 = 470 left to credit.
    refused = _refused(
        lambda: issue_credit_note(container.uow(), clock, org, invoice.id, 471, "Again")
    )

    assert refused == ("credit_too_large", "amount", 422)
    assert _counts(container) == before
    assert _balance(container, invoice.account_id, LedgerAccount.CUSTOMER_CREDIT, "JPY") == -4000


def test_voiding_an_invoice_with_a_credit_note_is_refused_and_changes_nothing(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    invoice = _billed(container, org, clock, grace=timedelta(0))  # 4470 open
    issue_credit_note(container.uow(), clock, org, invoice.id, 1000, "Outage")  # 3470 due
    before = get_invoice(container.uow(), org, invoice.id)

    with pytest.raises(Conflict) as refused:
        void_invoice(container.uow(), clock, org, invoice.id)

    # Voiding would reverse the whole 4470 on top of the 1000 credited: refused instead.
    assert (refused.value.code, refused.value.field) == ("has_credit_notes", "invoice_id")
    assert get_invoice(container.uow(), org, invoice.id) == before
    with container.engine.connect() as connection:
        assert ledger_violations(connection) == []


def test_a_credit_only_invoice_does_not_use_up_a_cycle_of_a_coupon(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    tz, org = "UTC", tenant.organization_id
    seed_catalog(container, org, plans={"basic": _monthly_plan({"JPY": 1490})}, add_ons=False)
    acct = new_account(container, org, "JPY", tz)
    coupon = CouponInput("c3", "15 % x 3", "percent", percent="15", duration="repeating", cycles=3)
    create_coupon(container.uow(), clock, org, coupon)
    clock.set(local_at(D(2026, 4, 1), tz, 9))
    sub_id = _subscribe(container, org, acct, "basic", 1)
    redeem_coupon(container.uow(), clock, org, sub_id, "c3")
    _bill(container, org)  # INV-000001: 1490 less 15 % (223.5 -> 224)
    clock.set(local_at(D(2026, 4, 11), tz, 9))
    cancel_subscription(container.uow(), clock, org, sub_id, "now")
    _bill(container, org)  # INV-000002: the credit for 20 of 30 days, -993, at INV-1's 85 %
    clock.set(local_at(D(2026, 4, 21), tz, 9))
    reactivate_subscription(container.uow(), clock, org, sub_id)

    for start in _month_starts(2026, 5, 3):  # INV-000003 .. INV-000005
        _bill(container, org, local_at(start, tz))

    # Discounted INV-000001, 3 and 4; the credit-only INV-000002 gives back what INV-000001
    # took off those days (-993 x 224/1490 = -149.28 -> -149), lists no coupon and does not
    # use up one of its three invoices.
    invoices = _invoices(container, org)
    assert [(i.number, i.totals.discount, len(i.discounts)) for i in invoices] == [
        ("INV-000001", 224, 1),
        ("INV-000002", -149, 0),
        ("INV-000003", 298, 1),  # (497 charge for Apr 21-30 + 1490) x 15 % = 298.05 -> 298
        ("INV-000004", 224, 1),
        ("INV-000005", 0, 0),
    ]
