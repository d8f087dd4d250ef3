"""A process of its own for test_usage_races.py (``python -m tests.integration.
usage_crash_process DATABASE_URL ORG AT BATCHES_FILE``), killed with SIGKILL by the test.

It ingests the batches of BATCHES_FILE (JSON: a list of lists of events) for organization ORG
as of the instant AT, one transaction each. All but the last are committed; in the last, once
its events are inserted and before their aggregates are written (mid-transaction), it says
"held" and waits to be killed."""

from __future__ import annotations

import json
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any, Self

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db.unit_of_work import SqlUnitOfWork
from plansmith.application.usage.ingest import ingest
from plansmith.application.usage.ports import DailyDelta, UsageRepository
from plansmith.bootstrap import Settings, bootstrap


class HoldingUsage:
    """The real repository, stopped for good before the aggregates are written."""

    def __init__(self, real: UsageRepository) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def add_daily(self, organization_id: str, deltas: list[DailyDelta]) -> None:
        print("held", flush=True)
        time.sleep(600)  # killed here: events inserted, nothing committed

    def add_unique(self, rows: list[tuple[str, str, date, str]]) -> None:
        raise AssertionError("killed before")


class Holding(SqlUnitOfWork):
    def __enter__(self) -> Self:
        super().__enter__()
        self.usage = HoldingUsage(self.usage)  # type: ignore[assignment]
        return self


def main(url: str, org: str, at: str, batches_file: str) -> None:
    app = bootstrap(
        Settings(database_url=url, secret_key="crash", base_url="http://crash"),
        clock=TestClock(datetime.fromisoformat(at)),
    )
    batches = json.loads(Path(batches_file).read_text(encoding="utf-8"))
    for batch in batches[:-1]:
        answers = ingest(app.uow(), app.clock, org, batch)
        print("committed", sum(a.status == "accepted" for a in answers), flush=True)
    holding = Holding(app.sessions, app.price_books)
    ingest(holding, app.clock, org, batches[-1])
    print("not killed", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
