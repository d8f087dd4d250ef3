"""Webhook endpoints of an organization: create (the secret shown once), list, read, change,
delete, rotate the secret (the old one keeps signing through an overlap), and replay."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from plansmith.application.events.ports import PublishedEvent
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.pagination import (
    check_limit,
    decode_seq_cursor,
    encode_seq_cursor,
)
from plansmith.application.kernel.ports import Clock, Page, UnitOfWork
from plansmith.application.webhooks.guard import checked_target
from plansmith.application.webhooks.ports import Attempt, Delivery, Endpoint, NewDelivery, Resolver
from plansmith.domain.events.registry import EVENT_TYPES
from plansmith.domain.kernel.errors import Checks, InvalidValue
from plansmith.domain.kernel.records import changed
from plansmith.domain.webhooks.endpoints import (
    SECRET_BYTES,
    SECRET_PREFIX,
    check_description,
    check_event_types,
)

DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=7)
MAX_REPLAY = 10_000  # events one "replay since" schedules at most


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


@dataclass(frozen=True)
class UrlPolicy:
    """Whether private addresses are allowed (development), and how names resolve."""

    allow_private: bool
    resolve: Resolver

    def check(self, url: str) -> str:
        checked_target(url, allow_private=self.allow_private, resolve=self.resolve)
        return url


def create_endpoint(
    uow: UnitOfWork,
    clock: Clock,
    policy: UrlPolicy,
    organization_id: str,
    *,
    url: str,
    event_types: Sequence[str] | None = None,
    description: str = "",
    enabled: bool = True,
) -> Endpoint:
    checks = Checks()
    url = checks.run(lambda: policy.check(url)) or url
    types = checks.run(lambda: check_event_types(event_types, EVENT_TYPES))
    text = checks.run(lambda: check_description(description)) or ""
    checks.raise_if_any()
    now = clock.now()
    endpoint = Endpoint(
        id=new_id("we"),
        organization_id=organization_id,
        url=url,
        description=text,
        event_types=types,
        enabled=enabled,
        disabled_reason=None,
        secret=new_secret(),
        previous_secret=None,
        previous_secret_until=None,
        failing_since=None,
        failed_events=0,
        created_at=now,
        updated_at=now,
    )
    with uow:
        uow.webhooks.add(endpoint)
        uow.commit()
    return endpoint


def list_endpoints(uow: UnitOfWork, organization_id: str) -> Sequence[Endpoint]:
    with uow:
        return list(uow.webhooks.of_organization(organization_id))


def get_endpoint(uow: UnitOfWork, organization_id: str, endpoint_id: str) -> Endpoint:
    with uow:
        found = uow.webhooks.get(organization_id, endpoint_id)
    if found is None:
        raise NotFound(f"no webhook endpoint {endpoint_id!r}", field="endpoint_id")
    return found


def update_endpoint(
    uow: UnitOfWork,
    clock: Clock,
    policy: UrlPolicy,
    organization_id: str,
    endpoint_id: str,
    changes: dict[str, Any],
) -> Endpoint:
    """Change the fields named (url, event_types, description, enabled); enabling an endpoint
    clears its failure count, so it gets a fresh run."""
    checks = Checks()
    values: dict[str, Any] = {}
    if "url" in changes:
        values["url"] = checks.run(lambda: policy.check(changes["url"]))
    if "event_types" in changes:
        values["event_types"] = checks.run(
            lambda: check_event_types(changes["event_types"], EVENT_TYPES)
        )
    if "description" in changes:
        values["description"] = checks.run(lambda: check_description(changes["description"]))
    if "enabled" in changes:
        if not isinstance(changes["enabled"], bool):
            checks.add(InvalidValue("enabled is true or false", field="enabled"))
        values["enabled"] = changes["enabled"]
    checks.raise_if_any()
    with uow:
        found = uow.webhooks.get_for_update(organization_id, endpoint_id)
        if found is None:
            raise NotFound(f"no webhook endpoint {endpoint_id!r}", field="endpoint_id")
        if values.get("enabled") and not found.enabled:
            values.update(disabled_reason=None, failing_since=None, failed_events=0)
        elif values.get("enabled") is False and found.enabled:
            values["disabled_reason"] = "disabled by the operator"
        updated = changed(found, **values, updated_at=clock.now())
        uow.webhooks.save(updated)
        uow.commit()
    return updated


def delete_endpoint(uow: UnitOfWork, organization_id: str, endpoint_id: str) -> None:
    with uow:
        if uow.webhooks.get_for_update(organization_id, endpoint_id) is None:
            raise NotFound(f"no webhook endpoint {endpoint_id!r}", field="endpoint_id")
        uow.webhooks.delete(organization_id, endpoint_id)
        uow.commit()


def rotate_secret(
    uow: UnitOfWork,
    clock: Clock,
    organization_id: str,
    endpoint_id: str,
    overlap: timedelta = DEFAULT_OVERLAP,
) -> Endpoint:
    """A new secret; the one it replaces keeps signing too for ``overlap`` (both signatures
    in ``webhook-signature``), so receivers can switch without missing one."""
    if not timedelta(0) <= overlap <= MAX_OVERLAP:
        raise InvalidValue("overlap_seconds is 0 to 604800 (7 days)", field="overlap_seconds")
    with uow:
        found = uow.webhooks.get_for_update(organization_id, endpoint_id)
        if found is None:
            raise NotFound(f"no webhook endpoint {endpoint_id!r}", field="endpoint_id")
        now = clock.now()
        rotated = changed(
            found,
            secret=new_secret(),
            previous_secret=found.secret if overlap else None,
            previous_secret_until=now + overlap if overlap else None,
            updated_at=now,
        )
        uow.webhooks.save(rotated)
        uow.commit()
    return rotated


@dataclass(frozen=True)
class DeliveryWithAttempts:
    delivery: Delivery
    attempts: Sequence[Attempt]


def list_deliveries(
    uow: UnitOfWork,
    organization_id: str,
    endpoint_id: str,
    *,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[DeliveryWithAttempts]:
    """The endpoint's deliveries, newest event first, each with its attempts oldest first."""
    before = decode_seq_cursor(cursor)
    limit = check_limit(limit)
    with uow:
        if uow.webhooks.get(organization_id, endpoint_id) is None:
            raise NotFound(f"no webhook endpoint {endpoint_id!r}", field="endpoint_id")
        found = list(uow.webhooks.deliveries(endpoint_id, before=before, limit=limit + 1))
        items = found[:limit]
        attempts = uow.webhooks.attempts([d.id for d in items])
    next_cursor = encode_seq_cursor(items[-1].event_seq) if len(found) > limit else None
    return Page([DeliveryWithAttempts(d, attempts.get(d.id, [])) for d in items], next_cursor)


