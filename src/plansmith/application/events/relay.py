"""The outbox relay: hands each event written to the outbox to every subscriber.

- In order per aggregate: events are taken oldest first (by seq); once one of an aggregate's
  events is not delivered to every subscriber, that aggregate's later events wait too.
- At least once: an event is marked delivered only after every subscriber took it; a relay
  that dies in between hands it again after a restart.
- Never twice in a subscriber's record: each (subscriber, event) delivery is recorded once (a
  unique key), and a subscriber that has one is not handed the event again.
- Batches: a subscriber that can (a BatchSubscriber: idempotent by key, like the webhook
  fan-out) is handed the pass's events in one call and its deliveries recorded in the pass's
  last statement; the others are handed one event at a time, each recorded as soon as it was
  handed, so a crash hands such a subscriber again only the event it had in hand (a file
  log, an SMTP server's acknowledgement cannot be taken back). Batch subscribers go first: an
  event one of them refused is held back, with its object's later events, from everyone;
  an event a one-by-one subscriber refuses was already handed to the batch ones, which still
  see each object's events in order.
- One relay at a time: a lease (wall clock, like billing runs') held by one holder; another
  relay takes over only once it ran out, so a dead relay's work is picked up by the next.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from plansmith.application.events.ports import (
    BatchSubscriber,
    PublishedEvent,
    RelayStore,
    Subscriber,
)
from plansmith.application.kernel.ids import new_id
from plansmith.application.kernel.ports import Clock

log = logging.getLogger("plansmith.relay")
RELAY = "outbox"
DEFAULT_LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class Pass:
    """What one pass did; ``held`` is False when another relay holds the lease."""

    held: bool
    delivered: int = 0  # events now delivered to every subscriber
    failed: int = 0  # events a subscriber refused this time (tried again next pass)
    waiting: int = 0  # events held back behind an earlier one of their aggregate

    @property
    def busy(self) -> bool:
        """Worth another pass at once: it delivered something."""
        return self.held and self.delivered > 0


@dataclass
class Relay:
    store: RelayStore
    subscribers: Sequence[Subscriber]
    wall: Clock  # the lease is wall-clock time, whatever a sandbox's clock says
    lease: timedelta = DEFAULT_LEASE
    batch: int = 200
    holder: str = field(default_factory=lambda: new_id("relay"))
    _until: datetime | None = field(default=None, init=False)

    def run_once(self) -> Pass:
        """One pass over up to ``batch`` of the oldest undelivered events."""
        if not self._hold():
            return Pass(held=False)
        if not self.subscribers:
            # Nobody to hand them to: all are settled in one statement that reads none, not
            # a transaction per event (a worker relaying while it bills would slow down).
            return Pass(True, self.store.settle_all(self.wall.now()), 0, 0)
        events = self.store.undelivered(self.batch)
        recorded = self.store.delivered_to([e.id for e in events])
        batched = [s for s in self.subscribers if isinstance(s, BatchSubscriber)]
        singles = [s for s in self.subscribers if not isinstance(s, BatchSubscriber)]
        done: list[tuple[str, str]] = []
        refused: dict[str, str] = {}  # event id: the first refusal's error
        for subscriber in batched:
            done += self._hand_batch(subscriber, events, recorded, refused)
        blocked: set[str] = set()  # aggregates with an earlier event not yet delivered
        # With no batch subscriber, each event is marked delivered as soon as it was handed.
        at_once = not batched
        finished, waiting, delivered = [], 0, 0
        for event in events:
            if event.id in refused:
                blocked.add(event.aggregate_id)
                continue
            if event.aggregate_id in blocked:
                waiting += 1
                continue
            if singles:
                if not self._hold():
                    break  # the lease ran out and another relay took it: it carries on
                if not self._deliver(event, recorded, singles, refused, at_once):
                    blocked.add(event.aggregate_id)
                    continue
            delivered += 1
            if not at_once:
                finished.append(event.id)
        failed = [(i, error) for i, error in refused.items()]
        if (done or finished or failed) and self._hold():
            self.store.record(done, finished, failed, self.wall.now())
        return Pass(True, delivered, len(refused), waiting)

    def _hand_batch(
        self,
        subscriber: BatchSubscriber,
        events: Sequence[PublishedEvent],
        recorded: set[tuple[str, str]],
        refused: dict[str, str],
    ) -> list[tuple[str, str]]:
        """Hand ``subscriber`` the events it has not had, at once; if it refuses the batch,
        one by one. Either way an object's events after one refused (by it or a subscriber
        before it) are held back. The pairs it took, to record."""
        todo, held = [], set()
        for e in events:
            if e.id in refused:
                held.add(e.aggregate_id)
            elif e.aggregate_id not in held and (subscriber.name, e.id) not in recorded:
                todo.append(e)
        if not todo:
            return []
        try:
            subscriber.handle_batch(todo)
            return [(subscriber.name, e.id) for e in todo]
        except Exception as exc:
            log.warning("%s refused a batch of %d: %r", subscriber.name, len(todo), exc)
        took = []
        for event in todo:
            if event.aggregate_id in held:
                continue
            try:
                subscriber.handle(event)
            except Exception as exc:
                log.warning("%s refused %s (%s): %r", subscriber.name, event.id, event.type, exc)
                refused.setdefault(event.id, f"{subscriber.name}: {exc!r}")
                held.add(event.aggregate_id)
                continue
            took.append((subscriber.name, event.id))
        return took

    def run_until_idle(self, max_passes: int = 1_000) -> int:
        """Passes until nothing more is delivered; how many events were delivered."""
        total = 0
        for _ in range(max_passes):
            done = self.run_once()
            total += done.delivered
            if not done.busy:
                break
        return total

    def stop(self) -> None:
        """Give the lease up, so another relay may start at once."""
        if self._until is not None:
            self.store.release(RELAY, self.holder, self.wall.now())
            self._until = None

    def _hold(self) -> bool:
        """Hold the lease, renewing it once half of it has passed."""
        now = self.wall.now()
        if self._until is not None and now < self._until - self.lease / 2:
            return True
        until = now + self.lease
        if self.store.take_lease(RELAY, self.holder, now, until):
            self._until = until
            return True
        self._until = None
        return False

    def _deliver(
        self,
        event: PublishedEvent,
        recorded: set[tuple[str, str]],
        subscribers: Sequence[Subscriber],
        refused: dict[str, str],
        finish: bool,
    ) -> bool:
        """Hand ``event`` to each of ``subscribers`` that has not had it; True if all took it.
        With ``finish``, the event is marked delivered then (no batch subscriber waits)."""
        done, failed = [], []
        for subscriber in subscribers:
            if (subscriber.name, event.id) in recorded:
                continue  # a relay before this one delivered it and recorded so
            try:
                subscriber.handle(event)
            except Exception as exc:  # a subscriber's failure must not stop the others
                log.warning("%s refused %s (%s): %r", subscriber.name, event.id, event.type, exc)
                failed.append((event.id, f"{subscriber.name}: {exc!r}"))
                continue
            done.append((subscriber.name, event.id))
        # Recorded as soon as handed over: a crash from here on hands over nothing twice.
        # Refusals are counted in the pass's last record.
        finished = [event.id] if finish and not failed else []
        if done or finished:
            self.store.record(done, finished, [], self.wall.now())
        for event_id, error in failed:
            refused.setdefault(event_id, error)
        return not failed
