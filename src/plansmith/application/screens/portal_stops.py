"""The portal's confirmation step for a plan stopped now or brought back: "Cancel now" credits
the unused days, "Reactivate" (or resume) charges the rest of the period. The first request
shows what it does (its amount, the day and the next invoice) and saves nothing; the second,
carrying the fingerprint of that preview, does it in one transaction, only when the figures
are still those shown (otherwise the new preview, marked ``moved``).

A cancel at term end and keeping a plan set to cancel move no money and can be undone: they
stay one click (``needs_confirmation``). Whether keeping only withdraws the cancellation is
decided inside the unit of work, on the plan brought up to date: if its term ended before the
billing run caught up, it is canceled, and bringing it back charges, so ``keep`` shows that
preview instead of doing it.
"""

from __future__ import annotations

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
    Result,
    SubscriptionView,
    run,
    view_of,
)
from plansmith.application.subscriptions.queries import FamilyPlans
from plansmith.domain.accounts.account import Account
from plansmith.domain.kernel.periods import local_date, zone
from plansmith.domain.subscriptions.events import CancelWithdrawn
from plansmith.domain.subscriptions.subscription import Status, Subscription


class Stop(StrEnum):
    CANCEL_NOW = "cancel_now"
    REACTIVATE = "reactivate"  # a canceled plan back, or a paused one resumed


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


def _withdrawn(result: Result) -> bool:
    """Reactivate only took back a cancellation at term end: nothing charged, nothing restarted."""
    return bool(result.events) and isinstance(result.events[-1], CancelWithdrawn)


def _subject(plans: FamilyPlans, stop: Stop) -> Subscription:
    if stop is Stop.CANCEL_NOW:
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
) -> StopReview:
    """The preview of ``stop`` (``expect`` None), or, given the fingerprint of the preview
    reviewed, the action done when its figures still match. One unit of work; a refusal of the
    rules (e.g. already canceled) is raised as the use case raises it. ``keep`` (reactivate
    only): done at once when it only withdraws a cancellation at term end, else the preview."""
    with uow:
        read = _read(uow, wall, organization_id, account_id)
        plans = _family_of(read.families(), family_code)
        sub = _subject(plans, stop)
        action = cancel_action("now") if stop is Stop.CANCEL_NOW else reactivate_action()
        result = run(
            uow,
            sub,
            read.book,
            read.moves,
            action,
            CUSTOMER,
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
