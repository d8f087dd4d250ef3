"""Whether a webhook endpoint got every event it takes, checked over the public HTTP API only.

The relay turns each event into one delivery per endpoint that takes its type, keyed by
(endpoint, event): so an endpoint that existed before the organization's events has exactly
one delivery per such event, whatever was killed or retried on the way, and each must have
ended `succeeded` once everything drained (attempts that failed before are fine).
"""

from __future__ import annotations

from collections import Counter

import httpx

from tests.simulation.api_reads import every, get


def undelivered_events(http: httpx.Client, headers: dict[str, str], endpoint_id: str) -> list[str]:
    """One line per event of a type the endpoint takes that has no succeeded delivery to it,
    or more than one delivery; and per delivery of an event the organization never published
    or the endpoint does not take. The endpoint must predate the events it is checked for."""
    endpoint = get(http, headers, f"/v1/webhook_endpoints/{endpoint_id}")
    types = endpoint["event_types"]
    events = {
        e["id"]: e
        for e in every(http, headers, "/v1/events")
        if types is None or e["type"] in types
    }
    deliveries = list(every(http, headers, f"/v1/webhook_endpoints/{endpoint_id}/deliveries"))
    found = []
    per_event = Counter(d["event_id"] for d in deliveries)
    found += [
        f"event {event_id} has {n} deliveries to endpoint {endpoint_id}, not one"
        for event_id, n in sorted(per_event.items())
        if n > 1
    ]
    by_event = {d["event_id"]: d for d in deliveries}
    for event_id, event in events.items():
        delivery = by_event.get(event_id)
        if delivery is None:
            found.append(f"event {event_id} ({event['type']}) was never delivered")
        elif delivery["state"] != "succeeded":
            found.append(
                f"event {event_id} ({event['type']}) is {delivery['state']} after "
                f"{delivery['attempts']} attempt(s), last status {delivery['last_status']}, "
                f"next attempt at {delivery['next_attempt_at']}"
            )
    found += [
        f"delivery {d['id']} is of event {d['event_id']} ({d['event_type']}), which the "
        "organization did not publish or the endpoint does not take"
        for d in deliveries
        if d["event_id"] not in events
    ]
    return found
