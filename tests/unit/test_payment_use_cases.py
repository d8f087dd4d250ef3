"""The payment use cases on the fakes with a scripted gateway: the balance taken before the
card, a refund split between the card and the balance, a credit spread over open invoices
oldest first, a decline counted by dunning, a timeout resolved by asking again."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from plansmith.application.billing.run import invoice_subscription
from plansmith.application.invoicing import invoices as inv
from plansmith.application.payments import balance as bal
from plansmith.application.payments import collection as col
from plansmith.application.payments import collection_run, methods, refunds, top_ups
from plansmith.application.subscriptions import subscribing as subs
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from plansmith.domain.invoicing.ledger import LedgerAccount
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.payments.payments import PaymentKind, PaymentStatus
from plansmith.domain.subscriptions.subscription import Status
from tests.fakes.gateway import DECLINE, TIMEOUT_CAPTURED, ScriptedGateway
from tests.unit.fake_world import ORG, T0, World

GRACE = timedelta(hours=1)


@pytest.fixture
def world() -> World:
    w = World()
    w.seed_catalog()
    return w


def _subscribed(world: World, gateway: ScriptedGateway) -> tuple[str, str]:
    """An account with a card and a Basic subscription (3,100 USD a month): (account, sub)."""
    account = world.open_account()
    methods.add_card(world.uow(), gateway, world.clock, ORG, account, source="tok_visa")
    sub = subs.subscribe(world.uow(), world.clock, ORG, subs.SubscribeInput(account, "basic"))
    return account, sub.view.subscription.id


def _open_invoice(world: World, sub_id: str) -> Invoice:
    billed = invoice_subscription(world.uow(), world.clock, ORG, sub_id, GRACE)
    assert billed.invoice is not None
    return inv.finalize_invoice(world.uow(), world.clock, ORG, billed.invoice.id)


def _invoice(world: World, invoice_id: str) -> Invoice:
    return world.store.rows.invoices[invoice_id].invoice


def _ledger(world: World, account: str) -> dict[LedgerAccount, int]:
    with world.uow() as uow:
        return {a: uow.ledger.ledger_balance(account, a, "USD") for a in LedgerAccount}


def _payments(world: World, account: str) -> list[tuple[str, str, int, int, str | None]]:
    """(kind, status, amount, to_balance, decline code) of the account's payments, oldest
    first (the payments of one instant in the order they were made)."""
    found = [p for p in world.store.rows.payments.values() if p.account_id == account]
    return [(p.kind, p.status, p.amount, p.to_balance, p.decline_code) for p in found]


def test_an_invoice_takes_the_balance_first_and_the_card_pays_the_rest(world: World) -> None:
    gateway = ScriptedGateway()
    account, sub_id = _subscribed(world, gateway)
    invoice = _open_invoice(world, sub_id)
    top_ups.top_up(world.uow(), gateway, world.clock, ORG, account, 1000, "USD")

    done = col.collect_invoice(world.uow(), gateway, world.clock, ORG, invoice.id)

    assert (done.invoice.status, done.invoice.totals.amount_due) == (InvoiceStatus.PAID, 0)
    assert done.invoice.totals.credit_applied == 1000
    assert [(c.amount, c.currency) for c in gateway.charges] == [(1000, "USD"), (2100, "USD")]
    assert _payments(world, account) == [
        (PaymentKind.TOP_UP, PaymentStatus.SUCCEEDED, 1000, 0, None),
        (PaymentKind.PAYMENT, PaymentStatus.SUCCEEDED, 2100, 0, None),
    ]
    ledger = _ledger(world, account)
    assert (ledger[LedgerAccount.CASH], ledger[LedgerAccount.CUSTOMER_CREDIT]) == (3100, 0)
    assert (ledger[LedgerAccount.RECEIVABLE], ledger[LedgerAccount.REVENUE]) == (0, -3100)
    assert invoice.id not in world.store.rows.collections  # paid at once: nothing to dun


def test_a_refund_goes_to_the_card_up_to_what_it_paid_and_the_rest_to_the_balance(
    world: World,
) -> None:
    gateway = ScriptedGateway()
    account, sub_id = _subscribed(world, gateway)
    invoice = _open_invoice(world, sub_id)
    top_ups.top_up(world.uow(), gateway, world.clock, ORG, account, 1000, "USD")
    col.collect_invoice(world.uow(), gateway, world.clock, ORG, invoice.id)

    refund = refunds.refund_invoice(
        world.uow(), gateway, world.clock, ORG, invoice.id, 2500, "service outage"
    )

    assert (refund.kind, refund.status, refund.amount, refund.to_balance) == (
        PaymentKind.REFUND,
        PaymentStatus.SUCCEEDED,
        2100,
        400,
    )
    assert [(r.amount, r.charge_reference) for r in gateway.refunds] == [(2100, "ch_2")]
    with world.uow() as uow:
        assert bal.balance_of(uow, account, "USD") == 400
    ledger = _ledger(world, account)
    assert (ledger[LedgerAccount.CASH], ledger[LedgerAccount.REVENUE]) == (1000, -600)
    assert ledger[LedgerAccount.CUSTOMER_CREDIT] == -400


def test_a_refund_larger_than_what_is_left_changes_nothing(world: World) -> None:
    gateway = ScriptedGateway()
    _, sub_id = _subscribed(world, gateway)
    invoice = _open_invoice(world, sub_id)
    col.collect_invoice(world.uow(), gateway, world.clock, ORG, invoice.id)
    before = world.snapshot()

    with pytest.raises(InvalidValue) as refused:
        refunds.refund_invoice(world.uow(), gateway, world.clock, ORG, invoice.id, 3101, "x")

    assert (refused.value.code, refused.value.field) == (ec.REFUND_TOO_LARGE, "amount")
    assert world.snapshot() == before
    assert gateway.refunds == []


def test_a_credit_pays_the_open_invoices_oldest_first_and_the_rest_stays(world: World) -> None:
    gateway = ScriptedGateway()
    account, sub_id = _subscribed(world, gateway)
    january = _open_invoice(world, sub_id)
    world.clock.set(T0 + timedelta(days=31))
    february = _open_invoice(world, sub_id)
    top_ups.top_up(world.uow(), gateway, world.clock, ORG, account, 4000, "USD")

    touched = bal.spread_credit(world.uow(), ORG, account, "USD", world.clock.now())

    assert [(i.id, i.status, i.totals.amount_due) for i in touched] == [
        (january.id, InvoiceStatus.PAID, 0),
        (february.id, InvoiceStatus.OPEN, 2200),
    ]
    assert _invoice(world, february.id).totals.credit_applied == 900
    with world.uow() as uow:
        assert bal.balance_of(uow, account, "USD") == 0


def test_a_declined_automatic_attempt_makes_the_subscription_past_due_and_retries_next_day(
    world: World,
) -> None:
    gateway = ScriptedGateway([DECLINE])
    _, sub_id = _subscribed(world, gateway)
    invoice = _open_invoice(world, sub_id)

    done = col.collect_invoice(world.uow(), gateway, world.clock, ORG, invoice.id)

    assert done.payment is not None
    assert (done.payment.status, done.payment.decline_code) == (
        PaymentStatus.FAILED,
        "insufficient_funds",
    )
    assert done.invoice.status is InvoiceStatus.OPEN
    collection = world.store.rows.collections[invoice.id]
    assert (collection.state, collection.failures, collection.next_attempt_at) == (
        "scheduled",
        1,
        T0 + timedelta(days=1),
    )
    assert world.store.rows.subscriptions[sub_id].status is Status.PAST_DUE


def test_a_timeout_that_captured_is_resolved_once_and_pays_the_invoice_once(world: World) -> None:
    gateway = ScriptedGateway([TIMEOUT_CAPTURED])
    account, sub_id = _subscribed(world, gateway)
    invoice = _open_invoice(world, sub_id)

    first = col.collect_invoice(world.uow(), gateway, world.clock, ORG, invoice.id)
    assert first.payment is not None and first.payment.status is PaymentStatus.UNKNOWN
    assert world.store.rows.collections[invoice.id].next_attempt_at == T0 + timedelta(minutes=15)
    world.clock.advance(timedelta(minutes=15))
    second = col.collect_invoice(world.uow(), gateway, world.clock, ORG, invoice.id)

    assert second.payment is not None and second.payment.status is PaymentStatus.SUCCEEDED
    assert second.invoice.status is InvoiceStatus.PAID
    assert len(gateway.captured) == 1
    assert [c.idempotency_key for c in gateway.charges] == [first.payment.idempotency_key] * 2
    assert _payments(world, account) == [
        (PaymentKind.PAYMENT, PaymentStatus.SUCCEEDED, 3100, 0, None),
    ]
    assert _ledger(world, account)[LedgerAccount.CASH] == 3100


def test_a_credit_that_pays_off_a_dunned_invoice_ends_its_dunning_and_the_sub_recovers(
    world: World,
) -> None:
    gateway = ScriptedGateway([DECLINE])
    account, sub_id = _subscribed(world, gateway)
    invoice = _open_invoice(world, sub_id)
    col.collect_invoice(world.uow(), gateway, world.clock, ORG, invoice.id)
    assert world.store.rows.subscriptions[sub_id].status is Status.PAST_DUE
    top_ups.top_up(world.uow(), gateway, world.clock, ORG, account, 3100, "USD")

    (paid,) = bal.spread_credit(world.uow(), ORG, account, "USD", world.clock.now())

    assert (paid.status, paid.totals.amount_due) == (InvoiceStatus.PAID, 0)
    collection = world.store.rows.collections[invoice.id]
    assert (collection.state, collection.next_attempt_at) == ("paid", None)
    assert world.store.rows.subscriptions[sub_id].status is Status.ACTIVE


def test_the_collection_run_first_spreads_a_credit_waiting_on_the_balance(world: World) -> None:
    gateway = ScriptedGateway()
    account = world.open_account()  # no card: its invoice waits, open
    sub = subs.subscribe(world.uow(), world.clock, ORG, subs.SubscribeInput(account, "basic"))
    invoice = _open_invoice(world, sub.view.subscription.id)
    inv.issue_credit_note(world.uow(), world.clock, ORG, invoice.id, 100, "goodwill")
    world.clock.set(T0 + timedelta(days=31))
    february = _open_invoice(world, sub.view.subscription.id)
    inv.mark_paid(world.uow(), world.clock, ORG, february.id)
    # A credit note on the paid February invoice leaves 1,000 on the balance.
    inv.issue_credit_note(world.uow(), world.clock, ORG, february.id, 1000, "outage")
    with world.uow() as uow:
        assert uow.collections.credits_waiting(ORG) == [(ORG, account, "USD")]

    done = collection_run.run_collection(world.uow(), lambda _org: gateway, world.clock, ORG)

    assert (done.attempted, gateway.charges) == (0, [])  # no card: nothing charged
    assert _invoice(world, invoice.id).totals.amount_due == 3000 - 1000
    with world.uow() as uow:
        assert bal.balance_of(uow, account, "USD") == 0
        assert uow.collections.credits_waiting(ORG) == []


def test_a_top_up_left_pending_by_a_crash_is_asked_again_and_credited_once(
    world: World,
) -> None:
    gateway = ScriptedGateway([TIMEOUT_CAPTURED])
    account, _ = _subscribed(world, gateway)
    up = top_ups.top_up(world.uow(), gateway, world.clock, ORG, account, 2000, "USD")
    # As if the process died after writing it: the payment pending, the gateway captured.
    world.store.rows.payments[up.id] = replace(up, status=PaymentStatus.PENDING)

    asked = col.settle_unsettled(world.uow(), lambda _org: gateway, world.clock, ORG)

    assert asked == 1
    assert world.store.rows.payments[up.id].status is PaymentStatus.SUCCEEDED
    assert [c.idempotency_key for c in gateway.charges] == [up.idempotency_key] * 2
    assert len(gateway.captured) == 1
    with world.uow() as uow:
        assert bal.balance_of(uow, account, "USD") == 2000
    assert col.settle_unsettled(world.uow(), lambda _org: gateway, world.clock, ORG) == 0
