"""Kept-alive HTTP/1.1 connections for the webhook sender, on the standard library's client.

One bounded set of connections per (scheme, host, port, resolved address): keyed by the
address alone, a connection opened (and, for https, TLS-verified with SNI) for one host name
would be reused for another name on the same address. A connection is made to the checked
address; for https the URL's name goes in SNI and the certificate check.

Why `http.client` and not httpcore's pool (ADR 0036): with 16 sending threads httpcore's pool
walked every connection of the pool several times per request (to assign it, to expire idle
ones, to test each for readability) and cost 635 to 830 µs of CPU a request against 190 to 200 µs
for a kept-alive `http.client` connection to the same receiver (docs/benchmarks.md). What a
webhook needs of a client is small: one POST, no redirects, no cookies, no proxies.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

KEEP_ALIVE_SECONDS = 30.0
MAX_KEYS = 512  # idle connections of keys beyond this are closed, least recently used first


class PoolKey(NamedTuple):
    """What a kept-alive connection may be reused for: the same name on the same address."""

    scheme: str
    host: str
    port: int
    address: str


class PoolTimeout(OSError):
    """Every connection of a key stayed in use for the whole timeout."""


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to an address checked beforehand, with the URL's name in SNI and in the
    certificate check (the plain class would check the certificate against the address)."""

    def __init__(
        self, address: str, port: int, name: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(address, port, timeout=timeout, context=context)
        self._name = name
        self._tls = context

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)  # TCP to the address, TCP_NODELAY on
        self.sock = self._tls.wrap_socket(self.sock, server_hostname=self._name)


@dataclass
class _Slot:
    """One key's connections: the idle ones (newest last) and a bound on those in use."""

    limit: threading.BoundedSemaphore
    idle: deque[tuple[http.client.HTTPConnection, float]] = field(default_factory=deque)
    in_use: int = 0


class Connections:
    """At most ``per_key`` connections in use per key; idle ones are kept for reuse until
    they have been idle KEEP_ALIVE_SECONDS or the other side has closed them."""

    def __init__(self, per_key: int, timeout: float, context: ssl.SSLContext) -> None:
        self._per_key = per_key
        self._timeout = timeout
        self._context = context
        self._slots: OrderedDict[PoolKey, _Slot] = OrderedDict()
        self._lock = threading.Lock()

    @contextmanager
    def connection(self, key: PoolKey, deadline: float) -> Iterator[Reuse]:
        """A connection for ``key``, waited for until ``deadline`` (perf_counter seconds) at
        most, and kept for reuse afterwards only if the caller says so (``reuse.keep =
        True``: the answer was read to its end and may be followed)."""
        slot = self._slot(key)
        if not slot.limit.acquire(timeout=max(0.0, deadline - time.perf_counter())):
            with self._lock:
                slot.in_use -= 1
            raise PoolTimeout(f"no connection to {key.host} free within {self._timeout:g} s")
        reuse = Reuse(self._idle_or_new(key, slot))
        try:
            yield reuse
        finally:
            with self._lock:
                if reuse.keep:
                    slot.idle.append((reuse.conn, time.monotonic()))
                else:
                    reuse.conn.close()
                slot.in_use -= 1
            slot.limit.release()

    def _slot(self, key: PoolKey) -> _Slot:
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = _Slot(threading.BoundedSemaphore(self._per_key))
                self._slots[key] = slot
                self._evict()
            self._slots.move_to_end(key)
            slot.in_use += 1  # counted from here: eviction leaves the slot alone
            return slot

    def _idle_or_new(self, key: PoolKey, slot: _Slot) -> http.client.HTTPConnection:
        now = time.monotonic()
        while True:
            with self._lock:
                if not slot.idle:
                    break
                conn, since = slot.idle.pop()
            if now - since < KEEP_ALIVE_SECONDS and not _closed_by_peer(conn):
                return conn
            conn.close()
        if key.scheme == "https":
            return PinnedHTTPSConnection(
                key.address, key.port, key.host, self._timeout, self._context
            )
        return http.client.HTTPConnection(key.address, key.port, timeout=self._timeout)

    def _evict(self) -> None:
        for key in list(self._slots):
            if len(self._slots) <= MAX_KEYS:
                return
            if not self._slots[key].in_use:
                for conn, _since in self._slots.pop(key).idle:
                    conn.close()

    def keys(self) -> list[PoolKey]:
        with self._lock:
            return list(self._slots)

    def connections(self, key: PoolKey) -> int:
        """Open connections of ``key``: in use and idle."""
        with self._lock:
            slot = self._slots.get(key)
            return 0 if slot is None else slot.in_use + len(slot.idle)

    def close(self) -> None:
        with self._lock:
            for slot in self._slots.values():
                for conn, _since in slot.idle:
                    conn.close()
            self._slots.clear()


@dataclass
class Reuse:
    conn: http.client.HTTPConnection
    keep: bool = False


def _closed_by_peer(conn: http.client.HTTPConnection) -> bool:
    """An idle connection with something to read has been closed (or spoken on) by the
    other side: not to be reused. poll, not select: no limit on the descriptor's number."""
    sock = conn.sock
    if sock is None:
        return False  # not connected yet: connects on first use
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))
