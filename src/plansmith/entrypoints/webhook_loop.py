"""The webhook delivery worker on a background thread, in `plansmith serve`.

Deliveries are their own job queue: each row carries its next attempt's due time, and workers
take due rows under a lease (FOR UPDATE SKIP LOCKED on PostgreSQL), so any number of processes
(`plansmith serve`, `plansmith events deliver`) share the work without Redis, and a schedule of
retries over three days survives restarts. Due deliveries wait at most ``every`` seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from plansmith.application.webhooks.delivery import DeliveryWorker
from plansmith.entrypoints.os_threads import name_os_thread

log = logging.getLogger("plansmith.webhooks")


class DeliveryLoop:
    """One thread per delivery loop (``webhooks_loops``); the loops share one sender."""

    def __init__(self, workers: Sequence[DeliveryWorker], every_seconds: float) -> None:
        self.workers = list(workers)
        self._every = every_seconds
        self._stopped = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(w,), name=f"webhooks-{k}", daemon=True)
            for k, w in enumerate(self.workers)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stopped.set()
        for thread in self._threads:
            thread.join(timeout=15)
        self.workers[0].sender.close()  # the one sender of every loop

    def _loop(self, worker: DeliveryWorker) -> None:
        name_os_thread(threading.current_thread().name)
        while not self._stopped.wait(self._every):
            try:
                while not self._stopped.is_set() and worker.run_once():
                    pass
            except Exception:  # keep the loop alive; the next round retries
                log.exception("webhook delivery pass failed")


def until_idle(workers: Sequence[DeliveryWorker]) -> int:
    """Every loop sends until nothing is due; the attempts made in all."""
    if len(workers) == 1:
        return workers[0].run_until_idle()
    with ThreadPoolExecutor(len(workers), thread_name_prefix="webhook-delivery") as pool:
        return sum(pool.map(lambda w: w.run_until_idle(), workers))
