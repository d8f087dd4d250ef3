"""Events of webhook endpoints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from plansmith.domain.kernel.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class WebhookEndpointDisabled(DomainEvent):
    """An endpoint failed for too long and was disabled: the operator must look at it."""

    TYPE: ClassVar[str] = "webhook_endpoint.disabled"
    OBJECT: ClassVar[str] = "webhook_endpoint"

    organization_id: str
    endpoint_id: str
    url: str
    reason: str
    failed_events: int

    @property
    def object_id(self) -> str:
        return self.endpoint_id
