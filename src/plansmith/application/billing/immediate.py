"""A change invoiced at once: its items on an invoice of their own, finalized without a grace
period (numbered, taking the balance first as every invoice does), in the transaction that
applies the change.

The family's policy says when a change made through the API is invoiced (``change_invoicing``:
on the next invoice, today's behaviour, or immediately); a change the customer makes in the
portal is always invoiced at once and paid (application/payments/change_payment.py).

The invoice is the billing step's (same drafting, taxes, coupons, credit and writer) with its
own billing key, ``change:<seq>`` (the seq of the change's last event), so it never takes the
place of the period's invoice and two writers of one change collide on the unique (subscription,
billing key) as well as on the subscription's revision. Only the items the change made are
taken; items left pending before it keep waiting for the next invoice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from plansmith.application.billing.ports import BillingOutcome, InvoiceOutcome
from plansmith.application.billing.step import _inputs as draft_inputs
from plansmith.application.invoicing.drafts import (
    buyer,
    draft_invoice,
    finalized,
    finalized_events,
)
from plansmith.application.invoicing.invoices import balance_for_new_invoice
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.subscriptions.actions import ChangeInput, change_action
from plansmith.application.subscriptions.lifecycle import (
    OPERATOR,
    Action,
    Result,
    price_book,
    renewal_moves,
    run,
    subscription_of,
)
from plansmith.domain.catalog.plans import ChangeInvoicing
from plansmith.domain.invoicing.invoice import Invoice
from plansmith.domain.kernel.records import changed
from plansmith.domain.subscriptions.subscription import Subscription

CHANGE_KEY = "change:"


def change_key(seq: int) -> str:
    return f"{CHANGE_KEY}{seq}"


def pending_ids(uow: UnitOfWork, subscription_id: str) -> set[str]:
    """The subscription's items not invoiced yet (inside the caller's unit of work)."""
    return {s.id for s in uow.subscriptions.items(subscription_id, pending_only=True)}


def preview_invoice(
    uow: UnitOfWork, sub: Subscription, result: Result, now: datetime
) -> Invoice | None:
    """Inside an open unit of work: the invoice ``result`` (a change's preview) would be
    invoiced on at once, as ``invoice_now`` finalizes it (with the balance it would take);
    nothing is written or held. None when the change bills nothing."""
    if not result.items:
        return None
    snapshot = uow.billing_batches.snapshot(sub.organization_id, [sub.id], hold_credit=False)
    entry = snapshot.entries.get(sub.id)
    if entry is None:
        raise NotFound(f"no subscription {sub.id!r}", field="subscription_id")
    after = result.view.subscription
    items = [(f"new:{k}", item) for k, item in enumerate(result.items)]
    drafted = draft_invoice(after, snapshot.book, draft_inputs(snapshot, entry), items, now, _NOW)
    # only the balance beyond what older open invoices owe, as invoice_now takes (ADR 0037)
    credit = -balance_for_new_invoice(
        uow, sub.organization_id, entry.account.id, after.terms.currency
    )
    return finalized(drafted.invoice, credit, entry.redemptions, now).invoice


_NOW = timedelta(0)


def invoice_now(
    uow: UnitOfWork,
    organization_id: str,
    subscription_id: str,
    item_ids: Sequence[str] | set[str],
    now: datetime,
    actor: str,
) -> Invoice | None:
    """Inside an open unit of work, after the change was saved in it: the change's items
    (``item_ids``, pending) on an invoice finalized now, written, numbered and published.
    Conflict if another writer invoiced them or the key first (the caller rolls back)."""
    if not item_ids:
        return None
    snapshot = uow.billing_batches.snapshot(organization_id, [subscription_id], hold_credit=True)
    entry = snapshot.entries.get(subscription_id)
    if entry is None:
        raise NotFound(f"no subscription {subscription_id!r}", field="subscription_id")
    items = [(item_id, item) for item_id, item in entry.pending if item_id in item_ids]
    if not items:
        return None
    sub = entry.subscription
    drafted = draft_invoice(sub, snapshot.book, draft_inputs(snapshot, entry), items, now, _NOW)
    # what older open invoices owe is theirs first (ADR 0037): only a balance beyond it
    credit = min(0, snapshot.credit.get((entry.account.id, sub.terms.currency), 0))
    done = finalized(drafted.invoice, credit, entry.redemptions, now)
    outcome = BillingOutcome(
        before=sub,
        subscription=sub,
        events=(),
        first_seq=entry.last_event_seq + 1,
        spans_written=(),
        spans_deleted=(),
        items=(),
        invoice=InvoiceOutcome(
            done.invoice,
            change_key(entry.last_event_seq),
            buyer(entry.account, entry.address),
            tuple(item_id for item_id, _item in items),
            done.posting,
            done.redemption_uses,
            snapshot.seller,
        ),
        actor=actor,
        at=now,
    )
    numbers = uow.billing_batches.write([outcome])
    invoice = changed(done.invoice, number=numbers[done.invoice.id])
    uow.publish(finalized_events(invoice, now))
    return invoice


@dataclass(frozen=True)
class Changed:
    result: Result
    invoice: Invoice | None  # the change's own invoice, when it was invoiced at once


def apply_and_invoice(
    uow: UnitOfWork,
    sub: Subscription,
    action: Action,
    actor: str,
    now: datetime,
    *,
    immediately: bool,
    confirm: Callable[[Result], bool] | None = None,
) -> Changed:
    """Inside an open unit of work (the caller commits): the change applied and, when
    ``immediately``, its items invoiced at once. ``confirm``: as ``lifecycle.run`` takes it."""
    book = price_book(uow, sub.organization_id)
    moves = renewal_moves(uow, sub.organization_id)
    before = pending_ids(uow, sub.id)
    result = run(uow, sub, book, moves, action, actor, now, confirm=confirm)
    invoice = None
    if result.applied and immediately and result.items:
        made = pending_ids(uow, sub.id) - before
        invoice = invoice_now(uow, sub.organization_id, sub.id, made, now, actor)
        # The next invoice no longer holds what was just invoiced (the very item objects).
        invoiced = {id(item) for item in result.items}
        nxt = result.next_invoice
        left = tuple(item for item in nxt.items if id(item) not in invoiced)
        result = replace(result, next_invoice=replace(nxt, items=left))
    return Changed(result, invoice)


def change_subscription(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    data: ChangeInput,
    *,
    actor: str = OPERATOR,
) -> Changed:
    """The API's change: as ``actions.change_subscription``, and invoiced at once when the
    family's policy says ``immediately`` (the invoice is then collected like any other)."""
    action = change_action(data, actor)
    now = clock.now()
    with uow:
        sub = subscription_of(uow, organization_id, subscription_id)
        family = price_book(uow, organization_id).families[sub.family_id]
        at_once = family.policy.change_invoicing is ChangeInvoicing.IMMEDIATELY
        done = apply_and_invoice(uow, sub, action, actor, now, immediately=at_once)
        if done.result.applied:
            uow.commit()
        return done
