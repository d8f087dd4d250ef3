"""Work that only reads: the web app marks each GET request so, and every unit of work made
during it shares one session, so the request reads in one transaction (on SQLite on the reader
engine: deferred, query-only, no write lock). A context variable, so it follows the request
into the thread pool and nowhere else; the scope itself is shared by reference, so the units
of work of a request's dependencies and of its route find the same session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy.orm import Session, sessionmaker

_SCOPE: ContextVar[ReadScope | None] = ContextVar("plansmith_read_scope", default=None)


class ReadScope:
    """One request's reading session, opened by its first unit of work, closed at its end."""

    def __init__(self) -> None:
        self._session: Session | None = None

    def session(self, factory: sessionmaker[Session]) -> Session:
        if self._session is None:
            self._session = factory()
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()  # rolls back: nothing was written
            self._session = None


def read_scope() -> ReadScope | None:
    return _SCOPE.get()


@contextmanager
def reading() -> Iterator[ReadScope]:
    """Within this block, units of work only read, all in one transaction. The caller closes
    the scope (``close``) when the work is done, e.g. after the response is sent."""
    scope = ReadScope()
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)