def replay_event(
    uow: UnitOfWork, clock: Clock, organization_id: str, endpoint_id: str, event_id: str
) -> Delivery:
    """Send the event's delivery again now, with a new round of retries (the same
    webhook-id: receivers that had it drop it)."""
    with uow:
        if uow.webhooks.get_for_update(organization_id, endpoint_id) is None:
            raise NotFound(f"no webhook endpoint {endpoint_id!r}", field="endpoint_id")
        found = uow.webhooks.delivery(endpoint_id, event_id)
        if found is None:
            event = uow.outbox.get(organization_id, event_id)
            if event is None:
                raise NotFound(f"no event {event_id!r}", field="event_id")
            uow.webhooks.add_deliveries([delivery_of(endpoint_id, event)], clock.now())
        else:
            uow.webhooks.reschedule([found.id], clock.now())
        again = uow.webhooks.delivery(endpoint_id, event_id)
        uow.commit()
    assert again is not None
    return again


def replay_since(
    uow: UnitOfWork, clock: Clock, organization_id: str, endpoint_id: str, since: datetime
) -> int:
    """Send again every event since ``since`` the endpoint wants (those it never had too,
    up to 10,000); how many deliveries were scheduled."""
    if since.tzinfo is None:
        raise InvalidValue("since needs its UTC offset", field="since")
    with uow:
        endpoint = uow.webhooks.get_for_update(organization_id, endpoint_id)
        if endpoint is None:
            raise NotFound(f"no webhook endpoint {endpoint_id!r}", field="endpoint_id")
        now = clock.now()
        events = uow.webhooks.events_since(organization_id, since, MAX_REPLAY)
        wanted = [e for e in events if endpoint.wants(e[2])]
        rows = [
            NewDelivery(endpoint_id, eid, organization_id, kind, seq, body_of(kind, at, seq, data))
            for eid, seq, kind, at, data in wanted
        ]
        uow.webhooks.add_deliveries(rows, now)
        ids = [d.id for d in (uow.webhooks.delivery(endpoint_id, r.event_id) for r in rows) if d]
        uow.webhooks.reschedule(ids, now)
        uow.commit()
    return len(ids)


def body_of(event_type: str, at: datetime, seq: int, data: dict[str, object]) -> str:
    """The Standard Webhooks payload: type, timestamp, and the event's data with its place in
    the order (``sequence``: increasing per object, no order promised across objects)."""
    payload = {
        "type": event_type,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "data": {**data, "sequence": seq},
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True)


def delivery_of(endpoint_id: str, event: PublishedEvent) -> NewDelivery:
    data = event.event.to_data()["data"]
    assert event.organization_id is not None
    return NewDelivery(
        endpoint_id,
        event.id,
        event.organization_id,
        event.type,
        event.seq,
        body_of(event.type, event.created_at, event.seq, data),
    )
