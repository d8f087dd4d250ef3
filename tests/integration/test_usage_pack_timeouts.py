"""A pack whose card payment timed out, on SQLite and PostgreSQL, with the sandbox's timeout
card (the charge really succeeded): it stays pending and counts nothing until the collection
run asks the gateway again with the same key; then it is paid, invoiced once and captured once.
When the answer comes after the period it was bought for ended, the capture goes to the
balance and the pack is failed: it adds nothing to the new period."""

from __future__ import annotations

from datetime import timedelta

from plansmith.adapters.clock import TestClock
from plansmith.application.payments.collection_run import run_collection
from plansmith.application.payments.pack_resolution import resolve_pack_payments
from plansmith.bootstrap import Plansmith
from plansmith.domain.invoicing.invoice import InvoiceStatus
from plansmith.domain.payments.payments import PaymentStatus
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
from tests.integration.payment_scenarios_support import balance, captures
from tests.integration.usage_billing_support import meter as new_meter
from tests.integration.usage_packs_support import TZ, buy, card, charge, pack, pack_lines, standing
from tests.unit.subscription_builders import local_at, new_account, seed_catalog

LINE = ("pack", "Sessions 5: 5 chatbot_sessions", 1, 500, 500, D(2026, 3, 12), D(2026, 4, 1))


def _setup(app: Plansmith, org: str, clock: TestClock) -> tuple[str, str]:
    plans = {"basic": _monthly_plan({"JPY": 1000}, charges=[charge("chatbot_sessions", 3, "hard")])}
    clock.set(local_at(D(2026, 2, 20), TZ, 9))
    new_meter(app, org, "chatbot_sessions")
    seed_catalog(app, org, plans=plans, add_ons=False)
    pack(app, org, "sessions_5", "chatbot_sessions", 5, 500)
    acct = new_account(app, org, "JPY", TZ)
    card(app, org, acct, "tok_sandbox_success")
    clock.set(local_at(D(2026, 3, 1), TZ, 9))
    sub_id = _subscribe(app, org, acct, "basic", 1)
    assert _made(_bill(app, org)) == (0, 1, 1, 0, 0)
    card(app, org, acct, "tok_sandbox_timeout_succeeded")  # the default card from now on
    return acct, sub_id


def _pack_invoices(app: Plansmith, org: str) -> list[list[tuple[object, ...]]]:
    return [pack_lines(i) for i in _invoices(app, org) if pack_lines(i)]


def _pack_captures(app: Plansmith) -> list[tuple[str, str, int, str]]:
    return [c for c in captures(app) if c[0].startswith("pack-")]


def test_a_timed_out_pack_is_paid_by_the_collection_run_once_and_counts_from_then(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    acct, sub_id = _setup(container, org, clock)
    clock.set(local_at(D(2026, 3, 12), TZ, 9))
    bought = buy(container, org, sub_id, "sessions_5")
    assert bought.purchase.status is PackStatus.PENDING
    assert bought.invoice is None
    assert bought.payment is not None and bought.payment.status is PaymentStatus.UNKNOWN
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 0, 0, 3, 0, "hard")}
    assert _pack_invoices(container, org) == []
    clock.advance(timedelta(minutes=10))
    run_collection(container.uow(), container.gateway_for, clock, org)
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 5, 0, 8, 0, "hard")}
    assert _pack_invoices(container, org) == [[LINE]]
    [invoice] = [i for i in _invoices(container, org) if pack_lines(i)]
    assert invoice.status is InvoiceStatus.PAID
    key = f"pack-{bought.purchase.id}"
    assert _pack_captures(container) == [(key, "succeeded", 500, "JPY")]
    assert balance(container, acct, "JPY") == 0
    # Run again: nothing more is asked, invoiced, captured or counted.
    clock.advance(timedelta(minutes=10))
    run_collection(container.uow(), container.gateway_for, clock, org)
    assert resolve_pack_payments(container.uow(), container.gateway_for, clock.now(), org) == []
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 5, 0, 8, 0, "hard")}
    assert _pack_invoices(container, org) == [[LINE]]
    assert _pack_captures(container) == [(key, "succeeded", 500, "JPY")]


def test_a_pack_answered_after_its_period_ended_goes_to_the_balance_and_counts_nowhere(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    acct, sub_id = _setup(container, org, clock)
    clock.set(local_at(D(2026, 3, 31), TZ, 23))
    bought = buy(container, org, sub_id, "sessions_5")
    assert bought.purchase.status is PackStatus.PENDING
    clock.set(local_at(D(2026, 4, 1), TZ, 0, 30))
    [paid] = resolve_pack_payments(container.uow(), container.gateway_for, clock.now(), org)
    assert paid.status is PaymentStatus.SUCCEEDED and paid.invoice_id is None
    key = f"pack-{bought.purchase.id}"
    assert _pack_captures(container) == [(key, "succeeded", 500, "JPY")]
    assert _pack_invoices(container, org) == []
    # The 500 captured reached the balance, which paid half of March's open invoice (1,000).
    assert [(i.totals.total, i.totals.amount_due) for i in _invoices(container, org)] == [
        (1000, 500)
    ]
    assert balance(container, acct, "JPY") == 0
    with container.uow() as uow:
        stored = uow.usage_packs.get(org, bought.purchase.id)
    assert stored is not None and stored.status is PackStatus.FAILED
    # March's standing did not grow after the fact, nor does April's.
    assert standing(container, org, sub_id)["chatbot_sessions"][1] == 0
    assert resolve_pack_payments(container.uow(), container.gateway_for, clock.now(), org) == []
    assert [(i.totals.total, i.totals.amount_due) for i in _invoices(container, org)] == [
        (1000, 500)
    ]
    assert _pack_captures(container) == [(key, "succeeded", 500, "JPY")]


def test_a_timed_out_pack_that_really_failed_is_marked_failed_and_counts_nothing(
    container: Plansmith, tenant: Tenant, clock: TestClock
) -> None:
    org = tenant.organization_id
    acct, sub_id = _setup(container, org, clock)
    card(container, org, acct, "tok_sandbox_timeout_failed")
    clock.set(local_at(D(2026, 3, 12), TZ, 9))
    bought = buy(container, org, sub_id, "sessions_5")
    assert bought.purchase.status is PackStatus.PENDING
    clock.advance(timedelta(minutes=10))
    [answered] = resolve_pack_payments(container.uow(), container.gateway_for, clock.now(), org)
    assert answered.status is PaymentStatus.FAILED
    with container.uow() as uow:
        stored = uow.usage_packs.get(org, bought.purchase.id)
    assert stored is not None and stored.status is PackStatus.FAILED
    assert _pack_invoices(container, org) == []
    assert standing(container, org, sub_id) == {"chatbot_sessions": (3, 0, 0, 3, 0, "hard")}
    assert balance(container, acct, "JPY") == 0
    assert resolve_pack_payments(container.uow(), container.gateway_for, clock.now(), org) == []
