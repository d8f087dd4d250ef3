"""What happens when a billing period ends: renew, convert a trial, apply what was scheduled.

``advance`` walks a subscription through every period end up to a local date, one at a time,
so a subscription untouched for months catches up exactly as if the renewal step had run each
day. Each period end, in order:

1. pay-per-day days of the ending period are billed (days active x day rate, rounded once);
2. a trial converts, or lapses if it was canceled at term end;
3. a cancellation at term end takes effect;
4. otherwise the scheduled change and any plan-version move "at renewal" apply, and the next
   period is charged in advance (pay-per-day versions charge nothing in advance).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import partial

from plansmith.domain.catalog.plans import PlanVersionMove
from plansmith.domain.kernel.errors import DomainError
from plansmith.domain.kernel.periods import BillingSchedule
from plansmith.domain.kernel.records import changed
from plansmith.domain.subscriptions.events import (
    Common,
    PeriodClosed,
    ScheduledChangeApplied,
    ScheduledChangeSkipped,
    SubscriptionCanceled,
    SubscriptionEvent,
    SubscriptionExpired,
    SubscriptionRenewed,
    TrialConverted,
    VersionMoved,
    VersionMoveSkipped,
    common,
)
from plansmith.domain.subscriptions.held_log import Span, active_days, apply_held
from plansmith.domain.subscriptions.price_book import PriceBook, components
from plansmith.domain.subscriptions.proration import accrual, recurring
from plansmith.domain.subscriptions.subscription import (
    BillableItem,
    Held,
    Outcome,
    Status,
    Subscription,
    Terms,
)


@dataclass(frozen=True)
class RenewalMove:
    """A plan-version move "at renewal": subscribers of ``from_version`` move at their renewal."""

    move_id: str
    from_version_id: str
    to_version_id: str


def resolved_moves(recorded: Iterable[PlanVersionMove]) -> dict[str, RenewalMove]:
    """from version id -> where its subscribers go at their renewal, following chains
    (v1 -> v2 -> v3 when v2 was superseded too) to the newest version. ``recorded`` in the
    order the moves were made (within a plan; a version belongs to one plan)."""
    direct: dict[str, RenewalMove] = {}
    for made in recorded:
        for source in made.from_version_ids:
            direct[source] = RenewalMove(made.id, source, made.to_version_id)
    resolved = {}
    for source, move in direct.items():
        target, seen = move.to_version_id, {source}
        while target in direct and target not in seen:
            seen.add(target)
            target = direct[target].to_version_id
        resolved[source] = replace(move, to_version_id=target)
    return resolved


Arrears = Callable[[Subscription, Sequence[Span]], Sequence[BillableItem] | None]


def advance(
    sub: Subscription,
    log: Sequence[Span],
    book: PriceBook,
    today: date,
    now: datetime,
    moves: Mapping[str, RenewalMove] | None = None,
    arrears: Arrears | None = None,
) -> Outcome:
    """Every period end on or before ``today``; an Outcome with nothing if none is due.

    ``arrears``: what the period billed in arrears at its end (its usage items), given the
    subscription in the period and its log; None stops before that end (its usage is not
    closed yet: the end waits for a later run)."""
    out = Outcome(sub)
    spans = list(log)
    while True:
        due = out.subscription.due_on()
        if due is None or due > today:
            return out
        extra: tuple[BillableItem, ...] = ()
        if arrears is not None:
            found = arrears(out.subscription, spans)
            if found is None:
                return out
            extra = tuple(found)
        step = period_end(out.subscription, spans, book, now, moves or {})
        if extra:  # caused by the period end's own event, like its other items
            last = len(step.events) - 1
            step = replace(
                step, items=extra + step.items, item_events=(last,) * len(extra) + step.item_events
            )
        spans = apply_held(spans, step.held)
        out = out.then(step) if out.events else step  # the first: nothing to add it to


def period_end(
    sub: Subscription,
    log: Sequence[Span],
    book: PriceBook,
    now: datetime,
    moves: Mapping[str, RenewalMove],
) -> Outcome:
    """The one period end at ``sub.period_end``. The subscription after it is made in one
    copy (a billing run makes one per subscription and period end)."""
    ended = sub.period
    end = ended.end
    cycle = sub.terms.cycle.name
    items: list[BillableItem] = list(
        accrual(active_days(log, ended, end, book), sub.terms.currency, ended, cycle, cycle)
    )
    nxt = sub.schedule.period_containing(end)
    if not sub.in_service:
        # Stopped mid-period (pay-per-day): its days are billed; nothing else happens.
        advanced = changed(sub, period_start=nxt.start, period_end=nxt.end, updated_at=now)
        closed = PeriodClosed(
            **common(advanced, now, end, sub.status), closed_start=ended.start, closed_end=end
        )
        return Outcome(advanced, tuple(items), (closed,))
    if sub.cancel_at_period_end:
        trial = sub.status is Status.TRIALING  # a trial canceled at its end lapses
        stopped = changed(
            sub,
            period_start=nxt.start,
            period_end=nxt.end,
            updated_at=now,
            status=Status.EXPIRED if trial else Status.CANCELED,
            ended_on=end,
            cancel_at_period_end=False,
        )
        stop = common(stopped, now, end, sub.status)
        if trial:
            lapsed = SubscriptionExpired(**stop, cause="trial_lapsed")
            return Outcome(stopped, tuple(items), (lapsed,), (Held(end, None, "expired"),))
        canceled = SubscriptionCanceled(**stop, cause="term_end")
        return Outcome(stopped, tuple(items), (canceled,), (Held(end, None, "canceled"),))

    # Each event is made once the period end is done: it carries the terms and period after.
    events: list[Callable[..., SubscriptionEvent]] = []
    terms = sub.terms
    anchor = sub.anchor
    reason = "renewed"
    if sub.scheduled is not None and sub.scheduled.effective <= end:
        wanted = sub.scheduled.terms
        try:
            components(wanted, book)
        except DomainError as exc:
            # E.g. an add-on price withdrawn since: keep the current terms and say so.
            events.append(partial(ScheduledChangeSkipped, wanted=wanted, reason=exc.message))
        else:
            terms = wanted
            reason = "changed"
            events.append(partial(ScheduledChangeApplied, previous=sub.terms, applied=terms))
            if terms.cycle != sub.terms.cycle:
                anchor = end  # a new cycle starts its periods here
    move = moves.get(terms.version_id)
    if move is not None:
        moved_terms = replace(terms, version_id=move.to_version_id)
        try:
            components(moved_terms, book)
        except DomainError as exc:
            # The new version cannot price what this customer holds (e.g. a cycle it dropped):
            # keep the old version and say so, rather than stop billing.
            events.append(
                partial(
                    VersionMoveSkipped,
                    move_id=move.move_id,
                    to_version_id=move.to_version_id,
                    reason=exc.message,
                )
            )
        else:
            terms = moved_terms
            reason = "changed"
            events.append(
                partial(
                    VersionMoved,
                    move_id=move.move_id,
                    from_version_id=move.from_version_id,
                    to_version_id=move.to_version_id,
                )
            )
    version = book.version(terms.version_id)
    period = nxt
    if anchor != sub.anchor:
        period = BillingSchedule(anchor, terms.cycle, nxt.tz).period(0)
    held: tuple[Held, ...] = ()
    to = Status.ACTIVE if sub.status is Status.TRIALING else sub.status
    if sub.status is Status.TRIALING:
        events.append(TrialConverted)
        reason = "converted"
    else:
        events.append(SubscriptionRenewed)
    renewed = changed(
        sub,
        terms=terms,
        anchor=anchor,
        scheduled=None,
        pay_per_day=version.terms.pay_per_day,
        period_start=period.start,
        period_end=period.end,
        updated_at=now,
        status=to,
    )
    fields: Common = common(renewed, now, end, sub.status)
    if reason != "renewed":
        held = (_held(end, terms, reason, version.name, version.terms.pay_per_day),)
    if not renewed.pay_per_day:
        items += recurring(components(terms, book), terms, period)
    # What happened before the renewal or conversion happened in the status of before.
    before = {**fields, "to_status": sub.status}
    made = [make(**before) for make in events[:-1]] + [events[-1](**fields)]
    return Outcome(renewed, tuple(items), tuple(made), held)


def _held(on: date, terms: Terms, reason: str, name: str, pay_per_day: bool) -> Held:
    return Held(on, terms, reason, pay_per_day=pay_per_day, plan_name=name)
