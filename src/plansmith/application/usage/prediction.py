"""Invoice prediction: for each of an account's subscriptions, what its current period is worth
so far and what it will be worth at its end (domain/subscriptions/prediction.py says how),
summed per currency; and the effect of a plan change on that estimate before it is confirmed.

Read in one unit of work and a fixed number of statements, from the daily aggregates only
(never the events): the account with its subscriptions, logs, paid extra packs and the
catalog revision in one statement (the price book from the process's copy at that revision),
the tax rates in one, and one read of the aggregates per distinct period (one, unless the
account's subscriptions run on different anchors); nothing of usage is read when no
subscription's plan charges a meter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from plansmith.application.billing.ports import AccountHoldings
from plansmith.application.invoicing.drafts import tax_rate_of
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.subscriptions.actions import ChangeInput, change_action
from plansmith.application.subscriptions.lifecycle import OPERATOR, Result, price_book, run
from plansmith.application.subscriptions.lifecycle import renewal_moves as moves_of
from plansmith.application.usage.ports import MeterTotals
from plansmith.domain.accounts.account import Account
from plansmith.domain.invoicing.invoice import TaxRate
from plansmith.domain.kernel.periods import Period
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.prediction import (
    METHOD,
    AccountTotal,
    SubscriptionPrediction,
    account_totals,
    predict,
    prediction_period,
)
from plansmith.domain.subscriptions.price_book import PriceBook
from plansmith.domain.subscriptions.subscription import Subscription
from plansmith.domain.subscriptions.usage_lines import charges_at_end
from plansmith.domain.usage.measures import Measured
from plansmith.domain.usage.meters import Aggregation

__all__ = [
    "AccountPrediction",
    "ChangeEffect",
    "Packs",
    "Usage",
    "account_prediction",
    "change_effect",
    "paid_packs",
    "prediction_of",
]


# Extra allowance units per meter for a subscription's period (extra packs paid in it).
Packs = Callable[[Subscription, Period], Mapping[str, int]]


def paid_packs(held: AccountHoldings) -> Packs:
    """The packs paid for the account's meters in a period, as the holdings read them (per
    account, meter and period, as the allowance standing and the bill count them)."""

    def packs(_sub: Subscription, period: Period) -> Mapping[str, int]:
        return {
            meter: sum(units)
            for (start, meter), units in held.packs.items()
            if start == period.start
        }

    return packs


@dataclass(frozen=True)
class AccountPrediction:
    """What the portal's prediction panel and the API show for one account."""

    account_id: str
    time_zone: str
    at: datetime
    subscriptions: tuple[SubscriptionPrediction, ...]  # oldest subscription first
    totals: tuple[AccountTotal, ...]  # per currency
    method: str = METHOD


@dataclass(frozen=True)
class ChangeEffect:
    """A change previewed, not saved, with the period's estimate before and after it."""

    result: Result
    before: SubscriptionPrediction | None
    after: SubscriptionPrediction | None
    method: str = METHOD

    @property
    def estimate_change(self) -> int:
        """How much the estimate at the period's end moves (after - before)."""
        before = self.before.estimate if self.before is not None else 0
        after = self.after.estimate if self.after is not None else 0
        return after - before


class Usage:
    """The account's meters over each period asked for, read once per period (shared by the
    prediction and the allowance bars of one page)."""

    def __init__(self, uow: UnitOfWork, organization_id: str, account_id: str) -> None:
        self._uow, self._org, self._account = uow, organization_id, account_id
        self._read: dict[tuple[date, date], Sequence[MeterTotals]] = {}

    def over(self, period: Period) -> tuple[dict[str, Measured], dict[str, Aggregation]]:
        key = (period.start, period.end)
        if key not in self._read:
            self._read[key] = self._uow.usage.totals(
                self._org, self._account, period.start, period.end
            )
        found = self._read[key]
        return (
            {t.meter.code: t.measured() for t in found},
            {t.meter.code: t.meter.aggregation for t in found},
        )


def _predict(
    sub: Subscription,
    log: Sequence[Span],
    book: PriceBook,
    now: datetime,
    usage: Usage,
    tax_rate: TaxRate | None,
    packs: Packs,
) -> SubscriptionPrediction | None:
    period = prediction_period(sub, now, log)
    if period is None:
        return None
    measured: Mapping[str, Measured] = {}
    kinds: Mapping[str, Aggregation] = {}
    if charges_at_end(sub, book):
        measured, kinds = usage.over(period)
    return predict(
        sub, log, book, now, measured, kinds, packs=packs(sub, period), tax_rate=tax_rate
    )


def _all(
    found: Iterable[SubscriptionPrediction | None],
) -> tuple[SubscriptionPrediction, ...]:
    return tuple(p for p in found if p is not None)


def account_prediction(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    account_id: str,
    packs: Packs | None = None,
) -> AccountPrediction:
    """Each subscription's period so far and at its end, now; NotFound naming account_id.
    ``packs``: the extra units per meter and period (default: the packs paid, as read)."""
    now = clock.now()
    with uow:
        held = uow.upcoming_reads.account_holdings(organization_id, account_id)
        if held is None:
            raise NotFound(f"no account {account_id!r}", field="account_id")
        book = uow.price_books.at_revision(organization_id, held.catalog_revision)
        usage = Usage(uow, organization_id, account_id)
        rate = tax_rate_of(held.tax_rates, held.own_tax_rate_id, held.address)
        return prediction_of(
            held.account, held.subscriptions, rate, book, now, usage, packs or paid_packs(held)
        )


def prediction_of(
    account: Account,
    held: Sequence[tuple[Subscription, Sequence[Span]]],
    rate: TaxRate | None,
    book: PriceBook,
    now: datetime,
    usage: Usage,
    packs: Packs,
) -> AccountPrediction:
    """Inside an open unit of work: the prediction from the account's subscriptions with their
    logs read already (a page that shows more than the prediction reads them once); reads
    only the aggregates (and what ``packs`` reads)."""
    found = _all(_predict(sub, log, book, now, usage, rate, packs) for sub, log in held)
    return AccountPrediction(account.id, account.time_zone, now, found, account_totals(found))


def change_effect(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    subscription_id: str,
    data: ChangeInput,
    *,
    actor: str = OPERATOR,
    packs: Packs | None = None,
) -> ChangeEffect:
    """Preview a change (the very computation the change makes, saved nowhere) with its
    subscription's period estimate before and after it."""
    action = change_action(data, actor)
    now = clock.now()
    with uow:
        book = price_book(uow, organization_id)
        moves = moves_of(uow, organization_id)
        sub = uow.subscriptions.get(organization_id, subscription_id)
        if sub is None:
            raise NotFound(f"no subscription {subscription_id!r}", field="subscription_id")
        held = uow.upcoming_reads.account_holdings(organization_id, sub.account_id)
        if held is None:  # its account went meanwhile
            raise NotFound(f"no subscription {subscription_id!r}", field="subscription_id")
        log = next((log for s, log in held.subscriptions if s.id == sub.id), ())
        packs = packs or paid_packs(held)
        result = run(uow, sub, book, moves, action, actor, now, dry_run=True, log=log)
        rate = tax_rate_of(held.tax_rates, held.own_tax_rate_id, held.address)
        usage = Usage(uow, organization_id, sub.account_id)
        before = _predict(sub, log, book, now, usage, rate, packs)
        after_sub = result.view.subscription
        after = _predict(after_sub, result.log, book, now, usage, rate, packs)
    return ChangeEffect(result, before, after)
