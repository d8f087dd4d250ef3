"""Every webhook attempt ends by its deadline, whatever the receiver does.

A socket time-out bounds each read, not the attempt: a receiver that answers its status line
and headers a byte at a time, each within the time-out, would hold a sending thread for as
long as it likes, and enough such endpoints would hold every thread of every worker (anyone
with an API key can make an endpoint). A watcher thread shuts the socket of an attempt that
has outlived its deadline, which ends the blocked read at once.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SWEEP_SECONDS = 0.25  # how late past its deadline an attempt may be cut


@dataclass
class Watched:
    conn: http.client.HTTPConnection
    deadline: float  # time.perf_counter()
    cut: bool = False
    cut_at: float = 0.0  # time.perf_counter() when cut


class Deadlines:
    def __init__(self, every: float = SWEEP_SECONDS) -> None:
        self._every = every
        self._watched: dict[int, Watched] = {}
        self._tokens = itertools.count()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def watching(self, conn: http.client.HTTPConnection, deadline: float) -> Iterator[Watched]:
        """``conn`` is cut if it is still in use at ``deadline`` (perf_counter seconds)."""
        watched = Watched(conn, deadline)
        token = next(self._tokens)
        with self._lock:
            self._watched[token] = watched
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._sweep, name="webhook-deadlines", daemon=True
                )
                self._thread.start()
        try:
            yield watched
        finally:
            with self._lock:
                del self._watched[token]

    def _sweep(self) -> None:
        while not self._stopped.wait(self._every):
            now = time.perf_counter()
            with self._lock:
                late = [w for w in self._watched.values() if w.deadline <= now and not w.cut]
            for watched in late:
                sock = watched.conn.sock
                if sock is None:
                    continue  # still connecting (bounded by its own time-out): next sweep
                watched.cut_at = time.perf_counter()  # before the shutdown wakes the reader
                watched.cut = True
                _shut(sock)

    def close(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _shut(sock: socket.socket) -> None:
    """Both directions of the TCP connection shut: the reading thread gets an end of stream
    (on the plain socket even under TLS, so the TLS object is left to its own thread)."""
    with contextlib.suppress(OSError):  # closed already
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
