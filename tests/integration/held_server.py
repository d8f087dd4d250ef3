"""The real plansmith server for crash tests: ``python -m tests.integration.held_server PORT``.

It is the app `plansmith serve` runs (settings from the environment), with one test-only hook
that makes "killed in the middle of a billing run" deterministic: runs bill in batches of
HELD_BATCH subscriptions, and once the first batch of a run has committed the request thread
writes ``held`` on stdout and waits there for ever, until the test kills the process.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import uvicorn

from plansmith.application.billing import run as billing_run
from plansmith.bootstrap import Settings, bootstrap
from plansmith.entrypoints.web import create_app


def main() -> None:
    port = int(sys.argv[1])
    size = int(os.environ["HELD_BATCH"])
    real_batches, real_bill_batch = billing_run.batches, billing_run.bill_batch

    def small_batches(uow: Any, organization_id: Any, as_of: Any, _size: int) -> Iterator[Any]:
        return real_batches(uow, organization_id, as_of, size)

    def bill_then_hold(*args: Any, **kwargs: Any) -> Any:
        real_bill_batch(*args, **kwargs)
        print("held", flush=True)
        threading.Event().wait()  # until SIGKILL

    billing_run.batches = small_batches  # type: ignore[assignment]
    billing_run.bill_batch = bill_then_hold
    app = create_app(bootstrap(Settings()))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
