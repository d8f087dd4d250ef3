"""A change of billing cycle in the middle of a period cuts it short: a new full period starts
on the change date. ADR 0034 applied to the cut: the old period's dates before the change date
are a stopped usage window closed at the change instant, billed on their own once the change
+ the grace window has passed, rated by the plan held before the change."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from plansmith.domain.kernel import error_codes as ec
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import StopUsage, Subscription, SubscriptionError
from plansmith.domain.subscriptions.usage_lines import charges_at_end


def usage_cut(
    sub: Subscription, moved: Subscription, book: PriceBook, today: date, now: datetime
) -> Subscription:
    """``moved`` (``sub`` after its cycle changed today) with the cut period's usage window
    recorded. A change on the period's first day cuts nothing; a stopped window of the same
    period not billed yet makes one line with the cut (as a second stop does)."""
    pending = sub.stop_usage
    if pending is not None and not _same_period(sub, pending):
        # one window waits per subscription: the earlier one must be billed first
        raise SubscriptionError(
            "the usage of an earlier stopped period is not billed yet; change the cycle once "
            "its grace window has passed and the billing run has billed it",
            code=ec.SUBSCRIPTION_CONFLICT,
        )
    begun = bool(charges_at_end(sub, book)) and sub.usage_start < today
    on, closes = today - timedelta(days=1), now
    if pending is not None and pending.on >= today:
        # paused and resumed today: today stays in that window and the new period's usage
        # starts tomorrow, as after a same-day resume
        on, closes = pending.on, max(now, pending.closes_from)
        moved = replace(moved, usage_from=sub.usage_from)
    else:
        moved = replace(moved, usage_from=None)  # the new period's window starts with it
    if not begun and pending is None:
        return moved
    start = sub.usage_start if begun else today
    if pending is not None:
        start = min(start, pending.start)
    window = StopUsage(
        start,
        on,
        closes,
        period_start=sub.period_start,
        period_end=sub.period_end,
        version_id=sub.terms.version_id,
    )
    return replace(moved, stop_usage=window)


def _same_period(sub: Subscription, pending: StopUsage) -> bool:
    return not pending.cut and sub.period_start <= pending.on < sub.period_end
