"""The organization's events, as recorded in the outbox: newest first, by type or object."""

from __future__ import annotations

from plansmith.application.events.ports import PublishedEvent
from plansmith.application.kernel.errors import NotFound
from plansmith.application.kernel.pagination import (
    check_limit,
    decode_seq_cursor,
    encode_seq_cursor,
)
from plansmith.application.kernel.ports import Page, UnitOfWork
from plansmith.domain.events.registry import EVENT_TYPES
from plansmith.domain.kernel.errors import InvalidValue


def list_events(
    uow: UnitOfWork,
    organization_id: str,
    *,
    type: str | None = None,
    object_id: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Page[PublishedEvent]:
    before = decode_seq_cursor(cursor)
    limit = check_limit(limit)
    if type is not None and type not in EVENT_TYPES:
        raise InvalidValue(f"type is one of {', '.join(sorted(EVENT_TYPES))}", field="type")
    with uow:
        rows = list(
            uow.outbox.list(
                organization_id, type=type, object_id=object_id, before=before, limit=limit + 1
            )
        )
    items = rows[:limit]
    next_cursor = encode_seq_cursor(items[-1].seq) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


def get_event(uow: UnitOfWork, organization_id: str, event_id: str) -> PublishedEvent:
    with uow:
        found = uow.outbox.get(organization_id, event_id)
    if found is None:
        raise NotFound(f"no event {event_id!r}", field="event_id")
    return found
