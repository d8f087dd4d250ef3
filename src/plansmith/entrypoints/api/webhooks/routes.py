"""Webhook endpoints: create (the signing secret in that answer only), list, read, change,
delete, rotate the secret, the delivery log, and replays.

Deliveries follow Standard Webhooks: `webhook-id` (the event id, the same on every attempt),
`webhook-timestamp` and `webhook-signature` headers, the body `{"type", "timestamp", "data"}`
with `data.sequence` increasing per object (no order promised across objects).
"""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import Annotated

from fastapi import Query, Response

from plansmith.application.webhooks import endpoints as uc
from plansmith.domain.kernel import error_codes as ec
from plansmith.entrypoints.api.deps import Container, CurrentOrg, UoW
from plansmith.entrypoints.api.openapi import problems
from plansmith.entrypoints.api.schemas import ListOut
from plansmith.entrypoints.api.webhooks.schemas import (
    DeliveryOut,
    ReplayOut,
    ReplaySince,
    SecretRotate,
    WebhookEndpointCreate,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)
from plansmith.entrypoints.routers import app_router

router = app_router(prefix="/v1")
TAGS: list[str | Enum] = ["events"]  # webhooks are how events leave: one tag
ROOT = "/webhook_endpoints"
ID = f"{ROOT}/{{endpoint_id}}"
NO_STORE = "no-store"


@router.post(
    ROOT,
    operation_id="create_webhook_endpoint",
    status_code=201,
    response_model=WebhookEndpointWithSecret,
    responses=problems(ec.INVALID_URL, ec.URL_REFUSED),
    tags=TAGS,
)
def create_webhook_endpoint(
    body: WebhookEndpointCreate, org: CurrentOrg, uow: UoW, app: Container, response: Response
) -> WebhookEndpointWithSecret:
    """A new endpoint, sent every event of the types named from now on; its signing secret is
    in this answer only. 422 `url_refused` for a URL into a private network."""
    made = uc.create_endpoint(
        uow,
        app.clock,
        app.url_policy,
        org.id,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        enabled=body.enabled,
    )
    response.headers["Cache-Control"] = NO_STORE
    return WebhookEndpointWithSecret.with_secret(made)


@router.get(
    ROOT,
    operation_id="list_webhook_endpoints",
    response_model=ListOut[WebhookEndpointOut],
    tags=TAGS,
)
def list_webhook_endpoints(org: CurrentOrg, uow: UoW) -> ListOut[WebhookEndpointOut]:
    """Every endpoint of the organization, oldest first (secrets are never shown again)."""
    found = uc.list_endpoints(uow, org.id)
    return ListOut[WebhookEndpointOut](data=[WebhookEndpointOut.of(e) for e in found])


@router.get(ID, operation_id="get_webhook_endpoint", response_model=WebhookEndpointOut, tags=TAGS)
def get_webhook_endpoint(endpoint_id: str, org: CurrentOrg, uow: UoW) -> WebhookEndpointOut:
    return WebhookEndpointOut.of(uc.get_endpoint(uow, org.id, endpoint_id))


@router.patch(
    ID,
    operation_id="update_webhook_endpoint",
    response_model=WebhookEndpointOut,
    responses=problems(ec.INVALID_URL, ec.URL_REFUSED),
    tags=TAGS,
)
def update_webhook_endpoint(
    endpoint_id: str, body: WebhookEndpointUpdate, org: CurrentOrg, uow: UoW, app: Container
) -> WebhookEndpointOut:
    """Change the fields sent. `enabled: true` on a disabled endpoint starts it afresh: its
    pending deliveries go out again."""
    updated = uc.update_endpoint(
        uow, app.clock, app.url_policy, org.id, endpoint_id, body.changes()
    )
    return WebhookEndpointOut.of(updated)


@router.delete(
    ID, operation_id="delete_webhook_endpoint", response_model=WebhookEndpointOut, tags=TAGS
)
def delete_webhook_endpoint(endpoint_id: str, org: CurrentOrg, uow: UoW) -> WebhookEndpointOut:
    """Remove the endpoint with its delivery log; nothing more is sent to it."""
    found = uc.get_endpoint(uow, org.id, endpoint_id)
    uc.delete_endpoint(uow, org.id, endpoint_id)
    return WebhookEndpointOut.of(found)


@router.post(
    f"{ID}/rotate_secret",
    operation_id="rotate_webhook_secret",
    response_model=WebhookEndpointWithSecret,
    tags=TAGS,
)
def rotate_webhook_secret(
    endpoint_id: str,
    body: SecretRotate,
    org: CurrentOrg,
    uow: UoW,
    app: Container,
    response: Response,
) -> WebhookEndpointWithSecret:
    """A new signing secret (in this answer only); the previous one keeps signing too for
    `overlap_seconds` (24 h by default): `webhook-signature` then carries both."""
    rotated = uc.rotate_secret(
        uow, app.clock, org.id, endpoint_id, timedelta(seconds=body.overlap_seconds)
    )
    response.headers["Cache-Control"] = NO_STORE
    return WebhookEndpointWithSecret.with_secret(rotated)


@router.get(
    f"{ID}/deliveries",
    operation_id="list_webhook_deliveries",
    response_model=ListOut[DeliveryOut],
    tags=TAGS,
)
def list_webhook_deliveries(
    endpoint_id: str,
    org: CurrentOrg,
    uow: UoW,
    cursor: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ListOut[DeliveryOut]:
    """The endpoint's deliveries, newest event first, each with its attempts."""
    page = uc.list_deliveries(uow, org.id, endpoint_id, cursor=cursor, limit=limit)
    return ListOut[DeliveryOut](
        data=[DeliveryOut.of(d) for d in page.items],
        next_cursor=page.next_cursor,
        has_more=page.next_cursor is not None,
    )


@router.post(
    f"{ID}/deliveries/{{event_id}}/replay",
    operation_id="replay_webhook_delivery",
    response_model=ReplayOut,
    tags=TAGS,
)
def replay_webhook_delivery(
    endpoint_id: str, event_id: str, org: CurrentOrg, uow: UoW, app: Container
) -> ReplayOut:
    """Send the event to the endpoint again now (the same `webhook-id`), with a new round of
    retries; also an event it was never sent."""
    uc.replay_event(uow, app.clock, org.id, endpoint_id, event_id)
    return ReplayOut(scheduled=1)


@router.post(
    f"{ID}/replay", operation_id="replay_webhook_events", response_model=ReplayOut, tags=TAGS
)
def replay_webhook_events(
    endpoint_id: str, body: ReplaySince, org: CurrentOrg, uow: UoW, app: Container
) -> ReplayOut:
    """Send again every event since `since` of the types the endpoint takes (at most
    10,000), each with its own `webhook-id`: receivers drop those they had."""
    count = uc.replay_since(uow, app.clock, org.id, endpoint_id, body.since)
    return ReplayOut(scheduled=count)
