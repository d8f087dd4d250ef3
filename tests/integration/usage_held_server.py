"""The real plansmith app under uvicorn for the usage crash test:
``python -m tests.integration.usage_held_server PORT AT HOLD_AT``.

Settings come from the environment, as for `plansmith serve`; the clock is frozen at the
instant AT (the test's clock, so its organization's periods are open). With HOLD_AT = n > 0,
the n-th batch whose events are inserted stops there, before its aggregates are written and
before its commit: the request thread writes ``held`` on stdout and waits until the test
kills the process (mid-batch, deterministically). With HOLD_AT = 0 it serves plainly."""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from typing import Any

import uvicorn

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db.usage.events import SqlUsage
from plansmith.bootstrap import Settings, bootstrap
from plansmith.entrypoints.web import create_app


def main(port: str, at: str, hold_at: str) -> None:
    real_add_daily = SqlUsage.add_daily
    seen = [0]

    def add_daily_or_hold(self: SqlUsage, organization_id: str, deltas: Any) -> None:
        seen[0] += 1
        if seen[0] == int(hold_at):
            print("held", flush=True)
            threading.Event().wait()  # until SIGKILL: events inserted, nothing committed
        real_add_daily(self, organization_id, deltas)

    SqlUsage.add_daily = add_daily_or_hold  # type: ignore[method-assign]
    container = bootstrap(Settings(), clock=TestClock(datetime.fromisoformat(at)))
    print("serving", flush=True)
    uvicorn.run(
        create_app(container),
        host="127.0.0.1",
        port=int(port),
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
