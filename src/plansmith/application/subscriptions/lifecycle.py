"""Use cases for subscriptions: change (or preview a change), cancel, pause, resume,
reactivate, withdraw a scheduled change, and the renewal step; subscribing is in subscribing.py.

Every use case that touches a subscription first walks it through the period ends it has
passed (``advance``), so a change on day c is always made against the period holding c. Then
it runs one pure domain function and saves the Outcome in the same transaction. A preview runs
exactly the same code and stops before saving, so it always equals what is then charged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.subscriptions.ports import StoredItem
from plansmith.application.subscriptions.usage_arrears import arrears_of
from plansmith.domain.catalog.plans import Plan, PlanVersion
from plansmith.domain.kernel.periods import local_date, zone
from plansmith.domain.subscriptions.events import SubscriptionEvent
from plansmith.domain.subscriptions.held_log import Span, apply_held, changed_spans
from plansmith.domain.subscriptions.price_book import Component, PriceBook, components
from plansmith.domain.subscriptions.renewals import RenewalMove, advance, period_end
from plansmith.domain.subscriptions.subscription import BillableItem, Outcome, Subscription

# Who asked: recorded on every event.
CUSTOMER = "customer"  # the account's admin, in the portal
OPERATOR = "operator"  # the organization, through the API, CLI or console
SYSTEM = "system"  # the renewal step

Action = Callable[[Subscription, Sequence[Span], PriceBook, date, datetime], Outcome]


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription with the catalog objects it refers to and its priced parts."""

    subscription: Subscription
    plan: Plan
    version: PlanVersion
    family_name: str
    family_code: str
    parts: tuple[Component, ...]
    scheduled_plan_name: str | None = None

    @property
    def period_amount(self) -> int:
        """What one full period of the current terms costs (price x quantity, add-ons too)."""
        return sum(p.period_amount for p in self.parts)


@dataclass(frozen=True)
class NextInvoice:
    """What the next invoice of this subscription will hold: the pending items, and what its
    next period end adds (the renewal in advance, or the pay-per-day days so far and to come)."""

    cut_off: date | None  # the period end it is made on; None when no period end is coming
    currency: str
    items: tuple[BillableItem, ...]

    @property
    def total(self) -> int:
        return sum(i.amount for i in self.items)


@dataclass(frozen=True)
class Result:
    """What a use case did (or, for a preview, would do)."""

    view: SubscriptionView
    items: tuple[BillableItem, ...]
    events: tuple[SubscriptionEvent, ...]
    next_invoice: NextInvoice
    applied: bool
    log: tuple[Span, ...] = ()  # the log of held terms after it (to preview what it bills)


# -- loading -------------------------------------------------------------------------------


def price_book(uow: UnitOfWork, organization_id: str) -> PriceBook:
    """Every family, plan, version and add-on of the organization (catalogs are small), as of
    this transaction's catalog revision: no read at all when the process holds that revision."""
    return uow.price_books.current(organization_id)


def renewal_moves(uow: UnitOfWork, organization_id: str) -> Mapping[str, RenewalMove]:
    """from version id -> where its subscribers go at their renewal, following chains
    (v1 -> v2 -> v3 when v2 was superseded too) to the newest version."""
    return uow.price_books.moves(organization_id)


def subscription_of(uow: UnitOfWork, organization_id: str, subscription_id: str) -> Subscription:
    """The organization's subscription, or NotFound naming subscription_id."""
    sub = uow.subscriptions.get(organization_id, subscription_id)
    if sub is None:
        raise NotFound(f"no subscription {subscription_id!r}", field="subscription_id")
    return sub


def view_of(sub: Subscription, book: PriceBook) -> SubscriptionView:
    version = book.version(sub.terms.version_id)
    scheduled = None
    if sub.scheduled is not None:
        scheduled = book.version(sub.scheduled.terms.version_id).name
    family = book.families[sub.family_id]
    return SubscriptionView(
        subscription=sub,
        plan=book.plan(sub.terms.plan_id),
        version=version,
        family_name=family.name,
        family_code=family.code,
        parts=components(sub.terms, book),
        scheduled_plan_name=scheduled,
    )


