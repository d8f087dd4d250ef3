"""Whether the work at hand only reads: set by the web app for GET requests, read by the
composition root to hand out units of work on the reader engine (SQLite: deferred, no write
lock). A context variable, so it follows the request into the thread pool and nowhere else."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_READING: ContextVar[bool] = ContextVar("plansmith_reading", default=False)


def only_reading() -> bool:
    return _READING.get()


@contextmanager
def reading() -> Iterator[None]:
    """Within this block, units of work only read (a write through one is refused)."""
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)
