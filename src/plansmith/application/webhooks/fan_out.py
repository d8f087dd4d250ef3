"""The outbox subscriber that turns each event into one delivery per endpoint that wants it.

The deliveries' key (endpoint, event) makes it exactly once: a relay that hands an event
twice (it died before recording the first time) makes nothing twice. Sending is the delivery
workers' work, not the relay's: a slow receiver never holds up the outbox.
"""

from __future__ import annotations

from collections.abc import Callable

from plansmith.application.events.ports import PublishedEvent
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.webhooks.endpoints import delivery_of

NAME = "webhooks"


class WebhookFanOut:
    def __init__(self, uow: Callable[[], UnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    @property
    def name(self) -> str:
        return NAME

    def handle(self, event: PublishedEvent) -> None:
        if event.organization_id is None:
            return
        with self._uow() as uow:
            endpoints = uow.webhooks.enabled_for(event.organization_id, event.type)
            if not endpoints:
                return
            uow.webhooks.add_deliveries(
                [delivery_of(e.id, event) for e in endpoints], self._clock.now()
            )
            uow.commit()
