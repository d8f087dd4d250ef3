"""The /v1 events list: what happened in the organization, newest first (like Stripe's)."""

from __future__ import annotations

from datetime import datetime
from enum import Enum, StrEnum
from typing import Annotated, Any

from fastapi import Query
from pydantic import BaseModel, Field

from plansmith.application.events import queries
from plansmith.application.events.ports import PublishedEvent
from plansmith.domain.events.registry import EVENT_TYPES
from plansmith.domain.kernel import error_codes as ec
from plansmith.entrypoints.api.deps import CurrentOrg, UoW
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import ListOut, OneOf
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["events"]
EventType = StrEnum("EventType", {name: name for name in sorted(EVENT_TYPES)})  # type: ignore[misc]


class PublishedEventOut(BaseModel):
    object: str = "event"
    id: str
    type: str = Field(description="A stable name, e.g. subscription.changed")
    version: int = Field(description="The version of the type's data shape")
    created: datetime = Field(description="When it happened")
    object_type: str = Field(description="subscription, invoice, credit_note, ...")
    object_id: str
    data: dict[str, Any] = Field(description="Everything about it: ids, terms, amounts, dates")

    @classmethod
    def of(cls, published: PublishedEvent) -> PublishedEventOut:
        data = published.event.to_data()
        return cls(
            id=published.id,
            type=published.type,
            version=data["version"],
            created=published.created_at,
            object_type=published.object_type,
            object_id=published.object_id,
            data=data["data"],
        )


@router.get(
    "/events",
    operation_id="list_events",
    responses=problems(ec.INVALID_CURSOR),
    response_model=ListOut[PublishedEventOut],
    tags=TAGS,
)
def list_events(
    org: CurrentOrg,
    uow: UoW,
    type: Annotated[
        Annotated[str, OneOf(EventType)] | None, Query(description="One event type, exactly")
    ] = None,
    object_id: Annotated[str | None, Query(description="Events of this object only")] = None,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListOut[PublishedEventOut]:
    """Newest first; pass next_cursor as cursor for older ones."""
    page = queries.list_events(
        uow, org.id, type=type, object_id=object_id, cursor=cursor, limit=limit
    )
    return ListOut[PublishedEventOut](
        data=[PublishedEventOut.of(e) for e in page.items],
        next_cursor=page.next_cursor,
        has_more=page.next_cursor is not None,
    )


@router.get(
    "/events/{event_id}",
    operation_id="get_event",
    responses=problems(ec.NOT_FOUND),
    response_model=PublishedEventOut,
    tags=TAGS,
)
def get_event(event_id: str, org: CurrentOrg, uow: UoW) -> PublishedEventOut:
    return PublishedEventOut.of(queries.get_event(uow, org.id, event_id))
