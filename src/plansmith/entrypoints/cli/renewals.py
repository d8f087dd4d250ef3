"""The renewal step and then the collection run on a timer inside `plansmith serve`: in its one
supervising process, never in each of its workers.

Every period end is also caught up by the next action on that subscription, but a trial should
convert and a term-end cancellation take effect on time even if nobody touches it. The step is
safe to run from several processes at once (see advance_due), so a deployment with more servers
can leave this on everywhere or run `plansmith sub advance --all` from cron instead; inside one
server, running it in every worker would only repeat the same queries and lock waits N times.

After the step, the invoices of live organizations due for an attempt (new ones, and retries
whose time has come) are collected: here, one after the other, or, with PLANSMITH_REDIS_URL
set, sent as one job each to `plansmith worker` processes. A round is not sent while jobs of
the previous one are still waiting: they would only be collected once anyway (see
application.payments.jobs), but the queue would grow with each round a backlog lasts.
Sandboxes are left alone: their time moves only with `plansmith clock advance`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from plansmith.application.payments.collection_run import CollectionRun, run_collection
from plansmith.application.payments.jobs import dispatch_collection
from plansmith.application.subscriptions.actions import advance_due
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.os_threads import name_os_thread

if TYPE_CHECKING:  # Dramatiq is imported only where Redis is set
    from plansmith.adapters.jobs import DramatiqBillingJobs

log = logging.getLogger("plansmith.renewals")


class RenewalTimer:
    def __init__(self, plansmith: Plansmith, every_seconds: int) -> None:
        self._plansmith = plansmith
        self._every = every_seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="renewals", daemon=True)
        self._jobs: DramatiqBillingJobs | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=10)

    def run_once(self) -> None:
        """The renewal step, then the collection run."""
        self.renew()
        self.collect()

    def renew(self) -> None:
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

    def collect(self) -> CollectionRun | None:
        """Collect what live organizations' invoices owe now, here or on the workers; None: a
        round was not sent, the previous one's jobs still waiting."""
        app = self._plansmith
        if not app.settings.redis_url:
            done = run_collection(app.uow(), app.gateway_for, app.clock, None)
            if done.attempted:
                log.info(
                    "collection run: %d invoice(s), %d paid, %d failed, %d unknown",
                    done.attempted,
                    done.succeeded,
                    done.failed,
                    done.unknown,
                )
            for invoice_id, message in done.errors:
                log.warning("could not collect %s: %s", invoice_id, message)
            return done
        jobs = self._collection_jobs()
        waiting = jobs.pending_collections()
        if waiting:
            log.info("collection run: not sent, %d job(s) of the last round still waiting", waiting)
            return None
        done = dispatch_collection(app.uow(), app.gateway_for, app.clock, None, jobs)
        if done.attempted:
            log.info("collection run: %d invoice(s) sent to the workers", done.attempted)
        return done

    def _collection_jobs(self) -> DramatiqBillingJobs:
        if self._jobs is None:
            from plansmith.entrypoints.worker import billing_jobs

            self._jobs = billing_jobs(self._plansmith)
        return self._jobs

    def _loop(self) -> None:
        name_os_thread(self._thread.name)
        steps: tuple[tuple[str, Callable[[], object]], ...] = (
            ("renewal step", self.renew),
            ("collection run", self.collect),
        )
        while not self._stopped.wait(self._every):
            for name, step in steps:
                try:
                    step()
                except Exception:  # keep the timer alive; the next round retries
                    log.exception("%s failed", name)
