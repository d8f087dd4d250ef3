"""Every attempt ends by its deadline, and a batch's lease outlasts the longest the batch can
take. A receiver that trickles its status line and headers a byte at a time, each byte within
the read time-out, held a sending thread for as long as it trickled (a minute here; hours in
the wild, and with enough such endpoints every thread of every worker)."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from plansmith.adapters.clock import TestClock
from plansmith.adapters.webhooks.sender import HttpSender
from plansmith.application.webhooks.delivery import DeliveryWorker
from plansmith.application.webhooks.ports import Answer, Due, Outcome
from plansmith.bootstrap import Settings, bootstrap
from plansmith.domain.webhooks.events import WebhookEndpointDisabled

TRICKLE_SECONDS = 60  # how long the receiver would go on: far beyond any deadline below
SECRET = "whsec_" + base64.b64encode(b"k" * 24).decode()


@pytest.fixture
def trickling_headers() -> Iterator[int]:
    """Answers the status line, then a header one byte every 0.2 s, never ending it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            try:
                connection.sendall(b"HTTP/1.1 200 OK\r\nx-slow: ")
                for _ in range(int(TRICKLE_SECONDS / 0.2)):
                    if stop.is_set():
                        return
                    connection.sendall(b"a")
                    time.sleep(0.2)
            except OSError:
                return  # the sender hung up: what this test wants

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    stop.set()
    server.close()


def test_an_attempt_with_headers_trickled_in_ends_at_its_deadline(trickling_headers: int) -> None:
    due = Due(
        "dlv_1",
        "we_1",
        "evt_1",
        f"http://127.0.0.1:{trickling_headers}/hooks",
        '{"type": "invoice.paid"}',
        (SECRET,),
        0,
        0,
    )
    sender = HttpSender(allow_private=True, threads=1, timeout=1.0)
    try:
        answer = sender.send_one(due)
    finally:
        sender.close()
    assert answer.status is None
    assert answer.error == "TimeoutError: no answer within 1 s"
    assert answer.duration_ms < 5_000  # 1 s and a sweep; the receiver would go on for 60 s


def test_the_longest_a_batch_takes_is_its_rounds_of_attempts_at_their_deadline() -> None:
    sender = HttpSender(allow_private=True, threads=16, timeout=10.0)
    try:
        assert sender.longest(1) == 10.5
        assert sender.longest(16) == 10.5
        assert sender.longest(17) == 21.0
        assert sender.longest(100) == 73.5  # 7 rounds: beyond the default lease of 60 s
    finally:
        sender.close()


class _Store:
    """Records the lease a worker asks for; nothing is due."""

    def __init__(self) -> None:
        self.until: list[datetime] = []

    def take_due(self, holder: str, now: datetime, until: datetime, limit: int) -> Sequence[Due]:
        self.until.append(until)
        return []

    def record(
        self,
        holder: str,
        outcomes: Sequence[Outcome],
        now: datetime,
        disable_after_events: int,
        failing_since_before: datetime,
    ) -> Sequence[WebhookEndpointDisabled]:
        return []


class _Sender:
    def send(self, batch: Sequence[Due]) -> list[Answer]:
        return []

    def close(self) -> None:
        pass


def test_a_batch_is_leased_for_at_least_the_longest_it_can_take() -> None:
    now = datetime(2026, 12, 7, 9, tzinfo=UTC)
    store = _Store()
    worker = DeliveryWorker(
        store, _Sender(), TestClock(now), timedelta(seconds=60), batch=100, longest=lambda n: 73.5
    )
    worker.run_once()
    assert store.until == [now + timedelta(seconds=83.5)]  # 73.5 s and 10 s to take and record
    worker.longest = lambda n: 5.0
    worker.run_once()
    assert store.until[-1] == now + timedelta(seconds=60)  # never shorter than the setting


def test_the_delivery_worker_of_the_app_leases_by_its_senders_deadlines(db_url: str) -> None:
    app = bootstrap(Settings(database_url=db_url, secret_key="test-secret"))
    worker = app.delivery_worker()
    try:
        assert worker.longest is not None
        assert worker.longest(worker.batch) == 73.5  # 100 at 16 threads, 10 s each
    finally:
        worker.sender.close()
        app.dispose()
