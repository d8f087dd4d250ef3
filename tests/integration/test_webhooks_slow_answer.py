"""An answer trickled a byte at a time is read only until the attempt's time is up: the
timeout bounds each read, so without a deadline one slow receiver would hold the attempt, and
the lease of the whole batch it came in, for as long as it likes."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from plansmith.adapters.webhooks.sender import HttpSender
from plansmith.application.webhooks.ports import Due

BYTES = 100  # the body the receiver trickles, one byte every 0.2 s (20 s in all)


@pytest.fixture
def trickling_receiver() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def serve() -> None:
        connection, _ = server.accept()
        with connection:
            connection.recv(65536)
            head = f"HTTP/1.1 200 OK\r\ncontent-length: {BYTES}\r\n\r\n".encode()
            connection.sendall(head)
            for _ in range(BYTES):
                if stop.is_set():
                    return
                try:
                    connection.sendall(b"x")
                except OSError:
                    return  # the sender hung up: what this test wants
                time.sleep(0.2)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    server.close()


def test_a_trickled_answer_is_cut_at_the_attempts_deadline(trickling_receiver: int) -> None:
    secret = "whsec_" + base64.b64encode(b"k" * 24).decode()
    due = Due(
        "dlv_1",
        "we_1",
        "evt_1",
        f"http://127.0.0.1:{trickling_receiver}/hooks",
        '{"type": "invoice.paid"}',
        (secret,),
        0,
        0,
    )
    sender = HttpSender(allow_private=True, threads=1, timeout=1.0)
    try:
        answer = sender.send_one(due)
    finally:
        sender.close()

    assert answer.status == 200
    assert 0 < len(answer.head) < BYTES  # stopped reading before the receiver was done
