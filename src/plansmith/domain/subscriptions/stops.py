"""Stopping and restarting a subscription: cancel, pause, resume, reactivate, and withdrawing a
scheduled change.

Pure like subscription_changes (same inputs, an Outcome out). The rules (PRODUCT.md): pause and
an immediate cancel credit the rest of the period; resume and reactivate charge the rest of the
period they fall in, keeping the anchor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from plansmith.domain.catalog.plans import Timing
from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.kernel.periods import local_date, local_midnight, zone
from plansmith.domain.subscriptions.changes import _held, _touched
from plansmith.domain.subscriptions.events import (
    CancelScheduled,
    CancelWithdrawn,
    ScheduledChangeWithdrawn,
    SubscriptionCanceled,
    SubscriptionEvent,
    SubscriptionExpired,
    SubscriptionPastDue,
    SubscriptionPaused,
    SubscriptionPaymentRecovered,
    SubscriptionReactivated,
    SubscriptionResumed,
    common,
)
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.price_book import PriceBook, components
from plansmith.domain.subscriptions.proration import charges, credits
from plansmith.domain.subscriptions.subscription import (
    BillableItem,
    Held,
    Outcome,
    Status,
    StopUsage,
    Subscription,
    SubscriptionError,
    check_transition,
)
from plansmith.domain.subscriptions.usage_lines import charges_at_end


def withdraw_scheduled_change(sub: Subscription, today: date, now: datetime) -> Outcome:
    if sub.scheduled is None:
        raise SubscriptionError("no change is scheduled", code=ec.NOTHING_SCHEDULED)
    after = _touched(replace(sub, scheduled=None), now)
    event = ScheduledChangeWithdrawn(
        **common(after, now, today, sub.status), withdrawn=sub.scheduled.terms
    )
    return Outcome(after, (), (event,))


# -- stopping and starting ------------------------------------------------------------------


def cancel(
    sub: Subscription,
    when: Timing,
    book: PriceBook,
    log: Sequence[Span],
    today: date,
    now: datetime,
) -> Outcome:
    """At term end: nothing more is billed (withdrawable). Now: the rest is credited."""
    if sub.status is Status.TRIALING and when is Timing.NOW:
        return _stop(sub, Status.EXPIRED, "expired", book, log, today, now, credit=False)
    if sub.status is Status.PAUSED:
        return _stop(sub, Status.CANCELED, "canceled", book, log, today, now, credit=False)
    if sub.status is not Status.TRIALING:  # a trial set to cancel expires at its end
        check_transition(sub.status, Status.CANCELED, "canceled")
    if when is Timing.NOW:
        return _stop(sub, Status.CANCELED, "canceled", book, log, today, now, credit=True)
    if sub.cancel_at_period_end:
        raise SubscriptionError(
            "the subscription is already set to cancel at the end of the term",
            code=ec.CANCEL_SCHEDULED,
        )
    withdrew = sub.scheduled is not None
    moved = _touched(replace(sub, cancel_at_period_end=True, scheduled=None), now)
    event = CancelScheduled(
        **common(moved, now, sub.period_end, sub.status), withdrew_change=withdrew
    )
    return Outcome(moved, (), (event,))


def pause(
    sub: Subscription, book: PriceBook, log: Sequence[Span], today: date, now: datetime
) -> Outcome:
    if sub.status is Status.TRIALING:
        raise SubscriptionError(
            "a trial cannot be paused; cancel it or let it convert", code=ec.INVALID_TRANSITION
        )
    check_transition(sub.status, Status.PAUSED, "paused")
    if sub.cancel_at_period_end:
        raise SubscriptionError(
            "the subscription is set to cancel at the end of the term; cancel it now instead "
            "of pausing, or withdraw the cancellation first",
            code=ec.CANCEL_SCHEDULED,
        )
    return _stop(sub, Status.PAUSED, "paused", book, log, today, now, credit=True)


def _stop(
    sub: Subscription,
    to: Status,
    reason: str,
    book: PriceBook,
    log: Sequence[Span],
    today: date,
    now: datetime,
    *,
    credit: bool,
    wait: bool = True,
) -> Outcome:
    items: list[BillableItem] = []
    if credit and not sub.pay_per_day:
        parts = components(sub.terms, book)
        items = credits(parts, sub.terms.currency, sub.period, today, sub.terms.cycle.name)
    # A paused subscription stopped being served when it was paused, not now.
    ended_on = sub.ended_on if sub.status is Status.PAUSED else today
    moved = replace(sub, status=to, ended_on=ended_on, cancel_at_period_end=False, scheduled=None)
    moved = _touched(_usage_stopped(sub, moved, book, today, now, wait=wait), now)
    kinds: dict[Status, type[SubscriptionCanceled | SubscriptionExpired | SubscriptionPaused]] = {
        Status.CANCELED: SubscriptionCanceled,
        Status.EXPIRED: SubscriptionExpired,
        Status.PAUSED: SubscriptionPaused,
    }
    event = kinds[to](**common(moved, now, today, sub.status))
    return Outcome(moved, tuple(items), (event,), (Held(today, None, reason),))


def _usage_stopped(
    sub: Subscription,
    moved: Subscription,
    book: PriceBook,
    today: date,
    now: datetime,
    *,
    wait: bool = True,
) -> Subscription:
    """ADR 0034: a stop in the middle of a period whose plan charges usage closes that
    period's usage at ``now``: the dates from the usage window's start to ``today`` are
    billed on their own once ``now`` + the grace window has passed. A subscription paused
    already stopped its usage at the pause; a trial bills none."""
    if not charges_at_end(sub, book) or not sub.period_start <= today < sub.period_end:
        return moved
    start = sub.usage_start
    if sub.stop_usage is not None and sub.stop_usage.cut and sub.usage_start <= today:
        # the cut of a cycle change (an earlier period) waits: one window per subscription.
        # Dunning's cancel cannot wait (a payment attempt is being recorded): it keeps the
        # cut, and the new period's few days until now bill no usage.
        if not wait:
            return replace(moved, stopped_at=now)
        raise SubscriptionError(
            "the usage of the period the cycle change cut short is not billed yet; stop the "
            "subscription once its grace window has passed and the billing run has billed it",
            code=ec.SUBSCRIPTION_CONFLICT,
        )
    if sub.stop_usage is not None and not sub.stop_usage.cut:
        # an earlier window of this period not billed yet: one line
        start = min(start, sub.stop_usage.start)
    if start > today:  # its window had not begun (it starts tomorrow): nothing to bill
        return replace(moved, stopped_at=now)
    window = StopUsage(start, today, now, version_id=sub.terms.version_id)
    return replace(moved, stopped_at=now, stop_usage=window)


def _usage_restarted(
    sub: Subscription, moved: Subscription, book: PriceBook, today: date
) -> Subscription:
    """Back in service after a stop that closed usage: a new usage window starts today.
    Back the same day, the window starts tomorrow: that day stays in the stop's line, which
    then closes at the end of the day (its usage after the restart counts there too)."""
    if sub.stopped_at is None:
        # ended at its term end (its usage billed to there): the dates since count nowhere
        ended = sub.ended_on is not None and bool(charges_at_end(moved, book))
        return replace(moved, usage_from=today) if ended else moved
    tz = zone(sub.time_zone)
    # the stop's date is its window's last (inside the grace window after a period's end, an
    # action is dated on the period's last day, not on the date of its instant)
    if sub.stop_usage is not None:
        stop_day = sub.stop_usage.on
    else:  # its window is billed: the stop is dated by its end (paused or canceled that day)
        stop_day = sub.ended_on or local_date(sub.stopped_at, tz)
    if stop_day != today:
        return replace(moved, usage_from=today)
    tomorrow = today + timedelta(days=1)
    later = _stop_day_kept(sub.stop_usage, today, tz)
    if later is None:  # the day's line is billed: the day is closed
        return replace(moved, usage_from=tomorrow)
    return replace(moved, usage_from=tomorrow, stopped_at=None, stop_usage=later)


def _stop_day_kept(stop: StopUsage | None, today: date, tz: ZoneInfo) -> StopUsage | None:
    """The stopped window holding ``today`` (its stop date), kept open to the end of that
    day; None when that window is billed already (the rest of the day counts nowhere)."""
    if stop is None or stop.on != today:
        return None
    return replace(stop, closes_from=local_midnight(today + timedelta(days=1), tz))


def started_on_a_stop_day(
    new: Subscription,
    earlier: Sequence[Subscription],
    book: PriceBook,
    today: date,
    now: datetime,
) -> tuple[Subscription, tuple[Subscription, ...]]:
    """ADR 0034: each local date of an account's meter is billed in one line. A new
    subscription taken out on the date an earlier one of the account stopped (canceled now,
    paused), charging a meter that one charged, starts its usage window the next day, as a
    resume that day does: the date stays in the stopped window, which then closes at the
    date's end. Returns the new subscription and the earlier ones whose window was kept."""
    mine = {c.meter for c in charges_at_end(new, book)}
    if not mine:  # a trial, or no usage charged: nothing of it can overlap
        return new, ()
    kept: list[Subscription] = []
    overlaps = False
    for old in earlier:
        if old.in_service or old.stopped_at is None:
            continue
        tz = zone(old.time_zone)
        charged = book.version(old.terms.version_id).terms.charges_in(old.terms.currency)
        if _stop_date(old, tz) != today or not mine & {c.meter for c in charged}:
            continue
        overlaps = True
        later = _stop_day_kept(old.stop_usage, today, tz)
        if later is not None and later != old.stop_usage:
            kept.append(_touched(replace(old, stop_usage=later), now))
    if not overlaps:
        return new, ()
    return replace(new, usage_from=today + timedelta(days=1)), tuple(kept)


