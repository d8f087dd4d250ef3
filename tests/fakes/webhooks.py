"""Webhook endpoints and deliveries in memory, as the SQL repository keeps them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from plansmith.application.kernel.ids import new_id
from plansmith.application.webhooks.ports import (
    Attempt,
    Delivery,
    Endpoint,
    NewDelivery,
    WebhookRepository,
)
from tests.fakes.store import FakeStore, Repo, Rows


class FakeWebhooks(Repo):
    def add(self, endpoint: Endpoint) -> None:
        self._rows.webhook_endpoints[endpoint.id] = endpoint

    def get(self, organization_id: str, endpoint_id: str) -> Endpoint | None:
        found = self._rows.webhook_endpoints.get(endpoint_id)
        return found if found is not None and found.organization_id == organization_id else None

    def get_for_update(self, organization_id: str, endpoint_id: str) -> Endpoint | None:
        return self.get(organization_id, endpoint_id)

    def of_organization(self, organization_id: str) -> Sequence[Endpoint]:
        found = [
            e for e in self._rows.webhook_endpoints.values() if e.organization_id == organization_id
        ]
        return sorted(found, key=lambda e: (e.created_at, e.id))

    def save(self, endpoint: Endpoint) -> None:
        self._rows.webhook_endpoints[endpoint.id] = endpoint

    def delete(self, organization_id: str, endpoint_id: str) -> None:
        self._rows.webhook_endpoints.pop(endpoint_id, None)
        for key in [k for k in self._rows.webhook_deliveries if k[0] == endpoint_id]:
            del self._rows.webhook_deliveries[key]

    def enabled_for(self, organization_id: str, event_type: str) -> Sequence[Endpoint]:
        return [
            e for e in self.of_organization(organization_id) if e.enabled and e.wants(event_type)
        ]

    def add_deliveries(self, rows: Sequence[NewDelivery], now: datetime) -> int:
        made = 0
        for r in rows:
            key = (r.endpoint_id, r.event_id)
            if key in self._rows.webhook_deliveries:
                continue
            self._rows.webhook_deliveries[key] = Delivery(
                new_id("whd"),
                r.endpoint_id,
                r.event_id,
                r.event_type,
                r.event_seq,
                "pending",
                0,
                now,
                None,
                None,
                now,
                now,
            )
            made += 1
        return made

    def deliveries(self, endpoint_id: str, *, before: int | None, limit: int) -> Sequence[Delivery]:
        found = [
            d
            for (e, _), d in self._rows.webhook_deliveries.items()
            if e == endpoint_id and (before is None or d.event_seq < before)
        ]
        return sorted(found, key=lambda d: -d.event_seq)[:limit]

    def attempts(self, delivery_ids: Sequence[str]) -> dict[str, list[Attempt]]:
        return {}  # attempts are the delivery workers' (SQL only)

    def delivery(self, endpoint_id: str, event_id: str) -> Delivery | None:
        return self._rows.webhook_deliveries.get((endpoint_id, event_id))

    def reschedule(self, delivery_ids: Sequence[str], at: datetime) -> None:
        ids = set(delivery_ids)
        for key, d in list(self._rows.webhook_deliveries.items()):
            if d.id in ids:
                self._rows.webhook_deliveries[key] = replace(
                    d, state="pending", next_attempt_at=at, updated_at=at
                )

    def events_since(
        self, organization_id: str, since: datetime, limit: int
    ) -> Sequence[tuple[str, int, str, datetime, dict[str, object]]]:
        found = [
            (e.id, e.seq, e.type, e.created_at, e.event.to_data()["data"])
            for e in sorted(self._rows.outbox.values(), key=lambda e: e.seq)
            if e.organization_id == organization_id and e.created_at >= since
        ]
        return found[:limit]


# mypy checks the fake against its port here: a port change breaks the fake at lint time.
_webhooks: WebhookRepository = FakeWebhooks(FakeStore(), Rows())
