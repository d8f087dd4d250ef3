"""The outbox: events written in the transaction of the change they record, then handed to
subscribers by a relay, in order per object, at least once.

A subscriber's ``name`` is its identity in the delivery records: renaming one makes the relay
hand it every undelivered event again under the new name (already-delivered ones stay done).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from plansmith.domain.kernel.events import DomainEvent


@dataclass(frozen=True)
class PublishedEvent:
    """An event as stored in the outbox: its id, its place in the order, and its data."""

    id: str
    seq: int  # the order events were written in; one object's events are in this order
    organization_id: str | None
    type: str
    object_type: str
    object_id: str
    aggregate_id: str  # events of one aggregate are delivered in ``seq`` order
    created_at: datetime
    event: DomainEvent
    delivered_at: datetime | None
    attempts: int = 0


class Subscriber(Protocol):
    """Something that acts on events (webhooks, e-mail, payment collection...).

    ``handle`` may be called more than once for one event (a relay that died after handing it
    over, before recording it): receivers that must act once deduplicate by ``event.id``.
    An exception leaves the event (and later events of its aggregate) for the next pass.
    """

    @property
    def name(self) -> str: ...

    def handle(self, event: PublishedEvent) -> None: ...


@runtime_checkable
class BatchSubscriber(Subscriber, Protocol):
    """A subscriber that takes a pass's events at once, all or none (one transaction), and
    makes nothing twice when handed an event again (a unique key, not a memory of what it
    did): the relay hands it a batch and records the batch once, so a relay that dies in
    between hands the whole batch again. ``handle`` stays, for when a batch is refused: the
    events are then handed one by one, so one bad event holds back only its own object."""

    def handle_batch(self, events: Sequence[PublishedEvent]) -> None: ...


class OutboxRepository(Protocol):
    def list(
        self,
        organization_id: str,
        *,
        type: str | None,
        object_id: str | None,
        before: int | None,
        limit: int,
    ) -> Sequence[PublishedEvent]:
        """Newest first (by seq), strictly before ``before`` when given."""
        ...

    def get(self, organization_id: str, event_id: str) -> PublishedEvent | None: ...


class RelayStore(Protocol):
    """What the relay needs; each call is its own short transaction."""

    def take_lease(self, relay: str, holder: str, now: datetime, until: datetime) -> bool:
        """Hold ``relay`` until ``until`` if it is free, expired (before ``now``) or ours."""
        ...

    def release(self, relay: str, holder: str, now: datetime) -> None:
        """Let another relay take over at once (a relay stopping cleanly)."""
        ...

    def settle_all(self, at: datetime) -> int:
        """Mark every undelivered event delivered at ``at``, in one statement, reading none:
        what a relay with no subscriber does. How many it marked."""
        ...

    def undelivered(self, limit: int) -> Sequence[PublishedEvent]:
        """The oldest undelivered events, in seq order."""
        ...

    def delivered_to(self, event_ids: Sequence[str]) -> set[tuple[str, str]]:
        """(subscriber, event id) pairs already recorded among these events."""
        ...

    def record(
        self,
        done: Sequence[tuple[str, str]],
        finished: Sequence[str],
        failed: Sequence[tuple[str, str]],
        at: datetime,
    ) -> None:
        """In one transaction: record deliveries (subscriber, event id), ignoring any already
        recorded; mark ``finished`` events delivered; count a failed attempt, with its error,
        on each (event id, error) of ``failed``."""
        ...

    def delivery_log(
        self, organization_id: str | None, limit: int
    ) -> Sequence[tuple[str, str, str, datetime]]:
        """(subscriber, event id, event type, delivered at), newest first."""
        ...