def _stop_date(sub: Subscription, tz: ZoneInfo) -> date:
    """The date a stop is dated: its window's last. Inside the grace window after a period's
    end that is the period's last day, not the date of the stop's instant. A cut waiting
    (a cycle change's) is not the stop's: then its end."""
    if sub.stop_usage is not None and not sub.stop_usage.cut:
        return sub.stop_usage.on
    if sub.ended_on is not None:
        return sub.ended_on
    assert sub.stopped_at is not None
    return local_date(sub.stopped_at, tz)


def reactivate(sub: Subscription, book: PriceBook, today: date, now: datetime) -> Outcome:
    """Withdraw a cancellation at term end, or bring a canceled subscription back today."""
    if sub.cancel_at_period_end:
        after = _touched(replace(sub, cancel_at_period_end=False), now)
        return Outcome(after, (), (CancelWithdrawn(**common(after, now, today, sub.status)),))
    if sub.status is Status.PAUSED:
        return _restart(sub, "resumed", book, today, now)
    if sub.status is Status.EXPIRED:
        check_transition(sub.status, Status.ACTIVE, "reactivated")
    if sub.status is not Status.CANCELED:
        raise SubscriptionError(
            f"the subscription is {sub.status}; there is nothing to reactivate",
            code=ec.NOT_CANCELED,
        )
    return _restart(sub, "reactivated", book, today, now)


