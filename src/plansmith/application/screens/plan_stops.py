"""The confirmation step for a plan stopped or brought back, one home for the portal and the
console: "Cancel now" (and the console's "Pause") credits the unused days, "Reactivate" (or
resume) charges the rest of the period; the console also previews a cancel at term end. The
first request shows what it does (its amount, the day and the next invoice) and saves nothing;
the second, carrying the fingerprint of that preview, does it in one transaction, only when the
figures are still those shown (otherwise the new preview, marked ``moved``).

On the portal, a cancel at term end and keeping a plan set to cancel move no money and can be
undone: they stay one click (``needs_confirmation``). Whether keeping only withdraws the
cancellation is decided inside the unit of work, on the plan brought up to date: if its term
ended before the billing run caught up, it is canceled, and bringing it back charges, so
``keep`` shows that preview instead of doing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.screens.invoices import AccountInvoices
from plansmith.application.screens.plan_choices import fingerprint
from plansmith.application.screens.portal_plans import _family_of, _read, next_invoice_after
from plansmith.application.subscriptions.actions import cancel_action, reactivate_action
from plansmith.application.subscriptions.lifecycle import (
    CUSTOMER,
    Action,
    Result,
    SubscriptionView,
    run,
    view_of,
)
from plansmith.application.subscriptions.queries import FamilyPlans
from plansmith.domain.accounts.account import Account
from plansmith.domain.kernel.errors import InvalidValue
from plansmith.domain.kernel.periods import local_date, zone
from plansmith.domain.subscriptions import stops
from plansmith.domain.subscriptions.events import CancelWithdrawn
from plansmith.domain.subscriptions.subscription import Status, Subscription


class Stop(StrEnum):
    CANCEL_NOW = "cancel_now"
    CANCEL_AT_TERM_END = "cancel_at_term_end"  # the console's preview of it
    PAUSE = "pause"  # the console's
    RESUME = "resume"  # the console's; the portal resumes through REACTIVATE
    REACTIVATE = "reactivate"  # a canceled plan back, or a paused one resumed

    @classmethod
    def named(cls, action: str) -> Stop:
        """The stop a form names; a clear error naming the field otherwise."""
        try:
            return cls(action)
        except ValueError:
            names = ", ".join(cls)
            message = f"action is one of {names}, not {action!r}"
            raise InvalidValue(message, field="action") from None


ACTIONS: Mapping[Stop, Action] = {
    Stop.CANCEL_NOW: cancel_action("now"),
    Stop.CANCEL_AT_TERM_END: cancel_action("term_end"),
    Stop.PAUSE: lambda sub, log, book, today, now: stops.pause(sub, book, log, today, now),
    Stop.RESUME: lambda sub, log, book, today, now: stops.resume(sub, book, today, now),
    Stop.REACTIVATE: reactivate_action(),
}


def needs_confirmation(sub: Subscription, stop: Stop) -> bool:
    """Whether the action moves money or cannot be undone: all but keeping a plan set to
    cancel at term end (reactivate then only withdraws the cancellation)."""
    return stop is Stop.CANCEL_NOW or not sub.cancel_at_period_end


@dataclass(frozen=True)
class StopReview:
    account: Account
    plans: FamilyPlans
    stop: Stop
    before: SubscriptionView  # the plan as it is now
    result: Result  # what the action does (a preview, or done)
    today: date  # the account's local date: the day it takes effect
    next_invoice: AccountInvoices | None  # the next invoice after it (None once done)
    moved: bool = False  # confirmed figures that are no longer those reviewed
    done: bool = False

    @property
    def expect(self) -> str:
        return fingerprint(self.result)

    @property
    def amount(self) -> int:
        """What it adds to the account's invoices now: negative, a credit."""
        return sum(item.amount for item in self.result.items)

    @property
    def pay_per_day(self) -> bool:
        return self.before.subscription.pay_per_day

    @property
    def effective(self) -> date | None:
        """The day the action takes effect (the first day without the plan for a cancel at
        term end: pages show the day before as the last day)."""
        return self.result.events[-1].effective if self.result.events else None


def _withdrawn(result: Result) -> bool:
    """Reactivate only took back a cancellation at term end: nothing charged, nothing restarted."""
    return bool(result.events) and isinstance(result.events[-1], CancelWithdrawn)


def _subject(plans: FamilyPlans, stop: Stop) -> Subscription:
    if stop in (Stop.CANCEL_NOW, Stop.CANCEL_AT_TERM_END, Stop.PAUSE, Stop.RESUME):
        if plans.current is None:
            raise NotFound("there is no plan in this family to change", field="family")
        return plans.current.subscription
    if plans.current is not None:
        return plans.current.subscription
    if plans.latest is None or plans.latest.subscription.status is not Status.CANCELED:
        raise NotFound("there is no plan in this family to change", field="family")
    return plans.latest.subscription


def review_stop(
    uow: UnitOfWork,
    wall: Clock,
    organization_id: str,
    account_id: str,
    family_code: str,
    stop: Stop,
    grace: timedelta,
    *,
    expect: str | None = None,
    keep: bool = False,
    actor: str = CUSTOMER,
) -> StopReview:
    """The preview of ``stop`` (``expect`` None), or, given the fingerprint of the preview
    reviewed, the action done when its figures still match. One unit of work; a refusal of the
    rules (e.g. already canceled) is raised as the use case raises it. ``keep`` (reactivate
    only): done at once when it only withdraws a cancellation at term end, else the preview.
    ``actor``: who acts (the console passes OPERATOR)."""
    with uow:
        read = _read(uow, wall, organization_id, account_id)
        plans = _family_of(read.families(), family_code)
        sub = _subject(plans, stop)
        result = run(
            uow,
            sub,
            read.book,
            read.moves,
            ACTIONS[stop],
            actor,
            read.now,
            dry_run=expect is None and not keep,
            log=read.logs[sub.id],
            confirm=lambda made: _withdrawn(made) if keep else fingerprint(made) == expect,
        )
        today = local_date(read.now, zone(read.account.time_zone))
        before = view_of(sub, read.book)
        if result.applied:
            uow.commit()
            return StopReview(read.account, plans, stop, before, result, today, None, done=True)
        nxt = next_invoice_after(uow, read, result, grace)
        moved = expect is not None and not keep
        return StopReview(read.account, plans, stop, before, result, today, nxt, moved=moved)
