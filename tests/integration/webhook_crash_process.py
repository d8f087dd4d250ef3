"""A process of its own for test_webhooks_crash.py (``python -m tests.integration.
webhook_crash_process MODE DATABASE_URL ...``), killed with SIGKILL by the test.

relay HOLD_AT: the outbox relay with the webhook fan-out; with HOLD_AT >= 1, once the fan-out
  made the deliveries of the pass's events (a batch) and the holder after it got its HOLD_AT-th
  event, say "held" and wait to be killed before the relay records them; with 0, relay
  until the outbox is empty, say "done".
deliver AT HOLD: a delivery worker on a test clock set at AT (lease 2 s of it); with HOLD 2,
  take one batch under its lease, say "taken" and wait to be killed before sending it; with
  HOLD 1, send one batch, say "sent" and wait to be killed before recording it; with 0,
  deliver (the clock moved on 10 minutes whenever nothing is due) until nothing is pending,
  say "done".
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.webhooks.sender import HttpSender
from plansmith.application.events.ports import PublishedEvent
from plansmith.application.webhooks.fan_out import WebhookFanOut
from plansmith.application.webhooks.ports import Answer, Due
from plansmith.bootstrap import Plansmith, Settings, bootstrap


class Holder:
    name = "holder"

    def __init__(self, hold_at: int) -> None:
        self.hold_at, self.handed = hold_at, 0

    def handle(self, event: PublishedEvent) -> None:
        self.handed += 1
        if self.handed == self.hold_at:
            print("held", flush=True)
            time.sleep(600)  # killed here: fanned out, not recorded


class HoldingSender(HttpSender):
    def send(self, batch: Sequence[Due]) -> list[Answer]:
        answers = super().send(batch)
        print("sent", flush=True)
        time.sleep(600)  # killed here: sent, not recorded
        return answers


class TakingSender(HttpSender):
    def send(self, batch: Sequence[Due]) -> list[Answer]:
        print("taken", flush=True)
        time.sleep(600)  # killed here: leased, not sent
        return []


def _waiting(app: Plansmith, table: Table, where: ColumnElement[bool]) -> int:
    with app.engine.connect() as connection:
        q = select(func.count()).select_from(table).where(where)
        return int(connection.execute(q).scalar_one())


def _relay(app: Plansmith, hold_at: int) -> None:
    relay = app.relay([WebhookFanOut(app.uow, app.clock), Holder(hold_at)])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        relay.run_until_idle()
        if _waiting(app, t.outbox_events, t.outbox_events.c.delivered_at.is_(None)) == 0:
            print("done", flush=True)
            return
        time.sleep(0.2)  # the dead relay's lease has not run out yet
    raise SystemExit("the outbox was not emptied in time")


def _deliver(app: Plansmith, clock: TestClock, hold: str) -> None:
    senders = {"2": TakingSender, "1": HoldingSender, "0": HttpSender}
    sender = senders[hold](allow_private=True)
    worker = app.delivery_worker(sender)
    for _ in range(50):
        worker.run_until_idle()
        pending = t.webhook_deliveries.c.state == "pending"
        if _waiting(app, t.webhook_deliveries, pending) == 0:
            print("done", flush=True)
            return
        clock.advance(timedelta(minutes=10))
    raise SystemExit("deliveries still pending")


def main(argv: list[str]) -> None:
    mode, db_url = argv[0], argv[1]
    settings = Settings(
        database_url=db_url,
        secret_key="crash",
        relay_lease_seconds=2.0,
        webhooks_lease_seconds=2.0,
        webhooks_allow_private=True,
    )
    if mode == "relay":
        _relay(bootstrap(settings), int(argv[2]))
    else:
        clock = TestClock(datetime.fromisoformat(argv[2]))
        _deliver(bootstrap(settings, clock=clock), clock, argv[3])


if __name__ == "__main__":
    main(sys.argv[1:])
