"""Billing over 24 simulated months through the use cases, on SQLite and PostgreSQL: invalid
input gets a clear error naming its field, and nothing changes.

The TestClock is moved to each period end (and each change day), the billing run is run there
without a grace period, and every line of every invoice is asserted, figures by hand.

Line rows: (kind, description, quantity, unit amount, amount, discount, tax, total, period
start, period end). Invoice heads: (number, status, period start, period end, subtotal,
discount, tax, total, credit applied, amount due). Each scenario ends by running the billing
run once more: it creates nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.billing.run import run_billing
from plansmith.application.invoicing.invoices import (
    finalize_invoice,
    get_invoice,
    issue_credit_note,
    mark_paid,
    void_invoice,
)
from plansmith.application.invoicing.taxes_and_coupons import (
    CouponInput,
    TaxRateInput,
    create_coupon,
    create_tax_rate,
    redeem_coupon,
)
from plansmith.application.kernel.errors import Conflict
from plansmith.application.subscriptions.actions import cancel_subscription, reactivate_subscription
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.invoicing.ledger import LedgerAccount
from plansmith.domain.kernel.errors import DomainError
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import (
    D,
    _balance,
    _bill,
    _count,
    _counts,
    _invoices,
    _made,
    _month_starts,
    _monthly_plan,
    _subscribe,
)
from tests.integration.ledger_invariants import ledger_violations
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

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
