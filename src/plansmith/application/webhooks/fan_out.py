"""The outbox subscriber that turns each event into one delivery per endpoint that wants it.

The deliveries' key (endpoint, event) makes it exactly once: a relay that hands an event
twice (it died before recording the first time) makes nothing twice. Sending is the delivery
workers' work, not the relay's: a slow receiver never holds up the outbox.

A batch subscriber: a relay pass's events fan out in one transaction (the endpoints read once
per organization, the deliveries inserted in one statement).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from plansmith.application.events.ports import PublishedEvent
from plansmith.application.kernel.ports import Clock, UnitOfWork
from plansmith.application.webhooks.endpoints import delivery_of
from plansmith.application.webhooks.ports import Endpoint, NewDelivery

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

    def handle_batch(self, events: Sequence[PublishedEvent]) -> None:
        with self._uow() as uow:
            enabled: dict[str, list[Endpoint]] = {}
            rows: list[NewDelivery] = []
            for event in events:
                org = event.organization_id
                if org is None:
                    continue
                if org not in enabled:
                    enabled[org] = [e for e in uow.webhooks.of_organization(org) if e.enabled]
                wanted = [e for e in enabled[org] if e.wants(event.type)]
                if wanted:  # the body made once per event, not once per endpoint
                    first = delivery_of(wanted[0].id, event)
                    rows += [replace(first, endpoint_id=e.id) for e in wanted]
            if not rows:
                return
            uow.webhooks.add_deliveries(rows, self._clock.now())
            uow.commit()
