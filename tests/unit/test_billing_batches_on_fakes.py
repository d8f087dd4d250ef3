"""The billing run on the fakes: what it publishes to the outbox, and the fake billing
batches' write (all of it, or nothing on a stale revision). Basic is 3,100 USD a month
(fake_world); the account is billed in UTC, so February 1st 00:00 UTC renews it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from plansmith.application.billing import step as billing_step
from plansmith.application.billing.ports import BillingOutcome
from plansmith.application.billing.run import invoice_subscription, run_billing
from plansmith.application.kernel.errors import Conflict
from plansmith.application.subscriptions import subscribing as subs
from plansmith.domain.invoicing.events import InvoiceFinalized
from plansmith.domain.invoicing.invoice import InvoiceStatus
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.subscriptions.events import SubscriptionRenewed
from tests.fakes.billing_batches import FakeBillingBatches
from tests.unit.fake_world import ORG, World

FEB_1 = datetime(2026, 2, 1, tzinfo=UTC)
NO_GRACE = timedelta(0)


@pytest.fixture
def world() -> World:
    w = World()
    w.seed_catalog()
    return w


def _subscribed_and_billed(world: World) -> str:
    """A Basic subscription from T0 whose January is invoiced (finalized: no grace)."""
    account = world.open_account()
    sub = subs.subscribe(world.uow(), world.clock, ORG, subs.SubscribeInput(account, "basic"))
    run_billing(world.uow(), world.clock, ORG, grace=NO_GRACE)
    return sub.view.subscription.id


def _types_after(world: World, seq: int) -> list[str]:
    with world.uow() as uow:
        found = uow.outbox.list(ORG, type=None, object_id=None, before=None, limit=100)
    return [e.type for e in sorted(found, key=lambda e: e.seq) if e.seq > seq]


def _last_seq(world: World) -> int:
    with world.uow() as uow:
        return max(
            e.seq for e in uow.outbox.list(ORG, type=None, object_id=None, before=None, limit=1)
        )


def test_a_run_at_renewal_publishes_the_renewal_then_the_finalized_invoice(world: World) -> None:
    sub_id = _subscribed_and_billed(world)
    seen = _last_seq(world)
    world.clock.set(FEB_1)

    record = run_billing(world.uow(), world.clock, ORG, grace=NO_GRACE)

    assert _types_after(world, seen) == [
        "subscription.renewed",
        "invoice.finalized",
        "billing_run.finished",
    ]
    with world.uow() as uow:
        [renewed] = uow.outbox.list(
            ORG, type="subscription.renewed", object_id=sub_id, before=None, limit=10
        )
        [made] = uow.billing_runs.run_invoices(ORG, record.id, None, 10)
        finalized = uow.outbox.list(
            ORG, type="invoice.finalized", object_id=made.id, before=None, limit=10
        )
        invoice = uow.invoices.get_invoice(ORG, made.id)
    assert isinstance(renewed.event, SubscriptionRenewed)
    assert (renewed.event.period_start, renewed.event.period_end) == (
        date(2026, 2, 1),
        date(2026, 3, 1),
    )
    assert invoice is not None and invoice.status is InvoiceStatus.OPEN
    assert [e.event for e in finalized] == [
        InvoiceFinalized(
            organization_id=ORG,
            account_id=invoice.account_id,
            subscription_id=sub_id,
            invoice_id=invoice.id,
            number="INV-000002",
            status="open",
            currency="USD",
            subtotal=3100,
            discount=0,
            tax=0,
            total=3100,
            credit_applied=0,
            amount_due=3100,
            period_start=date(2026, 2, 1),
            period_end=date(2026, 3, 1),
            at=FEB_1,
        )
    ]
    assert invoice.number == "INV-000002"


def test_a_run_with_nothing_to_bill_publishes_only_that_it_finished(world: World) -> None:
    _subscribed_and_billed(world)
    seen = _last_seq(world)

    run_billing(world.uow(), world.clock, ORG, grace=NO_GRACE)

    assert _types_after(world, seen) == ["billing_run.finished"]


def _renewal_outcomes(world: World, sub_id: str) -> list[BillingOutcome]:
    """What billing the subscription on February 1st decides, written nowhere yet."""
    world.clock.set(FEB_1)
    with world.uow() as uow:
        snapshot = uow.billing_batches.snapshot(ORG, [sub_id], hold_credit=True)
    outcomes = billing_step.bill_all(snapshot, [sub_id], FEB_1, NO_GRACE)
    assert outcomes[0].events and outcomes[0].invoice is not None  # a renewal to write
    return outcomes


def test_write_applies_the_outcome_and_numbers_the_invoice_after_the_last(world: World) -> None:
    sub_id = _subscribed_and_billed(world)
    outcomes = _renewal_outcomes(world, sub_id)
    [out] = outcomes
    assert out.invoice is not None
    rows = world.store.snapshot()

    numbers = FakeBillingBatches(world.store, rows).write(outcomes)

    invoice_id = out.invoice.invoice.id
    assert numbers == {invoice_id: "INV-000002"}
    assert rows.subscriptions[sub_id].revision == out.before.revision + 1
    assert rows.invoices[invoice_id].invoice.number == "INV-000002"
    events = sorted(
        (e for e in rows.events.values() if e.subscription_id == sub_id), key=lambda e: e.seq
    )
    assert [(e.seq, e.event.kind) for e in events[-len(out.events) :]] == [
        (out.first_seq + k, event.kind) for k, event in enumerate(out.events)
    ]
    made = [rows.items[n.id].stored.invoice_id for n in out.items]
    assert made and made == [invoice_id] * len(out.items)
    assert [x.reference for x in rows.transactions.values()].count(invoice_id) == 1


def test_write_on_a_stale_revision_is_refused_and_changes_nothing(world: World) -> None:
    sub_id = _subscribed_and_billed(world)
    outcomes = _renewal_outcomes(world, sub_id)
    with world.uow() as uow:  # another writer saves the subscription meanwhile
        sub = uow.subscriptions.get(ORG, sub_id)
        assert sub is not None
        uow.subscriptions.update(sub, sub.revision)
        uow.commit()
    rows = world.store.snapshot()

    with pytest.raises(Conflict) as refused:
        FakeBillingBatches(world.store, rows).write(outcomes)

    assert refused.value.code == ec.CONCURRENT_CHANGE
    assert rows == world.store.rows


def test_a_batch_with_one_subscription_billed_meanwhile_writes_none_of_it(world: World) -> None:
    renewing = _subscribed_and_billed(world)
    world.clock.set(FEB_1)
    account = world.open_account()
    new = subs.subscribe(world.uow(), world.clock, ORG, subs.SubscribeInput(account, "basic"))
    pair = [renewing, new.view.subscription.id]
    with world.uow() as uow:
        snapshot = uow.billing_batches.snapshot(ORG, pair, hold_credit=True)
    outcomes = billing_step.bill_all(snapshot, pair, FEB_1, NO_GRACE)
    assert outcomes[0].events  # the first one's renewal is written before the second fails
    invoice_subscription(world.uow(), world.clock, ORG, pair[1], NO_GRACE)  # bills it first
    rows = world.store.snapshot()

    with pytest.raises(Conflict) as refused:
        FakeBillingBatches(world.store, rows).write(outcomes)

    assert refused.value.code == ec.CONCURRENT_CHANGE
    assert rows == world.store.rows


def test_published_events_are_stored_with_the_commit_only(world: World) -> None:
    sub_id = _subscribed_and_billed(world)
    seen = _last_seq(world)
    with world.uow() as uow:
        snapshot = uow.billing_batches.snapshot(ORG, [sub_id], hold_credit=False)
    renewal = billing_step.bill_all(snapshot, [sub_id], FEB_1, NO_GRACE)[0].events

    uow = world.uow()
    with uow:
        uow.publish(renewal)
        uow.rollback()
        uow.commit()
    with uow:
        uow.publish(renewal)  # left without commit
    assert _types_after(world, seen) == []

    with uow:
        uow.publish(renewal)
        uow.commit()
    assert _types_after(world, seen) == [type(e).TYPE for e in renewal]
