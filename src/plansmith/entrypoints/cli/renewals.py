"""The renewal step on a timer inside `plansmith serve`: in its one supervising process, never
in each of its workers.

Every period end is also caught up by the next action on that subscription, but a trial should
convert and a term-end cancellation take effect on time even if nobody touches it. The step is
safe to run from several processes at once (see advance_due), so a deployment with more servers
can leave this on everywhere or run `plansmith sub advance --all` from cron instead; inside one
server, running it in every worker would only repeat the same queries and lock waits N times.
"""

from __future__ import annotations

import logging
import threading

from plansmith.application.subscriptions.actions import advance_due
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.os_threads import name_os_thread

log = logging.getLogger("plansmith.renewals")


class RenewalTimer:
    def __init__(self, plansmith: Plansmith, every_seconds: int) -> None:
        self._plansmith = plansmith
        self._every = every_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="renewals", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)

    def run_once(self) -> None:
        app = self._plansmith
        done = advance_due(app.uow(), app.clock, None)
        if done.renewed or done.skipped:
            log.info(
                "renewal step: %d renewed, %d items, %d skipped",
                done.renewed,
                done.items,
                done.skipped,
            )
        for failure in done.failed:
            log.warning(
                "could not renew %s (%s): %s",
                failure.subscription_id,
                failure.code,
                failure.message,
            )

    def _loop(self) -> None:
        name_os_thread(self._thread.name)
        while not self._stopped.wait(self._every):
            try:
                self.run_once()
            except Exception:  # keep the timer alive; the next round retries
                log.exception("renewal step failed")
