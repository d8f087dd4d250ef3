"""What customers and operators do to a subscription's terms: subscribe and change.

Every function is pure: it takes the subscription, the log of held terms, the catalog objects
it needs (PriceBook), the local date of the change and the instant, and returns an Outcome. A
preview runs exactly the same function and simply does not save the Outcome.

The rules (PRODUCT.md): an immediate change on day c of [s, e) credits the old terms for
[c, e) and charges the new terms for [c, e); a cycle change instead starts a new full period
on c (c becomes the anchor); changes during a trial make no item. Stopping and restarting a
subscription is in subscription_stops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from plansmith.domain.catalog.plans import PlanFamily, PlanVersion, Timing
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.periods import BillingSchedule, Period, zone
from plansmith.domain.subscriptions.cuts import usage_cut
from plansmith.domain.subscriptions.events import (
    ChangeScheduled,
    SubscriptionChanged,
    SubscriptionCreated,
    common,
)
from plansmith.domain.subscriptions.held_log import Span, active_days
from plansmith.domain.subscriptions.price_book import Component, PriceBook, components
from plansmith.domain.subscriptions.proration import (
    accrual,
    changed_parts,
    charges,
    credits,
    recurring,
)
from plansmith.domain.subscriptions.subscription import (
    BillableItem,
    Held,
    InvalidTransition,
    Outcome,
    ScheduledChange,
    Status,
    Subscription,
    SubscriptionError,
    Terms,
)


@dataclass(frozen=True)
class NewSubscription:
    id: str
    organization_id: str
    account_id: str
    family: PlanFamily
    terms: Terms
    time_zone: str
    with_trial: bool


def subscribe(new: NewSubscription, book: PriceBook, today: date, now: datetime) -> Outcome:
    """Start holding the terms today: a trial of the plan's days, or a first full period."""
    version = book.version(new.terms.version_id)
    parts = components(new.terms, book)  # validates seats, cycle, currency and add-ons
    tz = zone(new.time_zone)
    trial_days = version.terms.trial_days if new.with_trial else 0
    if trial_days:
        trial_end = today + timedelta(days=trial_days)
        anchor, period = trial_end, Period(today, trial_end, tz)
        status = Status.TRIALING
    else:
        trial_end = None
        anchor = today
        period = BillingSchedule(anchor, new.terms.cycle, tz).period(0)
        status = Status.ACTIVE
    sub = Subscription(
        id=new.id,
        organization_id=new.organization_id,
        account_id=new.account_id,
        family_id=new.family.id,
        terms=new.terms,
        status=status,
        time_zone=new.time_zone,
        anchor=anchor,
        period_start=period.start,
        period_end=period.end,
        trial_end=trial_end,
        cancel_at_period_end=False,
        scheduled=None,
        pay_per_day=version.terms.pay_per_day,
        registered_at=now,
        ended_on=None,
        revision=0,
        created_at=now,
        updated_at=now,
    )
    items: list[BillableItem] = []
    if status is Status.ACTIVE and not sub.pay_per_day:
        items = recurring(parts, sub.terms, period)
    event = SubscriptionCreated(
        **common(sub, now, today, None), trial_days=trial_days, trial_end=trial_end
    )
    return Outcome(
        sub,
        tuple(items),
        (event,),
        (_held(today, sub.terms, "subscribed", version, trial=bool(trial_days)),),
    )


def _held(
    on: date, terms: Terms, reason: str, version: PlanVersion, *, trial: bool = False
) -> Held:
    return Held(
        on,
        terms,
        reason,
        trial=trial,
        pay_per_day=version.terms.pay_per_day,
        plan_name=version.name,
    )


# -- changing the terms ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChangePart:
    """One aspect of a change, with when the family's policy lets it take effect."""

    what: str  # "upgrade", "downgrade", "more seats", "fewer seats", "add-ons", "cycle"...
    timing: Timing


def change_parts(sub: Subscription, target: Terms, book: PriceBook) -> list[ChangePart]:
    family = book.families[sub.family_id]
    policy = family.policy
    old, new = sub.terms, target
    parts = []
    if new.plan_id != old.plan_id:
        old_rank = book.plan(old.plan_id).rank
        if book.plan(new.plan_id).rank >= old_rank:
            parts.append(ChangePart("upgrade", policy.upgrade))
        else:
            parts.append(ChangePart("downgrade", policy.downgrade))
    elif new.version_id != old.version_id:
        parts.append(ChangePart("new version", Timing.NOW))
    if new.quantity > old.quantity:
        parts.append(ChangePart("more seats", policy.upgrade))
    elif new.quantity < old.quantity:
        parts.append(ChangePart("fewer seats", policy.seats_down))
    codes = set(old.add_ons) | set(new.add_ons)
    if any(new.add_ons.get(c, 0) > old.add_ons.get(c, 0) for c in codes):
        parts.append(ChangePart("more add-ons", policy.upgrade))
    if any(new.add_ons.get(c, 0) < old.add_ons.get(c, 0) for c in codes):
        parts.append(ChangePart("fewer add-ons", policy.downgrade))
    if new.cycle != old.cycle:
        if not policy.cycle_change:
            raise SubscriptionError(
                f"{family.name} plans keep their billing cycle; this family's policy does not "
                "allow changing it",
                field="cycle",
                code=ec.CYCLE_CHANGE_NOT_ALLOWED,
            )
        parts.append(ChangePart("cycle", Timing.NOW))
    return parts


