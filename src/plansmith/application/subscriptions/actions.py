"""Use cases that change a subscription after it started, and the renewal step.

Each one is a call of ``act``: catch up with passed period ends, run one domain function,
save the Outcome (or, with ``preview=True``, return it unsaved: the very same computation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from plansmith.application.kernel.errors import Conflict
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.subscriptions.lifecycle import OPERATOR, SYSTEM, Action, Result, act
from plansmith.application.subscriptions.subscribing import (
    check_quantity,
    offered_version,
    parse_channel,
    plan_by_code,
)
from plansmith.domain.catalog.plans import Timing
from plansmith.domain.kernel.errors import Checks, DomainError, InvalidValue
from plansmith.domain.kernel.periods import Cycle
from plansmith.domain.subscriptions import changes as rules
from plansmith.domain.subscriptions import stops
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook, check_add_ons
from plansmith.domain.subscriptions.subscription import Outcome, Subscription


@dataclass(frozen=True)
class ChangeInput:
    """What to change; None keeps what is held. ``add_ons`` replaces the whole set."""

    plan: str | None = None  # plan code (same family)
    cycle: str | None = None
    quantity: int | None = None
    add_ons: Mapping[str, int] | None = None
    when: str | None = None  # now | term_end; None: as the family's policy says
    channel: str | None = None  # the portal sends "portal": only plans offered there


def timing(value: str | None, field: str = "when") -> Timing | None:
    if value is None:
        return None
    try:
        return Timing(value)
    except ValueError:
        raise InvalidValue("when is now or term_end", field=field) from None


def change_subscription(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    data: ChangeInput,
    *,
    actor: str = OPERATOR,
    preview: bool = False,
) -> Result:
    """Change plan, cycle, seats or add-ons, now with proration or at the end of the term."""
    action = change_action(data, actor)
    return act(uow, clock, organization_id, subscription_id, action, actor, dry_run=preview)


def change_action(data: ChangeInput, actor: str) -> Action:
    """The change as ``act`` and ``run`` take it; its input is checked here, before any read."""
    checks = Checks()
    cycle = checks.run(Cycle.parse, data.cycle) if data.cycle is not None else None
    when = checks.run(timing, data.when)
    channel = checks.run(parse_channel, data.channel)
    if data.quantity is not None:
        checks.run(check_quantity, data.quantity, 1)
    checks.raise_if_any()

    def action(
        sub: Subscription, log: Sequence[Span], book: PriceBook, today: date, now: datetime
    ) -> Outcome:
        terms = sub.terms
        if data.plan is not None:
            plan = plan_by_code(book, data.plan)
            if plan.id != terms.plan_id:
                version = offered_version(book, plan, channel)
                terms = replace(terms, plan_id=plan.id, version_id=version.id)
        if cycle is not None:
            terms = replace(terms, cycle=cycle)
        if data.quantity is not None:
            terms = replace(terms, quantity=data.quantity)
        if data.add_ons is not None:
            family = book.families[sub.family_id]
            check_add_ons(data.add_ons, book, family, book.plan(terms.plan_id))
            terms = terms.with_add_ons(data.add_ons)
        return rules.change(sub, terms, book, log, today, now, when, cause=actor)

    return action


def cancel_action(when: str) -> Action:
    at = timing(when) or Timing.TERM_END
    return lambda sub, log, book, today, now: stops.cancel(sub, at, book, log, today, now)


def reactivate_action() -> Action:
    return lambda sub, log, book, today, now: stops.reactivate(sub, book, today, now)


def cancel_subscription(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    when: str = "term_end",
    *,
    actor: str = OPERATOR,
    preview: bool = False,
) -> Result:
    """At term end (nothing more is billed; withdrawable) or now (the rest is credited)."""
    action = cancel_action(when)
    return act(uow, clock, organization_id, subscription_id, action, actor, dry_run=preview)


def reactivate_subscription(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    *,
    actor: str = OPERATOR,
    preview: bool = False,
) -> Result:
    """Withdraw a cancellation at term end, or bring a canceled subscription back today."""
    action = reactivate_action()
    return act(uow, clock, organization_id, subscription_id, action, actor, dry_run=preview)


def pause_subscription(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    *,
    actor: str = OPERATOR,
    preview: bool = False,
) -> Result:
    """Stop service today and credit the rest of the period; the anchor is kept."""
    return act(
        uow,
        clock,
        organization_id,
        subscription_id,
        lambda sub, log, book, today, now: stops.pause(sub, book, log, today, now),
        actor,
        dry_run=preview,
    )


def resume_subscription(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    *,
    actor: str = OPERATOR,
    preview: bool = False,
) -> Result:
    """Back in service today: the rest of the period it falls in is charged."""
    return act(
        uow,
        clock,
        organization_id,
        subscription_id,
        lambda sub, log, book, today, now: stops.resume(sub, book, today, now),
        actor,
        dry_run=preview,
    )


def withdraw_scheduled_change(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    *,
    actor: str = OPERATOR,
) -> Result:
    return act(
        uow,
        clock,
        organization_id,
        subscription_id,
        lambda sub, log, book, today, now: stops.withdraw_scheduled_change(sub, today, now),
        actor,
    )


# -- the renewal step --------------------------------------------------------------------


def advance_subscription(
    uow: UnitOfWork, clock: Clock, organization_id: str, subscription_id: str
) -> Result:
    """Walk one subscription through every period end up to now; nothing if none passed."""
    return act(uow, clock, organization_id, subscription_id, None, SYSTEM)


@dataclass(frozen=True)
class Failure:
    subscription_id: str
    code: str
    message: str


@dataclass(frozen=True)
class Advanced:
    renewed: int  # subscriptions that passed at least one period end
    items: int  # billable items created
    skipped: int  # taken by another worker at the same time
    failed: tuple[Failure, ...] = ()  # could not renew (e.g. a price withdrawn); retried next run


def advance_due(
    uow: UnitOfWork, clock: Clock, organization_id: str | None, *, batch: int = 200
) -> Advanced:
    """Every subscription whose period ended by now, of one organization (or of all with
    None), one transaction each, each visited once per run in (organization, due at, id) order.

    Safe to run twice or in parallel: a subscription another worker saved first is skipped
    (its revision moved on), and one that is no longer due finds nothing to do. One that
    cannot renew is reported and left for the next run; it never holds up the others.
    """
    renewed = items = skipped = 0
    failed: list[Failure] = []
    after: tuple[str, datetime, str] | None = None
    as_of = clock.now()
    while True:
        with uow:
            due = list(uow.subscriptions.due(organization_id, as_of, batch, after))
        if not due:
            return Advanced(renewed, items, skipped, tuple(failed))
        for org, subscription_id, due_at in due:
            after = (org, due_at, subscription_id)
            try:
                result = advance_subscription(uow, clock, org, subscription_id)
            except Conflict:
                skipped += 1
                continue
            except DomainError as exc:
                failed.append(Failure(subscription_id, exc.code, exc.message))
                continue
            if result.applied:
                renewed += 1
                items += len(result.items)
