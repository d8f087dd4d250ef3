"""How a sub-command gets the app: the factory ``main`` installs when it is imported (its
``container``: settings from the environment, rule violations as one line on stderr).

Sub-command modules import this module, never ``main``: ``main`` imports them to register
their commands, so importing it back would make an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from plansmith.bootstrap import Plansmith

Factory = Callable[[], AbstractContextManager[Plansmith]]
_factory: list[Factory] = []


def install(factory: Factory) -> None:
    _factory[:] = [factory]


def container() -> AbstractContextManager[Plansmith]:
    if not _factory:
        raise RuntimeError("run commands through plansmith.entrypoints.cli.main")
    return _factory[0]()
