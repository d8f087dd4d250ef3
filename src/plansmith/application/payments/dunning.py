"""Dunning inside a unit of work: what a failed, unknown or successful attempt does to the
invoice's collection, its subscription and the account's overdue state, by the policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import UnitOfWork
from plansmith.application.payments.ports import Collection
from plansmith.application.subscriptions.lifecycle import SYSTEM, price_book, renewal_moves, run
from plansmith.domain.catalog.plans import Timing
from plansmith.domain.invoicing.events import InvoiceMarkedUncollectible, invoice_fields
from plansmith.domain.invoicing.invoice import Invoice, InvoiceStatus
from plansmith.domain.kernel.periods import local_date
from plansmith.domain.payments.dunning import (
    DEFAULT_POLICY,
    AfterLast,
    DunningPolicy,
    InvoiceAfterLast,
    StageAction,
    next_wakeup,
    overdue_state,
    retries_passed,
    retry_at,
    stages_due,
)
from plansmith.domain.payments.events import DunningStageReached
from plansmith.domain.payments.payments import PaymentKind
from plansmith.domain.subscriptions import stops
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import Outcome, Status, Subscription

# An attempt whose outcome the gateway did not give is asked again this much later (sooner,
# when the customer or the next retry comes first).
RESOLVE_AFTER = timedelta(minutes=15)

SCHEDULED, PAID, EXHAUSTED, STOPPED = "scheduled", "paid", "exhausted", "stopped"


def policy_of(uow: UnitOfWork, organization_id: str) -> DunningPolicy:
    return uow.dunning_policies.get(organization_id) or DEFAULT_POLICY


def zone_of(uow: UnitOfWork, organization_id: str, account_id: str) -> ZoneInfo:
    account = uow.accounts.get(organization_id, account_id)
    if account is None:
        raise NotFound(f"no account {account_id!r}", field="account_id")
    return ZoneInfo(account.time_zone)


def new_collection(invoice: Invoice) -> Collection:
    return Collection(
        invoice.id, invoice.organization_id, invoice.account_id, None, None, 0, 0, SCHEDULED
    )


def _subscription_outcome(
    step: str, sub: Subscription, log: Sequence[Span], book: PriceBook, today: date, now: datetime
) -> Outcome | None:
    if step == "past_due":
        return stops.past_due(sub, today, now)
    if step == "recovered":
        return stops.payment_recovered(sub, today, now)
    if step == "cancel_now":
        return stops.cancel_for_nonpayment(sub, book, log, today, now)
    cancelable = sub.status in (Status.ACTIVE, Status.PAST_DUE) and not sub.cancel_at_period_end
    if step == "cancel_at_term_end" and cancelable:
        return stops.cancel(sub, Timing.TERM_END, book, log, today, now)
    return None


# The steps whose outcome depends on the subscription's status only.
_BY_STATUS = {"past_due": stops.past_due, "recovered": stops.payment_recovered}


def _on_subscription(uow: UnitOfWork, invoice: Invoice, step: str, now: datetime) -> None:
    """Move the invoice's subscription, if any: past_due, recovered, or canceled."""
    if invoice.subscription_id is None:
        return
    sub = uow.subscriptions.get(invoice.organization_id, invoice.subscription_id)
    if sub is None:
        return
    today = local_date(now, ZoneInfo(sub.time_zone))
    by_status = _BY_STATUS.get(step)
    if by_status is not None and by_status(sub, today, now) is None:
        return  # decided by its status alone: no price book or held-terms log read for nothing
    book = price_book(uow, invoice.organization_id)
    log = uow.subscriptions.log(sub.id)
    if _subscription_outcome(step, sub, log, book, today, now) is None:
        return  # nothing to do: no catching up with period ends for nothing either

    def action(s: Subscription, lg: Sequence[Span], b: PriceBook, d: date, at: datetime) -> Outcome:
        return _subscription_outcome(step, s, lg, b, d, at) or Outcome(s, (), ())

    moves = renewal_moves(uow, invoice.organization_id)
    run(uow, sub, book, moves, action, SYSTEM, now, upcoming=False, log=log)


def paid_up(uow: UnitOfWork, invoice: Invoice, now: datetime) -> None:
    """The invoice is paid: its collection ends, its subscription is active again."""
    collection = uow.collections.hold(invoice.id)
    if collection is not None and collection.state != PAID:
        uow.collections.save(replace(collection, state=PAID, next_attempt_at=None), now)
    _on_subscription(uow, invoice, "recovered", now)


def stopped(uow: UnitOfWork, invoice: Invoice, now: datetime) -> None:
    """The invoice owes nothing to collect any more (voided, paid elsewhere)."""
    collection = uow.collections.hold(invoice.id)
    if collection is not None and collection.state == SCHEDULED:
        uow.collections.save(replace(collection, state=STOPPED, next_attempt_at=None), now)


def unknown(uow: UnitOfWork, invoice: Invoice, now: datetime) -> None:
    """The attempt's outcome is not known: ask the gateway again soon, before any new one."""
    collection = uow.collections.hold(invoice.id) or new_collection(invoice)
    soon = now + RESOLVE_AFTER
    nxt = collection.next_attempt_at
    at = soon if nxt is None or nxt <= now else min(nxt, soon)
    uow.collections.save(replace(collection, state=SCHEDULED, next_attempt_at=at), now)


