"""The outbox relay on a background thread, in `plansmith serve` and `plansmith worker`.

Every process may run one: the relay's lease lets one of them deliver at a time, and another
takes over within a lease of the first one's death. `plansmith serve` runs one in its
supervising process, not one per worker: more would only compete for the lease. Events wait at
most ``every`` seconds (plus a pass) after their commit.
"""

from __future__ import annotations

import logging
import threading

from plansmith.application.events.relay import Relay
from plansmith.entrypoints.os_threads import name_os_thread

log = logging.getLogger("plansmith.relay")


class RelayLoop:
    def __init__(self, relay: Relay, every_seconds: float) -> None:
        self.relay = relay
        self._every = every_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="outbox-relay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)
        try:
            self.relay.stop()
        except Exception:
            log.warning("could not give the relay lease up", exc_info=True)

    def _loop(self) -> None:
        name_os_thread(self._thread.name)
        while not self._stopped.wait(self._every):
            try:
                self.relay.run_until_idle()
            except Exception:  # keep the loop alive; the next round retries
                log.exception("outbox relay pass failed")
