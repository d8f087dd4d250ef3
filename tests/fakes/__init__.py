"""In-memory fakes of the application's ports, one per port, each checked against its port by
mypy. Use cases run on them in tests/unit without a database."""

from tests.fakes.clock import FakeClock
from tests.fakes.store import FakeStore, InjectedFailure, Refused, Rows
from tests.fakes.unit_of_work import FakeUnitOfWork, fake_uow

__all__ = [
    "FakeClock",
    "FakeStore",
    "FakeUnitOfWork",
    "InjectedFailure",
    "Refused",
    "Rows",
    "fake_uow",
]
