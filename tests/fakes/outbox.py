"""The fake of the outbox port: events a unit of work published, stored with its commit, listed
as the API lists them (newest first by seq, per organization)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from plansmith.application.events.ports import OutboxRepository, PublishedEvent
from plansmith.application.kernel.ids import new_id
from plansmith.domain.events.registry import event_from_data
from plansmith.domain.kernel.events import DomainEvent
from tests.fakes.store import FakeStore, Repo, Rows


def write_events(rows: Rows, events: Sequence[DomainEvent]) -> None:
    """Append in the order given, as the SQL unit of work does at commit. Each event goes
    through its stored JSON and back, so data the outbox could not store or read fails here
    too."""
    seq = max((e.seq for e in rows.outbox.values()), default=0)
    for event in events:
        seq += 1
        stored = PublishedEvent(
            id=new_id("evt"),
            seq=seq,
            organization_id=event.organization_id,
            type=event.TYPE,
            object_type=event.OBJECT,
            object_id=event.object_id,
            aggregate_id=event.aggregate_id,
            created_at=event.at,
            event=event_from_data(json.loads(json.dumps(event.to_data()))),
            delivered_at=None,
        )
        rows.outbox[stored.id] = stored


class FakeOutbox(Repo):
    def list(
        self,
        organization_id: str,
        *,
        type: str | None,
        object_id: str | None,
        before: int | None,
        limit: int,
    ) -> Sequence[PublishedEvent]:
        found = [
            e
            for e in self._rows.outbox.values()
            if e.organization_id == organization_id
            and (type is None or e.type == type)
            and (object_id is None or e.object_id == object_id)
            and (before is None or e.seq < before)
        ]
        return sorted(found, key=lambda e: e.seq, reverse=True)[:limit]

    def get(self, organization_id: str, event_id: str) -> PublishedEvent | None:
        found = self._rows.outbox.get(event_id)
        return found if found is not None and found.organization_id == organization_id else None


# mypy checks the fake against its port here: a port change breaks the fake at lint time.
_outbox: OutboxRepository = FakeOutbox(FakeStore(), Rows())
