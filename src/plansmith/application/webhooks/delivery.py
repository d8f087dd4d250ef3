"""The delivery worker: takes due deliveries under a lease, sends them, records each attempt.

- At least once: an attempt is recorded after it is sent; a worker that dies in between
  leaves the lease to run out, and the next worker sends it again, with the same webhook-id
  (the event's id), so receivers drop the double.
- Never the same attempt twice at once: a delivery is taken with its lease in one statement
  (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has one writer), and only the holder of the
  lease moves it on.
- Retries: exponential backoff with jitter over ~3 days (domain/webhooks/endpoints.py); an
  endpoint whose last events all failed, or that failed for 3 days, is disabled and
  ``webhook_endpoint.disabled`` is published.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock
from plansmith.application.webhooks.ports import DeliveryStore, Outcome, Sender
from plansmith.domain.webhooks.endpoints import (
    DISABLE_AFTER,
    DISABLE_AFTER_EVENTS,
    next_attempt_at,
)

log = logging.getLogger("plansmith.webhooks")
DEFAULT_LEASE = timedelta(seconds=60)
LEASE_MARGIN_SECONDS = 10  # taking and recording the batch


@dataclass
class DeliveryWorker:
    store: DeliveryStore
    sender: Sender
    clock: Clock
    lease: timedelta = DEFAULT_LEASE
    batch: int = 100
    holder: str = field(default_factory=lambda: new_id("whw"))
    draw: Callable[[], float] = random.random
    # Seconds n attempts can take at most (the sender's deadlines): a batch's lease is never
    # shorter, or a slow batch would be taken and sent again by another worker while it runs.
    longest: Callable[[int], float] | None = None

    def run_once(self) -> int:
        """Send one batch of due deliveries; how many were attempted."""
        now = self.clock.now()
        lease = self.lease
        if self.longest is not None:
            lease = max(lease, timedelta(seconds=self.longest(self.batch) + LEASE_MARGIN_SECONDS))
        due = self.store.take_due(self.holder, now, now + lease, self.batch)
        if not due:
            return 0
        answers = self.sender.send(due)
        at = self.clock.now()
        outcomes = [
            Outcome(
                d,
                a,
                at,
                None if a.ok else next_attempt_at(at, d.round_attempts + 1, self.draw()),
            )
            for d, a in zip(due, answers, strict=True)
        ]
        disabled = self.store.record(
            self.holder, outcomes, at, DISABLE_AFTER_EVENTS, at - DISABLE_AFTER
        )
        for event in disabled:
            log.warning("webhook endpoint %s disabled: %s", event.endpoint_id, event.reason)
        return len(due)

    def run_until_idle(self, max_batches: int = 10_000) -> int:
        """Batches until none is due; how many attempts were made."""
        total = 0
        for _ in range(max_batches):
            done = self.run_once()
            total += done
            if done == 0:
                break
        return total