def failed(uow: UnitOfWork, invoice: Invoice, failed_at: datetime, now: datetime) -> Collection:
    """An automatic attempt (made at ``failed_at``) failed: count it, schedule the next retry
    (the first of the schedule after the attempt, at the first failure's local wall time),
    escalate, and after the last one do what the policy says. An attempt made at once (a new
    card, "retry now") is counted but takes no scheduled retry's place (retries_passed)."""
    policy = policy_of(uow, invoice.organization_id)
    zone = zone_of(uow, invoice.organization_id, invoice.account_id)
    collection = uow.collections.hold(invoice.id) or new_collection(invoice)
    first = collection.first_failure_at or failed_at
    collection = replace(collection, failures=collection.failures + 1, first_failure_at=first)
    _on_subscription(uow, invoice, "past_due", now)
    collection = escalate(uow, invoice, collection, policy, zone, now)
    done = retries_passed(policy, first, zone, failed_at)
    if retry_at(policy, first, zone, done) is None:
        return exhaust(uow, invoice, collection, policy, now)
    wake = next_wakeup(policy, first, zone, done, collection.stages_done)
    collection = replace(collection, state=SCHEDULED, next_attempt_at=wake)
    uow.collections.save(collection, now)
    return collection


def escalate(
    uow: UnitOfWork,
    invoice: Invoice,
    collection: Collection,
    policy: DunningPolicy,
    zone: ZoneInfo,
    now: datetime,
) -> Collection:
    """Apply the stages the failure has aged into by now (each once)."""
    if collection.first_failure_at is None:
        return collection
    reached = stages_due(policy, collection.first_failure_at, zone, now, collection.stages_done)
    done = collection.stages_done
    for stage in reached:
        done += 1
        if stage.action is StageAction.CANCEL_NOW:
            _on_subscription(uow, invoice, "cancel_now", now)
        elif stage.action is StageAction.CANCEL_AT_TERM_END:
            _on_subscription(uow, invoice, "cancel_at_term_end", now)
        uow.publish(
            [
                DunningStageReached(
                    organization_id=invoice.organization_id,
                    at=now,
                    account_id=invoice.account_id,
                    invoice_id=invoice.id,
                    action=stage.action.value,
                    after_days=stage.after_days,
                    overdue_state=overdue_state(policy, done),
                )
            ]
        )
    return replace(collection, stages_done=done)


def exhaust(
    uow: UnitOfWork,
    invoice: Invoice,
    collection: Collection,
    policy: DunningPolicy,
    now: datetime,
) -> Collection:
    """The last scheduled attempt failed."""
    if policy.after_last is AfterLast.CANCELED:
        _on_subscription(uow, invoice, "cancel_now", now)
    elif policy.after_last is AfterLast.CANCEL_AT_TERM_END:
        _on_subscription(uow, invoice, "cancel_at_term_end", now)
    if policy.invoice_after_last is InvoiceAfterLast.UNCOLLECTIBLE:
        current = uow.invoices.get_invoice(invoice.organization_id, invoice.id) or invoice
        if current.status is InvoiceStatus.OPEN:
            written_off = current.moved(InvoiceStatus.UNCOLLECTIBLE, now)
            uow.invoices.update_invoice(written_off, expected_status=current.status.value)
            uow.publish([InvoiceMarkedUncollectible(**invoice_fields(written_off, now))])
    collection = replace(collection, state=EXHAUSTED, next_attempt_at=None)
    uow.collections.save(collection, now)
    return collection


def _retries_done(
    uow: UnitOfWork, invoice: Invoice, policy: DunningPolicy, zone: ZoneInfo, first: datetime
) -> int:
    """The scheduled retries the invoice's attempts have passed: those at or before its last
    attempt counted by dunning (not a customer's own "pay now")."""
    counted = [
        p.created_at
        for p in uow.payments.of_invoice(invoice.id)
        if p.kind is PaymentKind.PAYMENT and p.idempotency_key.endswith("-collect")
    ]
    return retries_passed(policy, first, zone, max(counted, default=first))


def is_retry_due(uow: UnitOfWork, invoice: Invoice, collection: Collection, now: datetime) -> bool:
    """A scheduled collection woke up: is it for a retry (else only for a stage)?"""
    first = collection.first_failure_at
    if first is None:
        return True  # not failed yet: the first attempt, or resolving an unknown one
    policy = policy_of(uow, invoice.organization_id)
    zone = zone_of(uow, invoice.organization_id, invoice.account_id)
    at = retry_at(policy, first, zone, _retries_done(uow, invoice, policy, zone, first))
    return at is not None and at <= now


def wake_for_stages(
    uow: UnitOfWork, invoice: Invoice, collection: Collection, now: datetime
) -> Collection:
    """Woken for a stage only: escalate, and sleep until the next retry or stage."""
    policy = policy_of(uow, invoice.organization_id)
    zone = zone_of(uow, invoice.organization_id, invoice.account_id)
    collection = escalate(uow, invoice, collection, policy, zone, now)
    first = collection.first_failure_at
    assert first is not None
    done = _retries_done(uow, invoice, policy, zone, first)
    wake = next_wakeup(policy, first, zone, done, collection.stages_done)
    collection = replace(collection, next_attempt_at=wake)
    uow.collections.save(collection, now)
    return collection
