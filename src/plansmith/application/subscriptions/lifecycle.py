"""Use cases for subscriptions: subscribe, change (or preview a change), cancel, pause, resume,
reactivate, withdraw a scheduled change, and the renewal step.

Every use case that touches a subscription first walks it through the period ends it has
passed (``advance``), so a change on day c is always made against the period holding c. Then
it runs one pure domain function and saves the Outcome in the same transaction. A preview runs
exactly the same code and stops before saving, so it always equals what is then charged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from plansmith.application.kernel.errors import Conflict, NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.subscriptions.ports import StoredItem
from plansmith.domain.accounts.account import Account
from plansmith.domain.catalog.plans import Channel, Plan, PlanVersion, VersionStatus
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import Checks, InvalidValue
from plansmith.domain.kernel.limits import MAX_QUANTITY, at_most
from plansmith.domain.kernel.money import Currency
from plansmith.domain.kernel.periods import Cycle, local_date, zone
from plansmith.domain.subscriptions.changes import NewSubscription
from plansmith.domain.subscriptions.changes import subscribe as start
from plansmith.domain.subscriptions.events import SubscriptionEvent
from plansmith.domain.subscriptions.held_log import Span, apply_held, changed_spans
from plansmith.domain.subscriptions.renewals import RenewalMove, advance, period_end, resolved_moves
from plansmith.domain.subscriptions.subscription import (
    BillableItem,
    Component,
    Outcome,
    PriceBook,
    Subscription,
    Terms,
    check_add_ons,
    components,
)

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


# -- loading -------------------------------------------------------------------------------


def price_book(uow: UnitOfWork, organization_id: str) -> PriceBook:
    """Every family, plan, version and add-on of the organization (catalogs are small)."""
    plans = list(uow.plans.list(organization_id))
    versions = uow.plan_versions.for_plans([p.id for p in plans])
    return PriceBook(
        families={f.id: f for f in uow.families.list(organization_id)},
        plans={p.id: p for p in plans},
        versions={v.id: v for v in versions},
        add_ons={a.code: a for a in uow.add_ons.list(organization_id)},
    )


def renewal_moves(
    uow: UnitOfWork, book: PriceBook, plan_ids: Sequence[str]
) -> dict[str, RenewalMove]:
    """from version id -> where its subscribers go at their renewal, following chains
    (v1 -> v2 -> v3 when v2 was superseded too) to the newest version."""
    # One read for the whole catalog.
    return resolved_moves(uow.plan_versions.moves_of(plan_ids))


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
    return SubscriptionView(
        subscription=sub,
        plan=book.plan(sub.terms.plan_id),
        version=version,
        family_name=book.families[sub.family_id].name,
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
        moves = renewal_moves(uow, book, list(book.plans))
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
    out = advance(sub, log, book, today, now, moves)
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
    result = Result(view_of(out.subscription, book), out.items, out.events, nxt, applied)
    if applied and confirm is not None and not confirm(result):
        return replace(result, applied=False)
    if applied:
        _save(uow, sub, out, log, log_after, actor, now)
    return result


# -- subscribing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscribeInput:
    account_id: str
    plan: str  # plan code
    cycle: str = "month"
    quantity: int | None = None  # None: the plan's minimum seats
    currency: str | None = None  # None: the account's currency
    add_ons: Mapping[str, int] = field(default_factory=dict)
    trial: bool | None = None  # None: the plan's trial, if it has one and none was used
    channel: str | None = None  # where the customer chose it; None: any current version


def parse_channel(value: str | None) -> Channel | None:
    if value is None:
        return None
    try:
        return Channel(value)
    except ValueError:
        allowed = ", ".join(c.value for c in Channel)
        raise InvalidValue(f"channel is one of {allowed}", field="channel") from None


def offered_version(book: PriceBook, plan: Plan, channel: Channel | None) -> PlanVersion:
    """The version a new holder of ``plan`` gets: the current one, offered on the channel."""
    if plan.archived_at is not None:
        raise Conflict(
            f"plan {plan.code!r} is archived: it takes no new subscribers",
            field="plan",
            code=ec.PLAN_ARCHIVED,
        )
    current = next(
        (
            v
            for v in book.versions.values()
            if v.plan_id == plan.id and v.status is VersionStatus.CURRENT
        ),
        None,
    )
    if current is None:
        raise Conflict(
            f"plan {plan.code!r} has no published version yet", field="plan", code=ec.NOT_PUBLISHED
        )
    if channel is not None and not current.offered_on(channel):
        raise InvalidValue(
            f"plan {plan.code!r} is not offered on the {channel} channel",
            field="plan",
            code=ec.NOT_OFFERED,
        )
    return current


def plan_by_code(book: PriceBook, code: str) -> Plan:
    plan = next((p for p in book.plans.values() if p.code == code), None)
    if plan is None:
        raise NotFound(f"no plan with code {code!r}", field="plan")
    return plan


def check_quantity(value: object, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue("quantity is a whole number of at least 1", field="quantity")
    return at_most(value, MAX_QUANTITY, "quantity")


def subscribe(
    uow: UnitOfWork, clock: Clock, organization_id: str, data: SubscribeInput, actor: str = OPERATOR
) -> Result:
    """Start a subscription today (in the account's time zone), with or without a trial."""
    checks = Checks()
    cycle = checks.run(Cycle.parse, data.cycle)
    channel = checks.run(parse_channel, data.channel)
    if data.currency is not None:
        checks.run(Currency.of, data.currency)
    if data.trial is not None and not isinstance(data.trial, bool):
        checks.add(InvalidValue("trial is true or false", field="trial"))
    checks.raise_if_any()
    assert cycle is not None
    now = clock.now()
    with uow:
        account = uow.accounts.get(organization_id, data.account_id)
        if account is None:
            raise NotFound(f"no account {data.account_id!r}", field="account_id")
        if data.currency is not None and data.currency != account.currency:
            raise InvalidValue(
                f"the account is billed in {account.currency}; subscriptions use that currency",
                field="currency",
                code=ec.CURRENCY_MISMATCH,
            )
        book = price_book(uow, organization_id)
        held = uow.subscriptions.for_account(organization_id, account.id)
        result = start_subscription(uow, account, held, book, data, cycle, channel, now, actor)
        uow.commit()
        return result


def start_subscription(
    uow: UnitOfWork,
    account: Account,
    held: Sequence[Subscription],
    book: PriceBook,
    data: SubscribeInput,
    cycle: Cycle,
    channel: Channel | None,
    now: datetime,
    actor: str,
) -> Result:
    """``subscribe`` inside a unit of work the caller opened (and commits), given the account,
    every subscription it has (``held``) and the catalog."""
    plan = plan_by_code(book, data.plan)
    version = offered_version(book, plan, channel)
    family = book.families[plan.family_id]
    quantity = check_quantity(data.quantity, version.terms.min_seats)
    check_add_ons(data.add_ons, book, family, plan)
    terms = Terms(plan.id, version.id, cycle, account.currency, quantity).with_add_ons(data.add_ons)
    earlier = [s for s in held if s.family_id == family.id]
    if any(s.holds_place for s in earlier):
        raise Conflict(
            f"the account holds a {family.name} plan already; change that subscription "
            "instead (an account holds one plan per family)",
            field="plan",
            code=ec.ALREADY_SUBSCRIBED,
        )
    trial = with_trial(data.trial, version, trial_used(held, family.id))
    new = NewSubscription(
        new_id("sub"), account.organization_id, account.id, family, terms, account.time_zone, trial
    )
    today = local_date(now, zone(account.time_zone))
    out = start(new, book, today, now)
    log = apply_held([], out.held)
    _save(uow, None, out, [], log, actor, now)
    nxt = _next_invoice(out.subscription, log, book, {}, now, out.items)
    return Result(view_of(out.subscription, book), out.items, out.events, nxt, True)


def trial_used(held: Sequence[Subscription], family_id: str) -> bool:
    """A family grants its trial once: to an account none of whose plans there had one."""
    return any(s.trial_end is not None for s in held if s.family_id == family_id)


def with_trial(asked: bool | None, version: PlanVersion, used: bool) -> bool:
    """Whether a new subscription to ``version`` starts with its trial (None: as the plan
    says, unless the family's trial was ``used``)."""
    has_trial = version.terms.trial_days > 0
    if asked is None:
        return has_trial and not used
    if asked and not has_trial:
        raise InvalidValue("this plan has no trial", field="trial", code=ec.NO_TRIAL)
    if asked and used:
        raise Conflict(
            "the account has had a trial in this family already", field="trial", code=ec.TRIAL_USED
        )
    return asked
