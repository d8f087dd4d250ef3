"""A keyed POST /v1/billing_runs whose server is killed with SIGKILL mid-run, on SQLite and
PostgreSQL, with real server processes: the retry with the same key, once the dead server's
lease ran out, runs the billing run again on a restarted `plansmith serve`; every
subscription is invoiced exactly once; the killed run's record says what it did and that it
was abandoned, and by which run.

Both servers run with the same settings: a short Idempotency-Key lease, and the billing-run
lease at its default ratio to it (ten times). The first server (tests/integration/
held_server.py) holds the request after the run's first batch committed, so the kill lands
mid-run deterministically. The client then retries as the client docs say, and only so: on
409 `idempotency_key_in_use`, again after Retry-After seconds, until the dead server's lease
has run out and the retry runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from plansmith.adapters.clock import TestClock
from plansmith.adapters.db import tables as t
from plansmith.application.organizations.api_keys import create_api_key
from plansmith.application.organizations.organizations import create_organization
from plansmith.application.subscriptions.subscribing import SubscribeInput, subscribe
from plansmith.bootstrap import Plansmith
from tests.unit.subscription_builders import new_account, seed_catalog

ROOT = Path(__file__).resolve().parents[2]
PLANSMITH = Path(sys.executable).with_name("plansmith")
SUBSCRIBERS, BATCH = 30, 10
PLAN = {"pricing": "per_seat", "prices": [{"currency": "USD", "cycle": "month", "amount": 1000}]}
LEASE = 2  # seconds, on both servers
RUN_LEASE = 10 * LEASE  # the default ratio (600 s to 60 s)
KEY = "bill-2026-01-31"


@dataclass(frozen=True)
class Sandbox:
    organization_id: str
    headers: dict[str, str]
    subscriptions: list[str]


@pytest.fixture
def sandbox(container: Plansmith, clock: TestClock) -> Sandbox:
    """A sandbox organization (its clock frozen at the test's start) with SUBSCRIBERS new
    subscriptions whose first period is pending: a billing run invoices each once."""
    org = create_organization(container.uow(), clock, "Crash Sandbox", sandbox=True).id
    secret = create_api_key(container.uow(), clock, org, "crash").secret
    seed_catalog(container, org, plans={"seat": PLAN}, add_ons=False)
    subs = []
    for n in range(SUBSCRIBERS):
        account = new_account(container, org, "USD", "UTC", name=f"Customer {n}")
        started = subscribe(container.uow(), clock, org, SubscribeInput(account, "seat"))
        subs.append(started.view.subscription.id)
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": KEY}
    return Sandbox(org, headers, subs)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str


def _start(command: list[str], port: int, db_url: str, log: Path) -> Server:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "PLANSMITH_SECRET_KEY": "crash-test",
        "PLANSMITH_IDEMPOTENCY_LEASE_SECONDS": str(LEASE),
        "PLANSMITH_BILLING_RUN_LEASE_SECONDS": str(RUN_LEASE),
        "PLANSMITH_INVOICE_GRACE_MINUTES": "0",
        "HELD_BATCH": str(BATCH),
    }
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("a"),
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60  # waits for it to listen; asserts nothing on time
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return Server(process, url)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server did not start: {log.read_text()}")


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    """The servers a test starts; any still running at the end is stopped."""
    started: list[Server] = []
    yield started
    for server in started:
        if server.process.poll() is None:
            server.process.send_signal(signal.SIGTERM)
            server.process.wait(30)


def _held(server: Server, sender: threading.Thread) -> bool:
    """Whether the server says it holds the run mid-way (False if it answered or died)."""
    said: list[str] = []
    stdout = server.process.stdout
    assert stdout is not None
    reader = threading.Thread(target=lambda: said.append(stdout.readline()), daemon=True)
    reader.start()
    while reader.is_alive() and sender.is_alive():
        reader.join(0.1)
    reader.join(1)
    return [line.strip() for line in said] == ["held"]


def _one(container: Plansmith, query: Any) -> Any:
    with container.engine.connect() as connection:
        return connection.execute(query).one()


def _run_row(container: Plansmith, organization_id: str) -> Any:
    r = t.billing_runs.c
    return _one(container, select(t.billing_runs).where(r.organization_id == organization_id))


def _invoices_per_subscription(container: Plansmith) -> dict[str, int]:
    i = t.invoices.c
    with container.engine.connect() as connection:
        q = select(i.subscription_id, func.count()).group_by(i.subscription_id)
        return {sub: int(n) for sub, n in connection.execute(q)}


def _retry_as_documented(http: httpx.Client, sandbox: Sandbox) -> list[httpx.Response]:
    """The client's part: same key, same body; on 409 idempotency_key_in_use, again after
    Retry-After seconds. Returns every answer, the last one final. (It waits as the server
    says; the test asserts nothing on time.)"""
    answers: list[httpx.Response] = []
    for _ in range(60):
        answers.append(http.post("/v1/billing_runs", headers=sandbox.headers))
        last = answers[-1]
        if last.status_code != 409 or last.json()["code"] != "idempotency_key_in_use":
            break
        time.sleep(int(last.headers["retry-after"]))
    return answers


def test_billing_run_killed_mid_way_is_completed_by_the_retry_after_the_lease(
    container: Plansmith, db_url: str, sandbox: Sandbox, servers: list[Server], tmp_path: Path
) -> None:
    log = tmp_path / "servers.log"
    port = _free_port()
    held = _start(
        [sys.executable, "-m", "tests.integration.held_server", str(port)],
        port,
        db_url,
        log,
    )
    servers.append(held)
    first: list[Any] = []

    def send_first() -> None:
        try:
            answer = httpx.post(
                f"{held.url}/v1/billing_runs", headers=sandbox.headers, timeout=None
            )
            first.append(answer)  # answered: the server was never held
        except httpx.TransportError as exc:
            first.append(exc)

    sender = threading.Thread(target=send_first)
    sender.start()
    assert _held(held, sender), (first, log.read_text())
    while_held = httpx.post(f"{held.url}/v1/billing_runs", headers=sandbox.headers)
    killed_run = _run_row(container, sandbox.organization_id)
    held.process.send_signal(signal.SIGKILL)
    held.process.wait(30)
    sender.join(60)

    port = _free_port()
    restarted = _start(
        [str(PLANSMITH), "serve", "--port", str(port), "--renewals-every", "0"],
        port,
        db_url,
        log,
    )
    servers.append(restarted)
    with httpx.Client(base_url=restarted.url, timeout=120) as http:
        *waited, retried = _retry_as_documented(http, sandbox)
        replayed = http.post("/v1/billing_runs", headers=sandbox.headers)
        listed = http.get("/v1/billing_runs", headers=sandbox.headers).json()["data"]

    # The first request died with its server; a retry meanwhile was told to wait.
    assert [type(x) for x in first] in ([httpx.RemoteProtocolError], [httpx.ReadError])
    assert while_held.status_code == 409
    assert while_held.json()["code"] == "idempotency_key_in_use"
    assert 0 < int(while_held.headers["retry-after"]) <= LEASE
    assert (killed_run.status, killed_run.invoiced, killed_run.finished_at) == (
        "running",
        BATCH,
        None,
    )
    # The client was told to wait only while the dead server's lease ran, then the retry ran
    # the billing run again: it billed what the killed one left.
    for answer in waited:
        assert (answer.status_code, answer.json()["code"]) == (409, "idempotency_key_in_use")
        assert 0 < int(answer.headers["retry-after"]) <= LEASE
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    run = retried.json()
    assert (run["status"], run["invoiced"], run["finalized"]) == (
        "finished",
        SUBSCRIBERS - BATCH,
        SUBSCRIBERS - BATCH,
    )
    assert _invoices_per_subscription(container) == dict.fromkeys(sandbox.subscriptions, 1)
    # The killed run's record tells what it did, and who went on.
    dead = {r["id"]: r for r in listed}[killed_run.id]
    assert (dead["status"], dead["abandoned_by"], dead["invoiced"], dead["finished_at"]) == (
        "abandoned",
        run["id"],
        BATCH,
        None,
    )
    assert (replayed.headers["idempotent-replayed"], replayed.content) == ("true", retried.content)
