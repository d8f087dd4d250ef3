"""Bodies of the webhook endpoint routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, StrictBool, StrictInt

from plansmith.application.webhooks.endpoints import DeliveryWithAttempts
from plansmith.application.webhooks.ports import Attempt, Endpoint
from plansmith.entrypoints.api.schemas import Patch, Strict

TYPES_HELP = "Event types sent (see GET /v1/events' `type`); null or left out: every type"


class WebhookEndpointCreate(Strict):
    url: str = Field(
        examples=["https://billing.example.com/plansmith"],
        description="https (http only where private addresses are allowed); its host must not "
        "be or resolve to a loopback, private, link-local or metadata address",
    )
    event_types: list[str] | None = Field(default=None, description=TYPES_HELP)
    description: str = ""
    enabled: StrictBool = True


class WebhookEndpointUpdate(Patch):
    clears = {"event_types": None, "description": ""}

    url: str | None = None
    event_types: list[str] | None = Field(default=None, description=TYPES_HELP)
    description: str | None = None
    enabled: StrictBool | None = Field(
        default=None, description="true again after the endpoint was disabled: a fresh start"
    )


class WebhookEndpointOut(BaseModel):
    object: str = "webhook_endpoint"
    id: str
    url: str
    description: str
    event_types: list[str] | None
    enabled: bool
    disabled_reason: str | None = Field(description="Why it was disabled; null when enabled")
    secret_rotating_until: datetime | None = Field(
        description="Until when the previous secret still signs too (after a rotation)"
    )
    failing_since: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, e: Endpoint) -> WebhookEndpointOut:
        return cls(**cls._fields(e))

    @staticmethod
    def _fields(e: Endpoint) -> dict[str, Any]:
        return {
            "id": e.id,
            "url": e.url,
            "description": e.description,
            "event_types": None if e.event_types is None else list(e.event_types),
            "enabled": e.enabled,
            "disabled_reason": e.disabled_reason,
            "secret_rotating_until": e.previous_secret_until if e.previous_secret else None,
            "failing_since": e.failing_since,
            "created_at": e.created_at,
            "updated_at": e.updated_at,
        }


class WebhookEndpointWithSecret(WebhookEndpointOut):
    secret: str = Field(
        description="whsec_...: verifies the signatures; shown in this answer only, store it now"
    )

    @classmethod
    def with_secret(cls, e: Endpoint) -> WebhookEndpointWithSecret:
        return cls(**cls._fields(e), secret=e.secret)


class SecretRotate(Strict):
    overlap_seconds: StrictInt = Field(
        default=86400,
        ge=0,
        le=604800,
        description="Seconds the old secret keeps signing too (both signatures sent)",
    )


class ReplaySince(Strict):
    since: datetime = Field(description="Every event from this instant on is sent again")


class ReplayOut(BaseModel):
    object: str = "webhook_replay"
    scheduled: int = Field(description="Deliveries scheduled to be sent now")


class AttemptOut(BaseModel):
    number: int
    at: datetime
    status: int | None = Field(description="The answer's HTTP status; null: no answer")
    error: str | None
    duration_ms: int
    response_head: str = Field(description="The first bytes (at most 4 KiB) of the answer")

    @classmethod
    def of(cls, a: Attempt) -> AttemptOut:
        return cls(
            number=a.number,
            at=a.at,
            status=a.status,
            error=a.error,
            duration_ms=a.duration_ms,
            response_head=a.response_head,
        )


class DeliveryOut(BaseModel):
    object: str = "webhook_delivery"
    id: str
    event_id: str = Field(description="Also the `webhook-id` header: the same on every attempt")
    event_type: str
    sequence: int
    state: str = Field(description="pending, succeeded or failed (every attempt used)")
    attempts: int
    next_attempt_at: datetime | None
    last_status: int | None
    created_at: datetime
    attempt_log: list[AttemptOut]

    @classmethod
    def of(cls, found: DeliveryWithAttempts) -> DeliveryOut:
        d = found.delivery
        return cls(
            id=d.id,
            event_id=d.event_id,
            event_type=d.event_type,
            sequence=d.event_seq,
            state=d.state,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_status=d.last_status,
            created_at=d.created_at,
            attempt_log=[AttemptOut.of(a) for a in found.attempts],
        )