def resume(sub: Subscription, book: PriceBook, today: date, now: datetime) -> Outcome:
    if sub.status is not Status.PAUSED:
        raise SubscriptionError(f"the subscription is {sub.status}, not paused", code=ec.NOT_PAUSED)
    return _restart(sub, "resumed", book, today, now)


def _restart(
    sub: Subscription, reason: str, book: PriceBook, today: date, now: datetime
) -> Outcome:
    """Back in service today, in the period of the original anchor that holds today."""
    parts = components(sub.terms, book)  # the version may no longer price these terms
    period = sub.schedule.period_containing(max(today, sub.anchor))
    items: list[BillableItem] = []
    if not sub.pay_per_day:
        items = charges(parts, sub.terms.currency, period, today, sub.terms.cycle.name)
    moved = replace(
        sub,
        status=Status.ACTIVE,
        period_start=period.start,
        period_end=period.end,
        ended_on=None,
    )
    moved = _touched(_usage_restarted(sub, moved, book, today), now)
    kind: type[SubscriptionEvent] = (
        SubscriptionResumed if reason == "resumed" else SubscriptionReactivated
    )
    event = kind(**common(moved, now, today, sub.status))
    version = book.version(sub.terms.version_id)
    return Outcome(moved, tuple(items), (event,), (_held(today, sub.terms, reason, version),))


# -- dunning: what an unpaid invoice does to its subscription ------------------------------


def past_due(sub: Subscription, today: date, now: datetime) -> Outcome | None:
    """A payment failed: an active subscription becomes past due (None: nothing to do)."""
    if sub.status is not Status.ACTIVE:
        return None
    moved = _touched(replace(sub, status=Status.PAST_DUE), now)
    return Outcome(moved, (), (SubscriptionPastDue(**common(moved, now, today, sub.status)),))


def payment_recovered(sub: Subscription, today: date, now: datetime) -> Outcome | None:
    """The unpaid invoice was paid: a past-due subscription is active again."""
    if sub.status is not Status.PAST_DUE:
        return None
    moved = _touched(replace(sub, status=Status.ACTIVE), now)
    event = SubscriptionPaymentRecovered(**common(moved, now, today, sub.status))
    return Outcome(moved, (), (event,))


def cancel_for_nonpayment(
    sub: Subscription, book: PriceBook, log: Sequence[Span], today: date, now: datetime
) -> Outcome | None:
    """The last retry failed: canceled today, nothing credited (the unpaid invoice is what
    the days until now were worth; the rest of the period is simply not served)."""
    if sub.status not in (Status.ACTIVE, Status.PAST_DUE, Status.TRIALING):
        return None
    out = _stop(sub, Status.CANCELED, "canceled", book, log, today, now, credit=False, wait=False)
    (event,) = out.events
    assert isinstance(event, SubscriptionCanceled)
    return replace(out, events=(replace(event, cause="nonpayment"),))
