"""An extra pack bought while the account holds a balance and an older invoice still owes: the
older invoice takes the balance first (ADR 0037), so the pack's invoice takes only what is
left beyond it and the card pays the rest of the pack, at once; the pack's invoice is paid in
full. A top-up waits on the balance until the collection run spreads it, so this is an
ordinary state. Tokyo account, JPY, on SQLite and PostgreSQL."""

from __future__ import annotations

from plansmith.adapters.clock import TestClock
from plansmith.application.payments.top_ups import top_up
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import InvoiceStatus
from plansmith.domain.usage.packs import PackStatus
from tests.conftest import Tenant
from tests.integration.billing_scenarios_support import (
    D,
    _bill,
    _invoices,
    _made,
    _monthly_plan,
    _subscribe,
)
from tests.integration.ledger_invariants import assert_ledger_invariants
from tests.integration.payment_scenarios_support import balance
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_packs_support import TZ, buy, card, charge, pack
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

MONTH = 1000  # the plan's month, invoiced by the run and left open (no collection run yet)
PACK = 500  # sessions_5


def _owing_and_topped_up(
    app: Plansmith, org: str, clock: TestClock, topped_up: int
) -> tuple[str, str]:
    """(account, subscription): March's invoice open for MONTH, then ``topped_up`` on the
    balance from the card."""
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(app, org, "chatbot_sessions")
    plan = _monthly_plan({"JPY": MONTH}, charges=[charge("chatbot_sessions", 1, "hard")])
    seed_catalog(app, org, plans={"basic": plan}, add_ons=False)
    pack(app, org, "sessions_5", "chatbot_sessions", 5, PACK)
    acct = new_account(app, org, "JPY", TZ)
    card(app, org, acct)
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    sub_id = _subscribe(app, org, acct, "basic", 1)
    assert _made(_bill(app, org)) == (0, 1, 1, 0, 0)
    [march] = _invoices(app, org)
    assert (march.status, march.totals.amount_due) == (InvoiceStatus.OPEN, MONTH)
    clock.set(local_at(D(2026, 3, 10), TZ, 12))
    top_up(app.uow(), app.gateway_for(org), clock, org, acct, topped_up, "JPY")
    assert balance(app, acct, "JPY") == topped_up
    return acct, sub_id


def test_the_card_pays_what_the_balance_left_beyond_the_older_invoice_does_not_cover(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    acct, sub_id = _owing_and_topped_up(container, org, clock, 1200)

    bought = buy(container, org, sub_id, "sessions_5")

    assert bought.purchase.status is PackStatus.PAID
    assert bought.payment is not None and bought.payment.status.value == "succeeded"
    assert bought.payment.amount == PACK - 200  # 1,200 less March's 1,000 leaves 200
    assert bought.invoice is not None
    totals = bought.invoice.totals
    assert (bought.invoice.status, totals.total, totals.credit_applied, totals.amount_due) == (
        InvoiceStatus.PAID,
        PACK,
        200,
        0,
    )
    march, pack_invoice = _invoices(container, org)
    assert (march.status, march.totals.amount_due) == (InvoiceStatus.OPEN, MONTH)
    assert pack_invoice.id == bought.invoice.id
    assert balance(container, acct, "JPY") == MONTH  # March's, at the collection run
    assert_ledger_invariants(container.engine)


def test_the_balance_pays_the_pack_alone_when_it_covers_the_older_invoice_and_the_pack(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    acct, sub_id = _owing_and_topped_up(container, org, clock, MONTH + PACK)

    bought = buy(container, org, sub_id, "sessions_5")

    assert bought.purchase.status is PackStatus.PAID
    assert bought.payment is None
    assert bought.invoice is not None
    totals = bought.invoice.totals
    assert (bought.invoice.status, totals.credit_applied, totals.amount_due) == (
        InvoiceStatus.PAID,
        PACK,
        0,
    )
    assert balance(container, acct, "JPY") == MONTH
    assert_ledger_invariants(container.engine)
