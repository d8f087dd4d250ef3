"""`plansmith serve --workers N` for real: a process tree over a SQLite file on a free port.

Both workers answer, with the one secret key `serve` keeps in var/secret_key (a portal link
signed by the CLI or by one worker opens in the other); the renewal timer and the outbox relay
run in the supervising process alone; SIGTERM and SIGINT end every process, cleanly.
"""

from __future__ import annotations

import re
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.server_processes import (
    Server,
    descendants,
    get,
    request,
    running,
    serve,
    thread_names,
)

ATTEMPTS = 200  # links made and opened before giving up on seeing both workers at work
WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def two_workers(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Server]:
    cwd = tmp_path_factory.mktemp("serve")  # no var/secret_key here: serve makes it
    shutil.copyfile(sqlite_template, cwd / "plansmith.sqlite3")
    with serve(cwd, f"sqlite:///{cwd / 'plansmith.sqlite3'}", "--workers", "2") as server:
        yield server


def _enter(server: Server, link: str) -> int:
    """Open a portal link, which must let its holder in; the pid of the worker that did."""
    parts = urlsplit(link)
    answer = get(server, f"{parts.path}?{parts.query}")
    assert answer.status == 303, f"worker {answer.pid} refused the link: {answer.body!r}"
    assert answer.headers["location"] == "/portal/"
    assert "plansmith_portal=" in answer.headers["set-cookie"]
    return answer.pid


def test_both_workers_answer_and_open_links_signed_by_the_cli_and_by_each_other(
    two_workers: Server,
) -> None:
    server = two_workers
    demo = server.cli("demo")  # a separate process: reads the key serve made
    api_key = re.search(r"API key\s+(\S+)", demo)
    cli_link = re.search(r"Portal link\s+(\S+)", demo)
    assert api_key and cli_link, demo
    key = api_key[1]
    accounts = request(server, "GET", "/v1/accounts?limit=1", token=key)
    account_id = accounts.json()["data"][0]["id"]

    opened_cli_link = _enter(server, cli_link[1])
    made_and_opened: list[tuple[int, int]] = []
    for _ in range(ATTEMPTS):
        made = request(
            server, "POST", "/v1/portal_sessions", body={"account_id": account_id}, token=key
        )
        assert made.status == 201, made.body
        made_and_opened.append((made.pid, _enter(server, made.json()["url"])))
        if len({pid for pair in made_and_opened for pid in pair}) == 2 and any(
            made_by != opened_by for made_by, opened_by in made_and_opened
        ):
            break

    workers = server.workers()
    assert len(workers) == 2
    assert server.process.pid not in workers
    assert opened_cli_link in workers
    assert {pid for pair in made_and_opened for pid in pair} == workers
    # a link signed by one worker opened in the other: both hold the one key
    assert any(made_by != opened_by for made_by, opened_by in made_and_opened)
    assert (server.cwd / "var" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_the_renewal_timer_and_the_relay_run_in_the_supervisor_alone(
    two_workers: Server,
) -> None:
    supervisor, workers = two_workers.process.pid, two_workers.workers()

    threads = {pid: thread_names(pid) for pid in (supervisor, *workers)}

    assert len(workers) == 2
    assert threads[supervisor].count("renewals") == 1
    assert threads[supervisor].count("outbox-relay") == 1
    for worker in workers:
        assert "renewals" not in threads[worker], threads
        assert "outbox-relay" not in threads[worker], threads


@pytest.mark.parametrize(
    ("args", "env", "stop", "workers"),
    [
        (["--workers", "2"], {}, signal.SIGTERM, 2),
        ([], {"PLANSMITH_WORKERS": "2"}, signal.SIGINT, 2),
        ([], {}, signal.SIGTERM, 1),
    ],
    ids=["2-workers-sigterm", "PLANSMITH_WORKERS-2-sigint", "1-worker-sigterm"],
)
def test_a_signal_ends_every_process_cleanly(
    tmp_path: Path,
    sqlite_template: Path,
    args: list[str],
    env: dict[str, str],
    stop: signal.Signals,
    workers: int,
) -> None:
    shutil.copyfile(sqlite_template, tmp_path / "plansmith.sqlite3")
    url = f"sqlite:///{tmp_path / 'plansmith.sqlite3'}"
    with serve(tmp_path, url, *args, **env) as server:
        _wait_until(lambda: server.output().count("Application startup complete") == workers)
        supervisor = server.process.pid
        servers = server.workers() if workers > 1 else {supervisor}
        everyone = {supervisor, *descendants(supervisor)}

        server.process.send_signal(stop)
        status = server.process.wait(timeout=WAIT_SECONDS)
        _wait_until(lambda: not any(running(pid) for pid in everyone))

        assert status == 0, server.output()
        assert len(servers) == workers
        for pid in servers:  # each server process shut down, none was killed
            assert f"Finished server process [{pid}]" in server.output()
        assert not [pid for pid in everyone if running(pid)]


def _wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)
