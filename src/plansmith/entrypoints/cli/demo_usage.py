"""The demo's metered usage: the meters the catalog's allowances are counted by, and some use
in the current period, so the portal's allowance bars and prediction show real figures and
Northwind's chatbot use (4,100 of 5,000) has passed 80 % (its notice is in the outbox).

Each event has a fixed id per customer, meter and number: sent again (a second run, a run that
stopped half-way) it is a duplicate and counts nothing; a meter that exists is left as it is.
Events are sent for customers still subscribed to the family whose allowance they use."""

from __future__ import annotations

from dataclasses import dataclass

from plansmith.application.usage.ingest import ACCEPTED, ingest
from plansmith.application.usage.meters import create_meter
from plansmith.bootstrap import Plansmith
from plansmith.domain.usage.events import MAX_BATCH

# code, name, event code: each a count of its events
METERS = [
    ("chatbot_sessions", "Chatbot sessions", "chatbot_session"),
    ("scans", "Scans", "scan"),
    ("incoming_mail_items", "Incoming mail items", "incoming_mail_item"),
]
# external id, event code, events this period (within the plans' allowances: the mailbox's are
# hard limits)
USAGE = [
    ("cus-002", "chatbot_session", 4100),  # Chat Business: 5,000 a month
    ("cus-006", "chatbot_session", 350),  # Chat Flexible: 1,000
    ("cus-004", "scan", 12),  # Silver: 30 scans
    ("cus-004", "incoming_mail_item", 41),  # Silver: 60 items
]


@dataclass(frozen=True)
class UsageLoaded:
    meters: int
    meters_made: int
    events: int
    events_counted: int  # accepted now (a second run counts none)

    def summary(self) -> str:
        return (
            f"{self.meters} meters ({self.meters_made} created), {self.events:,} usage events "
            f"this period ({self.events_counted:,} counted now)"
        )


def load(container: Plansmith, organization_id: str, accounts: dict[str, str]) -> UsageLoaded:
    made = 0
    for code, name, event_code in METERS:
        with container.uow() as uow:
            exists = uow.meters.get(organization_id, code) is not None
        if not exists:
            data = {"code": code, "name": name, "event_code": event_code, "aggregation": "count"}
            create_meter(container.uow(), container.clock, organization_id, data)
            made += 1
    at = container.clock.now().isoformat()
    total = counted = 0
    for external_id, event_code, count in USAGE:
        account = accounts.get(external_id)
        if account is None:
            continue
        events: list[object] = [
            {
                "id": f"demo-{external_id}-{event_code}-{n:05d}",
                "account_id": account,
                "code": event_code,
                "timestamp": at,
            }
            for n in range(count)
        ]
        total += count
        for first in range(0, count, MAX_BATCH):
            answers = ingest(
                container.uow(), container.clock, organization_id, events[first : first + MAX_BATCH]
            )
            counted += sum(1 for a in answers if a.status == ACCEPTED)
    return UsageLoaded(len(METERS), made, total, counted)