def timing_of(parts: Sequence[ChangePart], when: Timing | None, family: PlanFamily) -> Timing:
    """The policy's timing, or the one asked for if the policy allows it."""
    waits = [p for p in parts if p.timing is Timing.TERM_END]
    if when is Timing.NOW and waits:
        raise SubscriptionError(
            f"in {family.name}, a change with {waits[0].what} takes effect at the end of the "
            "term; ask for term_end (or leave the timing out)",
            field="when",
            code=ec.CHANGE_NOT_ALLOWED_NOW,
        )
    if when is not None:
        return when
    return Timing.TERM_END if waits else Timing.NOW


def change(
    sub: Subscription,
    target: Terms,
    book: PriceBook,
    log: Sequence[Span],
    today: date,
    now: datetime,
    when: Timing | None = None,
    cause: str = "customer",
    *,
    keep_scheduled: bool = False,
) -> Outcome:
    """Move to ``target`` now (credit and charge) or at the end of the term (scheduled).

    An immediate change withdraws a scheduled one (the customer chose anew), unless
    ``keep_scheduled``: a plan-version move is not the customer's choice and keeps theirs.
    """
    if not sub.in_service:
        hint = {
            Status.CANCELED: "reactivate it first",
            Status.PAUSED: "resume it first",
        }.get(sub.status, "subscribe again")
        raise InvalidTransition(
            f"a {sub.status} subscription cannot be changed; {hint}",
            field="status",
            code=ec.TRIAL_EXPIRED if sub.status is Status.EXPIRED else ec.INVALID_TRANSITION,
        )
    if book.plan(target.plan_id).family_id != sub.family_id:
        raise InvalidValue(
            "that plan belongs to another family; an account holds one plan per family, "
            "so subscribe to it separately",
            field="plan",
            code=ec.WRONG_FAMILY,
        )
    if target == sub.terms:
        raise InvalidValue("that is what the subscription holds already", code=ec.NO_CHANGE)
    new_parts = components(target, book)  # validates seats, cycle, currency and add-ons
    parts = change_parts(sub, target, book)
    family = book.families[sub.family_id]
    what = [p.what for p in parts]
    version = book.version(target.version_id)
    if sub.status is Status.TRIALING:
        timing_of(parts, when, family)  # a forbidden request is refused even in a trial
        # The trial keeps its end, which stays the anchor: a new cycle starts there.
        moved = replace(sub, terms=target, pay_per_day=version.terms.pay_per_day, scheduled=None)
        moved = _touched(moved, now)
        changed = SubscriptionChanged(
            **common(moved, now, today, sub.status),
            previous=sub.terms,
            parts=tuple(what),
            cause=cause,
        )
        return Outcome(
            moved,
            (),
            (changed,),
            (_held(today, target, "changed", version, trial=True),),
        )
    timing = timing_of(parts, when, family)
    if timing is Timing.TERM_END:
        if sub.cancel_at_period_end:
            raise SubscriptionError(
                "the subscription is set to cancel at the end of the term; withdraw the "
                "cancellation first",
                code=ec.CANCEL_SCHEDULED,
            )
        scheduled = ScheduledChange(target, sub.period_end, now, ", ".join(what))
        after = _touched(replace(sub, scheduled=scheduled), now)
        event = ChangeScheduled(
            **common(after, now, sub.period_end, sub.status),
            scheduled=target,
            parts=tuple(what),
            cause=cause,
            replaces=sub.scheduled is not None,
        )
        return Outcome(after, (), (event,))
    return _change_now(
        sub, target, new_parts, version, book, log, today, now, what, cause, keep_scheduled
    )


def _change_now(
    sub: Subscription,
    target: Terms,
    fresh: Sequence[Component],
    version: PlanVersion,
    book: PriceBook,
    log: Sequence[Span],
    today: date,
    now: datetime,
    what: Sequence[str],
    cause: str,
    keep_scheduled: bool,
) -> Outcome:
    period = sub.period
    old_parts = components(sub.terms, book)
    new_ppd = version.terms.pay_per_day
    items: list[BillableItem] = []
    if target.cycle != sub.terms.cycle:
        # A new full period starts today, today becomes the anchor; pay-per-day days held so
        # far in the old period are billed now, at the old period's day rate.
        if sub.pay_per_day:
            items += accrual(
                active_days(log, period, today, book),
                sub.terms.currency,
                period,
                "day",
                sub.terms.cycle.name,
            )
        else:
            items += credits(old_parts, sub.terms.currency, period, today, sub.terms.cycle.name)
        schedule = BillingSchedule(today, target.cycle, zone(sub.time_zone))
        new_period = schedule.period(0)
        if not new_ppd:
            items += recurring(fresh, target, new_period)
        moved = replace(
            sub,
            terms=target,
            anchor=today,
            period_start=new_period.start,
            period_end=new_period.end,
        )
        moved = usage_cut(sub, moved, book, today, now)  # the cut period's usage (ADR 0034)
    else:
        if sub.pay_per_day != new_ppd:
            to_credit, to_charge = list(old_parts), list(fresh)
        else:
            to_credit, to_charge = changed_parts(old_parts, fresh)
        if not sub.pay_per_day:
            items += credits(to_credit, sub.terms.currency, period, today, sub.terms.cycle.name)
        if not new_ppd:
            items += charges(to_charge, target.currency, period, today, target.cycle.name)
        moved = replace(sub, terms=target)
    withdrawn = sub.scheduled is not None and not keep_scheduled
    moved = replace(moved, pay_per_day=new_ppd, scheduled=sub.scheduled if keep_scheduled else None)
    moved = _touched(moved, now)
    event = SubscriptionChanged(
        **common(moved, now, today, sub.status),
        previous=sub.terms,
        parts=tuple(what),
        cause=cause,
        scheduled_change_withdrawn=withdrawn,
    )
    return Outcome(
        moved,
        tuple(items),
        (event,),
        (_held(today, target, "changed", version),),
    )


def _touched(sub: Subscription, now: datetime) -> Subscription:
    return replace(sub, updated_at=now)
