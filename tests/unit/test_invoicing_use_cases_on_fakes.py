"""Invoicing use cases on the fakes: a draft from pending items, finalizing (number, ledger),
voiding, marking paid and the limits of credit notes. Basic is 3,100 USD a month (fake_world)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plansmith.application.billing.run import invoice_subscription
from plansmith.application.invoicing import invoices as inv
from plansmith.application.kernel.errors import Conflict
from plansmith.application.subscriptions import subscribing as subs
from plansmith.domain.invoicing.invoice import (
    Invoice,
    InvoiceStateError,
    InvoiceStatus,
    LineKind,
    Totals,
)
from plansmith.domain.invoicing.ledger import LedgerAccount
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from tests.unit.fake_world import ORG, T0, World

GRACE = timedelta(hours=1)


@pytest.fixture
def world() -> World:
    w = World()
    w.seed_catalog()
    return w


def _draft(world: World) -> tuple[str, Invoice]:
    account = world.open_account()
    sub = subs.subscribe(world.uow(), world.clock, ORG, subs.SubscribeInput(account, "basic"))
    billed = invoice_subscription(world.uow(), world.clock, ORG, sub.view.subscription.id, GRACE)
    assert billed.invoice is not None
    return account, billed.invoice


def _balances(world: World, account: str) -> dict[LedgerAccount, int]:
    with world.uow() as uow:
        return {a: uow.ledger.ledger_balance(account, a, "USD") for a in LedgerAccount}


def _kinds(world: World, account: str) -> list[str]:
    """The kinds of the account's ledger transactions (sorted: those of one instant are in
    id order, which is random)."""
    with world.uow() as uow:
        return sorted(x.kind for x in uow.ledger.transactions(ORG, account))


def test_pending_items_make_a_draft_that_takes_them(world: World) -> None:
    account, draft = _draft(world)

    assert (draft.status, draft.number, draft.finalize_after) == (
        InvoiceStatus.DRAFT,
        None,
        T0 + GRACE,
    )
    assert [(line.kind, line.amount, line.total) for line in draft.lines] == [
        (LineKind.RECURRING, 3100, 3100)
    ]
    assert draft.totals == Totals(3100, 0, 0, 3100, 0, 3100)
    assert world.store.rows.invoices[draft.id].invoice == draft
    with world.uow() as uow:
        assert uow.subscriptions.items(draft.subscription_id or "", pending_only=True) == []
        assert uow.invoices.drafts_to_finalize(ORG, T0 + GRACE, 10) == [(ORG, draft.id)]
        assert uow.invoices.drafts_to_finalize(ORG, T0, 10) == []
    assert _kinds(world, account) == []  # a draft posts nothing


def test_invoicing_again_finds_nothing_pending_and_changes_nothing(world: World) -> None:
    _, draft = _draft(world)
    before = world.snapshot()

    again = invoice_subscription(world.uow(), world.clock, ORG, draft.subscription_id or "", GRACE)

    assert again.invoice is None
    assert world.snapshot() == before


def test_finalizing_numbers_the_invoice_and_posts_the_receivable(world: World) -> None:
    account, draft = _draft(world)
    world.clock.advance(timedelta(minutes=5))

    final = inv.finalize_invoice(world.uow(), world.clock, ORG, draft.id)

    assert (final.status, final.number) == (InvoiceStatus.OPEN, "INV-000001")
    assert final.finalized_at == T0 + timedelta(minutes=5)
    assert final.totals.amount_due == 3100
    assert world.store.rows.invoices[draft.id].invoice == final
    assert _kinds(world, account) == ["invoice_finalized"]
    balances = _balances(world, account)
    assert (balances[LedgerAccount.RECEIVABLE], balances[LedgerAccount.REVENUE]) == (3100, -3100)
    assert sum(balances.values()) == 0


def test_the_second_invoice_of_the_organization_takes_the_next_number(world: World) -> None:
    _, first = _draft(world)
    _, second = _draft(world)

    numbers = [
        inv.finalize_invoice(world.uow(), world.clock, ORG, i.id).number for i in (first, second)
    ]

    assert numbers == ["INV-000001", "INV-000002"]


def test_finalizing_twice_changes_nothing(world: World) -> None:
    _, draft = _draft(world)
    inv.finalize_invoice(world.uow(), world.clock, ORG, draft.id)
    before = world.snapshot()

    with pytest.raises(InvoiceStateError) as refused:
        inv.finalize_invoice(world.uow(), world.clock, ORG, draft.id)

    assert (refused.value.code, refused.value.field) == (ec.INVALID_INVOICE_TRANSITION, "status")
    assert world.snapshot() == before


def test_voiding_a_draft_posts_nothing_and_voiding_an_open_invoice_reverses_it(
    world: World,
) -> None:
    account, draft = _draft(world)
    voided = inv.void_invoice(world.uow(), world.clock, ORG, draft.id)
    assert (voided.status, voided.number) == (InvoiceStatus.VOID, None)
    assert _kinds(world, account) == []

    other_account, other = _draft(world)
    inv.finalize_invoice(world.uow(), world.clock, ORG, other.id)
    voided_open = inv.void_invoice(world.uow(), world.clock, ORG, other.id)

    assert voided_open.status is InvoiceStatus.VOID
    assert _kinds(world, other_account) == ["invoice_finalized", "invoice_voided"]
    assert set(_balances(world, other_account).values()) == {0}


def test_marking_paid_settles_what_it_owes(world: World) -> None:
    account, draft = _draft(world)
    inv.finalize_invoice(world.uow(), world.clock, ORG, draft.id)

    paid = inv.mark_paid(world.uow(), world.clock, ORG, draft.id)

    assert (paid.status, paid.totals.amount_due, paid.totals.total) == (
        InvoiceStatus.PAID,
        0,
        3100,
    )
    assert _kinds(world, account) == ["invoice_finalized", "payment"]
    balances = _balances(world, account)
    assert (balances[LedgerAccount.RECEIVABLE], balances[LedgerAccount.REVENUE]) == (0, -3100)


def test_marking_a_draft_paid_changes_nothing(world: World) -> None:
    _, draft = _draft(world)
    before = world.snapshot()

    with pytest.raises(InvoiceStateError) as refused:
        inv.mark_paid(world.uow(), world.clock, ORG, draft.id)

    assert refused.value.code == ec.INVALID_INVOICE_TRANSITION

    assert world.snapshot() == before


def test_a_credit_note_lowers_what_is_owed_up_to_the_invoice_total(world: World) -> None:
    account, draft = _draft(world)
    inv.finalize_invoice(world.uow(), world.clock, ORG, draft.id)

    note = inv.issue_credit_note(world.uow(), world.clock, ORG, draft.id, 1000, "goodwill")

    assert (note.number, note.amount, note.reason) == ("CN-000001", 1000, "goodwill")
    reduced = world.store.rows.invoices[draft.id].invoice
    assert (reduced.status, reduced.totals.amount_due) == (InvoiceStatus.OPEN, 2100)
    assert _balances(world, account)[LedgerAccount.RECEIVABLE] == 2100

    before = world.snapshot()
    with pytest.raises(InvalidValue) as too_large:
        inv.issue_credit_note(world.uow(), world.clock, ORG, draft.id, 2101, "more")
    assert (too_large.value.code, too_large.value.field) == (ec.CREDIT_TOO_LARGE, "amount")
    assert world.snapshot() == before

    rest = inv.issue_credit_note(world.uow(), world.clock, ORG, draft.id, 2100, "the rest")
    assert rest.number == "CN-000002"
    settled = world.store.rows.invoices[draft.id].invoice
    assert (settled.status, settled.totals.amount_due) == (InvoiceStatus.PAID, 0)
    assert _balances(world, account)[LedgerAccount.RECEIVABLE] == 0


def test_a_paid_invoice_credited_becomes_customer_credit_used_by_the_next_invoice(
    world: World,
) -> None:
    account, draft = _draft(world)
    inv.finalize_invoice(world.uow(), world.clock, ORG, draft.id)
    inv.mark_paid(world.uow(), world.clock, ORG, draft.id)

    inv.issue_credit_note(world.uow(), world.clock, ORG, draft.id, 500, "refund as credit")

    assert _balances(world, account)[LedgerAccount.CUSTOMER_CREDIT] == -500
    with world.uow() as uow:
        sub = uow.subscriptions.get(ORG, draft.subscription_id or "")
        assert sub is not None
    world.clock.set(T0 + timedelta(days=31))  # 1 February: the next period is due
    billed = invoice_subscription(world.uow(), world.clock, ORG, sub.id, timedelta(0))
    assert billed.invoice is not None
    assert billed.invoice.totals == Totals(3100, 0, 0, 3100, 500, 2600)
    assert _balances(world, account)[LedgerAccount.CUSTOMER_CREDIT] == 0


def test_credit_notes_on_a_draft_or_void_invoice_and_voiding_a_credited_one_change_nothing(
    world: World,
) -> None:
    _, draft = _draft(world)
    before = world.snapshot()
    with pytest.raises(Conflict) as on_draft:
        inv.issue_credit_note(world.uow(), world.clock, ORG, draft.id, 100, "early")
    assert on_draft.value.code == ec.NOT_CREDITABLE
    with pytest.raises(InvalidValue) as zero:
        inv.issue_credit_note(world.uow(), world.clock, ORG, draft.id, 0, "nothing")
    assert zero.value.field == "amount"
    assert world.snapshot() == before

    inv.finalize_invoice(world.uow(), world.clock, ORG, draft.id)
    inv.issue_credit_note(world.uow(), world.clock, ORG, draft.id, 100, "partly")
    before = world.snapshot()
    with pytest.raises(Conflict) as void_credited:
        inv.void_invoice(world.uow(), world.clock, ORG, draft.id)
    assert void_credited.value.code == ec.HAS_CREDIT_NOTES
    assert world.snapshot() == before
