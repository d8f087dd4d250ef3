"""Billing and collection jobs on Dramatiq with a Redis broker: more worker processes on more
machines share a run. Each job only carries ids (a batch of subscriptions of one organization,
or one draft, then its run and its number in the run; or a batch of invoices to collect); the worker
does the work in one transaction (a collection: in the core's few, with the gateway called
between them), so a job delivered twice (a worker killed before it acknowledged one) bills
nothing twice and captures nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker

log = logging.getLogger("plansmith.jobs")

BILL = "bill_subscriptions"
FINALIZE = "finalize_draft"
QUEUE = "billing"
COLLECT = "collect_invoices"
# Collection has its own queue: a billing run's backlog never holds up the charges, and the
# timer can tell whether the previous round's charges are all taken.
COLLECTION_QUEUE = "collection"


def redis_broker(url: str, namespace: str) -> RedisBroker:
    # A dead worker's unacknowledged jobs are requeued once its heartbeat is this old.
    return RedisBroker(  # type: ignore[no-untyped-call]
        url=url, namespace=namespace, heartbeat_timeout=15_000
    )


class DramatiqBillingJobs:
    """Sends billing jobs; `declare_actors` gives the same broker the code that runs them."""

    def __init__(self, broker: RedisBroker) -> None:
        self.broker = broker

    def _send(self, actor: str, *args: object) -> None:
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=QUEUE, actor_name=actor, args=args, kwargs={}, options={}
        )
        self.broker.enqueue(message)

    def bill_subscriptions(
        self, organization_id: str, subscription_ids: Sequence[str], run_id: str, job: int
    ) -> None:
        self._send(BILL, organization_id, list(subscription_ids), run_id, job)

    def finalize_draft(self, organization_id: str, invoice_id: str, run_id: str, job: int) -> None:
        self._send(FINALIZE, organization_id, invoice_id, run_id, job)

    def collect_invoices(self, organization_id: str, invoice_ids: Sequence[str]) -> None:
        message: dramatiq.Message[Any] = dramatiq.Message(
            queue_name=COLLECTION_QUEUE,
            actor_name=COLLECT,
            args=(organization_id, list(invoice_ids)),
            kwargs={},
            options={},
        )
        self.broker.enqueue(message)

    def pending(self) -> int:
        """Jobs not yet done: waiting in the queue or held by a worker."""
        return int(self.broker.do_qsize(QUEUE))

    def pending_collections(self) -> int:
        """Collection jobs waiting in their queue or held by a worker."""
        return int(self.broker.do_qsize(COLLECTION_QUEUE))


def declare_actors(
    broker: RedisBroker,
    bill: Callable[..., None],
    finalize: Callable[..., None],
    collect: Callable[..., None] | None = None,
) -> None:
    """Register the job bodies on ``broker`` (in the worker process)."""
    bodies: list[tuple[str, str, Callable[..., None]]] = [
        (BILL, QUEUE, bill),
        (FINALIZE, QUEUE, finalize),
    ]
    if collect is not None:
        bodies.append((COLLECT, COLLECTION_QUEUE, collect))
    for name, queue, body in bodies:
        register = dramatiq.actor(
            actor_name=name,
            queue_name=queue,
            broker=broker,
            max_retries=5,
            min_backoff=500,
            max_backoff=10_000,
        )
        register(body)
