"""Billing over 24 simulated months through the use cases, on SQLite and PostgreSQL: the ledger
checker itself, a per-seat monthly plan through a leap February, and an annual plan with a
cycle discount and tax.

The TestClock is moved to each period end (and each change day), the billing run is run there
without a grace period, and every line of every invoice is asserted, figures by hand.

Line rows: (kind, description, quantity, unit amount, amount, discount, tax, total, period
start, period end). Invoice heads: (number, status, period start, period end, subtotal,
discount, tax, total, credit applied, amount due). Each scenario ends by running the billing
run once more: it creates nothing."""

from __future__ import annotations

import calendar
import itertools
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection, func, select, text

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.db.engine import make_engine
from plansmith.application.accounts.accounts import (
    AccountInput,
    AddressInput,
    add_invoice_address,
    open_account,
)
from plansmith.application.invoicing.invoices import mark_paid
from plansmith.application.invoicing.taxes_and_coupons import TaxRateInput, create_tax_rate
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.ledger import LedgerAccount
from plansmith.domain.invoicing.pricing import tax_summary
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import (
    MINUTE,
    D,
    _balance,
    _bill,
    _head,
    _invoices,
    _lines,
    _made,
    _monthly_plan,
    _rerun_creates_nothing,
)
from tests.integration.ledger_invariants import ledger_violations
from tests.unit.subscription_builders import local_at, new_account, seed_catalog


def _rows_in(connection: Connection) -> int:
    tables = (t.organizations, t.invoices, t.ledger_transactions)
    return sum(
        int(connection.execute(select(func.count()).select_from(x)).scalar_one()) for x in tables
    )


def _month_ends(year: int, month: int, count: int) -> list[date]:
    """The last day of ``count`` months from year/month: a Jan 31 anchor's period starts."""
    days = []
    for _ in range(count):
        days.append(D(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return days


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
