"""The webhook delivery worker on a background thread, in `plansmith serve`.

Deliveries are their own job queue: each row carries its next attempt's due time, and workers
take due rows under a lease (FOR UPDATE SKIP LOCKED on PostgreSQL), so any number of processes
(`plansmith serve`, `plansmith events deliver`) share the work without Redis, and a schedule of
retries over three days survives restarts. Due deliveries wait at most ``every`` seconds.
"""

from __future__ import annotations

import logging
import threading

from plansmith.application.webhooks.delivery import DeliveryWorker
from plansmith.entrypoints.os_threads import name_os_thread

log = logging.getLogger("plansmith.webhooks")


class DeliveryLoop:
    def __init__(self, worker: DeliveryWorker, every_seconds: float) -> None:
        self.worker = worker
        self._every = every_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="webhook-delivery", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=15)
        self.worker.sender.close()

    def _loop(self) -> None:
        name_os_thread(self._thread.name)
        while not self._stopped.wait(self._every):
            try:
                while not self._stopped.is_set() and self.worker.run_once():
                    pass
            except Exception:  # keep the loop alive; the next round retries
                log.exception("webhook delivery pass failed")
