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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from plansmith.domain.errors import DomainError
from plansmith.domain.held_log import Span, active_days, apply_held
from plansmith.domain.proration import accrual, recurring
from plansmith.domain.subscriptions import (
    BillableItem,
    Event,
    Held,
    Outcome,
    PriceBook,
    Status,
    Subscription,
    Terms,
    components,
    terms_to_data,
)


@dataclass(frozen=True)
class RenewalMove:
    """A plan-version move "at renewal": subscribers of ``from_version`` move at their renewal."""

    move_id: str
    from_version_id: str
    to_version_id: str


def advance(
    sub: Subscription,
    log: Sequence[Span],
    book: PriceBook,
    today: date,
    now: datetime,
    moves: Mapping[str, RenewalMove] | None = None,
) -> Outcome:
    """Every period end on or before ``today``; an Outcome with nothing if none is due."""
    out = Outcome(sub)
    spans = list(log)
    while True:
        due = out.subscription.due_on()
        if due is None or due > today:
            return out
        step = period_end(out.subscription, spans, book, now, moves or {})
        spans = apply_held(spans, step.held)
        out = out.then(step)


def period_end(
    sub: Subscription,
    log: Sequence[Span],
    book: PriceBook,
    now: datetime,
    moves: Mapping[str, RenewalMove],
) -> Outcome:
    """The one period end at ``sub.period_end``."""
    ended = sub.period
    end = ended.end
    cycle = sub.terms.cycle.name
    items: list[BillableItem] = list(
        accrual(active_days(log, ended, end, book), sub.terms.currency, ended, cycle, cycle)
    )
    nxt = sub.schedule.period_containing(end)
    advanced = replace(sub, period_start=nxt.start, period_end=nxt.end, updated_at=now)
    if not sub.in_service:
        # Stopped mid-period (pay-per-day): its days are billed; nothing else happens.
        return Outcome(
            advanced, tuple(items), (Event("period_closed", now, end, sub.status, sub.status, {}),)
        )
    if sub.status is Status.TRIALING and sub.cancel_at_period_end:
        stopped = replace(advanced, status=Status.EXPIRED, ended_on=end, cancel_at_period_end=False)
        event = Event("expired", now, end, sub.status, Status.EXPIRED, {"cause": "trial_lapsed"})
        return Outcome(stopped, tuple(items), (event,), (Held(end, None, "expired"),))
    if sub.cancel_at_period_end:
        stopped = replace(
            advanced, status=Status.CANCELED, ended_on=end, cancel_at_period_end=False
        )
        event = Event("canceled", now, end, sub.status, Status.CANCELED, {"cause": "term_end"})
        return Outcome(stopped, tuple(items), (event,), (Held(end, None, "canceled"),))

    events: list[Event] = []
    terms = sub.terms
    anchor = sub.anchor
    reason = "renewed"
    if sub.scheduled is not None and sub.scheduled.effective <= end:
        wanted = sub.scheduled.terms
        try:
            components(wanted, book)
        except DomainError as exc:
            # E.g. an add-on price withdrawn since: keep the current terms and say so.
            skipped = {"to": terms_to_data(wanted), "reason": exc.message}
            events.append(
                Event("scheduled_change_skipped", now, end, sub.status, sub.status, skipped)
            )
        else:
            terms = wanted
            reason = "changed"
            applied = {"from": terms_to_data(sub.terms), "to": terms_to_data(terms)}
            events.append(
                Event("scheduled_change_applied", now, end, sub.status, sub.status, applied)
            )
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
                Event(
                    "version_move_skipped",
                    now,
                    end,
                    sub.status,
                    sub.status,
                    {"move_id": move.move_id, "reason": exc.message},
                )
            )
        else:
            terms = moved_terms
            reason = "changed"
            events.append(
                Event(
                    "version_moved",
                    now,
                    end,
                    sub.status,
                    sub.status,
                    {
                        "move_id": move.move_id,
                        "from_version_id": move.from_version_id,
                        "to_version_id": move.to_version_id,
                    },
                )
            )
    version = book.version(terms.version_id)
    renewed = replace(
        advanced,
        terms=terms,
        anchor=anchor,
        scheduled=None,
        pay_per_day=version.terms.pay_per_day,
    )
    if anchor != sub.anchor:
        first = renewed.schedule.period(0)
        renewed = replace(renewed, period_start=first.start, period_end=first.end)
    held: tuple[Held, ...] = ()
    to = Status.ACTIVE if sub.status is Status.TRIALING else sub.status
    if sub.status is Status.TRIALING:
        events.append(Event("converted", now, end, sub.status, to, {}))
        reason = "converted"
    else:
        events.append(Event("renewed", now, end, sub.status, to, {}))
    renewed = replace(renewed, status=to)
    if reason != "renewed":
        held = (_held(end, terms, reason, version.name, version.terms.pay_per_day),)
    if not renewed.pay_per_day:
        items += recurring(components(terms, book), terms, renewed.period)
    return Outcome(renewed, tuple(items), tuple(events), held)


def _held(on: date, terms: Terms, reason: str, name: str, pay_per_day: bool) -> Held:
    return Held(on, terms, reason, pay_per_day=pay_per_day, plan_name=name)
