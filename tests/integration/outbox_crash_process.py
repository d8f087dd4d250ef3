"""A process of its own for test_outbox_crash.py (``python -m tests.integration.
outbox_crash_process MODE DATABASE_URL FOLDER ...``), killed with SIGKILL by the test.

publish ORG ACCOUNT...: subscribe each account and change its seats (each use case commits its
  events to the outbox), say "committed", then wait, relay never started, to be killed.
relay HOLD_AT: relay to a file recorder and the JSON-lines log; with HOLD_AT >= 1, the file
  recorder takes its HOLD_AT-th event, says "held" and waits to be killed before the relay
  records it; with 0, relay until the outbox is empty, then exit.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.adapters.event_log import JsonLinesLog
from plansmith.application.events.ports import PublishedEvent
from plansmith.application.subscriptions import actions
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith, Settings, bootstrap

LEASE = 2.0  # seconds: a killed relay's lease runs out this long after its last renewal
START = datetime(2026, 1, 31, 15, 0, tzinfo=UTC)


class FileRecorder:
    """Appends each event id it is handed to a file, synced before it returns."""

    name = "file_recorder"

    def __init__(self, path: Path, hold_at: int) -> None:
        self.path, self.hold_at, self.handed = path, hold_at, 0

    def handle(self, event: PublishedEvent) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(f"{event.id} {event.aggregate_id} {event.seq}\n")
            out.flush()
            os.fsync(out.fileno())
        self.handed += 1
        if self.handed == self.hold_at:
            print("held", flush=True)
            time.sleep(600)  # killed here: handed over, not recorded


def _publish(app: Plansmith, org: str, accounts: list[str]) -> None:
    for account in accounts:
        started = subscribe(app.uow(), app.clock, org, SubscribeInput(account, "seat"))
        sub_id = started.view.subscription.id
        change = actions.ChangeInput(quantity=4)
        actions.change_subscription(app.uow(), app.clock, org, sub_id, change)
    print("committed", flush=True)
    time.sleep(600)


def _relay(app: Plansmith, folder: Path, hold_at: int) -> None:
    recorder = FileRecorder(folder / "recorded.txt", hold_at)
    relay = app.relay([recorder, JsonLinesLog(folder / "events.jsonl")])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        relay.run_until_idle()
        with app.engine.connect() as connection:
            q = select(func.count()).where(t.outbox_events.c.delivered_at.is_(None))
            if connection.execute(q).scalar_one() == 0:
                print("done", flush=True)
                return
        time.sleep(0.2)  # another relay's lease has not run out yet
    raise SystemExit("the outbox was not emptied in time")


def main(argv: list[str]) -> None:
    mode, db_url, folder = argv[0], argv[1], Path(argv[2])
    settings = Settings(database_url=db_url, secret_key="crash", relay_lease_seconds=LEASE)
    if mode == "publish":
        app = bootstrap(settings, clock=TestClock(START))
        _publish(app, argv[3], argv[4:])
    else:
        _relay(bootstrap(settings), folder, int(argv[3]))


if __name__ == "__main__":
    main(sys.argv[1:])
