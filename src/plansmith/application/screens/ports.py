"""What the console's overview screens read: every span of held terms of an organization (for
MRR), the add-on prices its billed items recorded, and its subscriptions filtered and paged
with their customers' names, each in one statement whatever the number of subscriptions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from plansmith.domain.subscriptions.revenue import HeldSpan, RecordedPrice
from plansmith.domain.subscriptions.subscription import Subscription


@dataclass(frozen=True)
class SubscriptionFilter:
    statuses: frozenset[str] = frozenset()  # empty: every status
    family_id: str | None = None
    plan_id: str | None = None
    search: str | None = None  # a customer's name, email, external id or id


@dataclass(frozen=True)
class ListedSubscription:
    subscription: Subscription
    account_name: str
    account_email: str


class SubscriptionReports(Protocol):
    def held_spans(self, organization_id: str, since: date) -> Sequence[HeldSpan]:
        """Every span of the organization's subscriptions still in service on ``since`` or
        begun after it, each with its subscription's time zone."""
        ...

    def add_on_prices(
        self,
        organization_id: str,
        *,
        since: date | None = None,
        subscription_ids: Collection[str] | None = None,
    ) -> Sequence[RecordedPrice]:
        """The add-on prices billed items recorded (full periods, charges, accruals; never
        credits) for service after ``since`` (None: any), of the given subscriptions (None:
        every one), in billed order within each period start."""
        ...

    def subscriptions(
        self,
        organization_id: str,
        filters: SubscriptionFilter,
        *,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[ListedSubscription]:
        """The subscriptions ``filters`` selects, in (registered, id) order, after ``after``."""
        ...
