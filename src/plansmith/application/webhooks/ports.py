"""What webhooks store and send through: endpoints, deliveries and attempts; the due-delivery
queue of the workers; the HTTP sender and the name resolver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from plansmith.domain.webhooks.events import WebhookEndpointDisabled


@dataclass(frozen=True)
class Endpoint:
    id: str
    organization_id: str
    url: str
    description: str
    event_types: tuple[str, ...] | None  # None: every type
    enabled: bool
    disabled_reason: str | None
    secret: str
    previous_secret: str | None  # still signing until previous_secret_until
    previous_secret_until: datetime | None
    failing_since: datetime | None
    failed_events: int
    created_at: datetime
    updated_at: datetime

    def wants(self, event_type: str) -> bool:
        return self.event_types is None or event_type in self.event_types

    def secrets(self, now: datetime) -> tuple[str, ...]:
        """The secrets that sign now: the current one, and the previous one in its overlap."""
        until = self.previous_secret_until
        if self.previous_secret and until is not None and now < until:
            return (self.secret, self.previous_secret)
        return (self.secret,)


@dataclass(frozen=True)
class Attempt:
    delivery_id: str
    number: int
    at: datetime
    status: int | None  # the answer's code; None: no answer (refused, timeout, error)
    error: str | None
    duration_ms: int
    response_head: str


@dataclass(frozen=True)
class Delivery:
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    event_seq: int
    state: str  # pending, succeeded, failed
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class NewDelivery:
    """One event for one endpoint, its body made once for every attempt."""

    endpoint_id: str
    event_id: str
    organization_id: str
    event_type: str
    event_seq: int
    body: str


class WebhookRepository(Protocol):
    """Endpoints and their deliveries, in the unit of work's transaction."""

    def add(self, endpoint: Endpoint) -> None: ...
    def get(self, organization_id: str, endpoint_id: str) -> Endpoint | None: ...
    def get_for_update(self, organization_id: str, endpoint_id: str) -> Endpoint | None: ...
    def of_organization(self, organization_id: str) -> Sequence[Endpoint]: ...
    def save(self, endpoint: Endpoint) -> None: ...
    def delete(self, organization_id: str, endpoint_id: str) -> None:
        """The endpoint with its deliveries and their attempts."""
        ...

    def enabled_for(self, organization_id: str, event_type: str) -> Sequence[Endpoint]: ...
    def add_deliveries(self, rows: Sequence[NewDelivery], now: datetime) -> int:
        """Insert those not there yet (by endpoint and event); how many were new."""
        ...

    def deliveries(self, endpoint_id: str, *, before: int | None, limit: int) -> Sequence[Delivery]:
        """Newest event first (by seq), strictly before ``before`` when given."""
        ...

    def attempts(self, delivery_ids: Sequence[str]) -> dict[str, list[Attempt]]: ...
    def delivery(self, endpoint_id: str, event_id: str) -> Delivery | None: ...
    def reschedule(self, delivery_ids: Sequence[str], at: datetime) -> None:
        """Pending again from ``at``, with a new round of retries."""
        ...

    def events_since(
        self, organization_id: str, since: datetime, limit: int
    ) -> Sequence[tuple[str, int, str, datetime, dict[str, object]]]:
        """Outbox events created at or after ``since``: (id, seq, type, created_at, data)."""
        ...


@dataclass(frozen=True)
class Due:
    """A delivery a worker holds the lease of: what it sends, to where, signed with what."""

    delivery_id: str
    endpoint_id: str
    event_id: str  # the webhook-id: the same on every attempt
    url: str
    body: str
    secrets: tuple[str, ...]
    attempts: int  # made before this one
    round_attempts: int  # made since the delivery was (re)scheduled


@dataclass(frozen=True)
class Answer:
    """How one attempt went."""

    status: int | None
    error: str | None
    duration_ms: int
    head: str

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class Outcome:
    due: Due
    answer: Answer
    at: datetime
    next_attempt_at: datetime | None  # None with a failure: no attempt left


class DeliveryStore(Protocol):
    """The workers' queue; each call is one short transaction."""

    def take_due(self, holder: str, now: datetime, until: datetime, limit: int) -> Sequence[Due]:
        """Lease up to ``limit`` due deliveries of enabled endpoints, soonest first, none
        another worker holds (SKIP LOCKED on PostgreSQL)."""
        ...

    def record(
        self,
        holder: str,
        outcomes: Sequence[Outcome],
        now: datetime,
        disable_after_events: int,
        failing_since_before: datetime,
    ) -> Sequence[WebhookEndpointDisabled]:
        """Log every attempt; move each delivery on (if this holder still leases it); count
        the endpoints' failures; disable those past the limits, publishing their events on
        the outbox in the same transaction. The endpoints disabled."""
        ...


class Sender(Protocol):
    def send(self, batch: Sequence[Due]) -> list[Answer]:
        """POST each (signed, guarded), in order of ``batch``; never raises for one."""
        ...

    def close(self) -> None:
        """Let its connections and threads go."""
        ...


class Resolver(Protocol):
    def __call__(self, host: str, port: int) -> list[str]:
        """The addresses ``host`` resolves to; OSError if none."""
        ...