def _today(sub: Subscription, now: datetime) -> date:
    return local_date(now, zone(sub.time_zone))


# -- saving --------------------------------------------------------------------------------


def _save(
    uow: UnitOfWork,
    before: Subscription | None,
    out: Outcome,
    log_before: Sequence[Span],
    log_after: Sequence[Span],
    actor: str,
    now: datetime,
) -> None:
    subs = uow.subscriptions
    sub = out.subscription
    if before is None:
        subs.add(sub)
    else:
        subs.update(sub, expected_revision=before.revision)
    write, delete = changed_spans(log_before, log_after)
    subs.save_log(sub, write, delete)
    event_ids = subs.add_events(sub, out.events, actor, now)
    uow.publish(out.events)  # to the outbox, in this same transaction
    stored = [
        StoredItem(new_id("item"), sub.id, event_ids[k], item, None, now)
        for item, k in zip(out.items, out.item_events, strict=True)
    ]
    subs.add_items(sub, stored)


def _next_invoice(
    sub: Subscription,
    log: Sequence[Span],
    book: PriceBook,
    moves: Mapping[str, RenewalMove],
    now: datetime,
    pending: Sequence[BillableItem],
) -> NextInvoice:
    """The same period-end step the renewal runs, on the state after the change."""
    due = sub.due_on()
    items = list(pending)
    if due is not None:
        items += period_end(sub, log, book, now, moves).items
    return NextInvoice(due, sub.terms.currency, tuple(items))


def act(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    action: Action | None,
    actor: str,
    *,
    dry_run: bool = False,
) -> Result:
    """Catch up with passed period ends, run ``action``, save both unless a dry run."""
    now = clock.now()
    with uow:
        sub = subscription_of(uow, organization_id, subscription_id)
        book = price_book(uow, organization_id)
        moves = renewal_moves(uow, organization_id)
        result = run(uow, sub, book, moves, action, actor, now, dry_run=dry_run)
        if result.applied:
            uow.commit()
        return result


def run(
    uow: UnitOfWork,
    sub: Subscription,
    book: PriceBook,
    moves: Mapping[str, RenewalMove],
    action: Action | None,
    actor: str,
    now: datetime,
    *,
    dry_run: bool = False,
    upcoming: bool = True,
    log: Sequence[Span] | None = None,
    confirm: Callable[[Result], bool] | None = None,
) -> Result:
    """``act`` inside a unit of work the caller opened (and commits). ``upcoming=False``
    leaves the next invoice empty: the billing run bills what is pending instead. ``log``:
    the subscription's log when the caller read it already. ``confirm``: saved only when it
    accepts the result (e.g. a preview the customer reviewed), else returned unsaved."""
    log = list(uow.subscriptions.log(sub.id)) if log is None else list(log)
    today = _today(sub, now)
    out = advance(sub, log, book, today, now, moves, arrears_of(uow, book, now))
    due = out.subscription.due_on()
    if due is not None and due <= today:
        # Its period's end waits for the usage grace window: what is done meanwhile is done
        # on the period's last day, in it.
        today = due - timedelta(days=1)
    log_after = apply_held(log, out.held)
    if action is not None:
        step = action(out.subscription, log_after, book, today, now)
        log_after = apply_held(log_after, step.held)
        out = out.then(step)
    pending = [s.item for s in uow.subscriptions.items(sub.id, pending_only=True)]
    if upcoming:
        nxt = _next_invoice(out.subscription, log_after, book, moves, now, [*pending, *out.items])
    else:
        nxt = NextInvoice(None, out.subscription.terms.currency, ())
    applied = not dry_run and bool(out.events)
    result = Result(
        view_of(out.subscription, book), out.items, out.events, nxt, applied, tuple(log_after)
    )
    if applied and confirm is not None and not confirm(result):
        return replace(result, applied=False)
    if applied:
        _save(uow, sub, out, log, log_after, actor, now)
    return result
