"""What the subscription use cases need from outside: subscriptions, their log, events, items."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from plansmith.domain.subscriptions.events import SubscriptionEvent
from plansmith.domain.subscriptions.held_log import Span
from plansmith.domain.subscriptions.subscription import BillableItem, Status, Subscription


@dataclass(frozen=True)
class StoredItem:
    """A pending billable item as saved: which subscription and event it came from."""

    id: str
    subscription_id: str
    event_id: str
    item: BillableItem
    invoice_id: str | None
    created_at: datetime


@dataclass(frozen=True)
class RecordedEvent:
    """A subscription event as its history keeps it (the words its API answers show)."""

    kind: str
    at: datetime
    effective: date
    from_status: Status | None
    to_status: Status
    details: dict[str, Any]


@dataclass(frozen=True)
class StoredEvent:
    id: str
    subscription_id: str
    seq: int
    actor: str
    event: RecordedEvent


@dataclass(frozen=True)
class StoredNotice:
    """What a subscriber must be told before a plan-version move takes effect."""

    id: str
    subscription_id: str
    account_id: str
    move_id: str
    effective_on: str  # "now" or an ISO date: the subscriber's renewal
    text: str
    created_at: datetime


class SubscriptionRepository(Protocol):
    def add(self, subscription: Subscription) -> None:
        """Insert; Conflict(already_subscribed) if the account holds a plan of the family."""
        ...

    def update(self, subscription: Subscription, expected_revision: int) -> None:
        """Save with revision + 1, only if the stored revision is still the expected one;
        Conflict(concurrent_change) otherwise (another request or worker got there first)."""
        ...

    def get(self, organization_id: str, subscription_id: str) -> Subscription | None: ...
    def for_account(self, organization_id: str, account_id: str) -> Sequence[Subscription]:
        """Oldest first."""
        ...

    def for_accounts(
        self, organization_id: str, account_ids: Collection[str]
    ) -> dict[str, Sequence[Subscription]]:
        """``for_account`` of each account (every one given a key), in one read."""
        ...

    def list(
        self,
        organization_id: str,
        *,
        account_id: str | None,
        status: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> Sequence[Subscription]:
        """Ordered by (created_at, id), strictly after the given position."""
        ...

    def holding(self, organization_id: str, version_ids: Sequence[str]) -> Sequence[Subscription]:
        """Subscriptions that hold a place (trialing, active, past_due, paused) on the versions."""
        ...

    def using_add_on(self, organization_id: str, code: str) -> Sequence[Subscription]:
        """Subscriptions the renewal step will still price with the add-on: holding a place or
        with days to bill, with it in their terms or in their scheduled change."""
        ...

    def due(
        self,
        organization_id: str | None,
        as_of: datetime,
        limit: int,
        after: tuple[str, datetime, str] | None = None,
    ) -> Sequence[tuple[str, str, datetime]]:
        """(organization id, subscription id, due at) of subscriptions whose next period end
        is at or before ``as_of``, by (organization, due at, id) and strictly after ``after``;
        of one organization, or of all live ones with None."""
        ...

    def counts_by_version(self, organization_id: str) -> dict[str, int]:
        """Subscriptions holding a place, per plan version id."""
        ...

    def log(self, subscription_id: str) -> Sequence[Span]: ...
    def logs(self, subscription_ids: Sequence[str]) -> dict[str, Sequence[Span]]:
        """The log of each subscription (by id; every one given is a key), in one read."""
        ...

    def save_log(
        self, subscription: Subscription, write: Sequence[Span], delete_seqs: Sequence[int]
    ) -> None: ...
    def history(self, organization_id: str, account_id: str) -> Sequence[tuple[str, Span]]:
        """(family id, span) for every span of the account's subscriptions, oldest first."""
        ...

    def add_events(
        self,
        subscription: Subscription,
        events: Sequence[SubscriptionEvent],
        actor: str,
        at: datetime,
    ) -> Sequence[str]:
        """Append, returning the new event ids in order."""
        ...

    def events(self, subscription_id: str) -> Sequence[StoredEvent]: ...
    def add_items(self, subscription: Subscription, items: Sequence[StoredItem]) -> None: ...
    def items(self, subscription_id: str, *, pending_only: bool) -> Sequence[StoredItem]: ...
    def add_notices(self, notices: Sequence[StoredNotice]) -> None: ...
    def notices(self, subscription_id: str) -> Sequence[StoredNotice]: ...
    def next_due_at(
        self, organization_id: str, after: datetime, until: datetime
    ) -> datetime | None:
        """The earliest instant in (after, until] at which one of the organization's
        subscriptions falls due, if any."""
        ...

    def next_stop_usage_at(
        self, organization_id: str, after: datetime, until: datetime, grace: timedelta
    ) -> datetime | None:
        """The earliest instant in (after, until] at which a stopped period's usage of the
        organization closes (its stop + ``grace``, the window for late events; ADR 0034)."""
        ...
