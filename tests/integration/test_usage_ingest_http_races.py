"""Exactly once over real HTTP, on PostgreSQL. 20 clients, each on its own connection to the
app served by uvicorn, send the same 10,000 event ids at once (batches of 500, each client in
its own order): each event counts once. An ingest server process SIGKILLed mid-batch (its
events inserted, its aggregates not yet written, nothing committed) and the batches resent to
a restarted server: every event counts exactly once."""

from __future__ import annotations

import random
import signal
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.bootstrap import Plansmith
from plansmith.entrypoints.web import create_app
from tests.conftest import Tenant
from tests.integration.crash_processes import Process, said, start
from tests.integration.usage_api_support import UsageApi, call, rows, usage
from tests.live_server import serving

__all__ = ["usage"]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]


def _events(accounts: list[str], count: int) -> list[dict[str, Any]]:
    """``count`` events over the accounts and February's days (Tokyo); bytes n for event n."""
    return [
        call(
            accounts[n % len(accounts)],
            f"e-{n}",
            f"2026-02-{1 + n % 28:02d}T{n % 24:02d}:30:00+09:00",
            bytes=n,
            region="eu" if n % 2 else "us",
        )
        for n in range(count)
    ]


def _totals(container: Plansmith) -> dict[str, tuple[int, int]]:
    """Per meter code: the summed count and total of its daily aggregates."""
    d, m = t.usage_daily.c, t.usage_meters.c
    q = (
        select(m.code, func.sum(d.count), func.sum(d.total))
        .select_from(t.usage_daily.join(t.usage_meters, m.id == d.meter_id))
        .group_by(m.code)
    )
    with container.engine.connect() as connection:
        return {code: (int(n), int(total)) for code, n, total in connection.execute(q)}


def _post(http: httpx.Client, headers: dict[str, str], events: list[dict[str, Any]]) -> Any:
    answer = http.post("/v1/events/batch", json={"events": events}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_20_http_clients_sending_the_same_10000_ids_count_each_once(
    usage: UsageApi, container: Plansmith, tenant: Tenant
) -> None:
    accounts = [usage.subscriber(f"Customer {n}") for n in range(10)]
    events = _events(accounts, 10_000)
    batches = [events[n : n + 500] for n in range(0, len(events), 500)]
    barrier = threading.Barrier(20)

    def client(url: str, seed: int) -> list[str]:
        order = batches[:]
        random.Random(seed).shuffle(order)
        statuses = []
        with httpx.Client(base_url=url, timeout=300) as http:
            barrier.wait()  # all 20 start together
            for batch in order:
                mine = batch[:]
                random.Random(seed).shuffle(mine)  # any order within a batch too
                answers = _post(http, tenant.headers, mine)
                statuses += [a["code"] or a["status"] for a in answers["data"]]
        return statuses

    with (
        serving(lambda _url: create_app(container)) as url,
        ThreadPoolExecutor(max_workers=20) as pool,
    ):
        answered = [s for found in pool.map(client, [url] * 20, range(20)) for s in found]

    assert answered.count("accepted") == 10_000
    assert answered.count("duplicate") == 19 * 10_000
    assert rows(container, "usage_events") == 10_000
    assert _totals(container) == {
        "calls": (10_000, 0),
        "bytes": (10_000, sum(range(10_000)) * 10**6),
        "peak": (10_000, 0),
        "eu_calls": (5_000, 0),
    }
    assert usage.values(accounts[3])["calls"] == 1_000


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    """The servers a test starts; any still running at the end is killed."""
    started: list[Process] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(30)


def _server(clock: TestClock, hold_at: int, folder: Path, processes: list[Process]) -> str:
    """A usage_held_server process on a free port (settings from the environment); its URL
    once it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    args = [str(port), clock.now().isoformat(), str(hold_at)]
    process = start("tests.integration.usage_held_server", args, folder)
    processes.append(process)
    assert said(process, folder) == ["serving"]
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):  # until it listens (the test asserts nothing on time)
        try:
            httpx.get(f"{url}/healthz", timeout=5)
            return url
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError((folder / "stderr.txt").read_text())


def test_an_ingest_server_killed_mid_batch_and_the_batches_resent_count_every_event_once(
    usage: UsageApi,
    container: Plansmith,
    tenant: Tenant,
    clock: TestClock,
    db_url: str,
    tmp_path: Path,
    processes: list[Process],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    accounts = [usage.subscriber(f"Customer {n}") for n in range(4)]
    events = _events(accounts, 2_000)
    batches = [events[:1000], events[1000:]]
    monkeypatch.setenv("DATABASE_URL", db_url)  # the servers' settings, as for plansmith serve
    monkeypatch.setenv("PLANSMITH_SECRET_KEY", "crash-test")
    url = _server(clock, 2, tmp_path, processes)
    held = processes[-1]
    with httpx.Client(base_url=url, timeout=300) as http:
        assert _post(http, tenant.headers, batches[0])["accepted"] == 1000
    failed: list[BaseException] = []

    def send_second() -> None:
        try:
            with httpx.Client(base_url=url, timeout=300) as http:
                http.post("/v1/events/batch", json={"events": batches[1]}, headers=tenant.headers)
        except httpx.TransportError as error:
            failed.append(error)

    sender = threading.Thread(target=send_second)
    sender.start()
    assert said(held, tmp_path) == ["held"]
    held.send_signal(signal.SIGKILL)
    assert held.wait(30) == -signal.SIGKILL
    sender.join(60)

    assert len(failed) == 1  # the client saw its connection die, no answer
    assert rows(container, "usage_events") == 1000  # the killed batch left nothing
    assert _totals(container)["calls"] == (1000, 0)
    url = _server(clock, 0, tmp_path, processes)
    with httpx.Client(base_url=url, timeout=300) as http:
        resent = [_post(http, tenant.headers, batch) for batch in batches]

    assert [(r["accepted"], r["rejected"]) for r in resent] == [(0, 1000), (1000, 0)]
    assert {a["code"] for a in resent[0]["data"]} == {"duplicate"}
    assert rows(container, "usage_events") == 2000
    assert _totals(container) == {
        "calls": (2000, 0),
        "bytes": (2000, sum(range(2000)) * 10**6),
        "peak": (2000, 0),
        "eu_calls": (1000, 0),
    }
